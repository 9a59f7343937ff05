/**
 * OSL through ccxt: ccxt has no OSL class, so this is our own, built on ccxt's `Exchange` base class the
 * way ccxt's exchange classes are (describe(), sign(), handleErrors(), and the unified methods the
 * service calls, parsed into ccxt's unified structures). The rest of the service gets ccxt's request
 * pipeline (timeouts, proxies, error classes, pacing) and its unified shapes for free.
 *
 * OSL's API (the simulated one, simulators/src/osl): paths under api/v4, JSON bodies, headers
 * X-OSL-APIKEY / X-OSL-NONCE / X-OSL-SIGNATURE = base64 HMAC-SHA512 of nonce + method + path + body
 * keyed with the base64-decoded secret, ISO timestamps, named error codes, and decimal strings at
 * OSL's precision. Unified answers keep OSL's raw record in `info`, whose decimal strings the venue
 * mapping (osl-venue.ts) reads; ccxt's parsed floats are never used for money.
 */
import { createHmac } from 'node:crypto';
import ccxt, {
  type Balances,
  type Currencies,
  type DepositAddress,
  type Dict,
  type Int,
  type Market,
  type Num,
  type OHLCV,
  type Order,
  type OrderBook,
  type OrderSide,
  type OrderType,
  type Str,
  type Trade,
  type Transaction,
} from 'ccxt';

type Raw = Record<string, unknown>;

/** ccxt's unified network codes (what the service passes) to OSL's network names. */
const OSL_NETWORK: Record<string, string> = {
  BTC: 'BITCOIN',
  ERC20: 'ETHEREUM',
  ETH: 'ETHEREUM',
  BANK: 'WIRE',
  BITCOIN: 'BITCOIN',
  ETHEREUM: 'ETHEREUM',
  WIRE: 'WIRE',
};

const ORDER_STATUS: Record<string, string> = {
  OPEN: 'open',
  FILLED: 'closed',
  CANCELLED: 'canceled',
  REJECTED: 'rejected',
};

const TRANSFER_STATUS: Record<string, string> = {
  CONFIRMING: 'pending',
  ON_HOLD: 'pending',
  CREDITED: 'ok',
  PROCESSING: 'pending',
  SENT: 'ok',
  COMPLETED: 'ok',
  FAILED: 'failed',
};

export class Osl extends ccxt.Exchange {
  override describe() {
    return this.deepExtend(super.describe(), {
      id: 'osl',
      name: 'OSL',
      countries: ['HK'],
      version: 'v4',
      rateLimit: 10,
      pro: false,
      has: {
        CORS: undefined,
        spot: true,
        margin: false,
        swap: false,
        future: false,
        option: false,
        cancelOrder: true,
        createOrder: true,
        fetchBalance: true,
        fetchCurrencies: true,
        fetchDepositAddress: true,
        fetchDeposits: true,
        fetchMarkets: true,
        fetchMyTrades: true,
        fetchOHLCV: true,
        fetchOrder: true,
        fetchOrderBook: true,
        fetchWithdrawals: true,
        withdraw: true,
      },
      timeframes: { '1m': '1m', '5m': '5m', '15m': '15m', '1h': '1h', '1d': '1d' },
      urls: {
        // No public host: a deployment points these at OSL's API, the dev stack at the simulated OSL.
        api: { public: 'https://api.osl.invalid', private: 'https://api.osl.invalid' },
        www: 'https://osl.com',
      },
      api: {
        public: {
          get: { 'api/v4/markets': 1, 'api/v4/currencies': 1, 'api/v4/orderbook': 1, 'api/v4/candles': 1 },
        },
        private: {
          get: {
            'api/v4/balance': 1,
            'api/v4/order': 1,
            'api/v4/fills': 1,
            'api/v4/deposit/address': 1,
            'api/v4/deposits': 1,
            'api/v4/withdrawals': 1,
          },
          post: { 'api/v4/order': 1, 'api/v4/withdrawal': 1 },
          delete: { 'api/v4/order': 1 },
        },
      },
      requiredCredentials: { apiKey: true, secret: true },
      precisionMode: ccxt.TICK_SIZE,
      exceptions: {
        exact: {
          INVALID_API_KEY: ccxt.AuthenticationError,
          INVALID_SIGNATURE: ccxt.AuthenticationError,
          INVALID_NONCE: ccxt.InvalidNonce,
          RATE_LIMITED: ccxt.RateLimitExceeded,
          INSUFFICIENT_BALANCE: ccxt.InsufficientFunds,
          DUPLICATE_CLIENT_REFERENCE: ccxt.DuplicateOrderId,
          ORDER_NOT_FOUND: ccxt.OrderNotFound,
          UNKNOWN_SYMBOL: ccxt.BadSymbol,
          UNKNOWN_CURRENCY: ccxt.BadRequest,
          INVALID_DESTINATION: ccxt.InvalidAddress,
          QUANTITY_PRECISION: ccxt.InvalidOrder,
          PRICE_PRECISION: ccxt.InvalidOrder,
          PROFESSIONAL_INVESTORS_ONLY: ccxt.PermissionDenied,
          INVALID_REQUEST: ccxt.BadRequest,
          NOT_FOUND: ccxt.BadRequest,
        },
        broad: {},
      },
    });
  }

