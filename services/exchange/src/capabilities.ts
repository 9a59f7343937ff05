/**
 * The venue capability table: per venue and market, what we may trade there — limits stricter than
 * (or not published in) the venue's own rules, and which investor classes may trade the market. The
 * venue's licence and bond are the register of licensed providers' (provider-register.ts), checked before
 * any order; the table no longer carries them (a `licenceExpires` in an older VENUE_CAPABILITIES is
 * ignored). The defaults follow the design's public snapshot of HashKey (BTC/USDT for
 * professional investors only, limit orders up to 8 BTC, market orders up to 4 BTC, a 20% price band);
 * a deployment replaces them with `VENUE_CAPABILITIES` (JSON, validated at start-up).
 */
import { Decimal, DecimalString, PositiveDecimalString } from '@vcdc/shared/money';
import { z } from 'zod';
import type { MarketRules } from './venue';

export const InvestorClass = z.enum(['retail', 'professional', 'corporate']);
export type InvestorClass = z.infer<typeof InvestorClass>;

export const MarketCapability = z.object({
  /** Largest limit order. */
  maxOrderQty: PositiveDecimalString,
  /** Largest market order. */
  maxMarketOrderQty: PositiveDecimalString,
  /** A sell may not be priced more than this fraction below the reference price. */
  priceBand: DecimalString,
  /** Overrides the venue's minimum notional where ours is stricter. */
  minNotional: DecimalString.optional(),
  tickSize: PositiveDecimalString.optional(),
  stepSize: PositiveDecimalString.optional(),
  investorClasses: z.array(InvestorClass).min(1),
  /** Most of one base asset sold per UTC day for one case, and for all cases together (absent: no cap). */
  dailyCapPerCase: PositiveDecimalString.optional(),
  dailyCapGlobal: PositiveDecimalString.optional(),
});
export type MarketCapability = z.infer<typeof MarketCapability>;

/**
 * How many requests the venue lets the account make in any rolling second (its API rate limit). The
 * service paces its venue client by it (venue-pacing.ts) instead of ccxt's conservative default (one
 * request per endpoint cost unit every 100 ms for HashKey, which queued twenty cases' calls behind one
 * another: issue 19).
 */
export const RequestLimit = z.object({
  perSecond: z.number().int().positive(),
});
export type RequestLimit = z.infer<typeof RequestLimit>;

export const VenueCapability = z.object({
  /** The venue's request limit; absent: ccxt's own pacing for the exchange class. */
  requestLimit: RequestLimit.optional(),
  markets: z.record(z.string().regex(/^[A-Z0-9]+\/[A-Z0-9]+$/), MarketCapability),
});
export type VenueCapability = z.infer<typeof VenueCapability>;
export const CapabilityTable = z.record(z.string().min(1), VenueCapability);
export type CapabilityTable = z.infer<typeof CapabilityTable>;

export const DEFAULT_CAPABILITIES: CapabilityTable = {
  hashkey: {
    // Not a figure HashKey publishes in the snapshot: the venue simulator's limit (VENUE_REQUESTS_PER_SECOND
    // in simulators/src/venue), so the dev stack runs at its real limit. A deployment sets its venue's own.
    requestLimit: { perSecond: 100 },
    markets: {
      'BTC/USDT': {
        maxOrderQty: '8',
        maxMarketOrderQty: '4',
        priceBand: '0.2',
        investorClasses: ['professional', 'corporate'],
      },
      'ETH/USDT': {
        maxOrderQty: '200',
        maxMarketOrderQty: '100',
        priceBand: '0.2',
        investorClasses: ['professional', 'corporate'],
      },
      // Direct fiat pairs (the route skips the stablecoin where the book is deep enough: @vcdc/shared/sale-route, src/route-choices.ts).
      'BTC/USD': {
        maxOrderQty: '8',
        maxMarketOrderQty: '4',
        priceBand: '0.2',
        investorClasses: ['professional', 'corporate'],
      },
      'ETH/USD': {
        maxOrderQty: '200',
        maxMarketOrderQty: '100',
        priceBand: '0.2',
        investorClasses: ['professional', 'corporate'],
      },
      'USDT/USD': {
        maxOrderQty: '2000000',
        maxMarketOrderQty: '1000000',
        priceBand: '0.05',
        investorClasses: ['professional', 'corporate'],
      },
    },
  },
  // The simulated OSL's own figures (simulators/src/osl/markets.ts): smaller largest orders, a 10% band,
  // the stablecoin pairs open to retail, the fiat pairs to professional investors only.
  osl: {
    requestLimit: { perSecond: 100 },
    markets: {
      'BTC/USDT': {
        maxOrderQty: '5',
        maxMarketOrderQty: '2',
        priceBand: '0.1',
        investorClasses: ['retail', 'professional', 'corporate'],
      },
      'ETH/USDT': {
        maxOrderQty: '150',
        maxMarketOrderQty: '60',
        priceBand: '0.1',
        investorClasses: ['retail', 'professional', 'corporate'],
      },
      'BTC/USD': {
        maxOrderQty: '5',
        maxMarketOrderQty: '2',
        priceBand: '0.1',
        investorClasses: ['professional', 'corporate'],
      },
      'ETH/USD': {
        maxOrderQty: '150',
        maxMarketOrderQty: '60',
        priceBand: '0.1',
        investorClasses: ['professional', 'corporate'],
      },
    },
  },
};

/**
 * The rules an order must keep: the venue's own (as it publishes them through ccxt) tightened by our
 * capability table — the smaller largest orders, the larger minimum notional, the coarser step and
 * tick. The one place both the pre-trade checks and the market's published rules (GET
 * /v1/markets/:base/:quote, which the sale engine slices by) take them from, so the engine never
 * offers a child order the checks would refuse.
 */
export function tradingRules(rules: MarketRules, market: MarketCapability | undefined): MarketRules {
  if (!market) return rules;
  const larger = (venue: string, ours: string | undefined) => Decimal.max(venue, ours ?? venue).toFixed();
  const smaller = (venue: string, ours: string) => Decimal.min(venue, ours).toFixed();
  return {
    ...rules,
    stepSize: larger(rules.stepSize, market.stepSize),
    tickSize: larger(rules.tickSize, market.tickSize),
    maxQty: smaller(rules.maxQty, market.maxOrderQty),
    marketOrderMaxQty: smaller(rules.marketOrderMaxQty, market.maxMarketOrderQty),
    minNotional: larger(rules.minNotional, market.minNotional),
  };
}
