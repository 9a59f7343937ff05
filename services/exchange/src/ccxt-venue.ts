/**
 * The venue reached through ccxt, and the one place that maps ccxt to the service's terms.
 *
 * Precision: ccxt's unified structures carry JS numbers (floats), which could round a unit away.
 * Every amount here is read from the venue's raw answer (`info`, decimal strings exactly as the venue
 * sent them) and handled as Decimal; ccxt's parsed numbers are never used for money. Amounts sent to
 * the venue are decimal strings checked against the market's step and tick first, so ccxt's own
 * precision formatting (which truncates) never changes them — and that is verified before sending.
 *
 * The raw field names are HashKey's (the only venue mapped so far).
 */
import { inSpan, SpanKind } from '@vcdc/shared';
import type { common } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import ccxt, { type Exchange } from 'ccxt';
import type { RequestLimit } from './capabilities';
import { type BidsAndTop, CcxtMarketData, type DailyClose, exactDecimal, type TopOfBook } from './market-data';
import {
  type CryptoWithdrawalRequest,
  type CryptoWithdrawalSnapshot,
  type DepositSnapshot,
  type FillSnapshot,
  type MarketRules,
  type OrderSnapshot,
  type SellOrderRequest,
  type TradingFees,
  type Venue,
  VenueCallError,
  type WithdrawalRequest,
  type WithdrawalSnapshot,
  type WithdrawalTerms,
} from './venue';
import { loadMarketsForgettingFailures } from './venue-markets';
import { paceByLimit } from './venue-pacing';
import { signWithNodeCrypto } from './venue-signing';

export interface CcxtVenueOptions {
  /** ccxt exchange id; "hashkey". */
  venueId: 'hashkey';
  apiUrl: string;
  apiKey: string;
  secret: string;
  timeoutMs: number;
  /** ccxt's client-side request pacing; keep it on against a real venue. */
  enableRateLimit?: boolean;
  /** The venue's request limit (capability table): paces the client by it instead of ccxt's default. */
  requestLimit?: RequestLimit;
}

/** ccxt network code per chain for deposit addresses (HashKey chainType BTC / ETH). */
export const NETWORK_OF_CHAIN: Record<common.Chain, string> = { bitcoin: 'BTC', ethereum: 'ERC20' };
/** Fiat leaves the venue by bank wire; the venue simulator's channel name for that is "BANK". */
const FIAT_NETWORK = 'BANK';
/** HashKey chainType per chain, as its exchangeInfo lists a coin's withdrawal channels (ccxt maps ERC20 to ETH). */
const CHAIN_TYPE_OF_CHAIN: Record<common.Chain, string> = { bitcoin: 'BTC', ethereum: 'ETH' };
/**
 * HashKey deposit status 5 — a deposit the venue has but does not credit (ccxt parses it as "pending",
 * like 1 and 2); the venue gives its reason in the record's `remark`.
 */
const HELD_DEPOSIT_STATUS = '5';

type Raw = Record<string, unknown>;

export function str(raw: Raw, key: string): string {
  const value = raw[key];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  throw new VenueCallError('fault', 'venue-answer', `venue answer lacks ${key}`);
}

/** A venue decimal string in canonical form ("86.000" -> "86"). */
export function amount(raw: Raw, key: string): string {
  return new Decimal(str(raw, key)).toFixed();
}

function orderStatus(venueStatus: string): OrderSnapshot['status'] {
  switch (venueStatus) {
    case 'NEW':
    case 'PARTIALLY_FILLED':
    case 'ORDER_NEW':
      return 'open';
    case 'FILLED':
      return 'closed';
    case 'CANCELED':
    case 'PARTIALLY_CANCELED':
    case 'ORDER_CANCELED':
    case 'PENDING_CANCEL':
      return 'canceled';
    case 'REJECTED':
      return 'rejected';
    default:
      throw new VenueCallError('fault', 'venue-answer', `unknown order status ${venueStatus}`);
  }
}

