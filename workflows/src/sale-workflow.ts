/**
 * The execution engine: one child workflow per parent order (a lot to sell on one market). It spreads
 * the lot over time slices (TWAP over the horizon); each slice is a limit order priced just under the
 * fair reference price and never under the legal floor; after the slice's time what is left is
 * cancelled and carried into the next slice (re-priced there); after the horizon the remainder is
 * re-priced a few times more. A reference under the floor, or fallen out of the band around the
 * arrival price, stops the slicing and returns PAUSED: the case workflow asks a person (`decide`).
 *
 * Deterministic: no clock, no I/O; every order's client id and Idempotency-Key derive from the parent
 * order id, so a retry or a replay after a crash finds the order it already placed.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  defineSignal,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import { Decimal } from '@vcdc/shared/money';
import type { createActivities } from './activities';
import type { createSaleActivities } from './sale-activities';
import {
  childOrderId,
  DEFAULT_EXECUTION,
  type ExecutionParams,
  placeable,
  priceBreach,
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
}

export interface ChildOrderResult {
  clientOrderId: string;
  amount: string;
  limitPrice: string;
  reference: string;
  filled: string;
  cost: string;
  fee: string;
  feeCurrency: string | null;
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

const venue = proxyActivities<ReturnType<typeof createActivities> & ReturnType<typeof createSaleActivities>>({
  startToCloseTimeout: '30s',
  // No attempt limit: a 5xx or a stale reference is waited out; a 4xx refusal is final (non-retryable).
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

export async function saleExecutionWorkflow(input: SaleExecutionInput): Promise<SaleExecutionResult> {
  const params: ExecutionParams = { ...DEFAULT_EXECUTION, ...input.params };
  let stopReason: string | undefined;
  setHandler(stopSale, (reason) => {
    stopReason = reason;
  });
  const { rules, symbol, caseId } = input;
  const total = new Decimal(input.amount);
  const floorAnswer = await venue.getLegalFloor(symbol);
  const floor = floorAnswer.price === undefined ? undefined : new Decimal(floorAnswer.price);
  const arrival = new Decimal(input.arrivalPrice ?? (await venue.getReferencePrice(symbol)).price);

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
  for (const round of rounds) {
    scheduled = scheduled.plus(round.due);
    const offer = Decimal.min(scheduled, total).minus(sold);
    if (!offer.gt(0)) continue;
    if (stopReason !== undefined) return result('STOPPED');
    const reference = new Decimal((await venue.getReferencePrice(symbol)).price);
    const breach = priceBreach(reference, arrival, floor, params.bandBp);
    if (breach) return result('PAUSED', breach);
    const price = slicePrice(reference, floor, params.priceOffsetBp, rules.tickSize);
    if (!placeable(offer, price, rules)) continue; // too small alone: carried into the next round
    const id = childOrderId(input.parentOrderId, slice, 1);
    const key = `${input.parentOrderId}/slice/${slice}`;
    slice += 1;
    try {
      await venue.placeSellOrder(
        {
          caseId,
          clientOrderId: id,
          symbol,
          type: 'limit',
          amount: offer.toFixed(),
          limitPrice: price.toFixed(),
          // Best-execution records: the lot, its arrival price and the reference this slice was priced from.
          parentOrderId: input.parentOrderId,
          arrivalPrice: arrival.toFixed(),
          referencePrice: reference.toFixed(),
        },
        `${key}/place`,
      );
    } catch (error) {
      // The service's pre-trade checks refused it (band, floor, cap...): a person decides.
      if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.nonRetryable) {
        return result('PAUSED', {
          kind: 'REFUSED',
          detail: `${error.cause.type ?? 'refused'}: ${error.cause.message}`,
        });
      }
      throw error;
    }
    // The slice works for its time; a stop cuts it short (the open remainder is cancelled below).
    await condition(() => stopReason !== undefined, `${round.wait}s`);
    const ended = await venue.cancelSellOrder(caseId, id, `${key}/cancel`);
    sold = sold.plus(ended.filled);
    cost = cost.plus(ended.cost);
    fee = fee.plus(ended.fee);
    orders.push({
      clientOrderId: id,
      amount: offer.toFixed(),
      limitPrice: price.toFixed(),
      reference: reference.toFixed(),
      filled: ended.filled,
      cost: ended.cost,
      fee: ended.fee,
      feeCurrency: ended.feeCurrency,
    });
    if (sold.gte(total)) break;
    if (stopReason !== undefined) return result('STOPPED');
  }
  return result('COMPLETED');
}
