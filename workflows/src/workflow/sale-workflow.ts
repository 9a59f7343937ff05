/**
 * The execution engine: one child workflow per parent order (a lot to sell on one market). It spreads
 * the lot over time slices (TWAP over the horizon); each slice is a limit order resting just above the
 * fair reference price (passive, as a maker; or, with slicePricing TAKE, just under it) and never under
 * the legal floor; after the slice's time what is left is cancelled and carried into the next slice
 * (re-priced there); after the horizon the remainder is re-priced a few times more, the last time
 * through the bid. A reference under the floor, or fallen out of the band around the
 * arrival price, stops the slicing and returns PAUSED: the case workflow asks a person (`decide`).
 *
 * Deterministic: no clock, no I/O; every order's client id and Idempotency-Key derive from the parent
 * order id, so a retry or a replay after a crash finds the order it already placed.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  defineSignal,
  patched,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import { Decimal } from '@vcdc/shared/money';
import type { CaseActivities, SaleActivities } from '../activities/types';
import { venueArg } from './case-calls';
import { SALE_ENGINE_CALLS } from './case-policy';
import type { SaleLeg } from './case-state';
import { splitIntoChildOrders } from './child-orders';
import {
  childOrderId,
  type ExecutionParams,
  executionParams,
  participationCap,
  placeable,
  priceBreach,
  roundOffsetBp,
  type SliceRules,
  slicePrice,
  twapSlices,
} from './sale-execution';

export interface SaleExecutionInput {
  caseId: string;
  /** Unique within the case, e.g. "case-C1/sale/BTC-USDT/1"; every child id derives from it. */
  parentOrderId: string;
  symbol: string;
  amount: string;
  rules: SliceRules;
  params?: Partial<ExecutionParams>;
  /** Continue a paused parent order: the arrival price it started from (so the band stays the same). */
  arrivalPrice?: string;
  /** Continue after a decision: the first slice number to use (ids stay unique). */
  firstSlice?: number;
  /** A trading venue other than the exchange service's default (a sale plan's leg); absent: the default. */
  venue?: string;
}

/** A child order as it ended: the case's sale leg (case-state.ts) before the case names its market and venue. */
export interface ChildOrderResult extends Omit<SaleLeg, 'symbol' | 'at'> {
  /** Under a participation cap: the venue's volume over the interval before the round, and the round's cap. */
  intervalVolume?: string;
  participationCap?: string;
}

/**
 * Stop selling (the case was cancelled): the open slice is cancelled at the venue and the engine
 * returns STOPPED with what it sold. Nothing is placed after the signal.
 */
export const stopSale = defineSignal<[reason: string]>('stopSale');

export interface SaleExecutionResult {
  /** COMPLETED: the schedule and its re-pricings ran (`remaining` may still be above zero). */
  status: 'COMPLETED' | 'PAUSED' | 'STOPPED';
  /** Why it paused (a person decides whether to go on). */
  breach?: { kind: 'FLOOR' | 'PRICE_BAND' | 'REFUSED'; detail: string };
  arrivalPrice: string;
  floor: string | null;
  sold: string;
  /** Quote received before fees (sum of fill costs) and the fees. */
  cost: string;
  fee: string;
  /** What is left unsold of the parent order. */
  remaining: string;
  orders: ChildOrderResult[];
  /** The next slice number, to continue after a pause. */
  nextSlice: number;
}

const venue = proxyActivities<CaseActivities & SaleActivities>(
  // No attempt limit: a 5xx or a stale reference is waited out; a 4xx refusal is final (non-retryable).
  SALE_ENGINE_CALLS,
);

/**
 * The case stops its engine with `stopSale`, never with Temporal's cancellation: a cancellation request
 * sent to the engine directly (the Web UI, the CLI, a bare client) would leave its order open at the
 * venue and fail the case, so the engine runs in a non-cancellable scope and finishes its round.
 */
export async function saleExecutionWorkflow(input: SaleExecutionInput): Promise<SaleExecutionResult> {
  return CancellationScope.nonCancellable(() => executeSale(input));
}