  override sign(path: string, api = 'public', method = 'GET', params: Dict = {}, headers?: Dict, body?: Str) {
    const query = method === 'GET' || method === 'DELETE' ? this.urlencode(this.keysort(params)) : '';
    const requestPath = `/${path}${query ? `?${query}` : ''}`;
    const url = (this.urls.api as Record<string, string>)[api] + requestPath;
    if (method === 'POST') body = this.json(params);
    if (api === 'private') {
      this.checkRequiredCredentials();
      const nonce = String(this.milliseconds());
      const signature = createHmac('sha512', Buffer.from(this.secret, 'base64'))
        .update(nonce + method + requestPath + (body ?? ''))
        .digest('base64');
      headers = {
        'X-OSL-APIKEY': this.apiKey,
        'X-OSL-NONCE': nonce,
        'X-OSL-SIGNATURE': signature,
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      };
    }
    return { url, method, body, headers };
  }

  override handleErrors(
    code: number,
    _reason: string,
    _url: string,
    _method: string,
    _headers: Dict,
    body: string,
    response: unknown,
  ): undefined {
    const error = (response as { error?: Raw } | undefined)?.error;
    if (!error) return undefined;
    const feedback = `${this.id} ${body}`;
    this.throwExactlyMatchedException(this.exceptions.exact, this.safeString(error, 'code'), feedback);
    if (code === 429) throw new ccxt.RateLimitExceeded(feedback);
    throw new ccxt.ExchangeError(feedback);
  }

  private call(path: string, api: 'public' | 'private', method: string, params: Dict = {}): Promise<Raw> {
    return this.request(path, api, method, params) as Promise<Raw>;
  }

  // ---- markets ------------------------------------------------------------------------------------
  override async fetchMarkets(params: Dict = {}): Promise<Market[]> {
    const response = await this.call('api/v4/markets', 'public', 'GET', params);
    return ((response.markets ?? []) as Raw[]).map((m) => this.parseMarket(m));
  }

  override parseMarket(m: Dict): Market {
    const id = this.safeString(m, 'symbol') as string;
    const base = this.safeCurrencyCode(this.safeString(m, 'base'));
    const quote = this.safeCurrencyCode(this.safeString(m, 'quote'));
    const step = this.parseNumber(this.parsePrecision(this.safeString(m, 'quantityScale')));
    const tick = this.parseNumber(this.parsePrecision(this.safeString(m, 'priceScale')));
    return this.safeMarketStructure({
      id,
      symbol: `${base}/${quote}`,
      base,
      quote,
      baseId: this.safeString(m, 'base'),
      quoteId: this.safeString(m, 'quote'),
      type: 'spot',
      spot: true,
      margin: false,
      swap: false,
      future: false,
      option: false,
      contract: false,
      active: this.safeString(m, 'status') === 'OPEN',
      maker: this.safeNumber(m, 'makerFee'),
      taker: this.safeNumber(m, 'takerFee'),
      precision: { amount: step, price: tick },
      limits: {
        amount: { min: this.safeNumber(m, 'minQuantity'), max: this.safeNumber(m, 'maxQuantity') },
        price: { min: tick, max: undefined },
        cost: { min: this.safeNumber(m, 'minNotional'), max: undefined },
        market: { min: this.safeNumber(m, 'minQuantity'), max: this.safeNumber(m, 'maxMarketQuantity') },
        leverage: { min: undefined, max: undefined },
      },
      created: undefined,
      info: m,
    });
  }

