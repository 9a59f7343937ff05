/**
 * Public market data from a venue through ccxt's unified API (any ccxt exchange id): the top of the
 * book for the reference price and daily candles for the legal floor. Reference venues need no
 * credentials, so they can be other licensed venues than the one the service trades on.
 *
 * ccxt hands prices over as JS numbers. A venue's price string with at most 15 significant digits is
 * exactly the shortest round-trip form of that number, so `String(n)` gives the venue's decimal back;
 * a price that does not fit that (more digits) is refused instead of being read approximately.
 */
import { Decimal } from '@vcdc/shared/money';
import ccxt, { type Exchange, type OrderBook } from 'ccxt';
import { Osl } from './osl/osl-exchange';
import { VenueCallError } from './venue';
import { loadMarketsForgettingFailures } from './venue-markets';

export interface TopOfBook {
  venue: string;
  bid: string;
  ask: string;
  /** The venue's time of the book; the reference refuses books older than its staleness limit. */
  at: Date;
}

/** A book's bids, best first, and its top of book (or why there is none: one side empty), from one read. */
export interface BidsAndTop {
  bids: { price: string; qty: string }[];
  top: TopOfBook | Error;
}

export interface DailyClose {
  /** Start of the UTC day. */
  day: Date;
  close: string;
  volume: string;
  /** The candle's range (the reference index's typical price); absent where a source does not give it. */
  high?: string;
  low?: string;
}

export interface MarketDataSource {
  readonly id: string;
  topOfBook(symbol: string): Promise<TopOfBook>;
  /** Daily candles whose day starts in [from, to). */
  dailyCloses(symbol: string, from: Date, to: Date): Promise<DailyClose[]>;
  /** Candles of one minute in [from, to), for participation and the reference at a fill's minute. */
  minuteCandles?(symbol: string, from: Date, to: Date): Promise<DailyClose[]>;
}

export interface CcxtMarketDataOptions {
  /** Name in records. */
  id: string;
  /** ccxt exchange id, e.g. "hashkey", or "osl" (our own class: src/osl). */
  exchange: string;
  /** Overrides the exchange's API base URL (a licensed venue's own host, or the simulator). */
  url?: string;
  timeoutMs: number;
  enableRateLimit?: boolean;
  /**
   * The ccxt client to read through instead of building one: the trading venue hands over its own, so
   * its public reads and its trading calls share one request budget (and one load of the markets).
   */
  client?: Exchange;
}

/** A ccxt number as the venue's exact decimal (see the module comment). */
export function exactDecimal(value: number | undefined, what: string): string {
  if (value === undefined || !Number.isFinite(value)) {
    throw new VenueCallError('fault', 'venue-answer', `venue answer lacks ${what}`);
  }
  const text = String(value);
  if (/e/i.test(text) || text.replace(/[^0-9]/g, '').replace(/^0+/, '').length > 15) {
    throw new VenueCallError('fault', 'venue-answer', `${what} ${text} cannot be read exactly`);
  }
  return new Decimal(text).toFixed();
}

const DAY_MS = 86_400_000;

export class CcxtMarketData implements MarketDataSource {
  readonly id: string;
  private readonly exchange: Exchange;
  /** The reads of a book under way, by symbol and depth: a read asked for meanwhile waits for that one. */
  private readonly booksInFlight = new Map<string, Promise<BidsAndTop>>();

  constructor(options: CcxtMarketDataOptions) {
    this.id = options.id;
    if (options.client) {
      this.exchange = options.client;
      return;
    }
    // ccxt's classes, and ours for a venue ccxt does not have (OSL: src/osl).
    const ExchangeClass =
      options.exchange === 'osl'
        ? Osl
        : (ccxt as unknown as Record<string, new (config: object) => Exchange>)[options.exchange];
    if (!ExchangeClass) throw new Error(`ccxt has no exchange "${options.exchange}"`);
    this.exchange = new ExchangeClass({
      timeout: options.timeoutMs,
      enableRateLimit: options.enableRateLimit ?? true,
      ...(options.url ? { urls: { api: { public: options.url, private: options.url } } } : {}),
    });
  }