async function executeSale(input: SaleExecutionInput): Promise<SaleExecutionResult> {
  const params: ExecutionParams = executionParams(input.params);
  let stopReason: string | undefined;
  setHandler(stopSale, (reason) => {
    stopReason = reason;
  });
  const { rules, symbol, caseId, venue: at } = input;
  const total = new Decimal(input.amount);
  // A sale starting (not continuing after a pause, which carries its arrival price) reads the floor and its
  // arrival reference in one activity (issue 18); sales started before the change read them one by one.
  const opening =
    input.arrivalPrice === undefined && patched('sale-quote-once')
      ? await venue.getSaleQuote(symbol, ...venueArg(at))
      : undefined;
  const floorAnswer = opening?.floor ?? (await venue.getLegalFloor(symbol, ...venueArg(at)));
  const floor = floorAnswer.price === undefined ? undefined : new Decimal(floorAnswer.price);
  const arrival = new Decimal(
    input.arrivalPrice ?? (opening?.reference ?? (await venue.getReferencePrice(symbol, ...venueArg(at)))).price,
  );

  const schedule = twapSlices(total, params.slices, rules);
  const interval = Math.max(1, Math.floor(params.horizonSeconds / Math.max(schedule.length, 1)));
  const orders: ChildOrderResult[] = [];
  let sold = new Decimal(0);
  let cost = new Decimal(0);
  let fee = new Decimal(0);
  let slice = input.firstSlice ?? 1;
  const result = (status: SaleExecutionResult['status'], breach?: SaleExecutionResult['breach']) => ({
    status,
    ...(breach ? { breach } : {}),
    arrivalPrice: arrival.toFixed(),
    floor: floor ? floor.toFixed() : null,
    sold: sold.toFixed(),
    cost: cost.toFixed(),
    fee: fee.toFixed(),
    remaining: total.minus(sold).toFixed(),
    orders,
    nextSlice: slice,
  });

  // Slices on schedule, then re-pricings of whatever is left; each round offers all that is due.
  const rounds = [
    ...schedule.map((qty) => ({ due: qty, wait: interval })),
    ...Array.from({ length: params.maxRepricings }, () => ({
      due: new Decimal(0),
      wait: Math.max(1, Math.floor(interval / 2)),
    })),
  ];
  let scheduled = new Decimal(0);
  const due = () => Decimal.min(scheduled, total).minus(sold);

  /**
   * The child orders working now, all at one price: what a round offers beyond the venue's largest
   * order is several children (child-orders.ts). Their remainders are cancelled when they are
   * re-priced, at a pause or stop, and at the round's end.
   */
  let working: {
    id: string;
    key: string;
    amount: Decimal;
    price: Decimal;
    reference: Decimal;
    cap?: { volume: string; cap: string };
  }[] = [];
  const settle = async () => {
    const ending = working;
    working = [];
    for (const w of ending) {
      const ended = await venue.cancelSellOrder(caseId, w.id, `${w.key}/cancel`, ...venueArg(at));
      sold = sold.plus(ended.filled);
      cost = cost.plus(ended.cost);
      fee = fee.plus(ended.fee);
      orders.push({
        clientOrderId: w.id,
        amount: w.amount.toFixed(),
        limitPrice: w.price.toFixed(),
        reference: w.reference.toFixed(),
        filled: ended.filled,
        cost: ended.cost,
        fee: ended.fee,
        feeCurrency: ended.feeCurrency,
        ...(w.cap ? { intervalVolume: w.cap.volume, participationCap: w.cap.cap } : {}),
      });
    }
  };

  for (const [index, round] of rounds.entries()) {
    scheduled = scheduled.plus(round.due);
    if (!due().gt(0)) continue;
    const last = index === rounds.length - 1;
    // A passive round is looked at `checksPerSlice` times: an order the reference has moved away from
    // (no longer at the top of the ask side, or under the fair price) is re-priced; a taking round once.
    // At most one check a second: every wait between them is whole seconds.
    const checks =
      last || params.slicePricing !== 'PASSIVE' ? 1 : Math.max(1, Math.min(params.checksPerSlice, round.wait));
    const step = Math.max(1, Math.floor(round.wait / checks));
    let sliceNo: number | undefined;
    let attempt = 0;
    // Under a participation cap, the round sells at most its share of the venue's volume in the interval before it.
    let cap: { volume: string; cap: string } | undefined;
    if (params.maxParticipationPct !== undefined && stopReason === undefined) {
      // The interval as the service sees it (its clock is the venue's), as long as the round.
      const volume = await venue.getTradedVolume(symbol, { seconds: round.wait }, ...venueArg(at));
      const limit = participationCap(new Decimal(volume.volume), params.maxParticipationPct, rules.stepSize);
      cap = { volume: volume.volume, cap: limit.toFixed() };
    }
    const soldBefore = sold;
    const offerNow = () => {
      const left = due();
      if (!cap) return left;
      return Decimal.max(0, Decimal.min(left, new Decimal(cap.cap).minus(sold.minus(soldBefore))));
    };
    for (let check = 0; check < checks; check++) {
      if (stopReason !== undefined) {
        await settle();
        return result('STOPPED');
      }
      if (working.length > 0 || offerNow().gt(0)) {
        const reference = new Decimal((await venue.getReferencePrice(symbol, ...venueArg(at))).price);
        const breach = priceBreach(reference, arrival, floor, params.bandBp);
        if (breach) {
          await settle();
          // Noticed on a re-check after the whole lot sold: nothing is left to decide on.
          return sold.gte(total) ? result('COMPLETED') : result('PAUSED', breach);
        }
        const price = slicePrice(reference, floor, roundOffsetBp(params, last), rules.tickSize);
        if (working.length === 0 || !price.eq(working[0]?.price ?? price)) {
          await settle();
          // Above the venue's largest order: several children; what none can carry waits for the next round.
          const children = splitIntoChildOrders(offerNow(), price, rules).orders;
          if (children.length === 0) {
            // Too small alone (or nothing left): carried into the next round now; held back by the cap: the round waits.
            if (check === 0 && !placeable(due(), price, rules)) break;
          } else {
            if (sliceNo === undefined) {
              sliceNo = slice;
              slice += 1;
            }
            attempt += 1;
          }
          for (const [child, offer] of children.entries()) {
            const id = childOrderId(input.parentOrderId, sliceNo as number, attempt, child);
            const key = `${input.parentOrderId}/slice/${sliceNo}${attempt > 1 ? `/try/${attempt}` : ''}${child > 0 ? `/child/${child + 1}` : ''}`;
            try {
              await venue.placeSellOrder(
                {
                  caseId,
                  clientOrderId: id,
                  symbol,
                  type: 'limit',
                  amount: offer.toFixed(),
                  limitPrice: price.toFixed(),
                  // Best-execution records: the lot, its arrival price and the reference this order was priced from.
                  parentOrderId: input.parentOrderId,
                  arrivalPrice: arrival.toFixed(),
                  referencePrice: reference.toFixed(),
                },
                `${key}/place`,
                ...venueArg(at),
              );
            } catch (error) {
              // The service's pre-trade checks refused it (band, floor, cap...): a person decides, once
              // the children already placed in this round are ended.
              if (
                error instanceof ActivityFailure &&
                error.cause instanceof ApplicationFailure &&
                error.cause.nonRetryable
              ) {
                await settle();
                return result('PAUSED', {
                  kind: 'REFUSED',
                  detail: `${error.cause.type ?? 'refused'}: ${error.cause.message}`,
                });
              }
              throw error;
            }
            working.push({ id, key, amount: offer, price, reference, ...(cap ? { cap } : {}) });
          }
        }
      }
      // The order works until the next check; a stop cuts it short (its open remainder is cancelled).
      await condition(
        () => stopReason !== undefined,
        `${check === checks - 1 ? round.wait - step * (checks - 1) : step}s`,
      );
    }
    await settle();
    if (sold.gte(total)) break;
    if (stopReason !== undefined) return result('STOPPED');
  }
  return result('COMPLETED');
}
