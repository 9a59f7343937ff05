-- Up Migration
-- Returns from the venue (a compensation: coins sent back because the case stopped after the
-- transfer) come back into the same case wallet they left, verified on chain like a sweep, and are
-- booked as RETURN credits. A return names the transfer it undoes and never exceeds what that
-- transfer delivered. Append-only.
CREATE TABLE venue_returns (
  return_id      TEXT PRIMARY KEY,
  case_id        TEXT NOT NULL,
  asset          TEXT NOT NULL,
  chain          TEXT NOT NULL,
  transfer_id    TEXT NOT NULL REFERENCES transfers (transfer_id),
  tx_hash        TEXT NOT NULL,
  from_address   TEXT NOT NULL,
  to_address     TEXT NOT NULL,
  amount         NUMERIC NOT NULL CHECK (amount > 0),
  confirmations  INTEGER NOT NULL CHECK (confirmations > 0),
  recorded_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  FOREIGN KEY (case_id, asset) REFERENCES custody_accounts (case_id, asset),
  UNIQUE (chain, tx_hash)
);
CREATE TRIGGER venue_returns_append_only BEFORE UPDATE OR DELETE ON venue_returns
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind_check
  CHECK (kind IN ('INTAKE', 'TRANSFER_OUT', 'NETWORK_FEE', 'RETURN'));
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_credit_check
  CHECK ((kind IN ('INTAKE', 'RETURN')) = (amount > 0));
