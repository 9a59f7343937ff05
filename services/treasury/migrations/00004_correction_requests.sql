-- Up Migration
-- A correction is two people's signed acts (issue #11): a treasury officer requests it (its author),
-- another person approves it (its approver), and only the approval books the reversal and the new
-- entry. The request is kept as it was made; it is pending until a correction with its id is booked.
CREATE TABLE correction_requests (
  correction_id    TEXT PRIMARY KEY,
  case_id          TEXT NOT NULL REFERENCES case_accounts (case_id),
  line             INTEGER NOT NULL,
  corrected_amount NUMERIC NOT NULL CHECK (corrected_amount >= 0 AND corrected_amount = round(corrected_amount, 2)),
  reason           TEXT NOT NULL,
  author           TEXT NOT NULL,
  -- The author's signed act (the act itself is in signed_acts).
  author_act_id    TEXT NOT NULL,
  requested_at     TIMESTAMPTZ NOT NULL,
  FOREIGN KEY (case_id, line) REFERENCES ledger_entries (case_id, line)
);
CREATE INDEX correction_requests_line ON correction_requests (case_id, line);

CREATE TRIGGER correction_requests_append_only BEFORE UPDATE OR DELETE ON correction_requests
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER correction_requests_no_truncate BEFORE TRUNCATE ON correction_requests
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- The approver's signed act of a booked correction (null on corrections booked before requests existed).
ALTER TABLE corrections ADD COLUMN approver_act_id TEXT;
