/**
 * The sale plan of a coin lot, pure (deterministic, usable in workflow code): where each part of the lot
 * is sold — a block to an OTC desk at a firm quote, the rest by the execution engine on one licensed venue
 * or split across several — chosen by each way's expected cost, with every alternative's cost kept for the
 * best-execution file (issue 16, part 3).
 *
 * Costs are implementation shortfall against the reference of the market they are sold on, in basis points
 * (sell side: what the lot would fetch at the reference, less what it is expected to fetch, net of fees),
 * so a desk's quote and a venue's book are judged on one scale. The model, kept simple on purpose and the
 * same for every alternative, so that they compare:
 *  - a market order walks the bids it sees now, pays the taker fee;
 *  - the engine sells in `slices` equal slices; each walks the bids seen now (the book refills between
 *    slices), pays the engine's fee (maker for passive slices);
 *  - through the stablecoin (BTC/USDT then USDT/USD) a way adds the second leg's cost (`extraCostBp`);
 *  - a split gives the lot to the venues in `SPLIT_PARTS` equal parts, each part to the way whose cost
 *    grows least by taking it (marginal cost, ties to the venue named first in alphabetical order);
 *  - a desk's firm quote costs its distance under the reference; it has no fee (the desk pays to the
 *    last unit). It is taken only at or above the hurdle: the price the engine is expected to get for the
 *    whole lot across the venues, so a block never sells worse than the venues are expected to.
 * Amounts are cut to the lot's step (toward zero); what a cut leaves goes to the cheapest way, so the legs
 * add up to the lot exactly.
 */
import { Decimal } from './money';
import type { SaleRoute } from './sale-route';

/** One way a venue can sell the coin: a market for it (direct, or through the stablecoin) and what it costs. */
export interface VenueWay {
  venue: string;
  route: SaleRoute;
  /** The coin's market at the venue, e.g. "BTC/USD" (direct) or "BTC/USDT". */
  symbol: string;
  /** The reference price of that market (its quote currency per coin). */
  reference: string;
  /** The bids seen now, best first: [price, quantity]. */
  bids: ReadonlyArray<readonly [string, string]>;
  /** A market order's fee (a fraction, e.g. "0.001"). */
  takerFee: string;
  /** The engine's fee on this market (maker for passive slices). */
  engineFee: string;
  /** The second leg's expected cost through the stablecoin (its fee and half its spread), "0" when direct. */
  extraCostBp: string;
}

/** A desk's trade for a block (the RFQ took its quote: at or above the hurdle). */
export interface DeskOffer {
  rfqId: string;
  desk: string;
  /** The quote's market (e.g. "BTC/USD") and the reference it is judged by. */
  symbol: string;
  reference: string;
  price: string;
  amount: string;
  /**
   * The hurdle the RFQ judged the quote by, when it was fixed on earlier books than `planSale` is given
   * (a plan retried after its RFQ traded): the trade stands by it. Default: `deskHurdle` on the input.
   */
  hurdle?: string;
}

export interface PlanInput {
  asset: string;
  lot: string;
  /** The lot's smallest tradable step at the venues (e.g. "0.00001"). */
  stepSize: string;
  /** The engine's number of slices. */
  slices: number;
  ways: readonly VenueWay[];
}

export type SaleAlternative =
  | { kind: 'MARKET_ORDER'; venue: string; route: SaleRoute; symbol: string; expectedCostBp: string; fillable: boolean }
  | { kind: 'ENGINE'; venue: string; route: SaleRoute; symbol: string; expectedCostBp: string; fillable: boolean }
  | { kind: 'ENGINE_SPLIT'; legs: VenueLeg[]; expectedCostBp: string; fillable: boolean }
  | {
      kind: 'RFQ_BLOCK';
      rfqId: string;
      desk: string;
      amount: string;
      price: string;
      expectedCostBp: string;
      /** The whole plan's cost with this block and the engine for the rest. */
      withRestBp: string;
    };

export interface VenueLeg {
  kind: 'VENUE';
  venue: string;
  route: SaleRoute;
  symbol: string;
  amount: string;
  expectedCostBp: string;
}

export interface DeskLeg {
  kind: 'DESK';
  desk: string;
  rfqId: string;
  symbol: string;
  amount: string;
  price: string;
  expectedCostBp: string;
}

export type SaleLeg = VenueLeg | DeskLeg;

export interface SalePlan {
  asset: string;
  lot: string;
  legs: SaleLeg[];
  expectedCostBp: string;
  alternatives: SaleAlternative[];
  reason: string;
}

/** How many equal parts a split hands out (more parts: a finer split, more arithmetic). */
export const SPLIT_PARTS = 20;

const BP = new Decimal(10_000);
/** The cost of a way that cannot take the quantity at all (its book is too thin): never chosen over one that can. */
const UNFILLABLE_BP = new Decimal(1_000_000);

