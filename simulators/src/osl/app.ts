/**
 * The simulated OSL's HTTP API: its own paths (/api/v4/...), JSON bodies, OSL's signing (auth.ts), its
 * precision in every answer (quantities to 4 decimals, prices to the market's scale), ISO timestamps,
 * named error codes (errors.ts), and professional-investor-only pairs refused for a retail account.
 * Behind it the venue simulator's engine (book, ledger, deposits watched on the chain, withdrawals).
 */
import express, { type Express, type Request, type Response } from 'express';
import { Decimal } from '../../../packages/shared/src/money';
import type { VenueAppDeps } from '../venue/app';
import { VenueError } from '../venue/errors';
import { INTERVALS } from '../venue/market';
import { COINS } from '../venue/markets';
import type { DepositRecord, OrderRecord, TradeRecord, WithdrawalRecord } from '../venue/state';
import { verifyOslRequest } from './auth';
import { asOslError, OslError } from './errors';
import { OSL_MARKETS, OSL_NETWORKS, type OslInvestorClass, type OslMarket, oslNetworkOf } from './markets';

export interface OslAppOptions {
  /** The account's investor class at OSL: a retail account may not trade the professional-only pairs. */
  investorClass?: OslInvestorClass;
  markets?: OslMarket[];
}

type Query = Record<string, string>;

