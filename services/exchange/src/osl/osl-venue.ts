/**
 * OSL as a `Venue`: our ccxt class for OSL (osl-exchange.ts) mapped to the service's terms, as
 * ccxt-venue.ts maps HashKey's. The same rules hold: every amount is read from OSL's raw answer (`info`,
 * decimal strings at OSL's precision) as Decimal, amounts sent are decimal strings checked against the
 * market's step and tick first, and ccxt's error classes become the service's three kinds of failure.
 */
import { inSpan, SpanKind } from '@vcdc/shared';
import type { common } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import ccxt from 'ccxt';
import type { RequestLimit } from '../capabilities';
import { amount, ccxtFailure, NETWORK_OF_CHAIN, str } from '../ccxt-venue';
import { type BidsAndTop, CcxtMarketData, type DailyClose, type TopOfBook } from '../market-data';
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
} from '../venue';
import { loadMarketsForgettingFailures } from '../venue-markets';
import { paceByLimit } from '../venue-pacing';
import { Osl } from './osl-exchange';

export interface OslVenueOptions {
  /** The venue's name in records (default "osl"). */
  id?: string;
  apiUrl: string;
  apiKey: string;
  /** Base64, as OSL issues it. */
  secret: string;
  timeoutMs: number;
  enableRateLimit?: boolean;
  requestLimit?: RequestLimit;
}

type Raw = Record<string, unknown>;

/** OSL's network names for withdrawal terms, per chain (and its bank wire). */
const OSL_NETWORK_OF_CHAIN: Record<common.Chain, string> = { bitcoin: 'BITCOIN', ethereum: 'ETHEREUM' };
const OSL_WIRE = 'WIRE';

const ORDER_STATUS: Record<string, OrderSnapshot['status']> = {
  OPEN: 'open',
  FILLED: 'closed',
  CANCELLED: 'canceled',
  REJECTED: 'rejected',
};

/** A scale (decimal places) as the step it means: 4 -> "0.0001". */
const stepOfScale = (scale: unknown): string => new Decimal(1).div(new Decimal(10).pow(Number(scale))).toFixed();

const isoDate = (raw: Raw, key: string): Date => {
  const at = new Date(str(raw, key));
  if (Number.isNaN(at.getTime())) throw new VenueCallError('fault', 'venue-answer', `venue answer has a bad ${key}`);
  return at;
};

const textOrNull = (value: unknown): string | null => (typeof value === 'string' && value ? value : null);

export class OslVenue implements Venue {
  readonly id: string;
  private readonly exchange: Osl;
  private readonly data: CcxtMarketData;

  constructor(options: OslVenueOptions) {
    this.id = options.id ?? 'osl';
    this.exchange = new Osl({
      apiKey: options.apiKey,
      secret: options.secret,
      timeout: options.timeoutMs,
      enableRateLimit: (options.enableRateLimit ?? true) && !options.requestLimit,
      urls: { api: { public: options.apiUrl, private: options.apiUrl } },
    });
    if (options.requestLimit && options.enableRateLimit !== false) paceByLimit(this.exchange, options.requestLimit);
    this.data = new CcxtMarketData({
      id: this.id,
      exchange: 'osl',
      url: options.apiUrl,
      timeoutMs: options.timeoutMs,
      client: this.exchange,
    });
  }

  private call<T>(what: string, work: () => Promise<T>): Promise<T> {
    return inSpan(
      `venue ${what}`,
      { 'peer.service': 'venue', 'vcdc.venue': this.id },
      async () => {
        try {
          await loadMarketsForgettingFailures(this.exchange);
          return await work();
        } catch (error) {
          throw ccxtFailure(what, error);
        }
      },
      { kind: SpanKind.CLIENT },
    );
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
    return (await this.data.bidsAndTop(symbol, 200)).bids;
  }

  bidsAndTop(symbol: string): Promise<BidsAndTop> {
    return this.data.bidsAndTop(symbol, 200);
  }

  async marketRules(symbol: string): Promise<MarketRules | undefined> {
    return this.call('load markets', async () => this.rulesOf(symbol));
  }

  /** OSL publishes scales (decimal places), not steps: 4 is a step of 0.0001. */
  private rulesOf(symbol: string): MarketRules | undefined {
    const market = this.exchange.markets?.[symbol];
    if (!market?.spot) return undefined;
    const raw = market.info as Raw;
    return {
      symbol,
      base: market.base,
      quote: market.quote,
      stepSize: stepOfScale(raw.quantityScale),
      tickSize: stepOfScale(raw.priceScale),
      minQty: amount(raw, 'minQuantity'),
      maxQty: amount(raw, 'maxQuantity'),
      marketOrderMaxQty: amount(raw, 'maxMarketQuantity'),
      minNotional: amount(raw, 'minNotional'),
    };
  }

