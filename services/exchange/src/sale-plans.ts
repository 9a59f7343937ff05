/**
 * Sale plans (issue 16, part 3): POST /v1/cases/:caseId/sale-plans decides where one coin lot is sold —
 * a block to an OTC desk, the rest by the engine on one venue or split across several — with the pure
 * planner (@vcdc/shared/sale-plan) on what every trading venue shows now, and keeps the plan append-only
 * (`sale_plans`, an audit record of the decision) for the best-execution file.
 *
 * In order:
 *  1. each trading venue in good standing in the register (one refused is not read: recorded with why);
 *  2. at each, the ways the route rule allows — the direct market (asset/fiat, unless the plan sells
 *     through the stablecoin) and the stablecoin market (asset/USDT, with the USDT/fiat book for the
 *     second leg's cost: its taker fee and half its spread) — each read once: the book's bids (ccxt
 *     fetchOrderBook), the reference (the venue's fair-price guard, recorded), the rules tightened by the
 *     capability table (the step) and the account's fees (taker for a market order, maker for the
 *     engine, whose slices rest passively by default: workflows/src/workflow/sale-execution.ts). A way a venue
 *     does not list or cannot give is recorded unread, never guessed;
 *  3. with `desks`, the hurdle (`deskHurdle`: the engine's expected price for the whole lot) and the RFQ
 *     (rfq/rfq.ts) for a block with it as `minPrice`: a quote under it is kept as UNDER_HURDLE, never taken;
 *  4. `planSale` with the desk's trade, if one was made; the plan kept with every book and alternative.
 *
 * Idempotent by the Idempotency-Key (the claimed layer: no connection held while venues and desks are
 * asked). The RFQ's id is derived from the case and the key, so a retry of a request that died after the
 * RFQ finds that RFQ's decision instead of asking the desks again: one RFQ, one trade per key.
 */
import { createHash } from 'node:crypto';
import { appendAuditRecords, inTransaction, type Pool, Problem, type Queryable } from '@vcdc/shared';
import type { exchange } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import { type DeskOffer, deskHurdle, type PlanInput, planSale, type VenueWay } from '@vcdc/shared/sale-plan';
import { directSymbol } from '@vcdc/shared/sale-route';
import type { FairPriceGuard } from './fair-price';
import { assertProviderInGoodStanding } from './provider-register';
import { type RfqDeps, requestForQuotes } from './rfq/rfq';
import { type Venue, VenueCallError } from './venue';

const ACTOR = 'service:exchange';
const STABLECOIN = 'USDT';
const BP = new Decimal(10_000);

/**
 * The blocks the desks are asked for, as shares of the lot, in turn: the whole lot first (a desk's firm
 * price at or above the hurdle is, by the planner's own costs, better than the engine for every part of
 * it: its price is flat where the engine's cost grows with size), then smaller blocks while desks decline
 * for size (each desk has its appetite; Saxony sold in tranches), each an RFQ of its own with every quote
 * kept. A block no desk takes costs the case nothing but the asking: the engine sells it.
 */
export const DESK_BLOCK_SHARES = ['1', '0.5', '0.25'] as const;

/** A trading venue with the guard its orders are checked by (its reference, its rules). */
export interface PlanningVenue {
  venue: Venue;
  guard: FairPriceGuard;
}

export interface SalePlanDeps {
  pool: Pool;
  /** Every trading venue, the default one first. */
  venues: readonly PlanningVenue[];
  rfq: RfqDeps;
  now: () => Date;
}

type BookRead = exchange.SalePlanRecord['books'][number];

interface PlanRow {
  plan_id: number | string;
  case_id: string;
  asset: string;
  lot: string;
  fiat: string;
  slices: number;
  rfq_id: string | null;
  hurdle: string | null;
  legs: exchange.SalePlanLeg[];
  alternatives: exchange.SaleAlternative[];
  books: BookRead[];
  expected_cost_bp: string;
  reason: string;
  decided_at: Date;
}

function toRecord(r: PlanRow): exchange.SalePlanRecord {
  return {
    planId: String(r.plan_id),
    caseId: r.case_id,
    asset: r.asset,
    lot: new Decimal(r.lot).toFixed(),
    fiat: r.fiat,
    slices: r.slices,
    legs: r.legs,
    expectedCostBp: new Decimal(r.expected_cost_bp).toFixed(),
    alternatives: r.alternatives,
    ...(r.rfq_id !== null ? { rfqId: r.rfq_id } : {}),
    ...(r.hurdle !== null ? { hurdle: new Decimal(r.hurdle).toFixed() } : {}),
    books: r.books,
    reason: r.reason,
    decidedAt: r.decided_at.toISOString(),
  };
}

