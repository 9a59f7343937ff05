/**
 * GET /v1/cases/:caseId/best-execution: loads the case's raw records (orders, fills, order events, the
 * reference computations they refer to), makes sure the venue's volume of each fill's minute has been
 * observed (ccxt fetchOHLCV 1m through the trading venue, appended to `interval_volumes`; a minute read
 * before it ended is read again until a final observation exists), and recomputes the figures with the
 * pure best-execution.ts, with the case's sale route choices (route-choices.ts).
 */
import type { Logger, Pool, Queryable } from '@vcdc/shared';
import type { exchange } from '@vcdc/shared/contracts';
import {
  bestExecution,
  INTERVAL_SECONDS,
  type IntervalVolume,
  intervalStart,
  type RecordedEvent,
  type RecordedFill,
  type RecordedOrder,
  type ReferencePoint,
  referencedComputations,
} from './best-execution';
import { loadComputations } from './price-observations';
import { caseRfqs } from './rfq/rfq';
import { caseRouteChoices } from './route-choices';
import { caseSalePlans } from './sale-plans';
import type { Venue } from './venue';

interface OrderRow {
  client_order_id: string;
  parent_order_id: string | null;
  venue: string;
  venue_order_id: string;
  symbol: string;
  type: 'market' | 'limit';
  amount: string;
  limit_price: string | null;
  status: RecordedOrder['status'];
  created_at: Date;
  arrival_price: string | null;
  reference_price: string | null;
  floor_price: string | null;
  check_reference_id: string | null;
  priced_reference_id: string | null;
}

const INTERVAL_MS = INTERVAL_SECONDS * 1000;
/** ccxt fetchOHLCV answers at most this many candles per call. */
const CANDLES_PER_CALL = 1000;

async function loadOrders(db: Queryable, caseId: string): Promise<RecordedOrder[]> {
  const { rows } = await db.query<OrderRow>(
    `SELECT client_order_id, parent_order_id, venue, venue_order_id, symbol, type, amount, limit_price, status,
            created_at, arrival_price, reference_price, floor_price, check_reference_id::text AS check_reference_id,
            priced_reference_id::text AS priced_reference_id
       FROM orders WHERE case_id = $1 ORDER BY created_at, client_order_id`,
    [caseId],
  );
  return rows.map((r) => ({
    clientOrderId: r.client_order_id,
    parentOrderId: r.parent_order_id,
    venue: r.venue,
    venueOrderId: r.venue_order_id,
    symbol: r.symbol,
    type: r.type,
    amount: r.amount,
    limitPrice: r.limit_price,
    status: r.status,
    createdAt: r.created_at,
    arrivalPrice: r.arrival_price,
    referencePrice: r.reference_price,
    floor: r.floor_price,
    checkReferenceId: r.check_reference_id,
    pricedReferenceId: r.priced_reference_id,
  }));
}

async function loadFills(db: Queryable, caseId: string): Promise<(RecordedFill & { symbol: string })[]> {
  const { rows } = await db.query<{
    client_order_id: string;
    venue: string;
    trade_id: string;
    price: string;
    amount: string;
    fee: string;
    fee_currency: string;
    traded_at: Date;
    symbol: string;
  }>(
    `SELECT f.client_order_id, f.venue, f.trade_id, f.price, f.amount, f.fee, f.fee_currency, f.traded_at, o.symbol
       FROM fills f JOIN orders o USING (client_order_id)
      WHERE o.case_id = $1 ORDER BY f.traded_at, f.trade_id`,
    [caseId],
  );
  return rows.map((r) => ({
    clientOrderId: r.client_order_id,
    venue: r.venue,
    tradeId: r.trade_id,
    price: r.price,
    amount: r.amount,
    fee: r.fee,
    feeCurrency: r.fee_currency,
    tradedAt: r.traded_at,
    symbol: r.symbol,
  }));
}

