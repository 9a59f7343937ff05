-- Up Migration
-- Best-execution records (issue 4, point 6): what the service saw of the market and what happened to
-- each order, kept append-only so the per-fill and per-lot figures of GET /v1/cases/:caseId/best-execution
-- can be recomputed from them at any time.

-- 1. Every reference price the service computed (GET .../reference-price and each pre-trade check),
--    one row per venue quote behind it; the rows of one computation share `computation_id`. A refused
--    computation (too few fresh venues, diverging mids) is stored too, with its outcome.
CREATE SEQUENCE reference_computation_seq;
CREATE TABLE price_observations (
  id                BIGSERIAL PRIMARY KEY,
  computation_id    BIGINT NOT NULL,
  symbol            TEXT NOT NULL,
  venue             TEXT NOT NULL,
  -- The venue's top of book and its time; NULL when the venue could not be read.
  bid               NUMERIC CHECK (bid > 0),
  ask               NUMERIC CHECK (ask > 0),
  mid               NUMERIC CHECK (mid > 0),
  quote_at          TIMESTAMPTZ,
  -- Left out of the median, and why ('unavailable': the venue's error in `detail`).
  excluded          TEXT CHECK (excluded IN ('stale', 'unavailable')),
  detail            TEXT,
  -- The computation: 'ok' (median is the reference), 'stale' (too few fresh venues: no median),
  -- 'diverging' (a fresh mid too far from the median: no reference).
  outcome           TEXT NOT NULL CHECK (outcome IN ('ok', 'stale', 'diverging')),
  median            NUMERIC CHECK (median > 0),
  dispersion_bp     NUMERIC CHECK (dispersion_bp >= 0),
  -- The policy it was judged by.
  max_age_ms        INTEGER NOT NULL,
  max_dispersion_bp NUMERIC NOT NULL,
  min_sources       INTEGER NOT NULL,
  observed_at       TIMESTAMPTZ NOT NULL,
  recorded_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK ((coalesce(excluded, '') = 'unavailable') = (mid IS NULL)),
  CHECK (outcome = 'stale' OR median IS NOT NULL)
);
CREATE INDEX price_observations_computation ON price_observations (computation_id);
-- "The reference in force at time t": the latest ok computation of the symbol at or before t.
CREATE INDEX price_observations_ok ON price_observations (symbol, observed_at DESC) WHERE outcome = 'ok';
CREATE TRIGGER price_observations_append_only BEFORE UPDATE OR DELETE ON price_observations
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER price_observations_no_truncate BEFORE TRUNCATE ON price_observations
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- 2. Orders carry their parent order (the lot the execution engine sells) and the prices in force when
--    placed. NULL for orders placed before this migration, and where nothing was known (an order found
--    at the venue on a retry is adopted without a pre-trade check, so it has no check reference).
ALTER TABLE orders
  ADD COLUMN parent_order_id      TEXT,
  -- The engine's arrival price for the lot; an order placed on its own: the reference it was placed at.
  ADD COLUMN arrival_price        NUMERIC CHECK (arrival_price > 0),
  -- The reference the order was priced from (the engine's), else the service's own at the check.
  ADD COLUMN reference_price      NUMERIC CHECK (reference_price > 0),
  -- The legal floor in force (the service's at the check, else the one the caller declared).
  ADD COLUMN floor_price          NUMERIC CHECK (floor_price > 0),
  -- The reference computation the service's pre-trade check judged the order by.
  ADD COLUMN check_reference_id   BIGINT,
  -- The computation the order was priced from: the latest one with that reference price at or before
  -- placement (the engine reads it from GET .../reference-price), else the check's.
  ADD COLUMN priced_reference_id  BIGINT;
CREATE INDEX orders_parent ON orders (case_id, parent_order_id);

-- What an order was placed with never changes; only its status (a cache of the venue's) is refreshed.
CREATE FUNCTION refuse_order_rewrite() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'orders are never deleted';
  END IF;
  IF (NEW.client_order_id, NEW.case_id, NEW.venue, NEW.venue_order_id, NEW.symbol, NEW.side, NEW.type, NEW.amount,
      NEW.limit_price, NEW.created_at, NEW.parent_order_id, NEW.arrival_price, NEW.reference_price, NEW.floor_price,
      NEW.check_reference_id, NEW.priced_reference_id)
     IS DISTINCT FROM
     (OLD.client_order_id, OLD.case_id, OLD.venue, OLD.venue_order_id, OLD.symbol, OLD.side, OLD.type, OLD.amount,
      OLD.limit_price, OLD.created_at, OLD.parent_order_id, OLD.arrival_price, OLD.reference_price, OLD.floor_price,
      OLD.check_reference_id, OLD.priced_reference_id) THEN
    RAISE EXCEPTION 'orders: what an order was placed with never changes';
  END IF;
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER orders_terms_fixed BEFORE UPDATE OR DELETE ON orders
  FOR EACH ROW EXECUTE FUNCTION refuse_order_rewrite();

-- 3. Every event of an order, in order: placed (or found at the venue on a retry: `detail`), each fill,
--    each cancel request, and how it ended (closed / canceled / rejected). `occurred_at` is the venue's
--    time where the venue gives one (placement, fill, last update), the service's otherwise.
CREATE TABLE order_events (
  id              BIGSERIAL PRIMARY KEY,
  client_order_id TEXT NOT NULL REFERENCES orders (client_order_id),
  event           TEXT NOT NULL CHECK (event IN ('placed', 'fill', 'cancel-requested', 'closed', 'canceled', 'rejected')),
  venue           TEXT NOT NULL,
  trade_id        TEXT,
  detail          TEXT,
  occurred_at     TIMESTAMPTZ NOT NULL,
  recorded_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK ((event = 'fill') = (trade_id IS NOT NULL)),
  FOREIGN KEY (venue, trade_id) REFERENCES fills (venue, trade_id)
);
-- Placement, each fill and the end happen once; a cancel may be requested more than once.
CREATE UNIQUE INDEX order_events_once ON order_events (client_order_id, event, coalesce(trade_id, ''))
  WHERE event <> 'cancel-requested';
CREATE INDEX order_events_order ON order_events (client_order_id, id);
CREATE TRIGGER order_events_append_only BEFORE UPDATE OR DELETE ON order_events
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER order_events_no_truncate BEFORE TRUNCATE ON order_events
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- Orders and fills recorded before this migration get their events from what was kept of them.
INSERT INTO order_events (client_order_id, event, venue, detail, occurred_at)
  SELECT client_order_id, 'placed', venue, 'recorded by migration 00003 from the order', created_at FROM orders;
INSERT INTO order_events (client_order_id, event, venue, trade_id, occurred_at)
  SELECT client_order_id, 'fill', venue, trade_id, traded_at FROM fills ORDER BY traded_at, trade_id;
INSERT INTO order_events (client_order_id, event, venue, detail, occurred_at)
  SELECT client_order_id, status, venue, 'recorded by migration 00003: status as last checked', status_checked_at
    FROM orders WHERE status <> 'open';

-- 4. The venue's traded volume per minute (ccxt fetchOHLCV 1m), the denominator of a fill's share of the
--    market. Appended each time it is read: a minute read before it ended is provisional, and is read
--    again until an observation taken after its end exists. `volume` NULL: the venue had no candle.
CREATE TABLE interval_volumes (
  id               BIGSERIAL PRIMARY KEY,
  venue            TEXT NOT NULL,
  symbol           TEXT NOT NULL,
  interval_start   TIMESTAMPTZ NOT NULL,
  interval_seconds INTEGER NOT NULL CHECK (interval_seconds > 0),
  volume           NUMERIC CHECK (volume >= 0),
  source           TEXT NOT NULL,
  observed_at      TIMESTAMPTZ NOT NULL,
  recorded_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX interval_volumes_minute ON interval_volumes (venue, symbol, interval_start, interval_seconds, observed_at DESC);
CREATE TRIGGER interval_volumes_append_only BEFORE UPDATE OR DELETE ON interval_volumes
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER interval_volumes_no_truncate BEFORE TRUNCATE ON interval_volumes
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