/** ccxt's error classes, to the service's three kinds of failure (for every venue reached through ccxt). */
export function ccxtFailure(what: string, error: unknown): Error {
  if (error instanceof VenueCallError) return error;
  const c = ccxt;
  const message = `${what}: ${error instanceof Error ? error.message : String(error)}`;
  const name = error instanceof Error ? error.constructor.name : undefined;
  // NetworkError covers timeouts, dropped connections, venue maintenance and clock skew (InvalidNonce).
  if (error instanceof c.NetworkError) return new VenueCallError('unavailable', 'venue-unavailable', message, name);
  if (error instanceof c.DuplicateOrderId) {
    return new VenueCallError('refused', 'duplicate-client-order-id', message, name);
  }
  if (error instanceof c.InsufficientFunds) return new VenueCallError('refused', 'insufficient-funds', message, name);
  if (error instanceof c.PermissionDenied) return new VenueCallError('refused', 'not-permitted', message, name);
  if (error instanceof c.AuthenticationError) return new VenueCallError('fault', 'venue-authentication', message, name);
  if (error instanceof c.InvalidAddress) return new VenueCallError('refused', 'invalid-address', message, name);
  if (error instanceof c.InvalidOrder || error instanceof c.BadRequest || error instanceof c.NotSupported) {
    return new VenueCallError('refused', 'venue-refused', message, name);
  }
  if (error instanceof c.BaseError) return new VenueCallError('fault', 'venue-error', message, name);
  return error instanceof Error ? error : new Error(message);
}

export class CcxtVenue implements Venue {
  readonly id: string;
  private readonly exchange: Exchange;

  /** Public market data of the same venue (book top, candles) through the same ccxt class. */
  private readonly data: CcxtMarketData;

  constructor(options: CcxtVenueOptions) {
    this.id = options.venueId;
    const ExchangeClass = ccxt[options.venueId];
    // One client for trading and the venue's own market data: one request budget for the venue's one limit.
    this.exchange = new ExchangeClass({
      apiKey: options.apiKey,
      secret: options.secret,
      timeout: options.timeoutMs,
      // With the venue's limit known the client paces itself by it (venue-pacing.ts), not by ccxt's default.
      enableRateLimit: (options.enableRateLimit ?? true) && !options.requestLimit,
      urls: { api: { public: options.apiUrl, private: options.apiUrl } },
    });
    if (options.requestLimit && options.enableRateLimit !== false) paceByLimit(this.exchange, options.requestLimit);
    signWithNodeCrypto(this.exchange);
    this.data = new CcxtMarketData({
      id: options.venueId,
      exchange: options.venueId,
      url: options.apiUrl,
      timeoutMs: options.timeoutMs,
      client: this.exchange,
    });
  }

  /** One venue call, in a client span of its own (the trace shows each call to the venue and its failure). */
  private call<T>(what: string, work: () => Promise<T>): Promise<T> {
    return inSpan(
      `venue ${what}`,
      { 'peer.service': 'venue', 'vcdc.venue': this.exchange.id },
      async () => {
        try {
          await loadMarketsForgettingFailures(this.exchange);
          return await work();
        } catch (error) {
          throw this.translate(what, error);
        }
      },
      { kind: SpanKind.CLIENT },
    );
  }

  private translate(what: string, error: unknown): Error {
    return ccxtFailure(what, error);
  }

  topOfBook(symbol: string): Promise<TopOfBook> {
    return this.data.topOfBook(symbol);
  }

  dailyCloses(symbol: string, from: Date, to: Date): Promise<DailyClose[]> {
    return this.data.dailyCloses(symbol, from, to);
  }

  minuteCandles(symbol: string, from: Date, to: Date): Promise<DailyClose[]> {
    return this.data.minuteCandles(symbol, from, to);
  }

  async bids(symbol: string): Promise<{ price: string; qty: string }[]> {
    return this.call('fetch order book', async () => {
      const book = await this.exchange.fetchOrderBook(symbol, 200);
      return book.bids.map(([price, qty]) => ({
        price: exactDecimal(price, 'bid'),
        qty: exactDecimal(qty, 'bid quantity'),
      }));
    });
  }

  bidsAndTop(symbol: string): Promise<BidsAndTop> {
    return this.data.bidsAndTop(symbol, 200);
  }

