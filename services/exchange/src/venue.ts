/**
 * What the exchange service needs from a venue, in the service's own terms: decimal strings for every
 * amount, contract enums for statuses. `CcxtVenue` implements it for HashKey through ccxt; a later
 * issue adds other venues behind the same interface.
 */
import type { common } from '@vcdc/shared/contracts';
import type { BidsAndTop, MarketDataSource } from './market-data';

type Chain = common.Chain;

export interface MarketRules {
  symbol: string;
  base: string;
  quote: string;
  /** Quantities must be whole multiples of this. */
  stepSize: string;
  /** Prices must be whole multiples of this. */
  tickSize: string;
  minQty: string;
  maxQty: string;
  marketOrderMaxQty: string;
  minNotional: string;
}

export interface TradingFees {
  maker: string;
  taker: string;
}

export interface OrderSnapshot {
  venueOrderId: string;
  clientOrderId: string;
  symbol: string;
  side: 'buy' | 'sell';
  type: 'market' | 'limit';
  amount: string;
  /**
   * How much of it the venue has executed, as its order answer says; absent when the answer does not
   * say. Its fills are fetched only when this is more than the fills already recorded.
   */
  filled?: string;
  status: 'open' | 'closed' | 'canceled' | 'rejected';
  createdAt: Date;
  /** The venue's time of the order's last change (how it ended, once it has). */
  updatedAt?: Date;
}

export interface FillSnapshot {
  tradeId: string;
  venueOrderId: string;
  price: string;
  amount: string;
  fee: string;
  feeCurrency: string;
  tradedAt: Date;
}

export interface DepositSnapshot {
  venueDepositId: string;
  txHash: string;
  asset: string;
  amount: string;
  /** HELD: the venue has the coins but holds them for review instead of crediting them. */
  status: 'PENDING' | 'HELD' | 'CREDITED' | 'FAILED';
  /** The venue's reason, while HELD. */
  holdReason?: string;
}

export interface WithdrawalSnapshot {
  withdrawalId: string;
  clientRef: string | null;
  currency: string;
  amount: string;
  fee: string;
  netAmount: string;
  bankAccountId: string;
  status: 'PENDING' | 'COMPLETED' | 'FAILED';
  createdAt: Date;
}

/** What the venue publishes about withdrawing a coin on a chain. */
export interface WithdrawalTerms {
  allowed: boolean;
  /** Flat fee per withdrawal, in the coin, taken out of the amount. */
  fee: string;
  minAmount: string;
}

export interface CryptoWithdrawalRequest {
  asset: string;
  chain: Chain;
  amount: string;
  address: string;
  /** The venue's client id for the withdrawal: a repeat with the same ref is refused by the venue. */
  clientRef: string;
}

export interface CryptoWithdrawalSnapshot {
  withdrawalId: string;
  clientRef: string | null;
  asset: string;
  amount: string;
  fee: string;
  netAmount: string;
  address: string;
  /** The chain transaction, once the venue has broadcast it. */
  txHash: string | null;
  /** PENDING: not on chain yet; SENT: broadcast (txHash); FAILED: the venue gave up (and restored the balance). */
  status: 'PENDING' | 'SENT' | 'FAILED';
  /** The venue's remark on a failed withdrawal. */
  failure: string | null;
  createdAt: Date;
}

export interface SellOrderRequest {
  symbol: string;
  type: 'market' | 'limit';
  amount: string;
  limitPrice?: string;
  clientOrderId: string;
}

export interface WithdrawalRequest {
  currency: string;
  amount: string;
  bankAccountId: string;
  /** The venue's client id for the withdrawal: a repeat with the same ref is refused by the venue. */
  clientRef: string;
}

/** The trading venue is also a source of market data (its own book and candles). */
export interface Venue extends MarketDataSource {
  /** The venue's name in records ("hashkey"). */
  readonly id: string;
  /** The bids of the current book, best first (how deep a market order would reach). */
  bids(symbol: string): Promise<{ price: string; qty: string }[]>;
  /** The bids as `bids` and the top of book as `topOfBook`, from one read of the book. */
  bidsAndTop(symbol: string): Promise<BidsAndTop>;
  marketRules(symbol: string): Promise<MarketRules | undefined>;
  /** The account's fee rates on a market (fractions, e.g. "0.001"): maker for resting orders, taker for the rest. */
  tradingFees(symbol: string): Promise<TradingFees>;
  depositAddress(asset: string, chain: Chain): Promise<{ address: string; tag?: string }>;
  /** The venue's record of a deposit by chain transaction hash; undefined while it has not seen it. */
  findDeposit(asset: string, txHash: string): Promise<DepositSnapshot | undefined>;
  findOrder(symbol: string, clientOrderId: string): Promise<OrderSnapshot | undefined>;
  placeSellOrder(order: SellOrderRequest): Promise<OrderSnapshot>;
  /** Cancel the open remainder of an order; an order that already ended is not an error (its snapshot is returned). */
  cancelOrder(symbol: string, clientOrderId: string): Promise<OrderSnapshot | undefined>;
  orderFills(symbol: string, order: { venueOrderId: string; clientOrderId: string }): Promise<FillSnapshot[]>;
  withdraw(request: WithdrawalRequest): Promise<{ withdrawalId: string }>;
  findWithdrawal(
    currency: string,
    by: { withdrawalId: string } | { clientRef: string },
  ): Promise<WithdrawalSnapshot | undefined>;
  /** The fee and minimum of a crypto withdrawal, as the venue publishes them. */
  withdrawalTerms(asset: string, chain: Chain): Promise<WithdrawalTerms>;
  /** The fee and minimum of a fiat withdrawal by bank wire, as the venue publishes them. */
  fiatWithdrawalTerms(currency: string): Promise<WithdrawalTerms>;
  /** The account's free (tradable, withdrawable) balance of an asset. */
  freeBalance(asset: string): Promise<string>;
  /** Send coins to an address on a chain (returns to custody). */
  withdrawCrypto(request: CryptoWithdrawalRequest): Promise<{ withdrawalId: string }>;
  findCryptoWithdrawal(
    asset: string,
    by: { withdrawalId: string } | { clientRef: string },
  ): Promise<CryptoWithdrawalSnapshot | undefined>;
}

/**
 * A venue call that failed. `unavailable`: no answer or a transient venue fault (retry);
 * `refused`: the venue said no to this request (do not retry); `fault`: anything else (retry, alert).
 */
export class VenueCallError extends Error {
  constructor(
    readonly kind: 'unavailable' | 'refused' | 'fault',
    /** Stable slug for the refusal, e.g. "insufficient-funds". */
    readonly reason: string,
    message: string,
    /** The venue's error class as ccxt raised it, for logs. */
    readonly venueError?: string,
  ) {
    super(message);
    this.name = 'VenueCallError';
  }
}
