/**
 * Best execution, recomputed from the raw records on every request (pure: no I/O, no clock). From the
 * stored orders, fills, order events, reference computations and the venue's per-minute volumes it
 * derives, per fill, the reference in force, the distance to it, the floor and the share of the venue's
 * volume in the fill's minute; per parent order (lot), the quantity sold, the average price, the
 * implementation shortfall against the arrival price and the result against the legal floor.
 *
 * Sell side throughout: shortfall = (arrival − average) / arrival × 10 000 basis points (positive: sold
 * under the arrival price). Averages are exact until shown (cut to 12 places); basis points and shares
 * are cut toward zero (4 and 6 places), as every rounding in the project.
 */
import type { exchange } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import { chooseRoute } from '@vcdc/shared/sale-route';

export interface RecordedOrder {
  clientOrderId: string;
  parentOrderId: string | null;
  venue: string;
  venueOrderId: string;
  symbol: string;
  type: 'market' | 'limit';
  amount: string;
  limitPrice: string | null;
  status: 'open' | 'closed' | 'canceled' | 'rejected';
  createdAt: Date;
  arrivalPrice: string | null;
  referencePrice: string | null;
  floor: string | null;
  checkReferenceId: string | null;
  pricedReferenceId: string | null;
}

export interface RecordedFill {
  clientOrderId: string;
  venue: string;
  tradeId: string;
  price: string;
  amount: string;
  fee: string;
  feeCurrency: string;
  tradedAt: Date;
}

export interface RecordedEvent {
  clientOrderId: string;
  event: exchange.OrderEvent['event'];
  tradeId: string | null;
  detail: string | null;
  occurredAt: Date;
  recordedAt: Date;
}

/** An `ok` reference computation: the reference price of `symbol` from `at` on. */
export interface ReferencePoint {
  computationId: string;
  symbol: string;
  price: string;
  at: Date;
}

/** An observation of the venue's traded volume in an interval (the latest one counts). */
export interface IntervalVolume {
  venue: string;
  symbol: string;
  start: Date;
  seconds: number;
  /** null: the venue had no candle for the interval. */
  volume: string | null;
  observedAt: Date;
}

export interface BestExecutionInput {
  caseId: string;
  generatedAt: Date;
  orders: RecordedOrder[];
  fills: RecordedFill[];
  events: RecordedEvent[];
  /** Candidate references (at least the latest ok one at or before each fill). */
  references: ReferencePoint[];
  volumes: IntervalVolume[];
  /** The computations to show in full (see `referencedComputations`). */
  computations: exchange.ReferenceComputation[];
  /** The case's sale route choices as kept (route-choices.ts); absent: none. */
  routes?: exchange.SaleRouteChoice[];
}

/** The route the rule gives again on what the choice recorded as seen: an auditor's check of the kept answer. */
export function recomputeRoute(c: exchange.SaleRouteChoice): exchange.SaleRouteChoice['route'] {
  const direct = c.seen === undefined ? undefined : { symbol: c.directSymbol, bandBp: c.rule.bandBp, bidDepth: c.seen };
  return chooseRoute({ asset: c.asset, fiat: c.fiat, lot: c.lot, rule: c.rule, direct }).route;
}

export const INTERVAL_SECONDS = 60;

const BP = 10_000;

/** A decimal in basis-point form: cut toward zero to 4 places, never "-0". */
function bp(value: Decimal): string {
  const cut = value.toDecimalPlaces(4, Decimal.ROUND_DOWN);
  return cut.isZero() ? '0' : cut.toFixed();
}

/** Start of the interval (UTC, whole `seconds`) a time falls in. */
export function intervalStart(at: Date, seconds = INTERVAL_SECONDS): Date {
  const ms = seconds * 1000;
  return new Date(Math.floor(at.getTime() / ms) * ms);
}

/** The latest reference of the symbol at or before `at` (ties: the later computation). */
export function referenceAt(references: ReferencePoint[], symbol: string, at: Date): ReferencePoint | undefined {
  let best: ReferencePoint | undefined;
  for (const r of references) {
    if (r.symbol !== symbol || r.at.getTime() > at.getTime()) continue;
    if (
      !best ||
      r.at.getTime() > best.at.getTime() ||
      (r.at.getTime() === best.at.getTime() && BigInt(r.computationId) > BigInt(best.computationId))
    ) {
      best = r;
    }
  }
  return best;
}

