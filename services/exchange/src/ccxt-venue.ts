/**
 * HashKey reached through ccxt, mapped to the service's terms (what every ccxt-backed venue shares,
 * the client, its calls and ccxt's errors, is ccxt-backed-venue.ts's).
 *
 * Precision: ccxt's unified structures carry JS numbers (floats), which could round a unit away.
 * Every amount here is read from the venue's raw answer (`info`, decimal strings exactly as the venue
 * sent them) and handled as Decimal; ccxt's parsed numbers are never used for money. Amounts sent to
 * the venue are decimal strings checked against the market's step and tick first, so ccxt's own
 * precision formatting (which truncates) never changes them — and that is verified before sending.
 *
 * The raw field names are HashKey's (the only venue mapped so far).
 */
import type { common } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import ccxt, { type Exchange } from 'ccxt';
import {
  amount,
  CcxtBackedVenue,
  type CcxtClientOptions,
  ccxtClientConfig,
  NETWORK_OF_CHAIN,
  str,
} from './ccxt-backed-venue';
import { exactDecimal } from './market-data';
import {
  type CryptoWithdrawalSnapshot,
  type DepositSnapshot,
  type FillSnapshot,
  type MarketRules,
  type OrderSnapshot,
  type SellOrderRequest,
  type TradingFees,
  type Venue,
  VenueCallError,
  type WithdrawalSnapshot,
  type WithdrawalTerms,
} from './venue';
import { signWithNodeCrypto } from './venue-signing';

export interface CcxtVenueOptions extends CcxtClientOptions {
  /** ccxt exchange id; "hashkey". */
  venueId: 'hashkey';
}

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

export class CcxtVenue extends CcxtBackedVenue<Exchange> implements Venue {
  constructor(options: CcxtVenueOptions) {
    const ExchangeClass = ccxt[options.venueId];
    // One client for trading and the venue's own market data: one request budget for the venue's one limit.
    super(options.venueId, options.venueId, new ExchangeClass(ccxtClientConfig(options)), options);
    signWithNodeCrypto(this.exchange);
  }

  protected readonly names = {
    fiatNetwork: FIAT_NETWORK,
    // HashKey answers a withdrawal { id: "0", orderId: "W..." }: the withdrawal's id is orderId.
    withdrawalId: 'orderId',
    balanceAsset: 'asset',
    balanceFree: 'free',
  };

  async bids(symbol: string): Promise<{ price: string; qty: string }[]> {
    return this.call('fetch order book', async () => {
      const book = await this.exchange.fetchOrderBook(symbol, 200);
      return book.bids.map(([price, qty]) => ({
        price: exactDecimal(price, 'bid'),
        qty: exactDecimal(qty, 'bid quantity'),
      }));
    });
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

  protected orderFromRaw(raw: Raw): OrderSnapshot {
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

  protected assertExact(order: SellOrderRequest): void {
    // ccxt formats amount and price to the market's precision (truncating). The service only sends
    // values that are already exact multiples; make sure ccxt sends exactly what was asked.
    const sentAmount = String(this.exchange.amountToPrecision(order.symbol, order.amount));
    if (!new Decimal(sentAmount).eq(order.amount)) {
      throw new VenueCallError('refused', 'amount-precision', `ccxt would send ${sentAmount} for ${order.amount}`);
    }
    if (order.limitPrice !== undefined) {
      const sentPrice = String(this.exchange.priceToPrecision(order.symbol, order.limitPrice));
      if (!new Decimal(sentPrice).eq(order.limitPrice)) {
        throw new VenueCallError('refused', 'price-precision', `ccxt would send ${sentPrice} for ${order.limitPrice}`);
      }
    }
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