  override async fetchCurrencies(params: Dict = {}): Promise<Currencies> {
    const response = await this.call('api/v4/currencies', 'public', 'GET', params);
    const result: Currencies = {};
    for (const c of (response.currencies ?? []) as Raw[]) {
      const code = this.safeCurrencyCode(this.safeString(c, 'currency')) as string;
      const networks: Dict = {};
      for (const n of (c.networks ?? []) as Raw[]) {
        const network = this.safeString(n, 'network') as string;
        networks[network] = {
          id: network,
          network,
          info: n,
          active: undefined,
          deposit: n.depositEnabled === true,
          withdraw: n.withdrawEnabled === true,
          fee: this.safeNumber(n, 'withdrawFee'),
          precision: undefined,
          limits: { withdraw: { min: this.safeNumber(n, 'minWithdraw'), max: undefined } },
        };
      }
      result[code] = this.safeCurrencyStructure({ id: code, code, name: code, info: c, networks });
    }
    return result;
  }

  // ---- market data --------------------------------------------------------------------------------
  override async fetchOrderBook(symbol: string, limit?: Int, params: Dict = {}): Promise<OrderBook> {
    await this.loadMarkets();
    const market = this.market(symbol);
    const response = await this.call('api/v4/orderbook', 'public', 'GET', {
      symbol: market.id,
      ...(limit !== undefined ? { depth: limit } : {}),
      ...params,
    });
    return this.parseOrderBook(
      response,
      symbol,
      this.parse8601(this.safeString(response, 'timestamp')),
      'bids',
      'asks',
      'price',
      'quantity',
    );
  }

  override async fetchOHLCV(
    symbol: string,
    timeframe = '1m',
    since?: Int,
    limit?: Int,
    params: Dict = {},
  ): Promise<OHLCV[]> {
    await this.loadMarkets();
    const market = this.market(symbol);
    const { endTime, ...rest } = params as { endTime?: number };
    const response = await this.call('api/v4/candles', 'public', 'GET', {
      symbol: market.id,
      interval: this.safeString(this.timeframes, timeframe, timeframe),
      ...(since !== undefined ? { from: since } : {}),
      ...(endTime !== undefined ? { to: endTime } : {}),
      ...(limit !== undefined ? { limit } : {}),
      ...rest,
    });
    return ((response.candles ?? []) as Raw[]).map((c) => [
      this.safeInteger(c, 'time') as number,
      this.safeNumber(c, 'open') as number,
      this.safeNumber(c, 'high') as number,
      this.safeNumber(c, 'low') as number,
      this.safeNumber(c, 'close') as number,
      this.safeNumber(c, 'volume') as number,
    ]);
  }

  // ---- account and trading ------------------------------------------------------------------------
  override async fetchBalance(params: Dict = {}): Promise<Balances> {
    const response = await this.call('api/v4/balance', 'private', 'GET', params);
    const result: Dict = { info: response };
    for (const b of (response.balances ?? []) as Raw[]) {
      const account = this.account();
      account.free = this.safeString(b, 'available');
      account.used = this.safeString(b, 'reserved');
      result[this.safeCurrencyCode(this.safeString(b, 'currency')) as string] = account;
    }
    return this.safeBalance(result);
  }