  async marketRules(symbol: string): Promise<MarketRules | undefined> {
    return this.call('load markets', async () => {
      const market = this.exchange.markets?.[symbol];
      if (!market?.spot) return undefined;
      const filters = ((market.info as Raw).filters ?? []) as Raw[];
      const filter = (type: string) => filters.find((f) => f.filterType === type) ?? {};
      const lot = filter('LOT_SIZE');
      return {
        symbol,
        base: market.base,
        quote: market.quote,
        stepSize: amount(lot, 'stepSize'),
        tickSize: amount(filter('PRICE_FILTER'), 'tickSize'),
        minQty: amount(lot, 'minQty'),
        maxQty: amount(lot, 'maxQty'),
        marketOrderMaxQty: amount(lot, 'marketOrderMaxQty'),
        minNotional: amount(filter('MIN_NOTIONAL'), 'minNotional'),
      };
    });
  }

  /** The account's rates as the venue states them (its VIP information), not ccxt's table of public tiers. */
  async tradingFees(symbol: string): Promise<TradingFees> {
    return this.call('fetch trading fee', async () => {
      const fee = await this.exchange.fetchTradingFee(symbol);
      const raw = (fee?.info ?? {}) as Raw;
      return { maker: amount(raw, 'actualMakerRate'), taker: amount(raw, 'actualTakerRate') };
    });
  }

  async depositAddress(asset: string, chain: common.Chain): Promise<{ address: string; tag?: string }> {
    return this.call('fetch deposit address', async () => {
      const result = await this.exchange.fetchDepositAddress(asset, { network: NETWORK_OF_CHAIN[chain] });
      return { address: String(result.address), ...(result.tag ? { tag: String(result.tag) } : {}) };
    });
  }

  async findDeposit(asset: string, txHash: string): Promise<DepositSnapshot | undefined> {
    return this.call('fetch deposits', async () => {
      const deposits = await this.exchange.fetchDeposits(asset, undefined, 200);
      const found = deposits.find((d) => (d.info as Raw).txId === txHash);
      if (!found) return undefined;
      const raw = found.info as Raw;
      // ccxt folds "held for review" into "pending"; the raw status code tells them apart.
      const held = String(raw.statusCode ?? raw.status) === HELD_DEPOSIT_STATUS;
      const status =
        found.status === 'ok' ? 'CREDITED' : found.status !== 'pending' ? 'FAILED' : held ? 'HELD' : 'PENDING';
      const remark = typeof raw.remark === 'string' ? raw.remark.trim() : '';
      return {
        venueDepositId: typeof raw.id === 'string' && raw.id ? raw.id : txHash,
        txHash,
        asset,
        amount: amount(raw, 'quantity'),
        status,
        ...(status === 'HELD' ? { holdReason: remark || 'held by the venue (no reason given)' } : {}),
      };
    });
  }

  private orderFromRaw(raw: Raw): OrderSnapshot {
    const type = str(raw, 'type');
    const time = Number(raw.transactTime ?? raw.time);
    const updated = Number(raw.updateTime);
    return {
      venueOrderId: str(raw, 'orderId'),
      clientOrderId: str(raw, 'clientOrderId'),
      symbol: this.exchange.safeMarket(str(raw, 'symbol')).symbol,
      side: str(raw, 'side') === 'SELL' ? 'sell' : 'buy',
      type: type === 'MARKET' || type === 'MARKET_OF_BASE' ? 'market' : 'limit',
      amount: amount(raw, 'origQty'),
      // HashKey's order answers (placement, look-up, cancel) all carry executedQty, but not the trades.
      ...(raw.executedQty !== undefined ? { filled: amount(raw, 'executedQty') } : {}),
      status: orderStatus(str(raw, 'status')),
      createdAt: new Date(Number.isFinite(time) ? time : Date.now()),
      ...(raw.updateTime !== undefined && Number.isFinite(updated) && updated > 0
        ? { updatedAt: new Date(updated) }
        : {}),
    };
  }

