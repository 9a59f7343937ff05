-- The fee transaction of an attested intake's NETWORK_FEE is attested by two custodians: the one who
-- classifies names it, the receiving custodian names it again in their countersignature, read on the
-- chain on their own (services/custody/src/fee-evidence.ts). The countersignature keeps the txid it
-- attests; the row stays append-only (its trigger and grants cover the new column).
ALTER TABLE intake_difference_countersignatures ADD COLUMN fee_tx_hash TEXT;
