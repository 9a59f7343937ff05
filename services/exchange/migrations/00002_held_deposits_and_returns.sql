-- Up Migration
-- 1. A deposit the venue holds for review (AML screening of seized coins) is observed as HELD, with the
--    reason the venue gave; it becomes CREDITED when released. Observations stay append-only.
ALTER TABLE deposit_observations DROP CONSTRAINT deposit_observations_status_check;
ALTER TABLE deposit_observations ADD CONSTRAINT deposit_observations_status_check
  CHECK (status IN ('PENDING', 'HELD', 'CREDITED', 'FAILED'));
ALTER TABLE deposit_observations ADD COLUMN hold_reason TEXT;
ALTER TABLE deposit_observations ADD CONSTRAINT deposit_observations_hold_reason_check
  CHECK (hold_reason IS NULL OR status = 'HELD');

-- 2. Returns: coins sent back from the venue to the case's custody wallet (a compensation when a case
--    stops after its coins reached the venue). The row is written BEFORE the venue is asked, under an
--    id derived from the request's Idempotency-Key that is also the venue's client reference, so a lost
--    answer is found again and the statement shows the return even before the venue confirmed it.
--    What was asked (case, asset, chain, amount, address, transfer) never changes; the fee is the
--    venue's (published before, confirmed by its record after); the status follows the venue.
CREATE TABLE venue_returns (
  return_id           TEXT PRIMARY KEY,
  venue               TEXT NOT NULL,
  case_id             TEXT NOT NULL,
  asset               TEXT NOT NULL,
  chain               TEXT NOT NULL,
  amount              NUMERIC NOT NULL CHECK (amount > 0),
  fee                 NUMERIC NOT NULL CHECK (fee >= 0),
  net_amount          NUMERIC NOT NULL CHECK (net_amount > 0),
  to_address          TEXT NOT NULL,
  transfer_id         TEXT NOT NULL,
  venue_withdrawal_id TEXT,
  tx_hash             TEXT,
  status              TEXT NOT NULL CHECK (status IN ('PENDING', 'SENT', 'FAILED')),
  failure             TEXT,
  requested_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  status_checked_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK (amount = fee + net_amount),
  CHECK (status <> 'SENT' OR tx_hash IS NOT NULL),
  UNIQUE (venue, venue_withdrawal_id)
);
CREATE INDEX venue_returns_case ON venue_returns (case_id);

CREATE FUNCTION refuse_return_rewrite() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'venue_returns rows are never deleted';
  END IF;
  IF (NEW.return_id, NEW.venue, NEW.case_id, NEW.asset, NEW.chain, NEW.amount, NEW.to_address, NEW.transfer_id)
     IS DISTINCT FROM
     (OLD.return_id, OLD.venue, OLD.case_id, OLD.asset, OLD.chain, OLD.amount, OLD.to_address, OLD.transfer_id) THEN
    RAISE EXCEPTION 'venue_returns: what was asked for never changes';
  END IF;
  IF OLD.venue_withdrawal_id IS NOT NULL AND NEW.venue_withdrawal_id IS DISTINCT FROM OLD.venue_withdrawal_id THEN
    RAISE EXCEPTION 'venue_returns: the venue withdrawal id never changes once known';
  END IF;
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER venue_returns_fixed BEFORE UPDATE OR DELETE ON venue_returns
  FOR EACH ROW EXECUTE FUNCTION refuse_return_rewrite();