/** Why a read failed, in words for the record; anything but a venue's or a service's refusal is a bug (thrown). */
function whyUnread(error: unknown): string {
  if (error instanceof VenueCallError) return error.message;
  if (error instanceof Problem) return `${error.title}: ${error.detail ?? ''}`.trim();
  throw error;
}

/** One market at one venue, read for the planner: its book, reference, step and fees; or why not. */
async function readMarket(
  at: PlanningVenue,
  symbol: string,
  now: Date,
): Promise<
  | {
      book: BookRead;
      bids: [string, string][];
      reference: string;
      step: string;
      fees: { maker: string; taker: string };
    }
  | { book: BookRead; unread: string; bids?: undefined }
> {
  const venue = at.venue.id;
  const unread = (why: string) => ({ book: { venue, symbol, levels: 0, unread: why }, unread: why });
  try {
    const rules = await at.guard.tradingRules(symbol);
    if (!rules) return unread(`${venue} does not list ${symbol}`);
    const [read, fees, reference] = await Promise.all([
      at.venue.bidsAndTop(symbol),
      at.venue.tradingFees(symbol),
      at.guard.reference(symbol),
    ]);
    const bids = read.bids.map((b): [string, string] => [b.price, b.qty]);
    const top = read.top instanceof Error ? undefined : read.top;
    const book: BookRead = {
      venue,
      symbol,
      at: (top?.at ?? now).toISOString(),
      ...(bids[0] ? { bestBid: bids[0][0] } : {}),
      levels: bids.length,
    };
    return { book, bids, reference: reference.price, step: rules.stepSize, fees };
  } catch (error) {
    return unread(`${venue} ${symbol}: ${whyUnread(error)}`);
  }
}

/** The stablecoin's second leg (USDT/fiat at the same venue): its taker fee and half its spread, in bp. */
async function conversionCostBp(at: PlanningVenue, fiat: string): Promise<{ bp: string } | { unread: string }> {
  const symbol = `${STABLECOIN}/${fiat}`;
  try {
    const rules = await at.guard.tradingRules(symbol);
    if (!rules) return { unread: `${at.venue.id} does not list ${symbol} (the stablecoin's second leg)` };
    const [read, fees] = await Promise.all([at.venue.bidsAndTop(symbol), at.venue.tradingFees(symbol)]);
    if (read.top instanceof Error) return { unread: `${at.venue.id} ${symbol}: ${read.top.message}` };
    const { bid, ask } = read.top;
    const mid = new Decimal(bid).plus(ask).div(2);
    const halfSpreadBp = new Decimal(ask).minus(bid).div(2).div(mid).mul(BP);
    return { bp: halfSpreadBp.plus(new Decimal(fees.taker).mul(BP)).toDecimalPlaces(4).toFixed() };
  } catch (error) {
    return { unread: `${at.venue.id} ${symbol}: ${whyUnread(error)}` };
  }
}

/** The ways one venue can sell the lot under the rule, and every book read there (or why not). */
async function venueWays(
  at: PlanningVenue,
  input: exchange.PlanSale,
  now: Date,
): Promise<{ ways: VenueWay[]; steps: string[]; books: BookRead[] }> {
  const direct = directSymbol(input.asset, input.fiat);
  const stable = `${input.asset}/${STABLECOIN}`;
  const ways: VenueWay[] = [];
  const steps: string[] = [];
  const books: BookRead[] = [];
  const way = (
    read: Awaited<ReturnType<typeof readMarket>>,
    route: VenueWay['route'],
    symbol: string,
    extraCostBp: string,
  ) => {
    if (read.bids === undefined) return;
    steps.push(read.step);
    ways.push({
      venue: at.venue.id,
      route,
      symbol,
      reference: read.reference,
      bids: read.bids,
      takerFee: read.fees.taker,
      // The engine's slices rest passively by default (DEFAULT_EXECUTION.slicePricing): the maker rate.
      engineFee: read.fees.maker,
      extraCostBp,
    });
  };
  if (input.rule.mode === 'VIA_STABLECOIN') {
    books.push({
      venue: at.venue.id,
      symbol: direct,
      levels: 0,
      unread: 'not read: the disposal plan sells through the stablecoin',
    });
  } else {
    const read = await readMarket(at, direct, now);
    books.push(read.book);
    way(read, 'DIRECT', direct, '0');
  }
  const [read, conversion] = await Promise.all([readMarket(at, stable, now), conversionCostBp(at, input.fiat)]);
  if ('unread' in conversion && read.bids !== undefined) {
    books.push({ ...read.book, unread: `the stablecoin way cannot be costed: ${conversion.unread}` });
  } else {
    books.push(read.book);
    if ('bp' in conversion) way(read, 'VIA_STABLECOIN', stable, conversion.bp);
  }
  return { ways, steps, books };
}

