/**
 * What the simulated OSL lists: its own markets (symbols "BTC-USDT"), its own precision (quantities to
 * 4 decimals, prices to 2), limits and fee schedule, and which pairs only professional investors may
 * trade. The book, ledger and matching are the venue simulator's engine (simulators/src/venue/venue.ts);
 * only the figures and the API differ. Plausible figures for a simulator, not quotes of the real venue.
 */
import type { MarketSpec } from '../venue/markets';

export type OslInvestorClass = 'retail' | 'professional';

export interface OslMarket extends MarketSpec {
  /** Decimal places OSL accepts and answers in a quantity (the engine's stepSize is 10^-quantityScale). */
  quantityScale: number;
  /** Decimal places of a price (the engine's tickSize is 10^-priceScale). */
  priceScale: number;
  /** Who may trade the pair: the fiat pairs are for professional investors only. */
  investorClasses: OslInvestorClass[];
}

export const OSL_MARKETS: OslMarket[] = [
  {
    id: 'BTC-USDT',
    base: 'BTC',
    quote: 'USDT',
    quantityScale: 4,
    priceScale: 2,
    tickSize: '0.01',
    stepSize: '0.0001',
    minQty: '0.0005',
    maxQty: '5',
    marketOrderMaxQty: '2',
    minNotional: '10',
    sellPriceDownRate: '0.1',
    mid: '95040',
    levelQty: ['0.1', '1.2'],
    investorClasses: ['retail', 'professional'],
  },
  {
    id: 'ETH-USDT',
    base: 'ETH',
    quote: 'USDT',
    quantityScale: 4,
    priceScale: 2,
    tickSize: '0.01',
    stepSize: '0.0001',
    minQty: '0.01',
    maxQty: '150',
    marketOrderMaxQty: '60',
    minNotional: '10',
    sellPriceDownRate: '0.1',
    mid: '3401',
    levelQty: ['1', '20'],
    investorClasses: ['retail', 'professional'],
  },
  {
    id: 'BTC-USD',
    base: 'BTC',
    quote: 'USD',
    quantityScale: 4,
    priceScale: 2,
    tickSize: '0.01',
    stepSize: '0.0001',
    minQty: '0.0005',
    maxQty: '5',
    marketOrderMaxQty: '2',
    minNotional: '10',
    sellPriceDownRate: '0.1',
    mid: '94990',
    levelQty: ['0.05', '0.5'],
    investorClasses: ['professional'],
  },
  {
    id: 'ETH-USD',
    base: 'ETH',
    quote: 'USD',
    quantityScale: 4,
    priceScale: 2,
    tickSize: '0.01',
    stepSize: '0.0001',
    minQty: '0.01',
    maxQty: '150',
    marketOrderMaxQty: '60',
    minNotional: '10',
    sellPriceDownRate: '0.1',
    mid: '3399',
    levelQty: ['0.5', '8'],
    investorClasses: ['professional'],
  },
];

/** OSL's fee schedule: 0.15% taker, 0.12% maker (HashKey's simulator: 0.10% / 0.08%). */
export const OSL_FEES = { takerFee: '0.0015', makerFee: '0.0012' } as const;
/** Flat fee per bank wire, and per crypto withdrawal by coin. */
export const OSL_WIRE_FEE = '25';
export const OSL_NETWORK_FEES: Record<string, string> = { BTC: '0.0004', ETH: '0.004', USDT: '5' };

/** OSL's network names, to the engine's chainType for the coin (simulators/src/venue/markets.ts COINS). */
export const OSL_NETWORKS: Record<string, string> = { BITCOIN: 'BTC', ETHEREUM: 'ETH', WIRE: 'BANK' };

export function oslNetworkOf(chainType: string): string {
  return Object.entries(OSL_NETWORKS).find(([, c]) => c === chainType)?.[0] ?? chainType;
}