  private async call<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      await loadMarketsForgettingFailures(this.exchange);
      return await work();
    } catch (error) {
      if (error instanceof VenueCallError) throw error;
      const message = `${this.id} ${what}: ${error instanceof Error ? error.message : String(error)}`;
      if (error instanceof ccxt.NetworkError) throw new VenueCallError('unavailable', 'venue-unavailable', message);
      if (error instanceof ccxt.BadSymbol) throw new VenueCallError('refused', 'unknown-market', message);
      throw new VenueCallError('fault', 'venue-error', message);
    }
  }

  topOfBook(symbol: string): Promise<TopOfBook> {
    return this.call('fetch order book', async () => this.topOf(symbol, await this.exchange.fetchOrderBook(symbol, 5)));
  }

  /**
   * One read of the book for what a market order's check asks of it: its bids to `depth` levels, best
   * first, and its top of book as `topOfBook` answers it (or why there is none), instead of two reads
   * (issue 19). Checks asking while a read of the same book is under way share it (issue 19: twenty
   * cases at once read the same book twenty times over, each a request of the venue's budget): its
   * answer is as recent as a read of their own sent then would be, and the book's time it carries is
   * what the reference's staleness is judged by. A read that has answered is never reused.
   */
  bidsAndTop(symbol: string, depth: number): Promise<BidsAndTop> {
    const key = `${symbol} ${depth}`;
    const underWay = this.booksInFlight.get(key);
    if (underWay) return underWay;
    const read = this.readBidsAndTop(symbol, depth).finally(() => this.booksInFlight.delete(key));
    this.booksInFlight.set(key, read);
    return read;
  }

  private readBidsAndTop(symbol: string, depth: number): Promise<BidsAndTop> {
    return this.call('fetch order book', async () => {
      const book = await this.exchange.fetchOrderBook(symbol, depth);
      let top: TopOfBook | VenueCallError;
      try {
        top = this.topOf(symbol, book);
      } catch (error) {
        top = error as VenueCallError;
      }
      const bids = book.bids.map(([price, qty]) => ({
        price: exactDecimal(price, 'bid'),
        qty: exactDecimal(qty, 'bid quantity'),
      }));
      return { bids, top };
    });
  }

  private topOf(symbol: string, book: OrderBook): TopOfBook {
    const bid = book.bids[0]?.[0];
    const ask = book.asks[0]?.[0];
    if (bid === undefined || ask === undefined) {
      throw new VenueCallError('fault', 'empty-book', `${this.id} ${symbol}: one side of the book is empty`);
    }
    return {
      venue: this.id,
      bid: exactDecimal(bid, 'bid'),
      ask: exactDecimal(ask, 'ask'),
      at: new Date(book.timestamp ?? Date.now()),
    };
  }

  private candles(symbol: string, timeframe: string, stepMs: number, from: Date, to: Date): Promise<DailyClose[]> {
    return this.call(`fetch ${timeframe} candles`, async () => {
      const limit = Math.max(1, Math.ceil((to.getTime() - from.getTime()) / stepMs));
      const rows = await this.exchange.fetchOHLCV(symbol, timeframe, from.getTime(), Math.min(limit, 1000), {
        endTime: to.getTime() - 1,
      });
      return rows
        .filter((r) => (r[0] as number) >= from.getTime() && (r[0] as number) < to.getTime())
        .map((r) => ({
          day: new Date(r[0] as number),
          close: exactDecimal(r[4], 'close'),
          volume: exactDecimal(r[5], 'volume'),
          high: exactDecimal(r[2], 'high'),
          low: exactDecimal(r[3], 'low'),
        }));
    });
  }

  dailyCloses(symbol: string, from: Date, to: Date): Promise<DailyClose[]> {
    return this.candles(symbol, '1d', DAY_MS, from, to);
  }

  minuteCandles(symbol: string, from: Date, to: Date): Promise<DailyClose[]> {
    return this.candles(symbol, '1m', 60_000, from, to);
  }
}
