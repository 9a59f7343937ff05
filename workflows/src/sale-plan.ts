/**
 * How to sell an amount on a venue market: only whole lot-size steps, at least the minimum, and no
 * market order above the venue's limit (larger amounts are cut into near-equal slices). What the
 * step or the minimum cannot take is returned as `unsold`, to be booked as a leftover. Pure.
 */
import { Decimal } from '@vcdc/shared/money';

export interface MarketLimits {
  stepSize: string;
  minQty: string;
  /** 0 = no limit */
  marketOrderMaxQty: string;
}

export interface SalePlan {
  /** Quantities of the market orders to place, in order; empty when nothing is sellable. */
  slices: Decimal[];
  unsold: Decimal;
}

export function planSale(amount: Decimal, limits: MarketLimits): SalePlan {
  const step = new Decimal(limits.stepSize);
  if (!step.gt(0)) throw new RangeError(`a market's step size must be positive, got ${limits.stepSize}`);
  const steps = amount.div(step).floor(); // whole steps we may sell
  const sellable = steps.times(step);
  if (!steps.gt(0) || sellable.lt(limits.minQty)) return { slices: [], unsold: amount };
  const max = new Decimal(limits.marketOrderMaxQty);
  const maxSteps = max.gt(0) ? max.div(step).floor() : steps;
  if (!maxSteps.gt(0)) return { slices: [], unsold: amount };
  // n near-equal slices of whole steps, none above the limit: the first `extra` get one step more.
  const n = steps.div(maxSteps).ceil();
  const each = steps.div(n).floor();
  const extra = steps.minus(each.times(n)).toNumber();
  const slices: Decimal[] = [];
  for (let i = 0; i < n.toNumber(); i++) slices.push(each.plus(i < extra ? 1 : 0).times(step));
  return { slices, unsold: amount.minus(sellable) };
}