export interface LotFill {
  tradeId: string;
  price: string;
  amount: string;
  fee: string;
  feeCurrency: string;
  tradedAt?: Date;
  /** The legal floor in force for this fill. */
  floor: string | null;
}

export type LotSummary = Omit<
  exchange.BestExecutionLot,
  'parentOrderId' | 'lotId' | 'symbol' | 'clientOrderIds' | 'floor'
> & { floor: Omit<exchange.BestExecutionLot['floor'], 'price'> };

/** Sold, average, shortfall, fees and the floor result of a set of fills, against the arrival price. */
export function lotSummary(fills: LotFill[], arrivalPrice: string | null, quoteCurrency: string): LotSummary {
  const sold = fills.reduce((s, f) => s.plus(f.amount), new Decimal(0));
  const proceeds = fills.reduce((s, f) => s.plus(new Decimal(f.price).mul(f.amount)), new Decimal(0));
  const feeBy = new Map<string, Decimal>();
  for (const f of fills) feeBy.set(f.feeCurrency, (feeBy.get(f.feeCurrency) ?? new Decimal(0)).plus(f.fee));
  const fees = [...feeBy.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, amount]) => ({ currency, amount: amount.toFixed() }));
  const prices = fills.map((f) => new Decimal(f.price));
  const min = prices.length ? Decimal.min(...prices) : undefined;
  const max = prices.length ? Decimal.max(...prices) : undefined;
  const average = sold.gt(0) ? proceeds.div(sold) : undefined;
  const arrival = arrivalPrice === null ? undefined : new Decimal(arrivalPrice);
  const shortfall = (avg: Decimal | undefined) =>
    avg && arrival?.gt(0) ? bp(arrival.minus(avg).div(arrival).mul(BP)) : null;
  const feesInQuote = [...feeBy.entries()].every(([currency, amount]) => currency === quoteCurrency || amount.isZero());
  const totalFees = [...feeBy.values()].reduce((s, a) => s.plus(a), new Decimal(0));
  const netAverage = sold.gt(0) && feesInQuote ? proceeds.minus(totalFees).div(sold) : undefined;

  const breaches = fills.filter((f) => f.floor !== null && new Decimal(f.price).lt(f.floor)).map((f) => f.tradeId);
  const result: exchange.BestExecutionLot['floor']['result'] =
    fills.length === 0
      ? 'NO_FILLS'
      : breaches.length > 0
        ? 'BREACH'
        : fills.some((f) => f.floor !== null)
          ? 'OK'
          : 'NO_FLOOR';
  const times = fills.flatMap((f) => (f.tradedAt ? [f.tradedAt.getTime()] : []));
  return {
    fillCount: fills.length,
    sold: sold.toFixed(),
    proceeds: proceeds.toFixed(),
    averagePrice: average ? average.toDecimalPlaces(12, Decimal.ROUND_DOWN).toFixed() : null,
    minFillPrice: min ? min.toFixed() : null,
    maxFillPrice: max ? max.toFixed() : null,
    arrivalPrice: arrival ? arrival.toFixed() : null,
    shortfallBp: shortfall(average),
    shortfallWithFeesBp: shortfall(netAverage),
    fees,
    floor: { minFillPrice: min ? min.toFixed() : null, result, breaches },
    firstFillAt: times.length ? new Date(Math.min(...times)).toISOString() : null,
    lastFillAt: times.length ? new Date(Math.max(...times)).toISOString() : null,
  };
}

/** A share of a volume, cut to 6 places; null without a positive volume. */
function share(amount: Decimal, volume: string | null): string | null {
  if (volume === null || !new Decimal(volume).gt(0)) return null;
  return amount.div(volume).toDecimalPlaces(6, Decimal.ROUND_DOWN).toFixed();
}

const byTime =
  <T>(time: (t: T) => Date, id: (t: T) => string) =>
  (a: T, b: T) =>
    time(a).getTime() - time(b).getTime() || id(a).localeCompare(id(b));

