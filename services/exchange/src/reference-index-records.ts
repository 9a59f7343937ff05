/**
 * The reference index as the service computes it (GET /v1/reference-index/:base/:quote): every venue's
 * minute candles of the window and its book read at once, the index computed (reference-index.ts), the
 * median of the same venues' mids judged beside it as the reference price is (reference-price.ts, kept
 * in price_observations), and the computation kept with its inputs in reference_index_computations and
 * reference_index_inputs, whatever its outcome. A venue that cannot be read is recorded as unavailable
 * with its error, never silently left out. Written on the records pool, outside any order's transaction.
 */
import { inTransaction, type Pool, Problem, type Queryable } from '@vcdc/shared';
import type { exchange } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import type { MarketDataSource } from './market-data';
import { recordReferences } from './price-observations';
import {
  computeReferenceIndex,
  type IndexComputation,
  type IndexPolicy,
  indexWindow,
  type VenueCandles,
} from './reference-index';
import { evaluateReference, gatherQuotes, type ReferencePolicy, type ReferenceQuote } from './reference-price';

export interface ReferenceIndexDeps {
  /** Where computations are recorded. */
  pool: Pool;
  /** The venues the index is made of, each once (the caller drops a second source with the same id). */
  sources: MarketDataSource[];
  policy: IndexPolicy;
  /** How the median of the mids beside the index is judged (the reference price's policy). */
  referencePolicy: ReferencePolicy;
  now: () => Date;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** One venue's candles of the window, or why it could not give them. */
async function candlesOf(source: MarketDataSource, symbol: string, start: Date, end: Date): Promise<VenueCandles> {
  if (!source.minuteCandles) return { venue: source.id, candles: [], unavailable: 'gives no minute candles' };
  try {
    const candles = await source.minuteCandles(symbol, start, end);
    return {
      venue: source.id,
      candles: candles.map((c) => ({
        start: c.day,
        close: c.close,
        volume: c.volume,
        ...(c.high !== undefined ? { high: c.high } : {}),
        ...(c.low !== undefined ? { low: c.low } : {}),
      })),
    };
  } catch (error) {
    return { venue: source.id, candles: [], unavailable: message(error) };
  }
}

interface VenueInput {
  venue: VenueCandles;
  quote: ReferenceQuote | undefined;
}

/** Keep the computation and every venue's inputs in one transaction; answers the computation's id. */
async function recordIndex(
  pool: Pool,
  computation: IndexComputation,
  inputs: VenueInput[],
  referenceId: string,
  at: Date,
): Promise<string> {
  return inTransaction(pool, async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO reference_index_computations (symbol, window_start, window_end, window_minutes, partitions,
         min_partitions_with_volume, outcome, index_price, partitions_with_volume, empty_partitions, partition_results,
         reference_computation_id, detail, computed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id::text AS id`,
      [
        computation.symbol,
        computation.windowStart,
        computation.windowEnd,
        computation.policy.windowMinutes,
        computation.policy.partitions,
        computation.policy.minPartitionsWithVolume,
        computation.outcome,
        computation.index ?? null,
        computation.partitionsWithVolume,
        computation.emptyPartitions,
        JSON.stringify(computation.partitions),
        referenceId,
        computation.detail ?? null,
        at,
      ],
    );
    const id = rows[0]?.id;
    if (!id) throw new Error('no reference index computation id');
    for (const { venue, quote } of inputs) {
      const read = venue.unavailable === undefined;
      await tx.query(
        `INSERT INTO reference_index_inputs (computation_id, venue, status, candles, candle_count, volume, mid, mid_error, error)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          id,
          venue.venue,
          read ? 'read' : 'unavailable',
          read ? JSON.stringify(venue.candles) : null,
          read ? venue.candles.length : null,
          read ? volumeOf(venue).toFixed() : null,
          quote && quote.excluded !== 'unavailable' ? quote.mid : null,
          quote?.excluded === 'unavailable' ? (quote.error ?? 'unavailable') : null,
          venue.unavailable ?? null,
        ],
      );
    }
    return id;
  });
}

/** A venue's volume in the window (its candles are read for the window alone). */
function volumeOf(venue: VenueCandles): Decimal {
  return venue.candles.reduce((sum, c) => sum.plus(c.volume), new Decimal(0));
}

/**
 * The index now, recorded with its inputs; when too few partitions have volume, recorded all the same
 * and a 503 problem naming the reason (and the computation).
 */
