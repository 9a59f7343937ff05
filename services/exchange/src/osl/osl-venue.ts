/**
 * OSL as a `Venue`: our ccxt class for OSL (osl-exchange.ts) mapped to the service's terms, as
 * ccxt-venue.ts maps HashKey's. The same rules hold: every amount is read from OSL's raw answer (`info`,
 * decimal strings at OSL's precision) as Decimal, amounts sent are decimal strings checked against the
 * market's step and tick first, and ccxt's error classes become the service's three kinds of failure.
 */
import type { common } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import ccxt from 'ccxt';
import {
  amount,
  CcxtBackedVenue,
  type CcxtClientOptions,
  ccxtClientConfig,
  NETWORK_OF_CHAIN,
  str,
} from '../ccxt-backed-venue';
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
} from '../venue';
import { Osl } from './osl-exchange';

export interface OslVenueOptions extends CcxtClientOptions {
  /** The venue's name in records (default "osl"). `secret` is base64, as OSL issues it. */
  id?: string;
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

export class OslVenue extends CcxtBackedVenue<Osl> implements Venue {
  constructor(options: OslVenueOptions) {
    const id = options.id ?? 'osl';
    super(id, 'osl', new Osl(ccxtClientConfig(options)), options);
  }

  protected readonly names = {
    fiatNetwork: 'BANK',
    withdrawalId: 'withdrawalId',
    balanceAsset: 'currency',
    balanceFree: 'available',
  };

  async bids(symbol: string): Promise<{ price: string; qty: string }[]> {
    return (await this.data.bidsAndTop(symbol, 200)).bids;
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

  protected orderFromRaw(raw: Raw): OrderSnapshot {
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

  protected assertExact(order: SellOrderRequest): void {
    // OSL refuses more decimals than its scale; the service sends exact multiples of the step already.
    const rules = this.rulesOf(order.symbol);
    if (rules && !new Decimal(order.amount).mod(rules.stepSize).isZero()) {
      throw new VenueCallError('refused', 'amount-precision', `${order.amount} is not a multiple of ${rules.stepSize}`);
    }
    if (rules && order.limitPrice !== undefined && !new Decimal(order.limitPrice).mod(rules.tickSize).isZero()) {
      throw new VenueCallError(
        'refused',
        'price-precision',
        `${order.limitPrice} is not a multiple of ${rules.tickSize}`,
      );
    }
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
