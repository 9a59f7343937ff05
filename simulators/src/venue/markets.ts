/**
 * The venue's listed spot markets and coins, with the trading rules HashKey publishes in exchangeInfo
 * (tick size, lot size, minimum notional, market-order size limit, price band). The figures follow
 * HashKey's public snapshot where the design names them (BTC: limit orders up to 8, market orders up
 * to 4, a 20% price band); the rest are plausible values for a simulator, not quotes of the real venue.
 */
import type { Chain } from '../../../packages/shared/src/contracts/common';

export interface MarketSpec {
  /** Venue id, e.g. "BTCUSDT". */
  id: string;
  base: string;
  quote: string;
  tickSize: string;
  /** Lot size: quantities are whole multiples of this. */
  stepSize: string;
  minQty: string;
  maxQty: string;
  marketOrderMaxQty: string;
  minNotional: string;
  /** A limit sell may not be priced more than this fraction below the reference price (price band). */
  sellPriceDownRate: string;
  /** Mid price the seeded book is built around. */
  mid: string;
  /** Range of quantity per simulated book level, in base units. */
  levelQty: [string, string];
}

export const DEFAULT_MARKETS: MarketSpec[] = [
  {
    id: 'BTCUSDT',
    base: 'BTC',
    quote: 'USDT',
    tickSize: '0.01',
    stepSize: '0.00001',
    minQty: '0.00001',
    maxQty: '8',
    marketOrderMaxQty: '4',
    minNotional: '1',
    sellPriceDownRate: '0.2',
    mid: '95000',
    levelQty: ['0.2', '1.5'],
  },
  {
    id: 'ETHUSDT',
    base: 'ETH',
    quote: 'USDT',
    tickSize: '0.01',
    stepSize: '0.0001',
    minQty: '0.0001',
    maxQty: '200',
    marketOrderMaxQty: '100',
    minNotional: '1',
    sellPriceDownRate: '0.2',
    mid: '3400',
    levelQty: ['2', '25'],
  },
  // Direct fiat pairs: the same coins against USD, priced at the stablecoin pair's mid times USDT/USD, with a
  // thinner book (fewer participants trade crypto for fiat directly), so a large lot may not find enough depth.
  // BTC/USD shows some 2-3 BTC within 50 bp of its best bid: under three times the demo's 1.25 BTC lot, so the
  // demo sells BTC through USDT; ETH/USD (some 80 ETH within 50 bp) holds its 4.5 ETH lot and sells it directly.
  {
    id: 'BTCUSD',
    base: 'BTC',
    quote: 'USD',
    tickSize: '0.01',
    stepSize: '0.00001',
    minQty: '0.00001',
    maxQty: '8',
    marketOrderMaxQty: '4',
    minNotional: '1',
    sellPriceDownRate: '0.2',
    mid: '94952.5',
    levelQty: ['0.01', '0.2'],
  },
  {
    id: 'ETHUSD',
    base: 'ETH',
    quote: 'USD',
    tickSize: '0.01',
    stepSize: '0.0001',
    minQty: '0.0001',
    maxQty: '200',
    marketOrderMaxQty: '100',
    minNotional: '1',
    sellPriceDownRate: '0.2',
    mid: '3398.3',
    levelQty: ['0.5', '6'],
  },
  {
    id: 'USDTUSD',
    base: 'USDT',
    quote: 'USD',
    tickSize: '0.0001',
    stepSize: '0.01',
    minQty: '1',
    maxQty: '2000000',
    marketOrderMaxQty: '1000000',
    minNotional: '1',
    sellPriceDownRate: '0.05',
    mid: '0.9995',
    levelQty: ['20000', '200000'],
  },
];

/** Where the venue takes deposits of a coin: the chain it watches and the chainType names HashKey uses. */
export interface CoinSpec {
  coin: string;
  fullName: string;
  /** Crypto coins are deposited on a chain; fiat only comes and goes by bank transfer. */
  kind: 'crypto' | 'fiat';
  chain?: Chain;
  /** chainType values accepted in requests; the first is the one exchangeInfo lists. */
  chainTypes: string[];
  minWithdraw: string;
}

export const COINS: CoinSpec[] = [
  {
    coin: 'BTC',
    fullName: 'Bitcoin',
    kind: 'crypto',
    chain: 'bitcoin',
    chainTypes: ['BTC', 'Bitcoin'],
    minWithdraw: '0.002',
  },
  {
    coin: 'ETH',
    fullName: 'Ethereum',
    kind: 'crypto',
    chain: 'ethereum',
    chainTypes: ['ETH', 'ERC20'],
    minWithdraw: '0.01',
  },
  {
    coin: 'USDT',
    fullName: 'Tether USD',
    kind: 'crypto',
    chain: 'ethereum',
    chainTypes: ['ETH', 'ERC20'],
    minWithdraw: '10',
  },
  // Fiat leaves by bank wire only; "BANK" is the simulator's chainType for that channel.
  { coin: 'USD', fullName: 'US Dollar', kind: 'fiat', chainTypes: ['BANK'], minWithdraw: '100' },
];

export function coinSpec(coin: string): CoinSpec | undefined {
  return COINS.find((c) => c.coin === coin);
}

/** The exchangeInfo `symbols[]` entry in HashKey's shape (what ccxt's parseMarket reads). */
export function exchangeInfoSymbol(m: MarketSpec) {
  return {
    symbol: m.id,
    symbolName: m.id,
    status: 'TRADING',
    baseAsset: m.base,
    baseAssetName: m.base,
    baseAssetPrecision: m.stepSize,
    quoteAsset: m.quote,
    quoteAssetName: m.quote,
    quotePrecision: m.tickSize,
    retailAllowed: false,
    piAllowed: true,
    corporateAllowed: true,
    omnibusAllowed: true,
    icebergAllowed: false,
    isAggregate: false,
    allowMargin: false,
    filters: [
      { minPrice: m.tickSize, maxPrice: '10000000', tickSize: m.tickSize, filterType: 'PRICE_FILTER' },
      {
        minQty: m.minQty,
        maxQty: m.maxQty,
        stepSize: m.stepSize,
        marketOrderMinQty: m.minQty,
        marketOrderMaxQty: m.marketOrderMaxQty,
        filterType: 'LOT_SIZE',
      },
      { minNotional: m.minNotional, filterType: 'MIN_NOTIONAL' },
      { maxSellPrice: '0', buyPriceUpRate: '0.2', sellPriceDownRate: m.sellPriceDownRate, filterType: 'LIMIT_TRADING' },
      { buyPriceUpRate: '0.2', sellPriceDownRate: m.sellPriceDownRate, filterType: 'MARKET_TRADING' },
    ],
  };
}

export function exchangeInfoCoin(c: CoinSpec, withdrawFee: string) {
  return {
    orgId: '9001',
    coinId: c.coin,
    coinName: c.coin,
    coinFullName: c.fullName,
    allowWithdraw: true,
    allowDeposit: c.kind === 'crypto',
    tokenType: c.kind === 'fiat' ? 'REAL_MONEY' : c.coin === 'USDT' ? 'ERC20_TOKEN' : 'CHAIN_TOKEN',
    chainTypes: [
      {
        chainType: c.chainTypes[0],
        withdrawFee,
        minWithdrawQuantity: c.minWithdraw,
        maxWithdrawQuantity: '0',
        minDepositQuantity: '0',
        allowDeposit: c.kind === 'crypto',
        allowWithdraw: true,
      },
    ],
  };
}
