-- Up Migration
-- The notifications outbox (notifications/store.ts): what the case workflow tells people, written by
-- the worker's `notify` activity and read by the control API (GET /v1/notifications). One row per
-- Idempotency-Key: a retried activity finds the row it stored; the same key with another body is refused
-- (request_sha256 tells them apart). Rows are never changed: a relay keeps its own delivery state.
CREATE TABLE notifications (
  notification_id  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  idempotency_key  TEXT NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 255),
  request_sha256   TEXT NOT NULL CHECK (request_sha256 ~ '^[0-9a-f]{64}$'),
  case_id          TEXT NOT NULL,
  workflow_id      TEXT NOT NULL,
  -- One of NOTIFICATION_KINDS (notifications/types.ts), checked by the store: a new kind needs no migration.
  kind             TEXT NOT NULL,
  to_role          TEXT NOT NULL,
  stage            TEXT,
  message          TEXT NOT NULL,
  deadline         TIMESTAMPTZ,
  raised_at        TIMESTAMPTZ NOT NULL,
  -- Millisecond precision, so the time read back (ISO 8601 in JavaScript) is exactly the stored one.
  stored_at        TIMESTAMPTZ NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  -- Insertion order, for a stable listing of rows stored in the same millisecond.
  seq              BIGSERIAL NOT NULL UNIQUE
);
CREATE INDEX notifications_case ON notifications (case_id, stored_at);
CREATE INDEX notifications_role ON notifications (to_role, stored_at);
CREATE INDEX notifications_stored ON notifications (stored_at, seq);
