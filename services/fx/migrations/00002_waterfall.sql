-- Up Migration
-- The itemised waterfall: the venue withdrawal a declaration's funds came from, and per tranche the
-- bank's charges and correspondent fees deducted before conversion. The conservation CHECK now holds
-- for the net amount converted.

ALTER TABLE declarations
  ADD COLUMN venue_withdrawal JSONB;

ALTER TABLE settlements
  ADD COLUMN bank_charges       NUMERIC NOT NULL DEFAULT 0 CHECK (bank_charges >= 0),
  ADD COLUMN correspondent_fees NUMERIC NOT NULL DEFAULT 0 CHECK (correspondent_fees >= 0);
ALTER TABLE settlements DROP CONSTRAINT settlements_check;
ALTER TABLE settlements ADD CONSTRAINT settlements_net_positive CHECK (foreign_amount - bank_charges - correspondent_fees > 0);
ALTER TABLE settlements ADD CONSTRAINT settlements_conservation
  CHECK (cny_amount + rounding_remainder = (foreign_amount - bank_charges - correspondent_fees) * rate);
