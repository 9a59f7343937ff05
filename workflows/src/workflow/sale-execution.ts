/**
 * The execution engine's arithmetic, pure (used by sale-workflow.ts): how a parent order is cut into
 * time slices, how each slice's limit price is set against the reference and the legal floor, when
 * the price has left the band, and the deterministic client order ids of its child orders.
 *
 * Pricing: a slice rests passively just above the reference (a maker at the top of the ask side,
 * waiting for buyers: no spread crossed, the maker fee); what it does not sell is carried into the
 * next slice, then into the re-pricings after the horizon (passive too), and only the very last round
 * crosses the spread (`priceOffsetBp` under the reference) to finish the lot. Every price is bounded
 * below by the legal floor.
 */
import { Decimal } from '@vcdc/shared/money';
import { DEFAULT_EXECUTION } from './case-policy';
import { fnv1a64 } from './keys';

export interface ExecutionParams {
  /** Number of time slices over the horizon (at least; more when a slice would pass the maximum order size). */
  slices: number;
  /** The horizon over which the slices are spread, in seconds (TWAP). */
  horizonSeconds: number;
  /**
   * How the rounds (slices, then re-pricings) are priced. PASSIVE: `passiveOffsetBp` above the
   * reference, resting for buyers (maker), except the very last round, which takes (`priceOffsetBp`
   * under it) to finish the lot; TAKE: every round `priceOffsetBp` under the reference, through the bid.
   */
  slicePricing: 'PASSIVE' | 'TAKE';
  /** A passive slice rests this far above the reference price (basis points): inside the spread, under the best ask. */
  passiveOffsetBp: string;
  /**
   * How many times a passive round's order is looked at during the round: when the reference has moved
   * so that the order would be priced otherwise now, its remainder is cancelled and placed again at the
   * new price (so it stays at the top of the ask side instead of being left above the market). 1: never.
   */
  checksPerSlice: number;
  /** A taking round (every round with TAKE, the last one with PASSIVE) is offered this far under the reference price (basis points): through the bid. */
  priceOffsetBp: string;
  /** The reference may fall this far under the arrival price (basis points) before the engine pauses for a decision. */
  bandBp: string;
  /** After the horizon, how many times the unfilled remainder is re-priced before the engine gives up. */
  maxRepricings: number;
  /**
   * Optional cap on participation (percent, e.g. "10"): what a round sells is at most this share of
   * the venue's traded volume over the interval before it (as long as the round), read from the
   * venue's one-minute candles. Absent: no cap. What the cap holds back is carried like any remainder.
   */
  maxParticipationPct?: string;
}

/** The engine's parameters: the disposal plan's, the defaults for what it leaves unset. */
export function executionParams(plan: Partial<ExecutionParams> | undefined): ExecutionParams {
  return { ...DEFAULT_EXECUTION, ...plan };
}

export interface SliceRules {
  stepSize: string;
  tickSize: string;
  minQty: string;
  minNotional: string;
  /** Largest limit order. */
  maxQty: string;
}

/** Near-equal slices of whole lot steps, none above the maximum order size. */
export function twapSlices(amount: Decimal, wanted: number, rules: SliceRules): Decimal[] {
  const step = new Decimal(rules.stepSize);
  const steps = amount.div(step).floor();
  if (!steps.gt(0)) return [];
  const maxSteps = new Decimal(rules.maxQty).div(step).floor();
  const n = Decimal.max(wanted, steps.div(maxSteps).ceil(), 1).toNumber();
  const count = Math.min(n, steps.toNumber());
  const each = steps.div(count).floor();
  const extra = steps.minus(each.mul(count)).toNumber();
  return Array.from({ length: count }, (_, i) => each.plus(i < extra ? 1 : 0).mul(step));
}

/**
 * The limit price of a slice: the reference less the offset (a negative offset: above the reference),
 * never under the legal floor, rounded UP to the tick (rounding may only make a sell dearer, so it
 * never undercuts the floor).
 */
export function slicePrice(
  reference: Decimal,
  floor: Decimal | undefined,
  offsetBp: string,
  tickSize: string,
): Decimal {
  const target = reference.mul(new Decimal(1).minus(new Decimal(offsetBp).div(10_000)));
  const bounded = floor?.gt(target) ? floor : target;
  return bounded.div(tickSize).ceil().mul(tickSize);
}

/**
 * The offset under the reference (basis points; negative: above it) of a round. PASSIVE: every round
 * rests above the reference except the last one, which takes to finish the lot; TAKE: every round takes.
 */
export function roundOffsetBp(params: ExecutionParams, last: boolean): string {
  if (!last && params.slicePricing === 'PASSIVE') return new Decimal(params.passiveOffsetBp).neg().toFixed();
  return params.priceOffsetBp;
}

export type Breach = { kind: 'FLOOR' | 'PRICE_BAND'; detail: string } | undefined;

/** The band's lower edge: the lowest reference the engine sells at, `bandBp` under the arrival price. */
export function bandLowest(arrival: Decimal, bandBp: string): Decimal {
  return arrival.mul(new Decimal(1).minus(new Decimal(bandBp).div(10_000)));
}

/** Has the market left what the engine may sell into without a person deciding? */
export function priceBreach(reference: Decimal, arrival: Decimal, floor: Decimal | undefined, bandBp: string): Breach {
  if (floor && reference.lt(floor)) {
    return { kind: 'FLOOR', detail: `reference ${reference.toFixed()} is under the legal floor ${floor.toFixed()}` };
  }
  if (reference.lt(bandLowest(arrival, bandBp))) {
    return {
      kind: 'PRICE_BAND',
      detail: `reference ${reference.toFixed()} is more than ${bandBp} bp under the arrival price ${arrival.toFixed()}`,
    };
  }
  return undefined;
}

/** The most a round may sell under a participation cap: `pct` percent of the volume, down to the lot step. */
export function participationCap(volume: Decimal, pct: string, stepSize: string): Decimal {
  const cap = volume.mul(pct).div(100).div(stepSize).floor().mul(stepSize);
  return cap.isNegative() ? new Decimal(0) : cap;
}

/** Can the venue take this quantity at this price (minimum quantity and notional)? */
export function placeable(qty: Decimal, price: Decimal, rules: SliceRules): boolean {
  return qty.gte(rules.minQty) && qty.gt(0) && qty.mul(price).gte(rules.minNotional);
}

/**
 * Client order id of a child order: slice `slice`, attempt `attempt` of a parent order, and which of
 * the attempt's children (0: the first, or the only one; more when the offer passed the venue's
 * largest order). A hash of the parent order id (which holds the case), so a retried or replayed step
 * asks the venue for the same id and finds the order it already placed. At most 36 characters of
 * [A-Za-z0-9-]; the first child's id is the one a single order always had.
 */
export function childOrderId(parentOrderId: string, slice: number, attempt: number, child = 0): string {
  if (child === 0)
    return `${fnv1a64(`${parentOrderId}/slice/${slice}/try/${attempt}`)}-s${slice}-t${attempt}`.slice(0, 36);
  return `${fnv1a64(`${parentOrderId}/slice/${slice}/try/${attempt}/child/${child}`)}-s${slice}-t${attempt}-c${child}`.slice(
    0,
    36,
  );
}
