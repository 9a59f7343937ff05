/**
 * The split rule, pure and in one place: what a round of the execution engine offers (a slice, a
 * carried remainder, a re-pricing of the whole rest of a lot) is cut into child orders the venue
 * takes. A venue refuses a limit order above its largest size (HashKey: 8 BTC) however the quantity
 * came about, so the engine never sends one: an offer above the maximum becomes several near-equal
 * children (near-equal so none is a conspicuous odd lot), each a whole number of lot steps, each at
 * least the minimum quantity and notional at its price.
 *
 * What the children cannot carry is the remainder: the part under one lot step, or a final piece too
 * small to be an order of its own. The engine carries it into its next round; what is still left when
 * the lot ends is the case's to handle (case-sale.ts: returned to custody or booked as a leftover).
 * children + remainder = offer, exactly.
 */
import { Decimal } from '@vcdc/shared/money';
import { placeable, type SliceRules } from './sale-execution';

export interface ChildOrderSplit {
  /** The child orders' quantities, largest first. */
  orders: Decimal[];
  /** What no child carries (under a lot step, or too small for an order); never negative. */
  rest: Decimal;
}

export function splitIntoChildOrders(offer: Decimal, price: Decimal, rules: SliceRules): ChildOrderSplit {
  const step = new Decimal(rules.stepSize);
  const steps = offer.div(step).floor();
  const sellable = steps.mul(step);
  const underStep = offer.minus(sellable);
  const maxSteps = new Decimal(rules.maxQty).div(step).floor();
  const largest = maxSteps.mul(step);
  if (!steps.gt(0) || !maxSteps.gt(0) || !placeable(Decimal.min(sellable, largest), price, rules)) {
    return { orders: [], rest: offer };
  }
  const count = steps.div(maxSteps).ceil();
  const each = steps.div(count).floor();
  const extra = steps.minus(each.mul(count)).toNumber();
  const nearEqual = Array.from({ length: count.toNumber() }, (_, i) => each.plus(i < extra ? 1 : 0).mul(step));
  if (nearEqual.every((o) => placeable(o, price, rules))) return { orders: nearEqual, rest: underStep };

  // A minimum above half the maximum (rare): full-size children, and the last piece only if it is an order.
  const full = steps.div(maxSteps).floor().toNumber();
  const orders = Array.from({ length: full }, () => largest);
  const last = sellable.minus(largest.mul(full));
  if (last.gt(0) && placeable(last, price, rules)) return { orders: [...orders, last], rest: underStep };
  return { orders, rest: underStep.plus(last) };
}