/** The RFQ id of a plan's tranche: the same case, key and tranche always name the same RFQ (36 characters at most). */
export function planRfqId(caseId: string, idempotencyKey: string, tranche = 0): string {
  const seed = tranche === 0 ? `${caseId}\n${idempotencyKey}` : `${caseId}\n${idempotencyKey}\n${tranche}`;
  return `plan-${createHash('sha256').update(seed).digest('hex').slice(0, 31)}`;
}

/** POST /v1/cases/:caseId/sale-plans: read, ask, plan, keep (see the module's comment). */
export async function planCaseSale(
  deps: SalePlanDeps,
  caseId: string,
  input: exchange.PlanSale,
  idempotencyKey: string,
  answer?: (tx: Queryable, plan: exchange.SalePlanRecord) => Promise<void>,
): Promise<exchange.SalePlanRecord> {
  const at = deps.now();
  const books: BookRead[] = [];
  const refused: { venue: string; refusal: string; detail: string }[] = [];
  const readable: PlanningVenue[] = [];
  // The disposal plan's venues, when it names them: the legs name no other (each left out is recorded as such).
  const allowed = input.venues ? new Set(input.venues) : undefined;
  const unknown = input.venues?.filter((id) => !deps.venues.some((v) => v.venue.id === id)) ?? [];
  if (unknown.length > 0) {
    const detail = `venues: ${unknown.join(', ')} is not a trading venue of this service (${deps.venues.map((v) => v.venue.id).join(', ')})`;
    throw new Problem(400, 'validation', 'Invalid request body', detail, {
      errors: [{ field: 'venues', message: detail.slice('venues: '.length) }],
    });
  }
  for (const v of deps.venues) {
    if (allowed && !allowed.has(v.venue.id)) {
      books.push({
        venue: v.venue.id,
        symbol: '*',
        levels: 0,
        unread: 'not planned on: the disposal plan does not name it',
      });
      continue;
    }
    try {
      await assertProviderInGoodStanding(deps.pool, v.venue.id, at);
      readable.push(v);
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      const detail = error.detail ?? error.title;
      refused.push({ venue: v.venue.id, refusal: error.type, detail });
      books.push({ venue: v.venue.id, symbol: '*', levels: 0, unread: `not planned on: ${detail}` });
    }
  }
  const read = await Promise.all(readable.map((v) => venueWays(v, input, at)));
  const ways = read.flatMap((r) => r.ways);
  books.push(...read.flatMap((r) => r.books));
  if (ways.length === 0) {
    throw new Problem(
      503,
      'no-venue-way',
      'No venue can be planned on',
      books.map((b) => `${b.venue} ${b.symbol}: ${b.unread ?? 'read'}`).join('; '),
      { books },
    );
  }
  // The coarsest step of the markets planned on: every leg is a whole number of steps at every venue.
  const stepSize = Decimal.max(...read.flatMap((r) => r.steps)).toFixed();
  const planInput: PlanInput = { asset: input.asset, lot: input.lot, stepSize, slices: input.slices, ways };

  let rfq: { rfqId: string; hurdle: string; offer?: DeskOffer } | undefined;
  if (input.desks) {
    const symbol = directSymbol(input.asset, input.fiat);
    let hurdle: string | undefined;
    for (const [tranche, share] of DESK_BLOCK_SHARES.entries()) {
      const block = new Decimal(input.lot).mul(share).div(stepSize).floor().mul(stepSize);
      if (!block.gt(0)) break;
      const rfqId = planRfqId(caseId, idempotencyKey, tranche);
      // A retry of a plan whose RFQ was made: that RFQ, its block and its hurdle (fixed on the books of the
      // first attempt) stand; asking it again answers its decision, or resumes it, never a second trade.
      const made = await deps.pool.query<{ amount: string; min_price: string }>(
        'SELECT amount, min_price FROM rfqs WHERE rfq_id = $1 AND min_price IS NOT NULL',
        [rfqId],
      );
      const earlier = made.rows[0];
      let asked: Awaited<ReturnType<typeof requestForQuotes>>;
      if (earlier) {
        hurdle = new Decimal(earlier.min_price).toFixed();
        const amount = new Decimal(earlier.amount).toFixed();
        asked = await requestForQuotes(deps.rfq, { rfqId, caseId, symbol, amount, minPrice: hurdle });
      } else {
        // One reference for the hurdle and the RFQ that is judged by it, so the two cannot disagree; the
        // smaller blocks keep the first one's hurdle (the engine's expected price for the whole lot).
        const reference = await deps.rfq.prices.reference(symbol);
        hurdle ??= deskHurdle(planInput, reference.price).price;
        asked = await requestForQuotes(
          { ...deps.rfq, prices: { ...deps.rfq.prices, reference: async () => reference } },
          { rfqId, caseId, symbol, amount: block.toFixed(), minPrice: hurdle },
        );
      }
      const trade = asked.outcome === 'TRADED' ? asked.trade : undefined;
      rfq = {
        rfqId,
        hurdle,
        ...(trade
          ? {
              offer: {
                rfqId,
                desk: trade.desk,
                symbol,
                reference: asked.referencePrice,
                price: trade.price,
                amount: trade.amount,
                hurdle,
              },
            }
          : {}),
      };
      // A smaller block only where a desk declined this one (its appetite): prices under the hurdle, lapsed or
      // refused quotes and silence are no reason to expect a better answer for less.
      if (trade || !asked.quotes.some((q) => q.status === 'DECLINED')) break;
    }
  }
  const plan = planSale(planInput, rfq?.offer);

  return inTransaction(deps.pool, async (tx) => {
    // The plan's id first, so its answer is stored (`answer`) before the row takes the audit chain's lock.
    const { rows } = await tx.query<{ id: string }>(
      `SELECT nextval(pg_get_serial_sequence('sale_plans', 'plan_id'))::text AS id`,
    );
    const record: exchange.SalePlanRecord = {
      planId: (rows[0] as { id: string }).id,
      caseId,
      asset: input.asset,
      lot: plan.lot,
      fiat: input.fiat,
      slices: input.slices,
      legs: plan.legs,
      expectedCostBp: plan.expectedCostBp,
      alternatives: plan.alternatives,
      ...(rfq ? { rfqId: rfq.rfqId, hurdle: rfq.hurdle } : {}),
      books,
      reason: plan.reason,
      decidedAt: at.toISOString(),
    };
    await answer?.(tx, record);
    await tx.query(
      `INSERT INTO sale_plans (plan_id, case_id, asset, lot, fiat, mode, slices, desks, rfq_id, hurdle, legs,
                               alternatives, books, expected_cost_bp, reason, decided_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
      [
        record.planId,
        caseId,
        input.asset,
        plan.lot,
        input.fiat,
        input.rule.mode,
        input.slices,
        input.desks,
        rfq?.rfqId ?? null,
        rfq?.hurdle ?? null,
        JSON.stringify(plan.legs),
        JSON.stringify(plan.alternatives),
        JSON.stringify(books),
        plan.expectedCostBp,
        plan.reason,
        at,
      ],
    );
    await appendAuditRecords(tx, [
      {
        kind: 'exchange.sale-plan.decided',
        actor: ACTOR,
        caseId,
        data: {
          planId: record.planId,
          asset: record.asset,
          lot: record.lot,
          fiat: record.fiat,
          mode: input.rule.mode,
          legs: record.legs,
          expectedCostBp: record.expectedCostBp,
          rfqId: record.rfqId ?? null,
          hurdle: record.hurdle ?? null,
          refusedVenues: refused,
          reason: record.reason,
        },
      },
    ]);
    return record;
  });
}

/** The case's sale plans as kept, oldest first. */
export async function caseSalePlans(db: Queryable, caseId: string): Promise<exchange.SalePlanRecord[]> {
  const { rows } = await db.query<PlanRow>('SELECT * FROM sale_plans WHERE case_id = $1 ORDER BY plan_id', [caseId]);
  return rows.map(toRecord);
}