async function loadEvents(db: Queryable, caseId: string): Promise<RecordedEvent[]> {
  const { rows } = await db.query<{
    client_order_id: string;
    event: RecordedEvent['event'];
    trade_id: string | null;
    detail: string | null;
    occurred_at: Date;
    recorded_at: Date;
  }>(
    `SELECT e.client_order_id, e.event, e.trade_id, e.detail, e.occurred_at, e.recorded_at
       FROM order_events e JOIN orders o USING (client_order_id)
      WHERE o.case_id = $1 ORDER BY e.id`,
    [caseId],
  );
  return rows.map((r) => ({
    clientOrderId: r.client_order_id,
    event: r.event,
    tradeId: r.trade_id,
    detail: r.detail,
    occurredAt: r.occurred_at,
    recordedAt: r.recorded_at,
  }));
}

/** For each fill, the latest ok reference computation of its symbol at or before it. */
async function loadReferencesAtFills(db: Queryable, caseId: string): Promise<ReferencePoint[]> {
  const { rows } = await db.query<{ computation_id: string; symbol: string; median: string; observed_at: Date }>(
    `SELECT DISTINCT p.computation_id::text AS computation_id, p.symbol, p.median, p.observed_at
       FROM fills f JOIN orders o USING (client_order_id)
       CROSS JOIN LATERAL (
         SELECT computation_id, symbol, median, observed_at FROM price_observations
          WHERE symbol = o.symbol AND outcome = 'ok' AND observed_at <= f.traded_at
          ORDER BY observed_at DESC, computation_id DESC LIMIT 1) p
      WHERE o.case_id = $1`,
    [caseId],
  );
  return rows.map((r) => ({ computationId: r.computation_id, symbol: r.symbol, price: r.median, at: r.observed_at }));
}

function computationView(rows: Awaited<ReturnType<typeof loadComputations>>): exchange.ReferenceComputation[] {
  const out = new Map<string, exchange.ReferenceComputation>();
  for (const r of rows) {
    let c = out.get(r.computation_id);
    if (!c) {
      c = {
        id: r.computation_id,
        symbol: r.symbol,
        outcome: r.outcome,
        price: r.outcome === 'ok' ? r.median : null,
        dispersionBp: r.dispersion_bp,
        at: r.observed_at.toISOString(),
        policy: { maxAgeMs: r.max_age_ms, maxDispersionBp: r.max_dispersion_bp, minSources: r.min_sources },
        quotes: [],
      };
      out.set(r.computation_id, c);
    }
    c.quotes.push({
      venue: r.venue,
      bid: r.bid,
      ask: r.ask,
      mid: r.mid,
      at: r.quote_at ? r.quote_at.toISOString() : null,
      excluded: r.excluded,
      detail: r.detail,
    });
  }
  return [...out.values()];
}

async function loadVolumes(db: Queryable, venue: string, symbol: string, starts: Date[]): Promise<IntervalVolume[]> {
  if (starts.length === 0) return [];
  const { rows } = await db.query<{
    interval_start: Date;
    interval_seconds: number;
    volume: string | null;
    observed_at: Date;
  }>(
    `SELECT DISTINCT ON (interval_start) interval_start, interval_seconds, volume, observed_at
       FROM interval_volumes
      WHERE venue = $1 AND symbol = $2 AND interval_seconds = $3 AND interval_start = ANY($4::timestamptz[])
      ORDER BY interval_start, observed_at DESC, id DESC`,
    [venue, symbol, INTERVAL_SECONDS, starts],
  );
  return rows.map((r) => ({
    venue,
    symbol,
    start: r.interval_start,
    seconds: r.interval_seconds,
    volume: r.volume,
    observedAt: r.observed_at,
  }));
}

/**
 * The venue's volume of each minute a fill of the case fell in. Minutes without a final observation
 * are read from the venue (ccxt fetchOHLCV 1m) and the answer appended; a venue that cannot answer
 * leaves them as they were (the report shows them without a volume; the next request tries again).
 */