/** Shortfall in bp of selling `qty` into `bids` against `reference`, before fees; unfillable when the book is short. */
export function walkCostBp(
  bids: VenueWay['bids'],
  qty: Decimal,
  reference: string,
): { costBp: Decimal; fillable: boolean } {
  if (!qty.gt(0)) return { costBp: new Decimal(0), fillable: true };
  let left = qty;
  let proceeds = new Decimal(0);
  for (const [price, size] of bids) {
    if (!left.gt(0)) break;
    const take = Decimal.min(left, size);
    proceeds = proceeds.plus(take.mul(price));
    left = left.minus(take);
  }
  if (left.gt(0)) return { costBp: UNFILLABLE_BP, fillable: false };
  const ref = new Decimal(reference);
  const vwap = proceeds.div(qty);
  return { costBp: ref.minus(vwap).div(ref).mul(BP), fillable: true };
}

function feeBp(fee: string): Decimal {
  return new Decimal(fee).mul(BP);
}

/** One market order of `qty` on the way. */
export function marketOrderCostBp(way: VenueWay, qty: Decimal): { costBp: Decimal; fillable: boolean } {
  const walk = walkCostBp(way.bids, qty, way.reference);
  if (!walk.fillable) return walk;
  return { costBp: walk.costBp.plus(feeBp(way.takerFee)).plus(way.extraCostBp), fillable: true };
}

/** The engine selling `qty` on the way in `slices` equal slices, each into the book seen now. */
export function engineCostBp(way: VenueWay, qty: Decimal, slices: number): { costBp: Decimal; fillable: boolean } {
  if (!qty.gt(0)) return { costBp: new Decimal(0), fillable: true };
  const walk = walkCostBp(way.bids, qty.div(Math.max(1, slices)), way.reference);
  if (!walk.fillable) return walk;
  return { costBp: walk.costBp.plus(feeBp(way.engineFee)).plus(way.extraCostBp), fillable: true };
}

/** Per venue, the way the engine sells the whole lot cheapest (direct or through the stablecoin). */
export function cheapestWayPerVenue(input: PlanInput): VenueWay[] {
  const lot = new Decimal(input.lot);
  const best = new Map<string, { way: VenueWay; cost: Decimal }>();
  for (const way of input.ways) {
    const cost = engineCostBp(way, lot, input.slices).costBp;
    const held = best.get(way.venue);
    if (!held || cost.lt(held.cost) || (cost.eq(held.cost) && way.route === 'DIRECT'))
      best.set(way.venue, { way, cost });
  }
  return [...best.values()].map((b) => b.way).sort((a, b) => a.venue.localeCompare(b.venue));
}

function cutToStep(amount: Decimal, step: string): Decimal {
  return amount.div(step).floor().mul(step);
}

/**
 * The engine's split of `qty` across the ways (one per venue): SPLIT_PARTS parts, each to the way whose
 * total cost grows least by taking it; what the parts leave (under a part) to the way it costs least. Exact: the legs add up to qty.
 */
export function splitAcross(
  ways: readonly VenueWay[],
  qty: Decimal,
  stepSize: string,
  slices: number,
): { legs: VenueLeg[]; expectedCostBp: Decimal; fillable: boolean } {
  if (ways.length === 0) throw new Error('splitAcross: no venue to sell on');
  const part = cutToStep(qty.div(SPLIT_PARTS), stepSize);
  const given = new Map<VenueWay, Decimal>(ways.map((w) => [w, new Decimal(0)]));
  const total = (w: VenueWay, q: Decimal) => engineCostBp(w, q, slices).costBp.mul(q);
  /** Hand `amount` to the way whose total cost grows least by taking it (ties: the first named). */
  const handOut = (amount: Decimal) => {
    let chosen = ways[0] as VenueWay;
    let least: Decimal | undefined;
    for (const w of ways) {
      const had = given.get(w) as Decimal;
      const growth = total(w, had.plus(amount)).minus(total(w, had));
      if (least === undefined || growth.lt(least)) {
        least = growth;
        chosen = w;
      }
    }
    given.set(chosen, (given.get(chosen) as Decimal).plus(amount));
  };
  if (part.gt(0)) for (let i = 0; i < SPLIT_PARTS; i++) handOut(part);
  const rest = qty.minus(part.mul(SPLIT_PARTS));
  if (rest.gt(0)) handOut(rest);
  let cost = new Decimal(0);
  let fillable = true;
  const legs: VenueLeg[] = [];
  for (const w of ways) {
    const amount = given.get(w) as Decimal;
    if (!amount.gt(0)) continue;
    const c = engineCostBp(w, amount, slices);
    fillable &&= c.fillable;
    cost = cost.plus(c.costBp.mul(amount));
    legs.push({
      kind: 'VENUE',
      venue: w.venue,
      route: w.route,
      symbol: w.symbol,
      amount: amount.toFixed(),
      expectedCostBp: c.costBp.toDecimalPlaces(4).toFixed(),
    });
  }
  return { legs, expectedCostBp: qty.gt(0) ? cost.div(qty) : new Decimal(0), fillable };
}

/**
 * The lowest price a desk's quote for the lot must reach to be taken: the reference less the engine's
 * expected cost of selling the whole lot across the venues (cut to the cent; a caller with another tick cuts again).
 */
