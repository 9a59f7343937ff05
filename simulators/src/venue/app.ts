/**
 * The venue's HTTP surface: the subset of HashKey Global's REST API that ccxt's `hashkey` class calls
 * for spot trading, deposits and withdrawals, at the same paths, with the same parameters and answer
 * shapes. Private routes verify HashKey's request signature first.
 */
import express, { type Express, type Request, type Response } from 'express';
import { z } from 'zod';
import { adminRoutes } from './admin';
import { type Credentials, verifySignedRequest } from './auth';
import { HoldRefused } from './deposit-holds';
import { VenueError } from './errors';
import type { VenueFaults } from './faults';
import { INTERVALS } from './market';
import { COINS, exchangeInfoCoin, exchangeInfoSymbol } from './markets';
import { VenueRequestLimit } from './request-limit';
import { ACCOUNT_ID, type Venue } from './venue';
import { accountTrade, depositOrder, orderAck, orderDetail, withdrawOrder } from './views';

export { type FaultableOperation, type FaultPlan, VenueFaults } from './faults';

export interface VenueAppDeps {
  venue: Venue;
  credentials: Credentials;
  /** Brings deposits up to date with the chain before they are listed. */
  syncDeposits: () => Promise<void>;
  /** Sends and follows up crypto withdrawals (payouts.ts), before they are listed and after one is made. */
  processWithdrawals?: () => Promise<void>;
  faults: VenueFaults;
  /** The venue's own request limit (request-limit.ts); default: none, requests only counted. */
  requestLimit?: VenueRequestLimit;
  /** Bearer token of the admin routes (admin.ts); absent: they refuse every request. */
  adminToken?: string;
  now?: () => number;
}

type Params = Record<string, string>;

