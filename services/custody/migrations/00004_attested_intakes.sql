-- Up Migration
-- Attested intake, for chains the system does not watch itself (bitcoin here): two distinct
-- custodians each attest the transaction id and the amount that arrived; the second must match the
-- first. A match becomes an intake (verification ATTESTED); a mismatch is a discrepancy and credits
-- nothing. Attestations are evidence: append-only, and the service role can only add them.
ALTER TABLE intakes
  ADD COLUMN verification TEXT NOT NULL DEFAULT 'CHAIN' CHECK (verification IN ('CHAIN', 'ATTESTED')),
  ALTER COLUMN from_address DROP NOT NULL,
  ALTER COLUMN block_height DROP NOT NULL,
  DROP CONSTRAINT intakes_confirmations_check,
  ADD CONSTRAINT intakes_confirmations_check CHECK (confirmations > 0 OR verification = 'ATTESTED');

CREATE TABLE intake_attestations (
  attestation_id   TEXT PRIMARY KEY,
  case_id          TEXT NOT NULL,
  lot_id           TEXT NOT NULL,
  asset            TEXT NOT NULL,
  chain            TEXT NOT NULL,
  declared_amount  NUMERIC NOT NULL CHECK (declared_amount > 0),
  tx_hash          TEXT NOT NULL,
  amount           NUMERIC NOT NULL CHECK (amount >= 0),
  attested_by      TEXT NOT NULL,
  -- 1 or 2: first and second attestation of the lot.
  round            INTEGER NOT NULL CHECK (round IN (1, 2)),
  evidence         JSONB NOT NULL,
  attested_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  FOREIGN KEY (case_id, asset) REFERENCES custody_accounts (case_id, asset),
  -- Two distinct people: the same custodian cannot attest a lot twice.
  UNIQUE (case_id, lot_id, attested_by),
  UNIQUE (case_id, lot_id, round)
);
CREATE TRIGGER intake_attestations_append_only BEFORE UPDATE OR DELETE ON intake_attestations
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