export async function referenceIndexNow(deps: ReferenceIndexDeps, symbol: string): Promise<exchange.ReferenceIndex> {
  const now = deps.now();
  const window = indexWindow(now, deps.policy);
  const [venues, quotes] = await Promise.all([
    Promise.all(deps.sources.map((s) => candlesOf(s, symbol, window.start, window.end))),
    gatherQuotes(deps.sources, symbol),
  ]);
  const evaluation = evaluateReference(symbol, quotes, deps.referencePolicy, now);
  const referenceId = await recordReferences(deps.pool)(evaluation, deps.referencePolicy);
  const computation = computeReferenceIndex(symbol, venues, deps.policy, window.end);
  const inputs = venues.map((venue) => ({ venue, quote: quotes.find((q) => q.venue === venue.venue) }));
  const id = await recordIndex(deps.pool, computation, inputs, referenceId, now);
  const venueViews = inputs.map(({ venue, quote }) => ({
    venue: venue.venue,
    status: venue.unavailable === undefined ? ('read' as const) : ('unavailable' as const),
    candles: venue.candles.length,
    ...(venue.unavailable === undefined ? { volume: volumeOf(venue).toFixed() } : { error: venue.unavailable }),
    ...(quote && quote.excluded !== 'unavailable' ? { mid: quote.mid } : {}),
    ...(quote?.excluded === 'unavailable' ? { midError: quote.error ?? 'unavailable' } : {}),
  }));
  if (computation.outcome !== 'ok' || computation.index === undefined) {
    throw new Problem(
      503,
      'reference-index-insufficient-volume',
      'No reference index',
      computation.detail ?? `${symbol}: no index`,
      { computationId: id, venues: venueViews },
    );
  }
  return {
    id,
    symbol,
    index: computation.index,
    at: now.toISOString(),
    windowStart: computation.windowStart.toISOString(),
    windowEnd: computation.windowEnd.toISOString(),
    partitions: computation.partitions.map((p) => ({
      start: p.start.toISOString(),
      end: p.end.toISOString(),
      volume: p.volume,
      ...(p.median !== undefined ? { median: p.median } : {}),
    })),
    partitionsWithVolume: computation.partitionsWithVolume,
    emptyPartitions: computation.emptyPartitions,
    venues: venueViews,
    medianOfMids: {
      id: referenceId,
      outcome: evaluation.outcome,
      ...(evaluation.median !== undefined ? { price: evaluation.median } : {}),
      ...(evaluation.dispersionBp !== undefined ? { dispersionBp: evaluation.dispersionBp } : {}),
      ...(evaluation.detail !== undefined ? { detail: evaluation.detail } : {}),
    },
  };
}

export interface IndexComputationRow {
  id: string;
  symbol: string;
  outcome: 'ok' | 'insufficient-volume';
  index_price: string | null;
  window_start: Date;
  window_end: Date;
  partitions_with_volume: number;
  empty_partitions: number;
  partition_results: { start: string; end: string; volume: string; median?: string }[];
  reference_computation_id: string | null;
  detail: string | null;
  inputs: {
    venue: string;
    status: 'read' | 'unavailable';
    candles: { start: string; high?: string; low?: string; close: string; volume: string }[] | null;
    candle_count: number | null;
    volume: string | null;
    mid: string | null;
    mid_error: string | null;
    error: string | null;
  }[];
}

/** A recorded computation with its inputs, venue by venue as asked; undefined when there is none. */
export async function loadIndexComputation(db: Queryable, id: string): Promise<IndexComputationRow | undefined> {
  const { rows } = await db.query<Omit<IndexComputationRow, 'inputs'>>(
    `SELECT id::text AS id, symbol, outcome, index_price::text AS index_price, window_start, window_end,
            partitions_with_volume, empty_partitions, partition_results, reference_computation_id::text AS reference_computation_id, detail
       FROM reference_index_computations WHERE id = $1`,
    [id],
  );
  const row = rows[0];
  if (!row) return undefined;
  const inputs = await db.query<IndexComputationRow['inputs'][number]>(
    `SELECT venue, status, candles, candle_count, volume::text AS volume, mid::text AS mid, mid_error, error
       FROM reference_index_inputs WHERE computation_id = $1 ORDER BY id`,
    [id],
  );
  return { ...row, inputs: inputs.rows };
}
