/**
 * What every venue reached through a ccxt class shares, whatever its raw field names (HashKey's in
 * ccxt-venue.ts, OSL's in osl/osl-venue.ts): one client for trading and market data, paced by the
 * venue's request limit; each call in a client span of its own, the markets loaded first and ccxt's
 * errors turned into the service's three kinds of failure; withdrawals sent as decimal strings.
 */
import { inSpan, SpanKind } from '@vcdc/shared';
import type { common } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import type { Exchange } from 'ccxt';
import ccxt from 'ccxt';
import type { RequestLimit } from './capabilities';
import { type BidsAndTop, CcxtMarketData, type DailyClose, type TopOfBook } from './market-data';
import {
  type CryptoWithdrawalRequest,
  type OrderSnapshot,
  type SellOrderRequest,
  VenueCallError,
  type WithdrawalRequest,
} from './venue';
import { loadMarketsForgettingFailures } from './venue-markets';
import { paceByLimit } from './venue-pacing';

/** How a ccxt client reaches the venue. */
export interface CcxtClientOptions {
  apiUrl: string;
  apiKey: string;
  secret: string;
  timeoutMs: number;
  /** ccxt's client-side request pacing; keep it on against a real venue. */
  enableRateLimit?: boolean;
  /** The venue's request limit (capability table): paces the client by it instead of ccxt's default. */
  requestLimit?: RequestLimit;
}

/** The options of a ccxt exchange class for `o` (with the venue's limit known, venue-pacing.ts paces it). */
export function ccxtClientConfig(o: CcxtClientOptions) {
  return {
    apiKey: o.apiKey,
    secret: o.secret,
    timeout: o.timeoutMs,
    enableRateLimit: (o.enableRateLimit ?? true) && !o.requestLimit,
    urls: { api: { public: o.apiUrl, private: o.apiUrl } },
  };
}

type Raw = Record<string, unknown>;

/** ccxt network code per chain for deposit addresses (HashKey chainType BTC / ETH). */
export const NETWORK_OF_CHAIN: Record<common.Chain, string> = { bitcoin: 'BTC', ethereum: 'ERC20' };
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

/** ccxt's error classes, to the service's three kinds of failure (for every venue reached through ccxt). */
function ccxtFailure(what: string, error: unknown): Error {
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

export abstract class CcxtBackedVenue<E extends Exchange> {
  /** Public market data of the same venue (book top, candles) through the same client. */
  protected readonly data: CcxtMarketData;

  protected constructor(
    readonly id: string,
    /** ccxt's name of the exchange class, in market-data records. */
    exchangeName: string,
    protected readonly exchange: E,
    options: CcxtClientOptions,
  ) {
    if (options.requestLimit && options.enableRateLimit !== false) paceByLimit(exchange, options.requestLimit);
    this.data = new CcxtMarketData({
      id,
      exchange: exchangeName,
      url: options.apiUrl,
      timeoutMs: options.timeoutMs,
      client: exchange,
    });
  }

  /** One venue call, in a client span of its own (the trace shows each call to the venue and its failure). */
  protected call<T>(what: string, work: () => Promise<T>): Promise<T> {
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

  /** How this venue names things the shared calls below read and send. */
  protected abstract readonly names: {
    /** The network a fiat withdrawal (a bank wire) is sent over. */
    fiatNetwork: string;
    /** The withdrawal's id in the venue's answer to a withdrawal. */
    withdrawalId: string;
    /** A balance row's asset and free amount (`balances[]` of the account's balance). */
    balanceAsset: string;
    balanceFree: string;
  };

  /** The venue's raw order (placement, look-up, cancel) in the service's terms. */
  protected abstract orderFromRaw(raw: Raw): OrderSnapshot;
  /** Refuses (`amount-precision`, `price-precision`) an order the venue would not take exactly as asked. */
  protected abstract assertExact(order: SellOrderRequest): void;

  placeSellOrder(order: SellOrderRequest): Promise<OrderSnapshot> {
    return this.call('create order', async () => {
      this.assertExact(order);
      // Decimal strings, never floats (ccxt's typings say number; a string never passes through a float).
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

  withdraw(request: WithdrawalRequest): Promise<{ withdrawalId: string }> {
    const { currency, amount, bankAccountId: to, clientRef } = request;
    return this.sendWithdrawal({ currency, amount, to, network: this.names.fiatNetwork, clientRef });
  }

  withdrawCrypto(request: CryptoWithdrawalRequest): Promise<{ withdrawalId: string }> {
    const { asset: currency, amount, address: to, clientRef } = request;
    return this.sendWithdrawal({ currency, amount, to, network: NETWORK_OF_CHAIN[request.chain], clientRef });
  }

  /** A withdrawal sent as a decimal string, never a float (ccxt's typings say number), keyed by `clientRef`. */
  private sendWithdrawal(what: {
    currency: string;
    amount: string;
    to: string;
    network: string;
    clientRef: string;
  }): Promise<{ withdrawalId: string }> {
    return this.call('withdraw', async () => {
      const result = await this.exchange.withdraw(what.currency, what.amount as unknown as number, what.to, undefined, {
        network: what.network,
        clientOrderId: what.clientRef,
      });
      return { withdrawalId: str(result.info as Raw, this.names.withdrawalId) };
    });
  }

  async freeBalance(asset: string): Promise<string> {
    return this.call('fetch balance', async () => {
      const balance = await this.exchange.fetchBalance();
      const rows = ((balance.info as Raw).balances ?? []) as Raw[];
      const row = rows.find((b) => b[this.names.balanceAsset] === asset);
      return row ? amount(row, this.names.balanceFree) : '0';
    });
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

  bidsAndTop(symbol: string): Promise<BidsAndTop> {
    return this.data.bidsAndTop(symbol, 200);
  }
}
