-- Up Migration
-- Restitution to victims by court order, escrow of pre-trial sale proceeds until the judgment, return
-- to the owner on acquittal, and corrections as reversing + new entries. Still append-only: nothing
-- here is ever updated except an escrow's release (once, guarded by `released_at IS NULL`).

CREATE TABLE restitution_orders (
  restitution_order_id TEXT PRIMARY KEY,
  case_id              TEXT NOT NULL,
  court_order_ref      TEXT NOT NULL,
  document_hash        TEXT NOT NULL,
  method               TEXT NOT NULL CHECK (method IN ('CLAIM_ORDER', 'PRO_RATA')),
  registered_by        TEXT NOT NULL,
  registered_at        TIMESTAMPTZ NOT NULL,
  UNIQUE (case_id, court_order_ref)
);

CREATE TABLE restitution_victims (
  restitution_order_id TEXT NOT NULL REFERENCES restitution_orders (restitution_order_id),
  victim_id            TEXT NOT NULL,
  name                 TEXT NOT NULL,
  claim_order          INTEGER NOT NULL CHECK (claim_order > 0),
  loss                 NUMERIC NOT NULL CHECK (loss >= 0 AND loss = round(loss, 2)),
  recovered            NUMERIC NOT NULL CHECK (recovered >= 0 AND recovered = round(recovered, 2)),
  payee_account        TEXT NOT NULL,
  PRIMARY KEY (restitution_order_id, victim_id),
  UNIQUE (restitution_order_id, claim_order)
);

-- One distribution per order: the allocation (with its rounding steps) is kept as computed.
CREATE TABLE restitution_distributions (
  distribution_id      TEXT PRIMARY KEY,
  restitution_order_id TEXT NOT NULL UNIQUE REFERENCES restitution_orders (restitution_order_id),
  case_id              TEXT NOT NULL,
  available            NUMERIC NOT NULL,
  allocation           JSONB NOT NULL,
  approved_by          TEXT NOT NULL,
  distributed_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE restitution_payments (
  payment_id           TEXT PRIMARY KEY,
  distribution_id      TEXT NOT NULL REFERENCES restitution_distributions (distribution_id),
  restitution_order_id TEXT NOT NULL,
  case_id              TEXT NOT NULL,
  victim_id            TEXT NOT NULL,
  amount               NUMERIC NOT NULL CHECK (amount > 0 AND amount = round(amount, 2)),
  payment_no           TEXT NOT NULL UNIQUE,
  receipt_no           TEXT NOT NULL UNIQUE,
  paid_at              TIMESTAMPTZ NOT NULL,
  FOREIGN KEY (restitution_order_id, victim_id) REFERENCES restitution_victims (restitution_order_id, victim_id)
);

CREATE TABLE escrows (
  case_id         TEXT PRIMARY KEY REFERENCES case_accounts (case_id),
  reason          TEXT NOT NULL,
  opened_by       TEXT NOT NULL,
  opened_at       TIMESTAMPTZ NOT NULL,
  judgment_ref    TEXT,
  judgment_hash   TEXT,
  outcome         TEXT CHECK (outcome IN ('CONFISCATION', 'RESTITUTION', 'ACQUITTAL')),
  released_by     TEXT,
  released_at     TIMESTAMPTZ,
  CHECK ((released_at IS NULL) = (outcome IS NULL) AND (released_at IS NULL) = (judgment_ref IS NULL))
);

CREATE TABLE owner_returns (
  owner_return_id TEXT PRIMARY KEY,
  case_id         TEXT NOT NULL REFERENCES case_accounts (case_id),
  owner_name      TEXT NOT NULL,
  payee_account   TEXT NOT NULL,
  amount          NUMERIC NOT NULL CHECK (amount > 0 AND amount = round(amount, 2)),
  payment_no      TEXT NOT NULL UNIQUE,
  receipt_no      TEXT NOT NULL UNIQUE,
  approved_by     TEXT NOT NULL,
  returned_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE corrections (
  correction_id    TEXT PRIMARY KEY,
  case_id          TEXT NOT NULL REFERENCES case_accounts (case_id),
  -- The line reversed; a line is reversed at most once.
  reversed_line    INTEGER NOT NULL,
  corrected_amount NUMERIC NOT NULL CHECK (corrected_amount >= 0 AND corrected_amount = round(corrected_amount, 2)),
  reason           TEXT NOT NULL,
  author           TEXT NOT NULL,
  approver         TEXT NOT NULL CHECK (approver <> author),
  corrected_at     TIMESTAMPTZ NOT NULL,
  UNIQUE (case_id, reversed_line),
  FOREIGN KEY (case_id, reversed_line) REFERENCES ledger_entries (case_id, line)
);

-- The ledger takes the new kinds. Every line still names the record it comes from.
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_check;
ALTER TABLE ledger_entries
  ADD COLUMN restitution_payment_id TEXT REFERENCES restitution_payments (payment_id),
  ADD COLUMN owner_return_id        TEXT REFERENCES owner_returns (owner_return_id),
  ADD COLUMN correction_id          TEXT REFERENCES corrections (correction_id),
  ADD COLUMN reverses_line          INTEGER;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind_check
  CHECK (kind IN ('CREDIT', 'REMITTANCE', 'RESTITUTION', 'OWNER_RETURN', 'REVERSAL', 'CORRECTION'));
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_source_check CHECK (
  (kind = 'CREDIT' AND amount > 0 AND credit_id IS NOT NULL) OR
  (kind = 'REMITTANCE' AND amount < 0 AND remittance_id IS NOT NULL) OR
  (kind = 'RESTITUTION' AND amount < 0 AND restitution_payment_id IS NOT NULL) OR
  (kind = 'OWNER_RETURN' AND amount < 0 AND owner_return_id IS NOT NULL) OR
  (kind = 'REVERSAL' AND correction_id IS NOT NULL AND reverses_line IS NOT NULL) OR
  (kind = 'CORRECTION' AND amount > 0 AND correction_id IS NOT NULL AND reverses_line IS NOT NULL)
);
