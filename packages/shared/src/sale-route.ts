/**
 * The sale route of a coin lot, pure (deterministic, usable in workflow code): sold straight for fiat
 * on the direct market (BTC/USD) where that book is liquid enough for the lot, else through the
 * stablecoin (BTC/USDT, then USDT/USD: two legs, two fees, but the deep books). "Liquid enough" is a
 * rule on what the direct market shows now: its bid quantity within a band under the best bid must
 * be at least `minDepthMultiple` times the lot, so the engine's slices can sell the lot inside the
 * band without emptying the book. The exchange service applies it to the venue's book and keeps the
 * choice (POST /v1/cases/:caseId/route-choices, services/exchange/src/route-choices.ts) and applies it
 * again to what it kept for the best-execution report; the case workflow applies it only to fall back
 * to the stablecoin when the service cannot be asked. The disposal plan may name the stablecoin route outright
 * (`disposal.route.mode: VIA_STABLECOIN`); its band and multiple override the defaults.
 */
import { Decimal } from './money';

export type SaleRoute = 'DIRECT' | 'VIA_STABLECOIN';

export interface RouteRule {
  /** AUTO: direct where the direct market is deep enough; VIA_STABLECOIN: always through the stablecoin. */
  mode: 'AUTO' | 'VIA_STABLECOIN';
  /** The band under the direct market's best bid the depth is counted in (basis points), e.g. "50". */
  bandBp: string;
  /** The visible depth within the band must be at least this many times the lot, e.g. "3". */
  minDepthMultiple: string;
}

export const DEFAULT_ROUTE_RULE: RouteRule = { mode: 'AUTO', bandBp: '50', minDepthMultiple: '3' };

/** The rule a disposal plan's `route` (case-input.ts) sets: what it names, the defaults for the rest. */
export function routeRuleOf(plan?: {
  mode?: RouteRule['mode'];
  depthBandBp?: string;
  minDepthMultiple?: string;
}): RouteRule {
  return {
    mode: plan?.mode ?? DEFAULT_ROUTE_RULE.mode,
    bandBp: plan?.depthBandBp ?? DEFAULT_ROUTE_RULE.bandBp,
    minDepthMultiple: plan?.minDepthMultiple ?? DEFAULT_ROUTE_RULE.minDepthMultiple,
  };
}

/** What the direct market shows (the exchange service's MarketDepth, or the part of it the rule reads). */
export interface DirectDepth {
  symbol: string;
  bandBp: string;
  bidDepth: string;
}

export interface RouteChoice {
  asset: string;
  /** The quantity the choice was made for. */
  lot: string;
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

/** Whether the rule needs the direct market's depth read before it can choose. */
export function needsDepth(rule: RouteRule): boolean {
  return rule.mode === 'AUTO';
}

/**
 * DIRECT when the direct market's visible bid depth within the rule's band is at least
 * `minDepthMultiple` × the lot; VIA_STABLECOIN otherwise, when the plan names that route, and when the
 * direct market is not listed or could not be read (`direct` undefined; `unread` says why). A depth
 * measured over another band than the rule's is a caller's error (thrown), never silently compared.
 */
export function chooseRoute(input: {
  asset: string;
  fiat: string;
  lot: string;
  direct: DirectDepth | undefined;
  rule?: RouteRule;
  unread?: string;
}): RouteChoice {
  const rule = input.rule ?? DEFAULT_ROUTE_RULE;
  const symbol = directSymbol(input.asset, input.fiat);
  const lot = new Decimal(input.lot);
  if (!lot.gt(0)) throw new Error(`chooseRoute: the lot must be above 0, not ${input.lot}`);
  const multiple = new Decimal(rule.minDepthMultiple);
  if (!multiple.gt(0)) throw new Error(`chooseRoute: minDepthMultiple must be above 0, not ${rule.minDepthMultiple}`);
  const required = lot.mul(multiple);
  const asked = { asset: input.asset, lot: lot.toFixed(), directSymbol: symbol, required: required.toFixed() };
  if (!needsDepth(rule)) {
    return { ...asked, route: 'VIA_STABLECOIN', reason: 'the disposal plan sells through the stablecoin' };
  }
  if (!input.direct) {
    return {
      ...asked,
      route: 'VIA_STABLECOIN',
      reason: `${symbol} is not listed or its book could not be read${input.unread ? ` (${input.unread})` : ''}: sold through the stablecoin`,
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
    ...asked,
    route: deep ? 'DIRECT' : 'VIA_STABLECOIN',
    seen: seen.toFixed(),
    reason: `${symbol} shows ${seen.toFixed()} ${input.asset} of bids within ${rule.bandBp} bp of the best bid; ${deep ? 'at least' : 'under'} ${rule.minDepthMultiple} x the lot of ${lot.toFixed()} (${required.toFixed()}): ${deep ? 'sold directly for fiat' : 'sold through the stablecoin'}`,
  };
}
