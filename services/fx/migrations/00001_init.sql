-- Up Migration
-- Balance-of-payments declarations and their settlement into CNY. Everything here is append-only:
-- a declaration's status is its latest transition, a settlement is never edited, a correction would be
-- a new row.

CREATE TABLE declarations (
  declaration_id   TEXT PRIMARY KEY,
  declaration_no   TEXT NOT NULL UNIQUE,
  case_id          TEXT NOT NULL,
  currency         TEXT NOT NULL CHECK (currency IN ('USD', 'HKD')),
  amount           NUMERIC NOT NULL CHECK (amount > 0 AND amount = round(amount, 2)),
  transaction_code TEXT NOT NULL,
  purpose          TEXT NOT NULL,
  remitter         JSONB NOT NULL,
  beneficiary      JSONB NOT NULL,
  documents        JSONB NOT NULL,
  prepared_by      TEXT NOT NULL,
  created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX declarations_case_id ON declarations (case_id, created_at);

-- One counter per day for declaration numbers BOP-<yyyymmdd>-<nnnnnn>. The row is locked by the
-- upsert until the creating transaction ends, so numbers are unique and without gaps.
CREATE TABLE declaration_number_counters (
  day  DATE PRIMARY KEY,
  last INTEGER NOT NULL
);

-- Every status change, in order. seq is 1 for the creation (from NULL to DRAFT) and grows by one:
-- the unique (declaration_id, seq) makes two racing transitions from the same state impossible.
CREATE TABLE declaration_transitions (
  declaration_id       TEXT NOT NULL REFERENCES declarations (declaration_id),
  seq                  INTEGER NOT NULL CHECK (seq > 0),
  from_status          TEXT,
  to_status            TEXT NOT NULL CHECK (to_status IN ('DRAFT', 'SUBMITTED', 'APPROVED', 'REJECTED', 'SETTLED')),
  actor                TEXT NOT NULL,
  at                   TIMESTAMPTZ NOT NULL,
  note                 TEXT,
  regulator_reference  TEXT,
  PRIMARY KEY (declaration_id, seq)
);

-- One row per tranche the bank settled. The CHECKs keep conservation in the table itself: the CNY
-- credited plus what rounding cut off is exactly foreign amount × rate, and the CNY is whole fen.
CREATE TABLE settlements (
  settlement_id      TEXT PRIMARY KEY,
  declaration_id     TEXT NOT NULL REFERENCES declarations (declaration_id),
  tranche            INTEGER NOT NULL CHECK (tranche > 0),
  case_id            TEXT NOT NULL,
  currency           TEXT NOT NULL,
  foreign_amount     NUMERIC NOT NULL CHECK (foreign_amount > 0),
  rate               NUMERIC NOT NULL CHECK (rate > 0),
  central_parity     NUMERIC NOT NULL CHECK (central_parity > 0),
  rate_date          DATE NOT NULL,
  rate_source        TEXT NOT NULL,
  rate_as_of         TIMESTAMPTZ NOT NULL,
  cny_amount         NUMERIC NOT NULL CHECK (cny_amount >= 0 AND cny_amount = round(cny_amount, 2)),
  rounding_remainder NUMERIC NOT NULL CHECK (rounding_remainder >= 0 AND rounding_remainder < 0.01),
  bank_reference     TEXT NOT NULL,
  settled_at         TIMESTAMPTZ NOT NULL,
  UNIQUE (declaration_id, tranche),
  -- A bank reference names one settlement: seeing it twice is the same tranche reported again.
  UNIQUE (declaration_id, bank_reference),
  CHECK (cny_amount + rounding_remainder = foreign_amount * rate)
);
