-- Up Migration
-- Issue #11: people act only as themselves, and custody enforces a case's authorisation itself.
-- 1. A whitelist entry names the venue its address belongs to (a transfer authorisation names the venue
--    its coins may go to). Entries listed before this migration get 'unknown': no authorisation names it.
-- 2. The first time an entry is seen ACTIVE (its cooling-off over) is recorded once, so the event goes
--    into the audit chain exactly once (whitelist_activations).
-- 3. Each transfer keeps the SHA-256 of the TransferAuthorisation it was made under.

ALTER TABLE whitelist_entries ADD COLUMN venue TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE whitelist_entries ALTER COLUMN venue DROP DEFAULT;

-- The venue, like the address, never changes after the entry is written.
CREATE OR REPLACE FUNCTION whitelist_entries_progress_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'whitelist_entries: DELETE refused' USING ERRCODE = 'restrict_violation';
  END IF;
  IF (NEW.entry_id, NEW.chain, NEW.address, NEW.label, NEW.venue, NEW.requested_by, NEW.created_at, NEW.replaces)
     IS DISTINCT FROM
     (OLD.entry_id, OLD.chain, OLD.address, OLD.label, OLD.venue, OLD.requested_by, OLD.created_at, OLD.replaces)
     OR (OLD.status = 'APPROVED' AND (NEW.status <> 'APPROVED' OR NEW.active_from IS DISTINCT FROM OLD.active_from)) THEN
    RAISE EXCEPTION 'whitelist_entries: only the approval progress changes, forward only' USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TABLE whitelist_activations (
  entry_id     TEXT PRIMARY KEY REFERENCES whitelist_entries (entry_id),
  observed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TRIGGER whitelist_activations_append_only BEFORE UPDATE OR DELETE ON whitelist_activations
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

ALTER TABLE transfers ADD COLUMN authorisation_sha256 TEXT CHECK (authorisation_sha256 ~ '^[0-9a-f]{64}$');

DO $$
DECLARE
  role_name TEXT := current_schema() || '_service';
BEGIN
  EXECUTE format('GRANT SELECT, INSERT ON whitelist_activations TO %I', role_name);
  EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON whitelist_activations FROM %I', role_name);
END;
$$;
