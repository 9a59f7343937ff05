-- Up Migration
-- Chain of custody evidence.
--
-- 1. Proof of exclusive control: at receipt the case wallet's key signs a message naming the case,
--    the lot and the amount received; the signature is kept with the intake. (Older rows: none.)
ALTER TABLE intakes
  ADD COLUMN control_address   TEXT,
  ADD COLUMN control_message   TEXT,
  ADD COLUMN control_signature TEXT;

-- 2. Handover evidence, append-only: the record made at intake, and each correction as a new record
--    that names the one it corrects and why. Nothing is ever edited or deleted.
CREATE TABLE handover_evidence (
  evidence_id       TEXT PRIMARY KEY,
  intake_id         TEXT NOT NULL REFERENCES intakes (intake_id),
  case_id           TEXT NOT NULL,
  handover_form_no  TEXT NOT NULL,
  handed_over_by    TEXT NOT NULL,
  received_by       TEXT NOT NULL,
  video_sha256      TEXT CHECK (video_sha256 ~ '^[0-9a-f]{64}$'),
  documents         JSONB NOT NULL,
  handed_over_at    TIMESTAMPTZ,
  -- NULL for the original record; otherwise the record this one corrects, with the reason and author.
  corrects          TEXT UNIQUE REFERENCES handover_evidence (evidence_id),
  reason            TEXT,
  recorded_by       TEXT NOT NULL,
  recorded_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK ((corrects IS NULL) = (reason IS NULL))
);
-- One original per intake; corrections chain from it (corrects is UNIQUE: one successor each).
CREATE UNIQUE INDEX handover_evidence_original ON handover_evidence (intake_id) WHERE corrects IS NULL;
CREATE TRIGGER handover_evidence_append_only BEFORE UPDATE OR DELETE ON handover_evidence
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- 3. The role the service works as (it sets it on every connection, see service-role.ts): it may read
--    and add rows everywhere, update only what has progress (transfers, whitelist, idempotency
--    answers), and can never UPDATE, DELETE or TRUNCATE records of value or evidence — not even with
--    the triggers dropped, unlike the owner. Roles are cluster-wide: created once, granted per database.
DO $$
DECLARE
  role_name TEXT := current_schema() || '_service';
BEGIN
  BEGIN
    EXECUTE format('CREATE ROLE %I NOLOGIN', role_name);
  EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- another database of this cluster created it
  END;
  -- The owner needs membership to SET ROLE (a superuser does not). Parallel migrations of other
  -- databases may grant it at the same moment: that is fine, it is the same grant.
  IF NOT pg_has_role(current_user, role_name, 'MEMBER') THEN
    BEGIN
      EXECUTE format('GRANT %I TO current_user', role_name);
    EXCEPTION WHEN unique_violation OR duplicate_object OR internal_error THEN
      NULL;
    END;
  END IF;
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), role_name);
  EXECUTE format('GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA %I TO %I', current_schema(), role_name);
  EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', current_schema(), role_name);
  EXECUTE format('GRANT UPDATE ON transfers, whitelist_entries, idempotency_keys TO %I', role_name);
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT ON TABLES TO %I', current_schema(), role_name);
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO %I', current_schema(), role_name);
END;
$$;
