-- Up Migration
-- Sale routes (issue 4, point 4): how each coin lot of a case reached fiat, directly on the direct fiat
-- market or through the stablecoin, decided by the rule in @vcdc/shared/sale-route on what the direct
-- market's book showed at that moment, and kept append-only for the best-execution dossier.
CREATE TABLE route_choices (
  choice_id           BIGSERIAL PRIMARY KEY,
  case_id             TEXT NOT NULL,
  venue               TEXT NOT NULL,
  asset               TEXT NOT NULL,
  lot                 NUMERIC NOT NULL CHECK (lot > 0),
  fiat                TEXT NOT NULL,
  direct_symbol       TEXT NOT NULL,
  -- The rule it was decided by (the disposal plan's, defaults filled in).
  mode                TEXT NOT NULL CHECK (mode IN ('AUTO', 'VIA_STABLECOIN')),
  band_bp             NUMERIC NOT NULL CHECK (band_bp > 0),
  min_depth_multiple  NUMERIC NOT NULL CHECK (min_depth_multiple > 0),
  required            NUMERIC NOT NULL CHECK (required = lot * min_depth_multiple),
  -- What the direct market showed within the band (NULL when not read: the plan's mode, unlisted, unreadable).
  bid_depth           NUMERIC CHECK (bid_depth >= 0),
  best_bid            NUMERIC CHECK (best_bid > 0),
  band_price          NUMERIC CHECK (band_price > 0),
  levels              INTEGER CHECK (levels >= 0),
  observed_at         TIMESTAMPTZ,
  unread              TEXT,
  route               TEXT NOT NULL CHECK (route IN ('DIRECT', 'VIA_STABLECOIN')),
  reason              TEXT NOT NULL,
  decided_at          TIMESTAMPTZ NOT NULL,
  -- Never direct without a book deep enough for the rule, or when the plan named the stablecoin.
  CHECK (route = 'VIA_STABLECOIN' OR (mode = 'AUTO' AND bid_depth >= required)),
  CHECK ((bid_depth IS NULL) = (observed_at IS NULL))
);
CREATE INDEX route_choices_case ON route_choices (case_id, choice_id);
CREATE TRIGGER route_choices_append_only BEFORE UPDATE OR DELETE ON route_choices
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER route_choices_no_truncate BEFORE TRUNCATE ON route_choices
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