export function createVenueApp({
  venue,
  credentials,
  syncDeposits,
  processWithdrawals = async () => undefined,
  faults,
  requestLimit = new VenueRequestLimit(undefined),
  adminToken,
  now = Date.now,
}: VenueAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Signed requests carry form-encoded bodies; keep them raw so the signature is checked on the exact bytes.
  app.use(express.text({ type: 'application/x-www-form-urlencoded', limit: '100kb' }));

  const publicRoute =
    (handler: (query: Params) => unknown) =>
    (req: Request, res: Response): void => {
      answer(res, () => handler(Object.fromEntries(new URLSearchParams(req.originalUrl.split('?')[1] ?? ''))));
    };
  const privateRoute =
    (handler: (params: Params, req: Request, res: Response) => unknown | Promise<unknown>) =>
    async (req: Request, res: Response): Promise<void> => {
      await answerAsync(res, async () => handler(verifySignedRequest(req, credentials, now()), req, res));
    };

  // Not part of HashKey's API: the dev stack's liveness probe.
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: 'venue-simulator' });
  });

  // Not part of HashKey's API: dev-stack control of deposit holds (what the venue's compliance desk does).
  const HoldBody = z.object({
    reason: z.string().min(1).max(200),
    releaseAfterMs: z.number().int().min(0).optional(),
  });
  app.post('/sim/v1/deposits/:txId/hold', express.json(), (req: Request, res: Response) => {
    const body = HoldBody.safeParse(req.body ?? {});
    if (!body.success) {
      res.status(400).json({ error: body.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      return;
    }
    try {
      venue.holdDeposit(String(req.params.txId), body.data.reason, body.data.releaseAfterMs);
      res.json({ txId: req.params.txId, held: true });
    } catch (error) {
      if (!(error instanceof HoldRefused)) throw error;
      res.status(409).json({ error: error.message });
    }
  });
  app.post('/sim/v1/deposits/:txId/release', (req: Request, res: Response) => {
    const deposit = venue.releaseDeposit(String(req.params.txId));
    res.json({ txId: req.params.txId, status: deposit?.status ?? null });
  });

  // Not part of HashKey's API: the fault profile and the market driver (admin.ts), never faulted themselves.
  app.use('/sim/v1', adminRoutes({ venue, faults, adminToken }));

  // The venue's request limit (request-limit.ts), on its API only, before any work is done.
  app.use((req: Request, res: Response, next: () => void) => {
    const api = req.path.startsWith('/api/') || req.path.startsWith('/quote/');
    if (!api || requestLimit.admit(`${req.method} ${req.path}`, Date.now())) next();
    else res.status(429).json({ code: '0003', msg: 'Rate limit exceeded' });
  });

  // Injected faults and the venue's own limits (faults.ts), before any work is done.
  app.use((req: Request, res: Response, next: () => void) => {
    const trading = req.path.startsWith('/api/v1/spot/') || req.path === '/api/v1/account/withdraw';
    const fault = faults.beforeRequest(Date.now(), trading);
    const go = () => {
      if (fault.kind === 'rate-limited') res.status(429).json({ code: '0003', msg: 'Rate limit exceeded' });
      else if (fault.kind === 'maintenance') res.status(503).json({ code: -1101, msg: 'Feature has been offline' });
      else if (fault.kind === 'server-error') res.status(502).type('text/html').send('<html>502 Bad Gateway</html>');
      else if (fault.kind === 'timeout') {
        // No answer in time: the request is never handled; the connection is closed after the hold.
        const timer = setTimeout(() => req.socket.destroy(), fault.holdMs);
        res.on('close', () => clearTimeout(timer));
      } else next();
    };
    if (faults.latencyMs > 0) setTimeout(go, faults.latencyMs);
    else go();
  });

  // ---- public -----------------------------------------------------------------------------------
  app.get(
    '/api/v1/time',
    publicRoute(() => ({ serverTime: now() })),
  );
  app.get(
    '/api/v1/ping',
    publicRoute(() => ({})),
  );
  app.get(
    '/api/v1/exchangeInfo',
    publicRoute(() => ({
      timezone: 'UTC',
      serverTime: String(now()),
      brokerFilters: [],
      symbols: venue.rules.markets.map(exchangeInfoSymbol),
      options: [],
      contracts: [],
      coins: COINS.map((c) => exchangeInfoCoin(c, venue.withdrawalFeeOf(c.coin))),
    })),
  );
  app.get(
    '/quote/v1/depth',
    publicRoute((q) => venue.depth(q.symbol, Math.min(Number(q.limit ?? 100) || 100, 200))),
  );
  app.get(
    '/quote/v1/ticker/24hr',
    publicRoute((q) =>
      q.symbol ? [venue.ticker(venue.market(q.symbol))] : venue.rules.markets.map((m) => venue.ticker(m)),
    ),
  );
  app.get(
    '/quote/v1/ticker/price',
    publicRoute((q) =>
      (q.symbol ? [venue.market(q.symbol)] : venue.rules.markets).map((m) => ({ s: m.id, p: venue.ticker(m).c })),
    ),
  );
  app.get(
    '/quote/v1/klines',
    publicRoute((q) => {
      const spec = venue.market(q.symbol);
      const interval = INTERVALS[q.interval ?? ''];
      if (!interval) throw new VenueError(400, '-1130', "Illegal parameter 'interval'");
      const limit = Math.min(Number(q.limit ?? 500) || 500, 1000);
      const to = q.endTime ? Number(q.endTime) : now();
      const from = q.startTime ? Number(q.startTime) : to - interval * limit;
      return venue
        .candles(spec, interval, from, to)
        .slice(-limit)
        .map((c) => [
          c.openTime,
          c.open.toFixed(),
          c.high.toFixed(),
          c.low.toFixed(),
          c.close.toFixed(),
          c.volume.toFixed(),
          c.openTime + interval - 1,
        ]);
    }),
  );
  app.get(
    '/quote/v1/trades',
    publicRoute((q) => {
      const spec = venue.market(q.symbol);
      return venue
        .trades({ symbol: spec.id })
        .slice(-Math.min(Number(q.limit ?? 100) || 100, 100))
        .map((t) => ({ t: t.time, p: t.price, q: t.qty, ibm: true }));
    }),
  );

  // ---- private: account and trading -------------------------------------------------------------
  app.get(
    '/api/v1/account/checkApiKey',
    privateRoute(() => ({ accountType: 'Master' })),
  );
  app.get(
    '/api/v1/account',
    privateRoute(() => ({ balances: venue.balances(), userId: ACCOUNT_ID })),
  );
  app.get(
    '/api/v1/account/vipInfo',
    privateRoute(() => ({
      code: 0,
      vipLevel: '0',
      tradeVol30Day: '0',
      totalAssetBal: '0',
      data: venue.rules.markets.map((m) => ({
        symbol: m.id,
        productType: 'Token-Token',
        buyMakerFeeCurrency: m.base,
        buyTakerFeeCurrency: m.base,
        sellMakerFeeCurrency: m.quote,
        sellTakerFeeCurrency: m.quote,
        actualMakerRate: venue.rules.makerFee,
        actualTakerRate: venue.rules.takerFee,
      })),
      updateTimestamp: String(now()),
    })),
  );
  const createOrder = privateRoute((p, req) => {
    const injected = faults.orderFault();
    if (injected.reject) throw new VenueError(400, '-1149', 'Order creation failed');
    const order = venue.placeOrder(p, injected.fillFraction, injected.fillDelayMs);
    if (faults.takeDrop('createOrder')) {
      req.socket.destroy();
      return DROPPED;
    }
    return orderAck(order);
  });
  app.post('/api/v1/spot/order', createOrder);
  app.post('/api/v1.1/spot/order', createOrder);
  app.get(
    '/api/v1/spot/order',
    privateRoute((p) => orderDetail(venue.findOrder(p))),
  );
  app.delete(
    '/api/v1/spot/order',
    privateRoute((p) => orderAck(venue.cancelOrder(p))),
  );
  app.get(
    '/api/v1/spot/openOrders',
    privateRoute((p) => {
      venue.advance();
      return venue.openOrders(p.symbol).map(orderDetail);
    }),
  );
  app.get(
    '/api/v1/account/trades',
    privateRoute((p) => venue.trades(p).map(accountTrade)),
  );

  // ---- private: deposits and withdrawals --------------------------------------------------------
  app.get(
    '/api/v1/account/deposit/address',
    privateRoute((p) => {
      const { address, coin } = venue.depositAddress(p);
      return {
        canDeposit: true,
        address,
        addressExt: '',
        minQuantity: '0',
        needAddressTag: false,
        requiredConfirmTimes: venue.rules.depositConfirmations,
        canWithdrawConfirmTimes: venue.rules.depositConfirmations,
        coinType: coin === 'USDT' ? 'ERC20_TOKEN' : 'CHAIN_TOKEN',
      };
    }),
  );
  app.get(
    '/api/v1/account/depositOrders',
    privateRoute(async (p) => {
      await syncDeposits().catch(() => undefined); // chain unreachable: answer with what is known
      return venue.deposits(p).map((d) => depositOrder(d, venue.confirmationsOf(d)));
    }),
  );
  app.post(
    '/api/v1/account/withdraw',
    privateRoute((p, req) => {
      const w = venue.withdraw(p);
      if (w.chain) void processWithdrawals(); // send it now rather than at the next poll
      if (faults.takeDrop('withdraw')) {
        req.socket.destroy();
        return DROPPED;
      }
      return { success: true, id: '0', orderId: w.id, accountId: ACCOUNT_ID };
    }),
  );
  app.get(
    '/api/v1/account/withdrawOrders',
    privateRoute(async (p) => {
      await processWithdrawals(); // a chain that does not answer: list what is known
      return venue.withdrawals(p).map(withdrawOrder);
    }),
  );

  app.use((req: Request, res: Response) => {
    res.status(404).json({ code: -1020, msg: `Unsupported operation: ${req.method} ${req.path}` });
  });
  return app;
}

const DROPPED = Symbol('dropped');

function send(res: Response, body: unknown): void {
  if (body === DROPPED || res.headersSent) return;
  res.json(body);
}

function fail(res: Response, error: unknown): void {
  if (res.headersSent) return;
  if (error instanceof VenueError) {
    res.status(error.httpStatus).json(error.toBody());
    return;
  }
  res
    .status(500)
    .json({ code: -1001, msg: `Internal error: ${error instanceof Error ? error.message : String(error)}` });
}

function answer(res: Response, work: () => unknown): void {
  try {
    send(res, work());
  } catch (error) {
    fail(res, error);
  }
}

async function answerAsync(res: Response, work: () => Promise<unknown>): Promise<void> {
  try {
    send(res, await work());
  } catch (error) {
    fail(res, error);
  }
}
