-- Up Migration
-- Residuals (issue 13, part 5: small amounts are never stranded): an amount the case cannot sell or take
-- out of the venue (dust under the lot step or the minimum order, a remainder under the smallest unit,
-- fiat under the minimum wire, coins under the minimum send) is booked as its own line in the case's
-- name, with the venue's withdrawal terms at that moment as the evidence that it could not leave.
-- Append-only and bound to the audit chain like the other money tables.
CREATE TABLE residuals (
  residual_id         TEXT PRIMARY KEY,
  venue               TEXT NOT NULL,
  case_id             TEXT NOT NULL,
  asset               TEXT NOT NULL,
  amount              NUMERIC NOT NULL CHECK (amount > 0),
  reason              TEXT NOT NULL CHECK (reason IN ('BELOW_LOT_STEP', 'BELOW_MINIMUM_ORDER', 'BELOW_SMALLEST_UNIT', 'BELOW_MINIMUM_WITHDRAWAL')),
  detail              TEXT NOT NULL,
  withdrawal_minimum  NUMERIC NOT NULL CHECK (withdrawal_minimum >= 0),
  withdrawal_fee      NUMERIC NOT NULL CHECK (withdrawal_fee >= 0),
  withdrawal_allowed  BOOLEAN NOT NULL,
  recorded_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
  -- Only what the venue would not pay out stays: not allowed, under the minimum, or not above the fee.
  CHECK (NOT withdrawal_allowed OR amount < withdrawal_minimum OR amount <= withdrawal_fee)
);
CREATE INDEX residuals_case ON residuals (case_id, asset);
CREATE TRIGGER residuals_append_only BEFORE UPDATE OR DELETE ON residuals
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
SELECT audit_bind_table('residuals');