export function createOslApp(deps: VenueAppDeps, options: OslAppOptions = {}): Express {
  const { venue, credentials, syncDeposits, processWithdrawals = async () => undefined, requestLimit } = deps;
  const now = deps.now ?? Date.now;
  const investorClass = options.investorClass ?? 'professional';
  const markets = options.markets ?? OSL_MARKETS;
  const marketOf = (symbol: string | undefined): OslMarket => {
    const m = markets.find((x) => x.id === symbol);
    if (!m) throw new OslError(400, 'UNKNOWN_SYMBOL', `Unknown symbol ${symbol ?? ''}`);
    return m;
  };
  // OSL pads to its scale; a finer value (none should be: the engine keeps to step and tick) is shown whole, never rounded.
  const atScale = (value: string, scale: number) => {
    const d = new Decimal(value);
    return d.decimalPlaces() <= scale ? d.toFixed(scale) : d.toFixed();
  };
  const qty = (m: OslMarket, value: string) => atScale(value, m.quantityScale);
  const px = (m: OslMarket, value: string) => atScale(value, m.priceScale);
  const iso = (ms: number) => new Date(ms).toISOString();

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Signed over the exact bytes: keep the JSON body raw, parse it after the signature is checked.
  app.use(express.text({ type: 'application/json', limit: '100kb' }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: 'osl-simulator' });
  });

  app.use((req: Request, res: Response, next: () => void) => {
    if (!req.path.startsWith('/api/') || !requestLimit || requestLimit.admit(`${req.method} ${req.path}`, Date.now())) {
      next();
    } else res.status(429).json({ error: { code: 'RATE_LIMITED', message: 'Too many requests' } });
  });

  const route =
    (signed: boolean, handler: (query: Query, body: Query) => unknown | Promise<unknown>) =>
    async (req: Request, res: Response): Promise<void> => {
      try {
        if (signed) verifyOslRequest(req, credentials, now());
        const body = typeof req.body === 'string' && req.body ? (JSON.parse(req.body) as Query) : {};
        res.json(await handler(req.query as Query, body));
      } catch (error) {
        const e = asOslError(error);
        if (e instanceof OslError) res.status(e.httpStatus).json(e.toBody());
        else res.status(500).json({ error: { code: 'INTERNAL', message: String(e) } });
      }
    };

  const orderView = (o: OrderRecord) => {
    const m = marketOf(o.symbol);
    const filled = new Decimal(o.executedQty);
    return {
      orderId: o.orderId,
      clientReference: o.clientOrderId,
      symbol: o.symbol,
      side: o.side,
      orderType: o.type,
      quantity: qty(m, o.origQty),
      price: o.type === 'MARKET' ? null : px(m, o.price),
      filledQuantity: qty(m, o.executedQty),
      averagePrice: filled.isZero() ? null : new Decimal(o.cumulativeQuoteQty).div(filled).toFixed(m.priceScale),
      state: ORDER_STATE[o.status] ?? 'REJECTED',
      createdAt: iso(o.time),
      updatedAt: iso(o.updateTime),
    };
  };
  const fillView = (t: TradeRecord) => {
    const m = marketOf(t.symbol);
    return {
      fillId: t.id,
      orderId: t.orderId,
      clientReference: t.clientOrderId,
      symbol: t.symbol,
      price: px(m, t.price),
      quantity: qty(m, t.qty),
      // The fee as booked on the ledger, to the currency's own scale (never rounded: the balance moved by it).
      fee: t.commission,
      feeCurrency: t.commissionAsset,
      liquidity: t.isMaker ? 'MAKER' : 'TAKER',
      executedAt: iso(t.time),
    };
  };
  const depositView = (d: DepositRecord) => ({
    depositId: d.id,
    currency: d.coin,
    network: oslNetworkOf(d.chain === 'bitcoin' ? 'BTC' : 'ETH'),
    amount: d.quantity,
    txHash: d.txId,
    state: d.status === 4 ? 'CREDITED' : d.status === 5 ? 'ON_HOLD' : 'CONFIRMING',
    holdReason: d.status === 5 ? (d.holdReason ?? '') : null,
    createdAt: iso(d.time),
  });
  const withdrawalView = (w: WithdrawalRecord) => ({
    withdrawalId: w.id,
    clientReference: w.clientOrderId,
    currency: w.coin,
    network: oslNetworkOf(w.chainType),
    amount: w.quantity,
    fee: w.fee,
    netAmount: w.arriveQuantity,
    destination: w.address,
    txHash: w.chainType === 'BANK' ? null : w.txId || null,
    state: w.status === 3 ? 'FAILED' : w.status === 6 ? 'COMPLETED' : 'PROCESSING',
    failure: w.failure ?? null,
    createdAt: iso(w.time),
  });
  const findOrder = (q: Query) => {
    if (!q.orderId && !q.clientReference) throw new OslError(400, 'INVALID_REQUEST', 'orderId or clientReference');
    return venue.findOrder(q.orderId ? { orderId: q.orderId } : { origClientOrderId: q.clientReference as string });
  };

  // ---- public -----------------------------------------------------------------------------------
  app.get(
    '/api/v4/markets',
    route(false, () => ({
      markets: markets.map((m) => ({
        symbol: m.id,
        base: m.base,
        quote: m.quote,
        quantityScale: m.quantityScale,
        priceScale: m.priceScale,
        minQuantity: qty(m, m.minQty),
        maxQuantity: qty(m, m.maxQty),
        maxMarketQuantity: qty(m, m.marketOrderMaxQty),
        minNotional: px(m, m.minNotional),
        investorClasses: m.investorClasses,
        makerFee: venue.rules.makerFee,
        takerFee: venue.rules.takerFee,
        status: 'OPEN',
      })),
    })),
  );
  app.get(
    '/api/v4/currencies',
    route(false, () => ({
      currencies: COINS.map((c) => ({
        currency: c.coin,
        networks: [
          {
            network: oslNetworkOf(c.chainTypes[0] as string),
            withdrawFee: venue.withdrawalFeeOf(c.coin),
            minWithdraw: c.minWithdraw,
            withdrawEnabled: true,
            depositEnabled: c.kind === 'crypto',
          },
        ],
      })),
    })),
  );
  app.get(
    '/api/v4/orderbook',
    route(false, (q) => {
      const m = marketOf(q.symbol);
      const depth = venue.depth(m.id, Math.min(Number(q.depth ?? 50) || 50, 200));
      const level = ([p, n]: string[]) => ({ price: px(m, p as string), quantity: qty(m, n as string) });
      return { symbol: m.id, timestamp: iso(depth.t), bids: depth.b.map(level), asks: depth.a.map(level) };
    }),
  );
  app.get(
    '/api/v4/candles',
    route(false, (q) => {
      const m = marketOf(q.symbol);
      const interval = INTERVALS[q.interval ?? ''];
      if (!interval) throw new OslError(400, 'INVALID_REQUEST', 'interval');
      const limit = Math.min(Number(q.limit ?? 500) || 500, 1000);
      const to = q.to ? Number(q.to) : now();
      const from = q.from ? Number(q.from) : to - interval * limit;
      return {
        candles: venue
          .candles(m, interval, from, to)
          .slice(-limit)
          .map((c) => ({
            time: c.openTime,
            open: c.open.toFixed(),
            high: c.high.toFixed(),
            low: c.low.toFixed(),
            close: c.close.toFixed(),
            volume: c.volume.toFixed(),
          })),
      };
    }),
  );

  // ---- private ----------------------------------------------------------------------------------
  app.get(
    '/api/v4/balance',
    route(true, () => ({
      balances: venue.balances().map((b) => ({ currency: b.asset, available: b.free, reserved: b.locked })),
    })),
  );
  app.post(
    '/api/v4/order',
    route(true, (_q, b) => {
      const m = marketOf(b.symbol);
      if (!m.investorClasses.includes(investorClass)) {
        throw new OslError(403, 'PROFESSIONAL_INVESTORS_ONLY', `${m.id} is open to professional investors only`);
      }
      const scale = (b.quantity ?? '').split('.')[1]?.length ?? 0;
      if (scale > m.quantityScale) {
        throw new OslError(400, 'QUANTITY_PRECISION', `quantity has more than ${m.quantityScale} decimals`);
      }
      const order = venue.placeOrder({
        symbol: m.id,
        side: String(b.side ?? '').toUpperCase(),
        type: String(b.orderType ?? '').toUpperCase(),
        ...(b.quantity !== undefined ? { quantity: String(b.quantity) } : {}),
        ...(b.price !== undefined && b.price !== null ? { price: String(b.price) } : {}),
        ...(b.clientReference ? { newClientOrderId: String(b.clientReference) } : {}),
      });
      return { order: orderView(order) };
    }),
  );
  app.get(
    '/api/v4/order',
    route(true, (q) => ({ order: orderView(findOrder(q)) })),
  );
  app.delete(
    '/api/v4/order',
    route(true, (q) => {
      const order = findOrder(q);
      try {
        return { order: orderView(venue.cancelOrder({ orderId: order.orderId })) };
      } catch (error) {
        // Cancelling an order that already ended answers the order as it ended.
        if (error instanceof VenueError && (error.code === '-1139' || error.code === '-1142')) {
          return { order: orderView(venue.findOrder({ orderId: order.orderId })) };
        }
        throw error;
      }
    }),
  );
  app.get(
    '/api/v4/fills',
    route(true, (q) => ({
      fills: venue
        .trades({
          ...(q.symbol ? { symbol: q.symbol } : {}),
          ...(q.orderId ? { orderId: q.orderId } : {}),
          limit: '1000',
        })
        .map(fillView),
    })),
  );
  app.get(
    '/api/v4/deposit/address',
    route(true, (q) => {
      const chainType = OSL_NETWORKS[q.network ?? ''];
      if (!chainType) throw new OslError(400, 'INVALID_REQUEST', 'network');
      const found = venue.depositAddress({ coin: q.currency ?? '', chainType });
      return { currency: found.coin, network: q.network, address: found.address };
    }),
  );
  app.get(
    '/api/v4/deposits',
    route(true, async (q) => {
      await syncDeposits().catch(() => undefined); // chain unreachable: answer with what is known
      return { deposits: venue.deposits(q.currency ? { coin: q.currency } : {}).map(depositView) };
    }),
  );
  app.post(
    '/api/v4/withdrawal',
    route(true, (_q, b) => {
      const chainType = OSL_NETWORKS[b.network ?? ''];
      if (!chainType) throw new OslError(400, 'INVALID_REQUEST', 'network');
      const w = venue.withdraw({
        coin: String(b.currency ?? ''),
        chainType,
        quantity: String(b.amount ?? ''),
        address: String(b.destination ?? ''),
        ...(b.clientReference ? { clientOrderId: String(b.clientReference) } : {}),
      });
      if (chainType !== 'BANK') void processWithdrawals(); // send it now rather than at the next poll
      return { withdrawal: withdrawalView(w) };
    }),
  );
  app.get(
    '/api/v4/withdrawals',
    route(true, async (q) => {
      await processWithdrawals();
      return { withdrawals: venue.withdrawals(q.currency ? { coin: q.currency } : {}).map(withdrawalView) };
    }),
  );

  app.use((req: Request, res: Response) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: `${req.method} ${req.path}` } });
  });
  return app;
}

const ORDER_STATE: Record<string, string> = {
  NEW: 'OPEN',
  PARTIALLY_FILLED: 'OPEN',
  FILLED: 'FILLED',
  CANCELED: 'CANCELLED',
  PARTIALLY_CANCELED: 'CANCELLED',
  REJECTED: 'REJECTED',
};