  /** `params.clientOrderId`: OSL's clientReference (a repeat is refused: DuplicateOrderId). Amounts may be decimal strings. */
  override async createOrder(
    symbol: string,
    type: OrderType,
    side: OrderSide,
    amount: number,
    price?: Num,
    params: Dict = {},
  ): Promise<Order> {
    await this.loadMarkets();
    const market = this.market(symbol);
    const { clientOrderId, ...rest } = params as { clientOrderId?: string };
    const response = await this.call('api/v4/order', 'private', 'POST', {
      symbol: market.id,
      side: String(side).toUpperCase(),
      orderType: type.toUpperCase(),
      quantity: this.numberToString(amount),
      ...(type === 'limit' ? { price: this.numberToString(price) } : {}),
      ...(clientOrderId ? { clientReference: clientOrderId } : {}),
      ...rest,
    });
    return this.parseOrder(response.order as Raw, market);
  }

  /** By OSL order id, or by client reference with `id` undefined and `params.clientOrderId`. */
  override async fetchOrder(id: string | undefined, symbol?: Str, params: Dict = {}): Promise<Order> {
    await this.loadMarkets();
    const { clientOrderId, ...rest } = params as { clientOrderId?: string };
    const response = await this.call('api/v4/order', 'private', 'GET', {
      ...(id ? { orderId: id } : { clientReference: clientOrderId }),
      ...rest,
    });
    return this.parseOrder(response.order as Raw, symbol ? this.market(symbol) : undefined);
  }

  override async cancelOrder(id: string | undefined, symbol?: Str, params: Dict = {}): Promise<Order> {
    await this.loadMarkets();
    const { clientOrderId, ...rest } = params as { clientOrderId?: string };
    const response = await this.call('api/v4/order', 'private', 'DELETE', {
      ...(id ? { orderId: id } : { clientReference: clientOrderId }),
      ...rest,
    });
    return this.parseOrder(response.order as Raw, symbol ? this.market(symbol) : undefined);
  }

  override parseOrder(o: Dict, market?: Market): Order {
    const marketId = this.safeString(o, 'symbol');
    const m = this.safeMarket(marketId, market);
    const created = this.parse8601(this.safeString(o, 'createdAt'));
    return this.safeOrder(
      {
        info: o,
        id: this.safeString(o, 'orderId'),
        clientOrderId: this.safeString(o, 'clientReference'),
        timestamp: created,
        datetime: this.iso8601(created),
        lastTradeTimestamp: undefined,
        lastUpdateTimestamp: this.parse8601(this.safeString(o, 'updatedAt')),
        symbol: m.symbol,
        type: this.safeStringLower(o, 'orderType'),
        timeInForce: undefined,
        side: this.safeStringLower(o, 'side'),
        price: this.safeString(o, 'price'),
        average: this.safeString(o, 'averagePrice'),
        amount: this.safeString(o, 'quantity'),
        filled: this.safeString(o, 'filledQuantity'),
        remaining: undefined,
        cost: undefined,
        status: this.safeString(ORDER_STATUS, this.safeString(o, 'state') ?? ''),
        fee: undefined,
        trades: undefined,
      },
      m,
    );
  }

  /** `params.orderId`: the fills of one order. */
  override async fetchMyTrades(symbol?: Str, since?: Int, limit?: Int, params: Dict = {}): Promise<Trade[]> {
    await this.loadMarkets();
    const market = symbol ? this.market(symbol) : undefined;
    const response = await this.call('api/v4/fills', 'private', 'GET', {
      ...(market ? { symbol: market.id } : {}),
      ...params,
    });
    const trades = ((response.fills ?? []) as Raw[]).map((t) => this.parseTrade(t, market));
    return this.filterBySinceLimit(trades, since, limit) as Trade[];
  }

  override parseTrade(t: Dict, market?: Market): Trade {
    const m = this.safeMarket(this.safeString(t, 'symbol'), market);
    const at = this.parse8601(this.safeString(t, 'executedAt'));
    return this.safeTrade(
      {
        info: t,
        id: this.safeString(t, 'fillId'),
        order: this.safeString(t, 'orderId'),
        timestamp: at,
        datetime: this.iso8601(at),
        symbol: m.symbol,
        type: undefined,
        side: 'sell',
        takerOrMaker: this.safeStringLower(t, 'liquidity'),
        price: this.safeString(t, 'price'),
        amount: this.safeString(t, 'quantity'),
        cost: undefined,
        fee: { cost: this.safeString(t, 'fee'), currency: this.safeCurrencyCode(this.safeString(t, 'feeCurrency')) },
      },
      m,
    );
  }