  async findOrder(symbol: string, clientOrderId: string): Promise<OrderSnapshot | undefined> {
    return this.call('fetch order', async () => {
      try {
        const order = await this.exchange.fetchOrder('', symbol, { clientOrderId });
        return this.orderFromRaw(order.info as Raw);
      } catch (error) {
        if (error instanceof ccxt.OrderNotFound) return undefined;
        throw error;
      }
    });
  }

  async placeSellOrder(order: SellOrderRequest): Promise<OrderSnapshot> {
    return this.call('create order', async () => {
      // ccxt formats amount and price to the market's precision (truncating). The service only sends
      // values that are already exact multiples; make sure ccxt sends exactly what was asked.
      const sentAmount = String(this.exchange.amountToPrecision(order.symbol, order.amount));
      if (!new Decimal(sentAmount).eq(order.amount)) {
        throw new VenueCallError('refused', 'amount-precision', `ccxt would send ${sentAmount} for ${order.amount}`);
      }
      if (order.limitPrice !== undefined) {
        const sentPrice = String(this.exchange.priceToPrecision(order.symbol, order.limitPrice));
        if (!new Decimal(sentPrice).eq(order.limitPrice)) {
          throw new VenueCallError(
            'refused',
            'price-precision',
            `ccxt would send ${sentPrice} for ${order.limitPrice}`,
          );
        }
      }
      // ccxt's typings say number; it takes decimal strings too, and a string never passes through a float.
      const created = await this.exchange.createOrder(
        order.symbol,
        order.type,
        'sell',
        order.amount as unknown as number,
        order.limitPrice as unknown as number | undefined,
        { clientOrderId: order.clientOrderId },
      );
      return this.orderFromRaw(created.info as Raw);
    });
  }

  async cancelOrder(symbol: string, clientOrderId: string): Promise<OrderSnapshot | undefined> {
    try {
      await this.call('cancel order', () => this.exchange.cancelOrder('', symbol, { clientOrderId }));
    } catch (error) {
      // Filled or cancelled meanwhile (or a lost answer to an earlier cancel): the venue's record says which.
      if (!(error instanceof VenueCallError && error.kind === 'refused')) throw error;
    }
    return this.findOrder(symbol, clientOrderId);
  }

  async orderFills(symbol: string, order: { venueOrderId: string; clientOrderId: string }): Promise<FillSnapshot[]> {
    return this.call('fetch trades', async () => {
      const trades = await this.exchange.fetchMyTrades(symbol, undefined, 1000, { clientOrderId: order.clientOrderId });
      return trades
        .map((t) => t.info as Raw)
        .filter((raw) => raw.orderId === order.venueOrderId)
        .map((raw) => ({
          tradeId: str(raw, 'id'),
          venueOrderId: str(raw, 'orderId'),
          price: amount(raw, 'price'),
          amount: amount(raw, 'qty'),
          fee: amount(raw, 'commission'),
          feeCurrency: str(raw, 'commissionAsset'),
          tradedAt: new Date(Number(str(raw, 'time'))),
        }));
    });
  }

  async withdraw(request: WithdrawalRequest): Promise<{ withdrawalId: string }> {
    return this.call('withdraw', async () => {
      const result = await this.exchange.withdraw(
        request.currency,
        request.amount as unknown as number,
        request.bankAccountId,
        undefined,
        { network: FIAT_NETWORK, clientOrderId: request.clientRef },
      );
      // HashKey answers { id: "0", orderId: "W..." }: the withdrawal's id is orderId.
      return { withdrawalId: str(result.info as Raw, 'orderId') };
    });
  }

  async findWithdrawal(
    currency: string,
    by: { withdrawalId: string } | { clientRef: string },
  ): Promise<WithdrawalSnapshot | undefined> {
    return this.call('fetch withdrawals', async () => {
      const withdrawals = await this.exchange.fetchWithdrawals(currency, undefined, 200);
      const found = withdrawals.find((w) => {
        const raw = w.info as Raw;
        return 'withdrawalId' in by ? raw.id === by.withdrawalId : raw.clientOrderId === by.clientRef;
      });
      if (!found) return undefined;
      const raw = found.info as Raw;
      const status = found.status === 'ok' ? 'COMPLETED' : found.status === 'pending' ? 'PENDING' : 'FAILED';
      return {
        withdrawalId: str(raw, 'id'),
        clientRef: typeof raw.clientOrderId === 'string' && raw.clientOrderId ? raw.clientOrderId : null,
        currency,
        amount: amount(raw, 'quantity'),
        fee: amount(raw, 'fee'),
        netAmount: amount(raw, 'arriveQuantity'),
        bankAccountId: str(raw, 'address'),
        status,
        createdAt: new Date(Number(str(raw, 'time'))),
      };
    });
  }

