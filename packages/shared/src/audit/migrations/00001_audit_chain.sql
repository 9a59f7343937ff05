-- Up Migration
-- The audit chain: append-only, each record carrying the hash of the one before (audit/chain.ts).
-- `seq` is assigned by the writer under a lock as last + 1 (not a sequence: a rolled-back insert
-- would leave a gap that looks like a deleted record).
CREATE TABLE audit_records (
  seq        BIGINT PRIMARY KEY CHECK (seq >= 1),
  at         TIMESTAMPTZ NOT NULL,
  kind       TEXT NOT NULL,
  actor      TEXT NOT NULL,
  case_id    TEXT,
  data       JSONB NOT NULL,
  prev_hash  TEXT NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash       TEXT NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX audit_records_case ON audit_records (case_id, seq);

-- Append-only for everyone, the owner included: the role the services connect as loses UPDATE,
-- DELETE and TRUNCATE on the table, and triggers refuse them for any role that has them (only a
-- superuser disabling the triggers can edit, and then the verifier names the edited record).
CREATE FUNCTION audit_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit records are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_records_no_update_delete BEFORE UPDATE OR DELETE ON audit_records
  FOR EACH ROW EXECUTE FUNCTION audit_records_append_only();
CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
  FOR EACH STATEMENT EXECUTE FUNCTION audit_records_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_records FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_records FROM CURRENT_USER;
