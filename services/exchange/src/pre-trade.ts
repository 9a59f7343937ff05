/**
 * Pre-trade checks: every sell order is held against the venue's rules, the capability table, the
 * fair reference price, the legal floor and the daily caps before it may reach the venue. Pure: the
 * caller gathers the facts, this decides. A refusal is a 422 problem whose `field` names the part of
 * the order at fault and whose `type` says which rule it broke, so the workflow can tell a price-band
 * or floor breach (ask a supervisor) from a malformed order (a bug).
 */
import { Problem, problems } from '@vcdc/shared';
import type { exchange } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import { type InvestorClass, type MarketCapability, tradingRules } from './capabilities';
import type { MarketRules } from './venue';

export interface PreTradeFacts {
  venue: string;
  /** The venue's own rules for the market; undefined: the venue does not list it. */
  rules: MarketRules | undefined;
  /** Our capability table's entry; undefined: we may not trade this market at this venue. */
  capability: { market: MarketCapability | undefined } | undefined;
  investorClass: InvestorClass;
  reference: Decimal;
  /** Undefined under the floor rule "none". */
  floor: Decimal | undefined;
  /** For a market order: the lowest bid it would reach in the current book (undefined: the book cannot take it). */
  worstMarketFill?: Decimal;
  /** Already sold today of the market's base asset: by this case, by all cases. */
  soldToday: { case: Decimal; global: Decimal };
}

export type PreTradeOrder = Pick<exchange.PlaceSellOrder, 'caseId' | 'symbol' | 'type' | 'amount' | 'limitPrice'>;

function refuse(
  slug: string,
  title: string,
  field: string,
  detail: string,
  ext: Record<string, unknown> = {},
): Problem {
  return problems.refused(slug, title, detail, { field, ...ext });
}

/** Throws the first rule the order breaks; returns the checked limits for the record. */
export function checkSellOrder(order: PreTradeOrder, facts: PreTradeFacts): { bandFloor: string } {
  const { rules, capability } = facts;
  if (!rules) {
    throw refuse('unknown-market', 'Unknown market', 'symbol', `${facts.venue} has no spot market ${order.symbol}`);
  }
  const market = capability?.market;
  if (!capability || !market) {
    throw refuse(
      'market-not-permitted',
      'Market not in the venue capability table',
      'symbol',
      `${order.symbol} at ${facts.venue} is not approved for trading (VENUE_CAPABILITIES)`,
    );
  }
  if (!market.investorClasses.includes(facts.investorClass)) {
    throw refuse(
      'investor-class-not-permitted',
      'Market closed to this investor class',
      'symbol',
      `${order.symbol} at ${facts.venue} is open to ${market.investorClasses.join(', ')}, not ${facts.investorClass}`,
    );
  }

  const amount = new Decimal(order.amount);
  const limits = tradingRules(rules, market);
  const stepSize = new Decimal(limits.stepSize);
  const tickSize = new Decimal(limits.tickSize);
  if (!amount.mod(stepSize).isZero()) {
    const sellable = amount.div(stepSize).floor().mul(stepSize);
    throw refuse(
      'amount-precision',
      'Amount is not a multiple of the lot size',
      'amount',
      `${order.symbol} trades in steps of ${stepSize.toFixed()}; ${order.amount} is not a multiple (sell ${sellable.toFixed()} and keep the rest)`,
      { stepSize: stepSize.toFixed(), sellableAmount: sellable.toFixed() },
    );
  }
  const limitPrice = order.limitPrice === undefined ? undefined : new Decimal(order.limitPrice);
  if (limitPrice && !limitPrice.mod(tickSize).isZero()) {
    throw refuse(
      'price-precision',
      'Limit price is not a multiple of the tick size',
      'limitPrice',
      `${order.symbol} prices move in ticks of ${tickSize.toFixed()}`,
      { tickSize: tickSize.toFixed() },
    );
  }
  if (amount.lt(rules.minQty)) {
    throw refuse(
      'below-minimum-quantity',
      'Amount below the minimum',
      'amount',
      `${order.symbol}: minimum ${rules.minQty}`,
      {
        minQty: rules.minQty,
      },
    );
  }
  const maxQty = new Decimal(order.type === 'market' ? limits.marketOrderMaxQty : limits.maxQty);
  if (amount.gt(maxQty)) {
    throw refuse(
      'above-maximum-order-size',
      'Order larger than allowed',
      'amount',
      `${order.symbol}: a ${order.type} order may sell at most ${maxQty.toFixed()}; slice it`,
      { maxQty: maxQty.toFixed() },
    );
  }
  const minNotional = new Decimal(limits.minNotional);
  const notional = amount.mul(limitPrice ?? facts.reference);
  if (notional.lt(minNotional)) {
    throw refuse(
      'below-minimum-notional',
      'Order value below the minimum',
      'amount',
      `${order.symbol}: ${notional.toFixed()} ${rules.quote} is below the minimum ${minNotional.toFixed()}`,
      { minNotional: minNotional.toFixed() },
    );
  }

  // The lowest price the order could fill at: its limit, or for a market order the deepest bid it reaches.
  const priceField = order.type === 'limit' ? 'limitPrice' : 'amount';
  const lowest = limitPrice ?? facts.worstMarketFill;
  if (!lowest) {
    throw refuse(
      'insufficient-depth',
      'The book cannot take a market order this large',
      'amount',
      `${order.symbol}: the visible bids do not cover ${order.amount}; use limit orders`,
    );
  }
  const bandFloor = facts.reference.mul(new Decimal(1).minus(market.priceBand));
  if (lowest.lt(bandFloor)) {
    throw refuse(
      'outside-price-band',
      'Price outside the band around the reference price',
      priceField,
      `${order.symbol}: ${lowest.toFixed()} is below ${bandFloor.toFixed()} (reference ${facts.reference.toFixed()} less ${new Decimal(market.priceBand).mul(100).toFixed()}%)`,
      { reference: facts.reference.toFixed(), bandFloor: bandFloor.toFixed(), price: lowest.toFixed() },
    );
  }
  if (facts.floor && lowest.lt(facts.floor)) {
    throw refuse(
      'below-legal-floor',
      'Price below the legal floor',
      priceField,
      `${order.symbol}: ${lowest.toFixed()} is below the legal floor ${facts.floor.toFixed()}`,
      { floor: facts.floor.toFixed(), price: lowest.toFixed() },
    );
  }

  const caps: [string, string | undefined, Decimal][] = [
    ['case', market.dailyCapPerCase, facts.soldToday.case],
    ['global', market.dailyCapGlobal, facts.soldToday.global],
  ];
  for (const [scope, cap, sold] of caps) {
    if (cap !== undefined && sold.plus(amount).gt(cap)) {
      throw refuse(
        'daily-cap-exceeded',
        `Daily ${scope} cap exceeded`,
        'amount',
        `${order.symbol}: ${sold.toFixed()} ${rules.base} already sold today (${scope}); ${order.amount} more would pass the cap of ${cap}`,
        { scope, cap, soldToday: sold.toFixed() },
      );
    }
  }
  return { bandFloor: bandFloor.toFixed() };
}

export { Problem };