export function deskHurdle(input: PlanInput, reference: string): { price: string; engineCostBp: string } {
  const split = splitAcross(cheapestWayPerVenue(input), new Decimal(input.lot), input.stepSize, input.slices);
  const ref = new Decimal(reference);
  const price = ref.mul(BP.minus(split.expectedCostBp)).div(BP).toDecimalPlaces(2, Decimal.ROUND_UP);
  return { price: price.toFixed(), engineCostBp: split.expectedCostBp.toDecimalPlaces(4).toFixed() };
}

const fmt = (d: Decimal) => d.toDecimalPlaces(4).toFixed();

/**
 * The plan: every alternative costed (a market order and the engine on each way, the engine split across
 * the venues, the desk's block with the engine for the rest). Without a desk trade, the split; with one
 * (the RFQ took a quote at or above `deskHurdle`, so the block costs no more than the engine's expected
 * average), the block and the split of what is left. A desk trade under the hurdle, or for more than the
 * lot, is a caller's error (thrown): the RFQ takes no quote under it.
 */
export function planSale(input: PlanInput, desk?: DeskOffer): SalePlan {
  const lot = new Decimal(input.lot);
  if (!lot.gt(0)) throw new Error(`planSale: the lot must be above 0, not ${input.lot}`);
  if (input.ways.length === 0) throw new Error('planSale: no venue way to cost');
  const alternatives: SaleAlternative[] = [];
  for (const w of input.ways) {
    const m = marketOrderCostBp(w, lot);
    alternatives.push({
      kind: 'MARKET_ORDER',
      venue: w.venue,
      route: w.route,
      symbol: w.symbol,
      expectedCostBp: fmt(m.costBp),
      fillable: m.fillable,
    });
  }
  for (const w of input.ways) {
    const e = engineCostBp(w, lot, input.slices);
    alternatives.push({
      kind: 'ENGINE',
      venue: w.venue,
      route: w.route,
      symbol: w.symbol,
      expectedCostBp: fmt(e.costBp),
      fillable: e.fillable,
    });
  }
  const ways = cheapestWayPerVenue(input);
  const split = splitAcross(ways, lot, input.stepSize, input.slices);
  alternatives.push({
    kind: 'ENGINE_SPLIT',
    legs: split.legs,
    expectedCostBp: fmt(split.expectedCostBp),
    fillable: split.fillable,
  });
  const engineOnly: SalePlan = {
    asset: input.asset,
    lot: lot.toFixed(),
    legs: split.legs,
    expectedCostBp: fmt(split.expectedCostBp),
    alternatives,
    reason: `the engine across ${split.legs.map((l) => `${l.venue} (${l.amount} ${input.asset} on ${l.symbol})`).join(' and ')}: expected ${fmt(split.expectedCostBp)} bp`,
  };
  if (!desk) return { ...engineOnly, reason: `no desk quote taken; ${engineOnly.reason}` };

  const block = new Decimal(desk.amount);
  if (!block.gt(0) || block.gt(lot))
    throw new Error(`planSale: a desk block of ${desk.amount} for a lot of ${input.lot}`);
  const hurdle = desk.hurdle !== undefined ? { price: desk.hurdle } : deskHurdle(input, desk.reference);
  if (new Decimal(desk.price).lt(hurdle.price)) {
    throw new Error(
      `planSale: ${desk.desk}'s trade at ${desk.price} is under the hurdle ${hurdle.price}: the RFQ takes none under it`,
    );
  }
  const deskRef = new Decimal(desk.reference);
  const deskCost = deskRef.minus(desk.price).div(deskRef).mul(BP);
  const rest = lot.minus(block);
  const restSplit = rest.gt(0) ? splitAcross(ways, rest, input.stepSize, input.slices) : undefined;
  const withRest = deskCost
    .mul(block)
    .plus(restSplit ? restSplit.expectedCostBp.mul(rest) : 0)
    .div(lot);
  alternatives.push({
    kind: 'RFQ_BLOCK',
    rfqId: desk.rfqId,
    desk: desk.desk,
    amount: block.toFixed(),
    price: desk.price,
    expectedCostBp: fmt(deskCost),
    withRestBp: fmt(withRest),
  });
  const deskLeg: DeskLeg = {
    kind: 'DESK',
    desk: desk.desk,
    rfqId: desk.rfqId,
    symbol: desk.symbol,
    amount: block.toFixed(),
    price: desk.price,
    expectedCostBp: fmt(deskCost),
  };
  return {
    asset: input.asset,
    lot: lot.toFixed(),
    legs: [deskLeg, ...(restSplit?.legs ?? [])],
    expectedCostBp: fmt(withRest),
    alternatives,
    reason: `${block.toFixed()} ${input.asset} to ${desk.desk} at ${desk.price} (${fmt(deskCost)} bp)${restSplit ? `, the rest by the engine across ${restSplit.legs.map((l) => `${l.venue} (${l.amount})`).join(' and ')}` : ''}: expected ${fmt(withRest)} bp against ${fmt(split.expectedCostBp)} bp for the engine alone`,
  };
}