  // ---- deposits and withdrawals -------------------------------------------------------------------
  private networkOf(params: Dict): { network: string; rest: Dict } {
    const { network, ...rest } = params as { network?: string };
    const oslNetwork = OSL_NETWORK[network ?? ''];
    if (!oslNetwork) throw new ccxt.ArgumentsRequired(`${this.id} needs params.network (BTC, ERC20 or BANK)`);
    return { network: oslNetwork, rest };
  }

  override async fetchDepositAddress(code: string, params: Dict = {}): Promise<DepositAddress> {
    const { network, rest } = this.networkOf(params);
    const response = await this.call('api/v4/deposit/address', 'private', 'GET', { currency: code, network, ...rest });
    return {
      info: response,
      currency: code,
      network,
      address: this.safeString(response, 'address') as string,
      tag: undefined,
    };
  }

  override async fetchDeposits(code?: Str, since?: Int, limit?: Int, params: Dict = {}): Promise<Transaction[]> {
    const response = await this.call('api/v4/deposits', 'private', 'GET', {
      ...(code ? { currency: code } : {}),
      ...params,
    });
    const list = ((response.deposits ?? []) as Raw[]).map((d) => this.parseOslTransfer(d, 'deposit'));
    return this.filterBySinceLimit(list, since, limit) as Transaction[];
  }

  /** `params.network` (BTC, ERC20 or BANK), `params.clientOrderId`: OSL's clientReference (a repeat is refused). */
  override async withdraw(
    code: string,
    amount: number,
    address: string,
    _tag?: Str,
    params: Dict = {},
  ): Promise<Transaction> {
    const { network, rest } = this.networkOf(params);
    const { clientOrderId, ...others } = rest as { clientOrderId?: string };
    const response = await this.call('api/v4/withdrawal', 'private', 'POST', {
      currency: code,
      network,
      amount: this.numberToString(amount),
      destination: address,
      ...(clientOrderId ? { clientReference: clientOrderId } : {}),
      ...others,
    });
    return this.parseOslTransfer(response.withdrawal as Raw, 'withdrawal');
  }

  override async fetchWithdrawals(code?: Str, since?: Int, limit?: Int, params: Dict = {}): Promise<Transaction[]> {
    const response = await this.call('api/v4/withdrawals', 'private', 'GET', {
      ...(code ? { currency: code } : {}),
      ...params,
    });
    const list = ((response.withdrawals ?? []) as Raw[]).map((w) => this.parseOslTransfer(w, 'withdrawal'));
    return this.filterBySinceLimit(list, since, limit) as Transaction[];
  }

  private parseOslTransfer(t: Raw, type: 'deposit' | 'withdrawal'): Transaction {
    const at = this.parse8601(this.safeString(t, 'createdAt'));
    return {
      info: t,
      id: this.safeString2(t, 'depositId', 'withdrawalId'),
      txid: this.safeString(t, 'txHash'),
      timestamp: at,
      datetime: this.iso8601(at),
      network: this.safeString(t, 'network'),
      address: this.safeString(t, 'destination'),
      addressTo: this.safeString(t, 'destination'),
      addressFrom: undefined,
      tag: undefined,
      tagTo: undefined,
      tagFrom: undefined,
      type,
      amount: this.safeNumber(t, 'amount'),
      currency: this.safeCurrencyCode(this.safeString(t, 'currency')),
      status: this.safeString(TRANSFER_STATUS, this.safeString(t, 'state') ?? ''),
      updated: undefined,
      comment: undefined,
      internal: false,
      fee: { cost: this.safeNumber(t, 'fee'), currency: this.safeCurrencyCode(this.safeString(t, 'currency')) },
    } as Transaction;
  }
}
