-- Up Migration
-- Issue 13, part 3: a held case closed on acquittal hands its coins back to the owner (OWNER_RETURN).
-- 1. The destination is the owner's address named in two supervisors' signed HOLD_RESOLUTION (CLOSE to
--    the OWNER), not a venue: an OWNER_RETURN has no whitelist entry, every other transfer still has one.
-- 2. It keeps the court's order and the owner's name the resolution names (authorisation_sha256 is the
--    resolution's hash): what the ledger line and the audit record cite, also when a retry broadcasts it.
-- 3. The ledger books the hand-back as its own debit kind, OWNER_RETURN (net of the fee, its own line).

ALTER TABLE transfers ALTER COLUMN whitelist_entry DROP NOT NULL;
ALTER TABLE transfers DROP CONSTRAINT transfers_purpose_check;
ALTER TABLE transfers ADD CONSTRAINT transfers_purpose_check
  CHECK (purpose IN ('VENUE_DEPOSIT', 'TEST_DEPOSIT', 'OWNER_RETURN'));
ALTER TABLE transfers ADD CONSTRAINT transfers_whitelisted_unless_owner_return
  CHECK ((purpose = 'OWNER_RETURN') = (whitelist_entry IS NULL));

ALTER TABLE transfers ADD COLUMN court_order TEXT;
ALTER TABLE transfers ADD COLUMN owner_name TEXT;
ALTER TABLE transfers ADD CONSTRAINT transfers_owner_return_names_order
  CHECK ((purpose = 'OWNER_RETURN') = (court_order IS NOT NULL AND owner_name IS NOT NULL AND authorisation_sha256 IS NOT NULL));

-- What a transfer may change after it is written: still only its progress. The columns written with it
-- since 00001 (its purpose, destination entry, authorisation and, for an OWNER_RETURN, the order and
-- the owner) never change either.
CREATE OR REPLACE FUNCTION transfers_progress_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'transfers: DELETE refused' USING ERRCODE = 'restrict_violation';
  END IF;
  IF (NEW.transfer_id, NEW.request_key, NEW.case_id, NEW.asset, NEW.chain, NEW.from_address, NEW.to_address,
      NEW.amount, NEW.fee, NEW.client_ref, NEW.purpose, NEW.whitelist_entry, NEW.authorisation_sha256,
      NEW.court_order, NEW.owner_name)
     IS DISTINCT FROM
     (OLD.transfer_id, OLD.request_key, OLD.case_id, OLD.asset, OLD.chain, OLD.from_address, OLD.to_address,
      OLD.amount, OLD.fee, OLD.client_ref, OLD.purpose, OLD.whitelist_entry, OLD.authorisation_sha256,
      OLD.court_order, OLD.owner_name)
     OR (OLD.tx_hash IS NOT NULL AND NEW.tx_hash IS DISTINCT FROM OLD.tx_hash) THEN
    RAISE EXCEPTION 'transfers: amounts, parties and a stored txHash never change' USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END;
$$;

-- OWNER_RETURN debits: the credit rule (00006: only INTAKE and RETURN are positive) covers it as it stands.
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind_check
  CHECK (kind IN ('INTAKE', 'TRANSFER_OUT', 'NETWORK_FEE', 'RETURN', 'OWNER_RETURN'));

-- The transfers table's columns changed: bind it again, so its rows' new images are on the chain (audit 00004).
SELECT audit_bind_table('transfers');