  async withdrawalTerms(asset: string, chain: common.Chain): Promise<WithdrawalTerms> {
    return this.channelTerms(asset, CHAIN_TYPE_OF_CHAIN[chain]);
  }

  async fiatWithdrawalTerms(currency: string): Promise<WithdrawalTerms> {
    return this.channelTerms(currency, FIAT_NETWORK);
  }

  /** A withdrawal channel's terms from the venue's currency list (exchangeInfo `coins[].chainTypes[]`). */
  private channelTerms(currency: string, chainType: string): Promise<WithdrawalTerms> {
    return this.call('load currencies', async () => {
      const info = (this.exchange.currencies?.[currency]?.info ?? {}) as Raw;
      const channels = (info.chainTypes ?? []) as Raw[];
      const channel = channels.find((c) => c.chainType === chainType);
      if (!channel) return { allowed: false, fee: '0', minAmount: '0' };
      return {
        allowed: channel.allowWithdraw === true && info.allowWithdraw !== false,
        fee: amount(channel, 'withdrawFee'),
        minAmount: amount(channel, 'minWithdrawQuantity'),
      };
    });
  }

  async freeBalance(asset: string): Promise<string> {
    return this.call('fetch balance', async () => {
      const balance = await this.exchange.fetchBalance();
      const rows = ((balance.info as Raw).balances ?? []) as Raw[];
      const row = rows.find((b) => b.asset === asset);
      return row ? amount(row, 'free') : '0';
    });
  }

  async withdrawCrypto(request: CryptoWithdrawalRequest): Promise<{ withdrawalId: string }> {
    return this.call('withdraw', async () => {
      // A decimal string, never a float (see the header); ccxt's typings say number.
      const result = await this.exchange.withdraw(
        request.asset,
        request.amount as unknown as number,
        request.address,
        undefined,
        { network: NETWORK_OF_CHAIN[request.chain], clientOrderId: request.clientRef },
      );
      return { withdrawalId: str(result.info as Raw, 'orderId') };
    });
  }

  async findCryptoWithdrawal(
    asset: string,
    by: { withdrawalId: string } | { clientRef: string },
  ): Promise<CryptoWithdrawalSnapshot | undefined> {
    return this.call('fetch withdrawals', async () => {
      const withdrawals = await this.exchange.fetchWithdrawals(asset, undefined, 200);
      const found = withdrawals.find((w) => {
        const raw = w.info as Raw;
        return 'withdrawalId' in by ? raw.id === by.withdrawalId : raw.clientOrderId === by.clientRef;
      });
      if (!found) return undefined;
      const raw = found.info as Raw;
      const txHash = typeof raw.txId === 'string' && raw.txId ? raw.txId : null;
      const failed = found.status === 'failed' || found.status === 'canceled' || found.status === 'cancelled';
      const remark = typeof raw.remark === 'string' && raw.remark ? raw.remark : null;
      return {
        withdrawalId: str(raw, 'id'),
        clientRef: typeof raw.clientOrderId === 'string' && raw.clientOrderId ? raw.clientOrderId : null,
        asset,
        amount: amount(raw, 'quantity'),
        fee: amount(raw, 'fee'),
        netAmount: amount(raw, 'arriveQuantity'),
        address: str(raw, 'address'),
        txHash,
        status: failed ? 'FAILED' : txHash ? 'SENT' : 'PENDING',
        failure: failed ? (remark ?? 'the venue reports the withdrawal failed') : null,
        createdAt: new Date(Number(str(raw, 'time'))),
      };
    });
  }
}
