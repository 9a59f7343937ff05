-- Up Migration
-- The Idempotency-Key store every service keeps in its own schema. A key is stored in the same
-- transaction as the work it protects, so either both happened or neither did.
CREATE TABLE idempotency_keys (
  key             TEXT PRIMARY KEY,
  request_hash    TEXT NOT NULL,
  method          TEXT NOT NULL,
  path            TEXT NOT NULL,
  response_status INTEGER NOT NULL,
  response_body   JSONB NOT NULL,
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