  /** OSL states its fee rates with each market (decimal strings). */
  async tradingFees(symbol: string): Promise<TradingFees> {
    return this.call('load markets', async () => {
      const market = this.exchange.markets?.[symbol];
      if (!market?.spot) throw new VenueCallError('refused', 'unknown-market', `osl has no spot market ${symbol}`);
      const raw = market.info as Raw;
      return { maker: amount(raw, 'makerFee'), taker: amount(raw, 'takerFee') };
    });
  }

  async depositAddress(asset: string, chain: common.Chain): Promise<{ address: string; tag?: string }> {
    return this.call('fetch deposit address', async () => {
      const result = await this.exchange.fetchDepositAddress(asset, { network: NETWORK_OF_CHAIN[chain] });
      return { address: String(result.address) };
    });
  }

  async findDeposit(asset: string, txHash: string): Promise<DepositSnapshot | undefined> {
    return this.call('fetch deposits', async () => {
      const deposits = await this.exchange.fetchDeposits(asset);
      const raw = deposits.map((d) => d.info as Raw).find((d) => d.txHash === txHash);
      if (!raw) return undefined;
      const state = str(raw, 'state');
      const status =
        state === 'CREDITED'
          ? 'CREDITED'
          : state === 'ON_HOLD'
            ? 'HELD'
            : state === 'CONFIRMING'
              ? 'PENDING'
              : 'FAILED';
      return {
        venueDepositId: str(raw, 'depositId'),
        txHash,
        asset,
        amount: amount(raw, 'amount'),
        status,
        ...(status === 'HELD'
          ? { holdReason: textOrNull(raw.holdReason) ?? 'held by the venue (no reason given)' }
          : {}),
      };
    });
  }

  private orderFromRaw(raw: Raw): OrderSnapshot {
    const status = ORDER_STATUS[str(raw, 'state')];
    if (!status) throw new VenueCallError('fault', 'venue-answer', `unknown order state ${String(raw.state)}`);
    return {
      venueOrderId: str(raw, 'orderId'),
      clientOrderId: str(raw, 'clientReference'),
      symbol: this.exchange.safeMarket(str(raw, 'symbol')).symbol,
      side: str(raw, 'side') === 'SELL' ? 'sell' : 'buy',
      type: str(raw, 'orderType') === 'MARKET' ? 'market' : 'limit',
      amount: amount(raw, 'quantity'),
      filled: amount(raw, 'filledQuantity'),
      status,
      createdAt: isoDate(raw, 'createdAt'),
      updatedAt: isoDate(raw, 'updatedAt'),
    };
  }

  async findOrder(symbol: string, clientOrderId: string): Promise<OrderSnapshot | undefined> {
    return this.call('fetch order', async () => {
      try {
        const order = await this.exchange.fetchOrder(undefined, symbol, { clientOrderId });
        return this.orderFromRaw(order.info as Raw);
      } catch (error) {
        if (error instanceof ccxt.OrderNotFound) return undefined;
        throw error;
      }
    });
  }