async function observeVolumes(
  db: Queryable,
  venue: Venue,
  fills: (RecordedFill & { symbol: string })[],
  now: Date,
  logger: Logger,
): Promise<IntervalVolume[]> {
  const minutesBySymbol = new Map<string, Map<number, Date>>();
  for (const f of fills) {
    if (f.venue !== venue.id) continue; // only the trading venue's volume can be read here
    const start = intervalStart(f.tradedAt);
    const minutes = minutesBySymbol.get(f.symbol) ?? new Map<number, Date>();
    minutes.set(start.getTime(), start);
    minutesBySymbol.set(f.symbol, minutes);
  }
  const out: IntervalVolume[] = [];
  for (const [symbol, minutes] of minutesBySymbol) {
    const starts = [...minutes.values()].sort((a, b) => a.getTime() - b.getTime());
    const known = await loadVolumes(db, venue.id, symbol, starts);
    const final = new Set(
      known.filter((v) => v.observedAt.getTime() >= v.start.getTime() + INTERVAL_MS).map((v) => v.start.getTime()),
    );
    const missing = starts.filter((s) => !final.has(s.getTime()));
    const fresh: IntervalVolume[] = [];
    if (missing.length > 0 && venue.minuteCandles) {
      try {
        // One call covers up to 1000 minutes from the first one still missing.
        let i = 0;
        while (i < missing.length) {
          const from = missing[i] as Date;
          const to = new Date(from.getTime() + CANDLES_PER_CALL * INTERVAL_MS);
          const candles = await venue.minuteCandles(symbol, from, to);
          const observedAt = new Date(now);
          const volumeAt = new Map(candles.map((c) => [c.day.getTime(), c.volume]));
          while (i < missing.length && (missing[i] as Date).getTime() < to.getTime()) {
            const start = missing[i] as Date;
            fresh.push({
              venue: venue.id,
              symbol,
              start,
              seconds: INTERVAL_SECONDS,
              volume: volumeAt.get(start.getTime()) ?? null,
              observedAt,
            });
            i += 1;
          }
        }
      } catch (error) {
        logger.warn({ err: error, symbol }, 'venue volume not readable: best-execution shares left open');
      }
    }
    for (const v of fresh) {
      await db.query(
        `INSERT INTO interval_volumes (venue, symbol, interval_start, interval_seconds, volume, source, observed_at)
         VALUES ($1, $2, $3, $4, $5, 'ccxt fetchOHLCV 1m', $6)`,
        [v.venue, v.symbol, v.start, v.seconds, v.volume, v.observedAt],
      );
    }
    out.push(...known, ...fresh);
  }
  return out;
}

/**
 * The report of a case. Its records are read in one REPEATABLE READ transaction (one snapshot: no fill
 * without its event, no order without its fills); the volume observations it makes are appended in it.
 */
export async function caseBestExecution(
  pool: Pool,
  venue: Venue,
  caseId: string,
  now: Date,
  logger: Logger,
): Promise<exchange.BestExecutionReport> {
  const db = await pool.connect();
  try {
    await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const orders = await loadOrders(db, caseId);
    const fills = await loadFills(db, caseId);
    const events = await loadEvents(db, caseId);
    const references = await loadReferencesAtFills(db, caseId);
    const volumes = await observeVolumes(db, venue, fills, now, logger);
    const computations = computationView(await loadComputations(db, referencedComputations(orders, fills, references)));
    const routes = await caseRouteChoices(db, caseId);
    const rfqs = await caseRfqs(db, caseId);
    const salePlans = await caseSalePlans(db, caseId);
    await db.query('COMMIT');
    const report = bestExecution({
      caseId,
      generatedAt: now,
      orders,
      fills,
      events,
      references,
      volumes,
      computations,
      routes,
    });
    // Every quote of every RFQ, beside the desk trade booked among the orders; each lot's plan with its alternatives.
    return {
      ...report,
      ...(rfqs.length > 0 ? { rfqs } : {}),
      ...(salePlans.length > 0 ? { salePlans } : {}),
    };
  } catch (error) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    db.release();
  }
}
