-- Up Migration
-- Every signed act a part carried out (acts/signed-act.ts), kept as presented: the control API's
-- signature over who acted, in which role and unit, on what, with which content. The act id is the
-- primary key, so a once-only act presented twice is a replay the insert itself refuses. Append-only,
-- like the chain: the service role may add and read (db/service-role.ts), triggers refuse the rest.
CREATE TABLE signed_acts (
  act_id          UUID PRIMARY KEY,
  kind            TEXT NOT NULL,
  actor_id        TEXT NOT NULL,
  actor_role      TEXT NOT NULL,
  actor_unit      TEXT NOT NULL,
  object_type     TEXT NOT NULL,
  object_id       TEXT NOT NULL,
  case_id         TEXT,
  content_sha256  TEXT NOT NULL CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
  issued_at       TIMESTAMPTZ NOT NULL,
  expires_at      TIMESTAMPTZ NOT NULL,
  key_id          TEXT NOT NULL,
  signature       TEXT NOT NULL,
  recorded_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX signed_acts_case ON signed_acts (case_id, recorded_at);
CREATE INDEX signed_acts_object ON signed_acts (object_type, object_id);

CREATE TRIGGER signed_acts_no_update_delete BEFORE UPDATE OR DELETE ON signed_acts
  FOR EACH ROW EXECUTE FUNCTION audit_records_append_only();
CREATE TRIGGER signed_acts_no_truncate BEFORE TRUNCATE ON signed_acts
  FOR EACH STATEMENT EXECUTE FUNCTION audit_records_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON signed_acts FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON signed_acts FROM CURRENT_USER;