  async placeSellOrder(order: SellOrderRequest): Promise<OrderSnapshot> {
    return this.call('create order', async () => {
      // OSL refuses more decimals than its scale; the service sends exact multiples of the step already.
      const rules = this.rulesOf(order.symbol);
      if (rules && !new Decimal(order.amount).mod(rules.stepSize).isZero()) {
        throw new VenueCallError(
          'refused',
          'amount-precision',
          `${order.amount} is not a multiple of ${rules.stepSize}`,
        );
      }
      if (rules && order.limitPrice !== undefined && !new Decimal(order.limitPrice).mod(rules.tickSize).isZero()) {
        throw new VenueCallError(
          'refused',
          'price-precision',
          `${order.limitPrice} is not a multiple of ${rules.tickSize}`,
        );
      }
      // Decimal strings, never floats (ccxt's typings say number).
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
    return this.call('cancel order', async () => {
      try {
        // OSL answers a cancel of an order that already ended with the order as it ended.
        const order = await this.exchange.cancelOrder(undefined, symbol, { clientOrderId });
        return this.orderFromRaw(order.info as Raw);
      } catch (error) {
        if (error instanceof ccxt.OrderNotFound) return undefined;
        throw error;
      }
    });
  }

  async orderFills(symbol: string, order: { venueOrderId: string; clientOrderId: string }): Promise<FillSnapshot[]> {
    return this.call('fetch trades', async () => {
      const trades = await this.exchange.fetchMyTrades(symbol, undefined, undefined, { orderId: order.venueOrderId });
      return trades
        .map((t) => t.info as Raw)
        .filter((raw) => raw.orderId === order.venueOrderId)
        .map((raw) => ({
          tradeId: str(raw, 'fillId'),
          venueOrderId: str(raw, 'orderId'),
          price: amount(raw, 'price'),
          amount: amount(raw, 'quantity'),
          fee: amount(raw, 'fee'),
          feeCurrency: str(raw, 'feeCurrency'),
          tradedAt: isoDate(raw, 'executedAt'),
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
        { network: 'BANK', clientOrderId: request.clientRef },
      );
      return { withdrawalId: str(result.info as Raw, 'withdrawalId') };
    });
  }

  private async findTransfer(
    currency: string,
    by: { withdrawalId: string } | { clientRef: string },
  ): Promise<Raw | undefined> {
    const withdrawals = await this.exchange.fetchWithdrawals(currency);
    return withdrawals
      .map((w) => w.info as Raw)
      .find((raw) =>
        'withdrawalId' in by ? raw.withdrawalId === by.withdrawalId : raw.clientReference === by.clientRef,
      );
  }

  async findWithdrawal(
    currency: string,
    by: { withdrawalId: string } | { clientRef: string },
  ): Promise<WithdrawalSnapshot | undefined> {
    return this.call('fetch withdrawals', async () => {
      const raw = await this.findTransfer(currency, by);
      if (!raw) return undefined;
      const state = str(raw, 'state');
      return {
        withdrawalId: str(raw, 'withdrawalId'),
        clientRef: textOrNull(raw.clientReference),
        currency,
        amount: amount(raw, 'amount'),
        fee: amount(raw, 'fee'),
        netAmount: amount(raw, 'netAmount'),
        bankAccountId: str(raw, 'destination'),
        status: state === 'COMPLETED' ? 'COMPLETED' : state === 'FAILED' ? 'FAILED' : 'PENDING',
        createdAt: isoDate(raw, 'createdAt'),
      };
    });
  }

  withdrawalTerms(asset: string, chain: common.Chain): Promise<WithdrawalTerms> {
    return this.networkTerms(asset, OSL_NETWORK_OF_CHAIN[chain]);
  }

  fiatWithdrawalTerms(currency: string): Promise<WithdrawalTerms> {
    return this.networkTerms(currency, OSL_WIRE);
  }

  /** A network's withdrawal terms from OSL's currency list (`currencies[].networks[]`). */
  private networkTerms(currency: string, network: string): Promise<WithdrawalTerms> {
    return this.call('load currencies', async () => {
      const info = (this.exchange.currencies?.[currency]?.info ?? {}) as Raw;
      const found = ((info.networks ?? []) as Raw[]).find((n) => n.network === network);
      if (!found) return { allowed: false, fee: '0', minAmount: '0' };
      return {
        allowed: found.withdrawEnabled === true,
        fee: amount(found, 'withdrawFee'),
        minAmount: amount(found, 'minWithdraw'),
      };
    });
  }

  async freeBalance(asset: string): Promise<string> {
    return this.call('fetch balance', async () => {
      const balance = await this.exchange.fetchBalance();
      const rows = ((balance.info as Raw).balances ?? []) as Raw[];
      const row = rows.find((b) => b.currency === asset);
      return row ? amount(row, 'available') : '0';
    });
  }

  async withdrawCrypto(request: CryptoWithdrawalRequest): Promise<{ withdrawalId: string }> {
    return this.call('withdraw', async () => {
      const result = await this.exchange.withdraw(
        request.asset,
        request.amount as unknown as number,
        request.address,
        undefined,
        { network: NETWORK_OF_CHAIN[request.chain], clientOrderId: request.clientRef },
      );
      return { withdrawalId: str(result.info as Raw, 'withdrawalId') };
    });
  }

  async findCryptoWithdrawal(
    asset: string,
    by: { withdrawalId: string } | { clientRef: string },
  ): Promise<CryptoWithdrawalSnapshot | undefined> {
    return this.call('fetch withdrawals', async () => {
      const raw = await this.findTransfer(asset, by);
      if (!raw) return undefined;
      const failed = str(raw, 'state') === 'FAILED';
      const txHash = textOrNull(raw.txHash);
      return {
        withdrawalId: str(raw, 'withdrawalId'),
        clientRef: textOrNull(raw.clientReference),
        asset,
        amount: amount(raw, 'amount'),
        fee: amount(raw, 'fee'),
        netAmount: amount(raw, 'netAmount'),
        address: str(raw, 'destination'),
        txHash,
        status: failed ? 'FAILED' : txHash ? 'SENT' : 'PENDING',
        failure: failed ? (textOrNull(raw.failure) ?? 'the venue reports the withdrawal failed') : null,
        createdAt: isoDate(raw, 'createdAt'),
      };
    });
  }
}
