-- Up Migration
-- Requests for quotes to OTC desks (issue 16, RFQ; src/rfq/). An RFQ asks every desk in good standing
-- for a block and keeps every answer, whatever it was: the quote taken (ACCEPTED), the valid ones not
-- taken (LOSING), those that lapsed (EXPIRED), refused at last look (REFUSED), desks that did not answer
-- by the deadline (MISSING) or declined to quote (DECLINED), prices under the legal floor (BELOW_FLOOR)
-- or outside the band around the reference (OUT_OF_BAND), and desks not asked because the register
-- refuses them (NOT_ASKED). A quote is QUOTED while the RFQ is deciding; the decision ends every one.
-- The trade itself is booked as an order and its fill (venue = the desk), the coins delivered as a
-- deposit at the desk and the fiat it paid as a withdrawal from it: the same records as a venue sale,
-- so the case's statement, reconciliation and best-execution file read it without knowing of desks.

CREATE TABLE rfqs (
  rfq_id          TEXT PRIMARY KEY,
  case_id         TEXT NOT NULL,
  symbol          TEXT NOT NULL,
  side            TEXT NOT NULL CHECK (side = 'sell'),
  amount          NUMERIC NOT NULL CHECK (amount > 0),
  -- The prices it was judged by: the reference (its stored computation), the legal floor (NULL under
  -- the rule "none"), the band around the reference (a fraction) and its lowest price.
  reference_price NUMERIC NOT NULL CHECK (reference_price > 0),
  reference_id    TEXT,
  floor_rule      TEXT NOT NULL,
  floor_price     NUMERIC,
  band            NUMERIC NOT NULL CHECK (band >= 0 AND band < 1),
  band_low        NUMERIC NOT NULL,
  band_high       NUMERIC NOT NULL,
  deadline_ms     INTEGER NOT NULL CHECK (deadline_ms > 0),
  asked_at        TIMESTAMPTZ NOT NULL,
  -- NULL while deciding; TRADED with the quote taken, or NO_DESK (the caller sells on the venue).
  outcome         TEXT CHECK (outcome IN ('TRADED', 'NO_DESK')),
  reason          TEXT,
  decided_at      TIMESTAMPTZ,
  -- Until when the request working on it holds it (src/rfq/rfq.ts takeOver): one at a time decides.
  lease_until     TIMESTAMPTZ NOT NULL,
  CHECK ((outcome IS NULL) = (decided_at IS NULL))
);
CREATE INDEX rfqs_case ON rfqs (case_id, asked_at);

CREATE TABLE rfq_quotes (
  rfq_id          TEXT NOT NULL REFERENCES rfqs (rfq_id),
  desk            TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('QUOTED', 'ACCEPTED', 'LOSING', 'EXPIRED', 'REFUSED', 'MISSING',
                                                  'DECLINED', 'BELOW_FLOOR', 'OUT_OF_BAND', 'NOT_ASKED')),
  quote_id        TEXT,
  price           NUMERIC CHECK (price > 0),
  amount          NUMERIC CHECK (amount > 0),
  expires_at      TIMESTAMPTZ,
  answered_at     TIMESTAMPTZ,
  -- Why it ended as it did (the desk's words, the register's refusal, the rule it broke).
  detail          TEXT,
  -- Set before the acceptance is sent: a retry asks the desk again under the same key, never another quote.
  accept_sent_at  TIMESTAMPTZ,
  trade_id        TEXT,
  PRIMARY KEY (rfq_id, desk),
  CHECK (status NOT IN ('QUOTED', 'ACCEPTED', 'LOSING', 'EXPIRED', 'REFUSED', 'BELOW_FLOOR', 'OUT_OF_BAND')
         OR (quote_id IS NOT NULL AND price IS NOT NULL AND expires_at IS NOT NULL)),
  CHECK ((status = 'ACCEPTED') = (trade_id IS NOT NULL))
);

-- A desk trade's settlement: where the coins go (the desk's instructions at acceptance), the chain
-- transaction that took them there, and the desk's payment for them.
CREATE TABLE desk_settlements (
  trade_id          TEXT PRIMARY KEY,
  desk              TEXT NOT NULL,
  rfq_id            TEXT NOT NULL UNIQUE REFERENCES rfqs (rfq_id),
  case_id           TEXT NOT NULL,
  asset             TEXT NOT NULL,
  amount            NUMERIC NOT NULL CHECK (amount > 0),
  address           TEXT NOT NULL,
  fiat_currency     TEXT NOT NULL,
  cost              NUMERIC NOT NULL CHECK (cost > 0),
  tx_hash           TEXT,
  delivered_at      TIMESTAMPTZ,
  payment_reference TEXT UNIQUE,
  paid_amount       NUMERIC,
  paid_at           TIMESTAMPTZ,
  bank_account_id   TEXT,
  CHECK ((payment_reference IS NULL) = (paid_at IS NULL))
);
SELECT audit_bind_table('desk_settlements');
