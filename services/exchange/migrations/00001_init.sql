-- Up Migration
-- The exchange service's own record of what happened at the venue for each case. Money rows (fills,
-- deposit observations) are append-only; orders and withdrawals carry immutable amounts plus a
-- lifecycle status that is refreshed from the venue.

-- refuse_change() is the shared migrations' (packages/shared/migrations/00002_refuse_change.sql).

-- One row per chain transaction the venue was asked about: a deposit belongs to exactly one case.
CREATE TABLE deposits (
  venue            TEXT NOT NULL,
  tx_hash          TEXT NOT NULL,
  case_id          TEXT NOT NULL,
  asset            TEXT NOT NULL,
  amount           NUMERIC NOT NULL CHECK (amount >= 0),
  venue_deposit_id TEXT NOT NULL,
  first_seen_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (venue, tx_hash)
);
CREATE INDEX deposits_case ON deposits (case_id);

-- Every change of a deposit's status as the venue reported it.
CREATE TABLE deposit_observations (
  id          BIGSERIAL PRIMARY KEY,
  venue       TEXT NOT NULL,
  tx_hash     TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('PENDING', 'CREDITED', 'FAILED')),
  observed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  FOREIGN KEY (venue, tx_hash) REFERENCES deposits (venue, tx_hash)
);
CREATE INDEX deposit_observations_tx ON deposit_observations (venue, tx_hash, id);
CREATE TRIGGER deposit_observations_append_only BEFORE UPDATE OR DELETE ON deposit_observations
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

CREATE TABLE orders (
  client_order_id   TEXT PRIMARY KEY,
  case_id           TEXT NOT NULL,
  venue             TEXT NOT NULL,
  venue_order_id    TEXT NOT NULL,
  symbol            TEXT NOT NULL,
  side              TEXT NOT NULL CHECK (side = 'sell'),
  type              TEXT NOT NULL CHECK (type IN ('market', 'limit')),
  amount            NUMERIC NOT NULL CHECK (amount > 0),
  limit_price       NUMERIC CHECK (limit_price > 0),
  status            TEXT NOT NULL CHECK (status IN ('open', 'closed', 'canceled', 'rejected')),
  status_checked_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  created_at        TIMESTAMPTZ NOT NULL,
  UNIQUE (venue, venue_order_id)
);
CREATE INDEX orders_case ON orders (case_id);

CREATE TABLE fills (
  venue           TEXT NOT NULL,
  trade_id        TEXT NOT NULL,
  client_order_id TEXT NOT NULL REFERENCES orders (client_order_id),
  price           NUMERIC NOT NULL CHECK (price > 0),
  amount          NUMERIC NOT NULL CHECK (amount > 0),
  cost            NUMERIC NOT NULL CHECK (cost = price * amount),
  fee             NUMERIC NOT NULL CHECK (fee >= 0),
  fee_currency    TEXT NOT NULL,
  traded_at       TIMESTAMPTZ NOT NULL,
  recorded_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (venue, trade_id)
);
CREATE INDEX fills_order ON fills (client_order_id, traded_at, trade_id);
CREATE TRIGGER fills_append_only BEFORE UPDATE OR DELETE ON fills
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

CREATE TABLE withdrawals (
  withdrawal_id     TEXT PRIMARY KEY,
  venue             TEXT NOT NULL,
  case_id           TEXT NOT NULL,
  -- Sent to the venue as the withdrawal's client id: a retry finds the withdrawal instead of making another.
  client_ref        TEXT NOT NULL UNIQUE,
  currency          TEXT NOT NULL,
  amount            NUMERIC NOT NULL CHECK (amount > 0),
  fee               NUMERIC NOT NULL CHECK (fee >= 0),
  net_amount        NUMERIC NOT NULL CHECK (net_amount >= 0),
  bank_account_id   TEXT NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('PENDING', 'COMPLETED', 'FAILED')),
  status_checked_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  created_at        TIMESTAMPTZ NOT NULL,
  CHECK (amount = fee + net_amount)
);
CREATE INDEX withdrawals_case ON withdrawals (case_id);
