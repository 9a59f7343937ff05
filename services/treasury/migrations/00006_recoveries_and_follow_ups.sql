-- Up Migration
-- A correction after the money left (issue 13, part 2) is never refused: the difference is booked.
--  * Downward (the case was credited, and paid out, more than it received): the part the account no
--    longer holds becomes a RECOVERY RECEIVABLE: a ledger line of its own (the account's position is
--    what it holds plus what it is owed back), open until the money comes back; the recovery, with the
--    receipt of the refund, is booked later by a treasury officer (one recovery per receivable).
--  * Upward (credited less than it received): the difference stays in the account until a supervisor
--    approves its FOLLOW-UP REMITTANCE, a remittance like the first (voucher, receipt) naming the
--    correction it follows.
-- A correction request may name the FX settlement correction it carries into the treasury.

ALTER TABLE correction_requests ADD COLUMN fx_correction_id TEXT;
-- What an upward correction booked after the pay-out left in the account for its follow-up remittance.
ALTER TABLE corrections ADD COLUMN follow_up_due NUMERIC CHECK (follow_up_due > 0 AND follow_up_due = round(follow_up_due, 2));

CREATE TABLE recovery_receivables (
  receivable_id  TEXT PRIMARY KEY,
  case_id        TEXT NOT NULL REFERENCES case_accounts (case_id),
  -- The correction that left the account short, once.
  correction_id  TEXT NOT NULL UNIQUE REFERENCES corrections (correction_id),
  amount         NUMERIC NOT NULL CHECK (amount > 0 AND amount = round(amount, 2)),
  -- Who is to pay it back (the payee of the pay-out the money went with) and that pay-out's voucher.
  debtor         TEXT NOT NULL,
  line           INTEGER NOT NULL,
  booked_at      TIMESTAMPTZ NOT NULL,
  FOREIGN KEY (case_id, line) REFERENCES ledger_entries (case_id, line)
);

CREATE TABLE recoveries (
  receivable_id  TEXT PRIMARY KEY REFERENCES recovery_receivables (receivable_id),
  case_id        TEXT NOT NULL REFERENCES case_accounts (case_id),
  amount         NUMERIC NOT NULL CHECK (amount > 0 AND amount = round(amount, 2)),
  receipt_no     TEXT NOT NULL UNIQUE,
  recorded_by    TEXT NOT NULL,
  act_id         TEXT NOT NULL,
  recovered_at   TIMESTAMPTZ NOT NULL
);

ALTER TABLE remittances ADD COLUMN follow_up_of TEXT UNIQUE REFERENCES corrections (correction_id);
ALTER TABLE remittances ADD COLUMN approver_act_id TEXT;

ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_source_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind_check CHECK (
  kind IN ('CREDIT', 'REMITTANCE', 'RESTITUTION', 'OWNER_RETURN', 'REVERSAL', 'CORRECTION', 'RECOVERY_RECEIVABLE')
);
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_source_check CHECK (
  (kind = 'CREDIT' AND amount > 0 AND credit_id IS NOT NULL) OR
  (kind = 'REMITTANCE' AND amount < 0 AND remittance_id IS NOT NULL) OR
  (kind = 'RESTITUTION' AND amount < 0 AND restitution_payment_id IS NOT NULL) OR
  (kind = 'OWNER_RETURN' AND amount < 0 AND owner_return_id IS NOT NULL) OR
  (kind = 'REVERSAL' AND correction_id IS NOT NULL AND reverses_line IS NOT NULL) OR
  (kind = 'CORRECTION' AND amount > 0 AND correction_id IS NOT NULL AND reverses_line IS NOT NULL) OR
  (kind = 'RECOVERY_RECEIVABLE' AND amount > 0 AND correction_id IS NOT NULL)
);

CREATE TRIGGER recovery_receivables_append_only BEFORE UPDATE OR DELETE ON recovery_receivables
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER recovery_receivables_no_truncate BEFORE TRUNCATE ON recovery_receivables
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER recoveries_append_only BEFORE UPDATE OR DELETE ON recoveries
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER recoveries_no_truncate BEFORE TRUNCATE ON recoveries
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- New money tables bound; the tables whose columns changed bound again (the change is on the chain).
SELECT audit_bind_table('recovery_receivables');
SELECT audit_bind_table('recoveries');
SELECT audit_bind_table('remittances');
SELECT audit_bind_table('correction_requests');
SELECT audit_bind_table('corrections');