/**
 * Events in time order; at the same instant, in the order of an order's life (the venue's fills up to a
 * cancel are often learnt only when the cancel is answered: `recordedAt` keeps the order they were learnt in).
 */
const LIFECYCLE: RecordedEvent['event'][] = ['placed', 'fill', 'cancel-requested', 'closed', 'canceled', 'rejected'];

/** The lot an order belongs to: its parent order, or itself when placed on its own. */
export const lotIdOf = (o: RecordedOrder) => o.parentOrderId ?? o.clientOrderId;

/** The latest observation of each (venue, symbol, interval). */
function latestVolumes(volumes: IntervalVolume[]): Map<string, IntervalVolume> {
  const out = new Map<string, IntervalVolume>();
  for (const v of volumes) {
    const key = `${v.venue}|${v.symbol}|${v.start.getTime()}|${v.seconds}`;
    const seen = out.get(key);
    if (!seen || v.observedAt.getTime() >= seen.observedAt.getTime()) out.set(key, v);
  }
  return out;
}

export function bestExecution(input: BestExecutionInput): exchange.BestExecutionReport {
  const orders = [...input.orders].sort(
    byTime(
      (o) => o.createdAt,
      (o) => o.clientOrderId,
    ),
  );
  const orderOf = new Map(orders.map((o) => [o.clientOrderId, o]));
  const fills = input.fills
    .filter((f) => orderOf.has(f.clientOrderId))
    .sort(
      byTime(
        (f) => f.tradedAt,
        (f) => f.tradeId,
      ),
    );
  const volumes = latestVolumes(input.volumes);

  // The lots, in the order their first child order was placed; each lot's floor is the highest of its orders'.
  const lots = new Map<string, RecordedOrder[]>();
  for (const o of orders) lots.set(lotIdOf(o), [...(lots.get(lotIdOf(o)) ?? []), o]);
  const lotFloor = new Map<string, string | null>();
  for (const [id, members] of lots) {
    const floors = members.flatMap((o) => (o.floor === null ? [] : [new Decimal(o.floor)]));
    lotFloor.set(id, floors.length ? Decimal.max(...floors).toFixed() : null);
  }
  const floorOf = (o: RecordedOrder) => o.floor ?? lotFloor.get(lotIdOf(o)) ?? null;

  // The case's volume per venue, symbol and minute (the numerator of its participation).
  const caseVolume = new Map<string, Decimal>();
  const minuteKey = (venue: string, symbol: string, start: Date) =>
    `${venue}|${symbol}|${start.getTime()}|${INTERVAL_SECONDS}`;
  for (const f of fills) {
    const o = orderOf.get(f.clientOrderId) as RecordedOrder;
    const key = minuteKey(f.venue, o.symbol, intervalStart(f.tradedAt));
    caseVolume.set(key, (caseVolume.get(key) ?? new Decimal(0)).plus(f.amount));
  }

  const fillView = (f: RecordedFill, o: RecordedOrder): exchange.BestExecutionFill => {
    const ref = referenceAt(input.references, o.symbol, f.tradedAt);
    const floor = floorOf(o);
    const start = intervalStart(f.tradedAt);
    const key = minuteKey(f.venue, o.symbol, start);
    const observed = volumes.get(key);
    const venueVolume = observed?.volume ?? null;
    const price = new Decimal(f.price);
    return {
      tradeId: f.tradeId,
      venue: f.venue,
      at: f.tradedAt.toISOString(),
      amount: new Decimal(f.amount).toFixed(),
      price: price.toFixed(),
      cost: price.mul(f.amount).toFixed(),
      fee: new Decimal(f.fee).toFixed(),
      feeCurrency: f.feeCurrency,
      reference: ref ? { computationId: ref.computationId, price: ref.price, at: ref.at.toISOString() } : null,
      vsReferenceBp: ref ? bp(new Decimal(ref.price).minus(price).div(ref.price).mul(BP)) : null,
      floor,
      belowFloor: floor !== null && price.lt(floor),
      interval: {
        start: start.toISOString(),
        seconds: INTERVAL_SECONDS,
        venueVolume: venueVolume === null ? null : new Decimal(venueVolume).toFixed(),
        final: observed !== undefined && observed.observedAt.getTime() >= start.getTime() + INTERVAL_SECONDS * 1000,
        share: share(new Decimal(f.amount), venueVolume),
        caseShare: share(caseVolume.get(key) ?? new Decimal(0), venueVolume),
      },
    };
  };

  const orderViews: exchange.BestExecutionOrder[] = orders.map((o) => {
    const own = fills.filter((f) => f.clientOrderId === o.clientOrderId);
    return {
      clientOrderId: o.clientOrderId,
      parentOrderId: o.parentOrderId,
      venue: o.venue,
      venueOrderId: o.venueOrderId,
      symbol: o.symbol,
      type: o.type,
      amount: new Decimal(o.amount).toFixed(),
      limitPrice: o.limitPrice === null ? null : new Decimal(o.limitPrice).toFixed(),
      status: o.status,
      createdAt: o.createdAt.toISOString(),
      arrivalPrice: o.arrivalPrice === null ? null : new Decimal(o.arrivalPrice).toFixed(),
      referencePrice: o.referencePrice === null ? null : new Decimal(o.referencePrice).toFixed(),
      floor: o.floor === null ? null : new Decimal(o.floor).toFixed(),
      checkReferenceId: o.checkReferenceId,
      pricedReferenceId: o.pricedReferenceId,
      filled: own.reduce((s, f) => s.plus(f.amount), new Decimal(0)).toFixed(),
      events: input.events
        .filter((e) => e.clientOrderId === o.clientOrderId)
        .sort(
          (a, b) =>
            a.occurredAt.getTime() - b.occurredAt.getTime() || LIFECYCLE.indexOf(a.event) - LIFECYCLE.indexOf(b.event),
        )
        .map((e) => ({
          event: e.event,
          at: e.occurredAt.toISOString(),
          recordedAt: e.recordedAt.toISOString(),
          tradeId: e.tradeId,
          detail: e.detail,
        })),
      fills: own.map((f) => fillView(f, o)),
    };
  });

  const lotViews: exchange.BestExecutionLot[] = [...lots.entries()].map(([lotId, members]) => {
    const first = members[0] as RecordedOrder;
    const ids = new Set(members.map((o) => o.clientOrderId));
    const lotFills = fills
      .filter((f) => ids.has(f.clientOrderId))
      .map((f) => {
        const o = orderOf.get(f.clientOrderId) as RecordedOrder;
        return { ...f, floor: floorOf(o) };
      });
    const arrival = members.find((o) => o.arrivalPrice !== null)?.arrivalPrice ?? null;
    const quote = first.symbol.split('/')[1] ?? '';
    const summary = lotSummary(lotFills, arrival, quote);
    return {
      parentOrderId: first.parentOrderId,
      lotId,
      symbol: first.symbol,
      clientOrderIds: members.map((o) => o.clientOrderId),
      ...summary,
      floor: { price: lotFloor.get(lotId) ?? null, ...summary.floor },
    };
  });

  return {
    caseId: input.caseId,
    generatedAt: input.generatedAt.toISOString(),
    lots: lotViews,
    orders: orderViews,
    referencePrices: [...input.computations].sort((a, b) =>
      BigInt(a.id) < BigInt(b.id) ? -1 : BigInt(a.id) > BigInt(b.id) ? 1 : 0,
    ),
    routes: (input.routes ?? []).map((c) => ({ ...c, recomputedRoute: recomputeRoute(c) })),
  };
}

/** The computations a report shows: those the orders were checked and priced by, and each fill's reference. */
export function referencedComputations(
  orders: RecordedOrder[],
  fills: RecordedFill[],
  references: ReferencePoint[],
): string[] {
  const orderOf = new Map(orders.map((o) => [o.clientOrderId, o]));
  const ids = new Set<string>();
  for (const o of orders) {
    if (o.checkReferenceId) ids.add(o.checkReferenceId);
    if (o.pricedReferenceId) ids.add(o.pricedReferenceId);
  }
  for (const f of fills) {
    const o = orderOf.get(f.clientOrderId);
    const ref = o && referenceAt(references, o.symbol, f.tradedAt);
    if (ref) ids.add(ref.computationId);
  }
  return [...ids];
}
