-- Up Migration
-- The destination whitelist under four eyes: a new entry waits for two approvers (neither of them the
-- requester), then for a cooling-off period (CUSTODY_WHITELIST_COOLING_OFF_SECONDS, default 24 h),
-- and only then may coins go to it. Entries listed before this migration were added without approval
-- and are kept as approved from their creation (dev data only: nothing had run in production).
ALTER TABLE whitelist_entries DROP CONSTRAINT whitelist_entries_status_check;
ALTER TABLE whitelist_entries ADD COLUMN active_from TIMESTAMPTZ;
UPDATE whitelist_entries SET status = 'APPROVED', active_from = created_at WHERE status = 'ACTIVE';
ALTER TABLE whitelist_entries
  ADD CONSTRAINT whitelist_entries_status_check CHECK (status IN ('PENDING_APPROVAL', 'APPROVED')),
  ADD CONSTRAINT whitelist_entries_active_from CHECK ((status = 'APPROVED') = (active_from IS NOT NULL));

CREATE TABLE whitelist_approvals (
  entry_id     TEXT NOT NULL REFERENCES whitelist_entries (entry_id),
  approved_by  TEXT NOT NULL,
  approved_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (entry_id, approved_by)
);
CREATE TRIGGER whitelist_approvals_append_only BEFORE UPDATE OR DELETE ON whitelist_approvals
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
