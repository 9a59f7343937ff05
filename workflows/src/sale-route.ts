/**
 * The sale route of a coin lot, pure (deterministic, usable in workflow code): sold straight for fiat
 * on the direct market (BTC/USD) where that book is liquid enough for the lot, else through the
 * stablecoin (BTC/USDT, then USDT/USD: two legs, two fees, but the deep books). "Liquid enough" is a
 * rule on what the direct market shows now: its bid quantity within a band under the best bid (the
 * exchange service's GET /v1/markets/:base/:quote/depth?bandBp=, sale activity `getMarketDepth`) must
 * be at least `minDepthMultiple` times the lot, so the engine's slices can sell the lot inside the
 * band without emptying the book.
 */
import { Decimal } from '@vcdc/shared/money';

export type SaleRoute = 'DIRECT' | 'VIA_STABLECOIN';

export interface RouteRule {
  /** The band under the direct market's best bid the depth is counted in (basis points), e.g. "50". */
  bandBp: string;
  /** The visible depth within the band must be at least this many times the lot, e.g. "3". */
  minDepthMultiple: string;
}

export const DEFAULT_ROUTE_RULE: RouteRule = { bandBp: '50', minDepthMultiple: '3' };

/** What the direct market shows (the exchange service's MarketDepth, or the part of it the rule reads). */
export interface DirectDepth {
  symbol: string;
  bandBp: string;
  bidDepth: string;
}

export interface RouteChoice {
  route: SaleRoute;
  /** The direct market asked about (e.g. "BTC/USD"). */
  directSymbol: string;
  /** Depth the rule required (lot × multiple) and the depth seen; absent when the direct market could not be read. */
  required: string;
  seen?: string;
  /** Why, in words for the case record and the Web UI. */
  reason: string;
}

/** The direct market of a coin against the fiat the case is paid in. */
export function directSymbol(asset: string, fiat: string): string {
  return `${asset}/${fiat}`;
}

/**
 * DIRECT when the direct market's visible bid depth within the rule's band is at least
 * `minDepthMultiple` × the lot; VIA_STABLECOIN otherwise, and when the direct market is not listed or
 * could not be read (`direct` undefined). A depth measured over another band than the rule's is a
 * caller's error (thrown), never silently compared.
 */
export function chooseRoute(input: {
  asset: string;
  fiat: string;
  lot: string;
  direct: DirectDepth | undefined;
  rule?: RouteRule;
}): RouteChoice {
  const rule = input.rule ?? DEFAULT_ROUTE_RULE;
  const symbol = directSymbol(input.asset, input.fiat);
  const lot = new Decimal(input.lot);
  if (!lot.gt(0)) throw new Error(`chooseRoute: the lot must be above 0, not ${input.lot}`);
  const multiple = new Decimal(rule.minDepthMultiple);
  if (!multiple.gt(0)) throw new Error(`chooseRoute: minDepthMultiple must be above 0, not ${rule.minDepthMultiple}`);
  const required = lot.mul(multiple);
  if (!input.direct) {
    return {
      route: 'VIA_STABLECOIN',
      directSymbol: symbol,
      required: required.toFixed(),
      reason: `${symbol} is not listed or its book could not be read: sold through the stablecoin`,
    };
  }
  if (input.direct.symbol !== symbol) {
    throw new Error(`chooseRoute: depth of ${input.direct.symbol} given for the direct market ${symbol}`);
  }
  if (!new Decimal(input.direct.bandBp).eq(rule.bandBp)) {
    throw new Error(`chooseRoute: depth measured within ${input.direct.bandBp} bp, the rule counts ${rule.bandBp} bp`);
  }
  const seen = new Decimal(input.direct.bidDepth);
  const deep = seen.gte(required);
  return {
    route: deep ? 'DIRECT' : 'VIA_STABLECOIN',
    directSymbol: symbol,
    required: required.toFixed(),
    seen: seen.toFixed(),
    reason: `${symbol} shows ${seen.toFixed()} ${input.asset} of bids within ${rule.bandBp} bp of the best bid; ${deep ? 'at least' : 'under'} ${rule.minDepthMultiple} x the lot of ${lot.toFixed()} (${required.toFixed()}): ${deep ? 'sold directly for fiat' : 'sold through the stablecoin'}`,
  };
}
