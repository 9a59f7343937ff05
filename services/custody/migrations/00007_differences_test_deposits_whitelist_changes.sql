-- Up Migration
-- 1. The expected lot names its seizure and the suspect's source addresses; kept with the intake.
-- 2. An intake difference (received <> declared) is classified and countersigned by the handing-over
--    officer and the custodian before the receipt is final. Both are evidence: append-only.
-- 3. Whitelist changes: an entry is revoked at once (a revocation row: who, why, when) and changed only
--    by a new entry that names the one it replaces; the old one is superseded when the new one becomes
--    effective. The same address may be listed again after its entry was revoked or superseded.
-- 4. Transfers carry their purpose: TEST_DEPOSIT (small, proves a new destination) or VENUE_DEPOSIT.

ALTER TABLE intakes
  ADD COLUMN seizure_reference TEXT,
  ADD COLUMN source_addresses  JSONB;

CREATE TABLE intake_difference_classifications (
  classification_id  TEXT PRIMARY KEY,
  intake_id          TEXT NOT NULL REFERENCES intakes (intake_id),
  classification     TEXT NOT NULL CHECK (classification IN ('NETWORK_FEE', 'SHORT_DELIVERY', 'EXCESS_DELIVERY', 'OTHER')),
  explanation        TEXT NOT NULL,
  fee_tx_hash        TEXT,
  -- declared - received: positive for a short receipt, negative for an excess.
  amount             NUMERIC NOT NULL CHECK (amount <> 0),
  classified_by      TEXT,
  -- NULL for the first classification; otherwise the one this corrects (one successor each).
  corrects           TEXT UNIQUE REFERENCES intake_difference_classifications (classification_id),
  classified_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK (classification <> 'NETWORK_FEE' OR fee_tx_hash IS NOT NULL)
);
CREATE UNIQUE INDEX intake_difference_first ON intake_difference_classifications (intake_id) WHERE corrects IS NULL;
CREATE TRIGGER intake_difference_classifications_append_only BEFORE UPDATE OR DELETE ON intake_difference_classifications
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

CREATE TABLE intake_difference_countersignatures (
  classification_id  TEXT NOT NULL REFERENCES intake_difference_classifications (classification_id),
  intake_id          TEXT NOT NULL REFERENCES intakes (intake_id),
  role               TEXT NOT NULL CHECK (role IN ('handing-officer', 'custodian')),
  signed_by          TEXT NOT NULL,
  signed_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  -- One signature per role, by two distinct people.
  PRIMARY KEY (classification_id, role),
  UNIQUE (classification_id, signed_by)
);
CREATE TRIGGER intake_difference_countersignatures_append_only BEFORE UPDATE OR DELETE
  ON intake_difference_countersignatures FOR EACH ROW EXECUTE FUNCTION refuse_change();

ALTER TABLE whitelist_entries
  DROP CONSTRAINT whitelist_entries_chain_address_key,
  ADD COLUMN replaces TEXT REFERENCES whitelist_entries (entry_id),
  ADD CONSTRAINT whitelist_entries_replaces_other CHECK (replaces IS DISTINCT FROM entry_id);
CREATE INDEX whitelist_entries_destination ON whitelist_entries (chain, address);
CREATE INDEX whitelist_entries_replaces ON whitelist_entries (replaces);

-- What an entry may change after it is written: its approval progress, forward only.
CREATE FUNCTION whitelist_entries_progress_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'whitelist_entries: DELETE refused' USING ERRCODE = 'restrict_violation';
  END IF;
  IF (NEW.entry_id, NEW.chain, NEW.address, NEW.label, NEW.requested_by, NEW.created_at, NEW.replaces)
     IS DISTINCT FROM
     (OLD.entry_id, OLD.chain, OLD.address, OLD.label, OLD.requested_by, OLD.created_at, OLD.replaces)
     OR (OLD.status = 'APPROVED' AND (NEW.status <> 'APPROVED' OR NEW.active_from IS DISTINCT FROM OLD.active_from)) THEN
    RAISE EXCEPTION 'whitelist_entries: only the approval progress changes, forward only' USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER whitelist_entries_progress_only BEFORE UPDATE OR DELETE ON whitelist_entries
  FOR EACH ROW EXECUTE FUNCTION whitelist_entries_progress_only();

CREATE TABLE whitelist_revocations (
  entry_id    TEXT PRIMARY KEY REFERENCES whitelist_entries (entry_id),
  revoked_by  TEXT NOT NULL,
  reason      TEXT NOT NULL,
  revoked_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TRIGGER whitelist_revocations_append_only BEFORE UPDATE OR DELETE ON whitelist_revocations
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

ALTER TABLE transfers ADD CONSTRAINT transfers_purpose_check CHECK (purpose IN ('VENUE_DEPOSIT', 'TEST_DEPOSIT'));
CREATE INDEX transfers_destination ON transfers (chain, to_address, asset, status);

-- The service role adds and reads these records, never changes or removes them (its default
-- privileges give SELECT and INSERT already; stated here so the rule is visible where the tables are).
DO $$
DECLARE
  role_name TEXT := current_schema() || '_service';
BEGIN
  EXECUTE format('GRANT SELECT, INSERT ON intake_difference_classifications, intake_difference_countersignatures, whitelist_revocations TO %I', role_name);
  EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON intake_difference_classifications, intake_difference_countersignatures, whitelist_revocations FROM %I', role_name);
END;
$$;
