-- Up Migration
-- The reference index across venues (issue 16, deliver 5; src/reference-index.ts, in the manner of CF
-- Benchmarks' BRR): every computation GET /v1/reference-index/:base/:quote makes, whatever its outcome,
-- with what it was made from: per venue, the minute candles it used (or that the venue could not be
-- read, and why), and the partitions' medians, so the index can be recomputed from the row alone.
-- Append-only, and bound to the audit chain: a row edited or deleted behind the chain's back is named.

CREATE TABLE reference_index_computations (
  id                          BIGSERIAL PRIMARY KEY,
  symbol                      TEXT NOT NULL,
  window_start                TIMESTAMPTZ NOT NULL,
  window_end                  TIMESTAMPTZ NOT NULL CHECK (window_end > window_start),
  -- The policy it was computed by.
  window_minutes              INTEGER NOT NULL CHECK (window_minutes > 0),
  partitions                  INTEGER NOT NULL CHECK (partitions > 0),
  min_partitions_with_volume  INTEGER NOT NULL CHECK (min_partitions_with_volume > 0),
  -- 'ok': index_price is the index; 'insufficient-volume': too few partitions with volume, no index.
  outcome                     TEXT NOT NULL CHECK (outcome IN ('ok', 'insufficient-volume')),
  index_price                 NUMERIC CHECK (index_price > 0),
  partitions_with_volume      INTEGER NOT NULL CHECK (partitions_with_volume >= 0),
  empty_partitions            INTEGER NOT NULL CHECK (empty_partitions >= 0),
  -- Each partition: {"start", "end", "volume", "median"?} (no median: no volume).
  partition_results           JSONB NOT NULL,
  -- The median of the same venues' mids computed beside it (price_observations.computation_id).
  reference_computation_id    BIGINT,
  detail                      TEXT,
  computed_at                 TIMESTAMPTZ NOT NULL,
  recorded_at                 TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK ((outcome = 'ok') = (index_price IS NOT NULL)),
  CHECK (partitions_with_volume + empty_partitions = partitions)
);
CREATE INDEX reference_index_computations_symbol ON reference_index_computations (symbol, computed_at DESC);

CREATE TABLE reference_index_inputs (
  id              BIGSERIAL PRIMARY KEY,
  computation_id  BIGINT NOT NULL REFERENCES reference_index_computations (id),
  venue           TEXT NOT NULL,
  -- 'read': its candles are below; 'unavailable': it could not be read (error), and counted for nothing.
  status          TEXT NOT NULL CHECK (status IN ('read', 'unavailable')),
  -- The minute candles of the window as the venue gave them: [{"start", "high", "low", "close", "volume"}].
  candles         JSONB,
  candle_count    INTEGER CHECK (candle_count >= 0),
  -- Their total volume in the window.
  volume          NUMERIC CHECK (volume >= 0),
  -- The venue's mid when the index was computed (NULL: its book could not be read: mid_error).
  mid             NUMERIC CHECK (mid > 0),
  mid_error       TEXT,
  error           TEXT,
  UNIQUE (computation_id, venue),
  CHECK ((status = 'unavailable') = (candles IS NULL)),
  CHECK ((status = 'unavailable') = (error IS NOT NULL)),
  CHECK ((candles IS NULL) = (volume IS NULL) AND (candles IS NULL) = (candle_count IS NULL))
);

CREATE TRIGGER reference_index_computations_append_only BEFORE UPDATE OR DELETE ON reference_index_computations
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER reference_index_computations_no_truncate BEFORE TRUNCATE ON reference_index_computations
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER reference_index_inputs_append_only BEFORE UPDATE OR DELETE ON reference_index_inputs
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER reference_index_inputs_no_truncate BEFORE TRUNCATE ON reference_index_inputs
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

SELECT audit_bind_table('reference_index_computations');
SELECT audit_bind_table('reference_index_inputs');
