-- Up Migration
-- The agency's special case-property account: one append-only CNY ledger per case. Credits come from
-- FX settlements; remittances pay the case's money into the state treasury. Nothing is edited; a
-- correction would be a new entry.

-- One row per case that has ever received money: the row a change locks, so entries of one case are
-- appended one at a time and each can carry the balance after it.
CREATE TABLE case_accounts (
  case_id    TEXT PRIMARY KEY,
  agency     TEXT NOT NULL,
  opened_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE credits (
  credit_id          TEXT PRIMARY KEY,
  case_id            TEXT NOT NULL REFERENCES case_accounts (case_id),
  agency             TEXT NOT NULL,
  amount             NUMERIC NOT NULL CHECK (amount > 0 AND amount = round(amount, 2)),
  -- An FX settlement is credited once, whatever the Idempotency-Key of the request.
  fx_settlement_id   TEXT NOT NULL UNIQUE,
  bank_reference     TEXT NOT NULL,
  credited_at        TIMESTAMPTZ NOT NULL
);

CREATE TABLE remittances (
  remittance_id              TEXT PRIMARY KEY,
  case_id                    TEXT NOT NULL REFERENCES case_accounts (case_id),
  amount                     NUMERIC NOT NULL CHECK (amount > 0 AND amount = round(amount, 2)),
  budget_classification_code TEXT NOT NULL,
  voucher_no                 TEXT NOT NULL UNIQUE,
  receipt_no                 TEXT NOT NULL UNIQUE,
  approved_by                TEXT NOT NULL,
  remitted_at                TIMESTAMPTZ NOT NULL
);

-- The ledger proper: every credit and remittance as a signed line, in order, with the balance after
-- it. Per case, line n's balance_after = line n-1's balance_after + amount, and never below zero.
CREATE TABLE ledger_entries (
  case_id        TEXT NOT NULL REFERENCES case_accounts (case_id),
  line           INTEGER NOT NULL CHECK (line > 0),
  kind           TEXT NOT NULL CHECK (kind IN ('CREDIT', 'REMITTANCE')),
  credit_id      TEXT REFERENCES credits (credit_id),
  remittance_id  TEXT REFERENCES remittances (remittance_id),
  reference      TEXT NOT NULL,
  amount         NUMERIC NOT NULL CHECK (amount <> 0 AND amount = round(amount, 2)),
  balance_after  NUMERIC NOT NULL CHECK (balance_after >= 0),
  at             TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (case_id, line),
  CHECK (
    (kind = 'CREDIT' AND amount > 0 AND credit_id IS NOT NULL AND remittance_id IS NULL) OR
    (kind = 'REMITTANCE' AND amount < 0 AND remittance_id IS NOT NULL AND credit_id IS NULL)
  )
);

-- Daily counters for voucher numbers (VCH-<yyyymmdd>-<nnnnnn>) and locally issued receipt numbers.
CREATE TABLE document_counters (
  series TEXT NOT NULL,
  day    DATE NOT NULL,
  last   INTEGER NOT NULL,
  PRIMARY KEY (series, day)
);
