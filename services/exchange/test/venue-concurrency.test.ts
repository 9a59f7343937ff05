/**
 * Orders of many cases at once through one venue client (issue 19): the client paces itself by the
 * venue's request limit from the capability table instead of ccxt's default, so the orders run in
 * parallel and the venue (the simulator, whose limit the test sets) never answers 429; each order
 * asks the venue only what it needs (the trades only when the order's answer says it filled); and no
 * database connection is held while the venue is asked. Real PostgreSQL, real ccxt over HTTP.
 */
import { CLAIM_TTL_MS, canonicalJson, createPool, migrate, type Pool, sha256Hex, silentLogger } from '@vcdc/shared';
import type { exchange } from '@vcdc/shared/contracts';
import type { Express } from 'express';
import pg from 'pg';
import request from 'supertest';
import { type RunningChainSimulator, startChainSimulator } from '../../../simulators/src/chain';
import {
  DEV_VENUE_API_KEY,
  DEV_VENUE_SECRET,
  type RunningVenueSimulator,
  startVenueSimulator,
  VENUE_REQUESTS_PER_SECOND,
} from '../../../simulators/src/venue';
import { createTestDatabase } from '../../../test/support/database';
import { seedProviderRegister } from '../../../test/support/provider-register';
import { createApp, EXCHANGE_MIGRATIONS_DIR } from '../src/app';
import { DEFAULT_CAPABILITIES } from '../src/capabilities';
import { CcxtVenue } from '../src/ccxt-venue';
import type { Venue } from '../src/venue';

/** Tighter than the dev stack's, so twenty orders' calls (about a hundred) must be paced to keep it. */
const LIMIT = 25;
const ORDERS = 20;
const TRADES = 'GET /api/v1/account/trades';
const PLACE = 'POST /api/v1/spot/order';

let pool: Pool;
let chain: RunningChainSimulator;
let sim: RunningVenueSimulator;
let app: Express;
let venue: CcxtVenue;
/** Connections of `pool` checked out when a venue call began, the most seen. */
let heldDuringVenueCall = 0;

/** The venue, with a look at the pool each time it is asked something. */
function watched(venue: Venue, db: Pool): Venue {
  return new Proxy(venue, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        heldDuringVenueCall = Math.max(heldDuringVenueCall, db.totalCount - db.idleCount);
        return value.apply(target, args);
      };
    },
  });
}

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('exchange_concurrency');
  await migrate({ databaseUrl, schema: 'exchange', dir: EXCHANGE_MIGRATIONS_DIR });
  pool = createPool(databaseUrl, 'exchange');
  await seedProviderRegister(pool);
  chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  sim = await startVenueSimulator({
    port: 0,
    seed: 19,
    chainUrl: chain.url,
    bankAccounts: [],
    pollIntervalMs: 60_000,
    initialBalances: { BTC: '50', ETH: '50' },
    requestsPerSecond: LIMIT,
  });
  venue = new CcxtVenue({
    venueId: 'hashkey',
    apiUrl: sim.url,
    apiKey: DEV_VENUE_API_KEY,
    secret: DEV_VENUE_SECRET,
    timeoutMs: 10_000,
    requestLimit: { perSecond: LIMIT },
  });
  app = createApp({ pool, logger: silentLogger(), venue: watched(venue, pool) });
}, 60_000);

afterAll(async () => {
  await sim?.close();
  await chain?.close();
  await pool?.end();
});

function sell(i: number, body: Partial<exchange.PlaceSellOrder> = {}) {
  return request(app)
    .post('/v1/orders')
    .set('Idempotency-Key', `conc-${i}`)
    .send({
      caseId: `CASE-CONC-${i}`,
      clientOrderId: `conc-${i}`,
      symbol: 'BTC/USDT',
      type: 'market',
      amount: '0.01',
      ...body,
    });
}

test("the dev stack's venue limit and the capability table's figure for HashKey are the same", () => {
  expect(DEFAULT_CAPABILITIES.hashkey?.requestLimit).toEqual({ perSecond: VENUE_REQUESTS_PER_SECOND });
});

test('twenty market orders at once are all placed and filled, the venue never refuses one for its rate, and each fetches its trades once', async () => {
  const answers = await Promise.all(Array.from({ length: ORDERS }, (_, i) => sell(i)));
  expect(answers.map((a) => [a.status, a.body.status, a.body.filled])).toEqual(
    Array(ORDERS).fill([201, 'closed', '0.01']),
  );
  expect(sim.requestLimit.refused).toBe(0);
  expect(sim.requestLimit.count(PLACE)).toBe(ORDERS);
  // A market order's answer says it executed; its trades are fetched once to record them, not again.
  expect(sim.requestLimit.count(TRADES)).toBe(ORDERS);
}, 120_000);

test("an order's records take one transaction: its answer to the key is stored in it, and its audit records are appended in one statement, last", async () => {
  const sent: string[] = [];
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function logged(this: pg.Client, ...args: unknown[]) {
    const text = args[0];
    sent.push((typeof text === 'string' ? text : (text as { text: string }).text).replace(/\s+/g, ' ').trim());
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  try {
    await sell(200).expect(201);
  } finally {
    pg.Client.prototype.query = query;
  }
  const begin = sent.indexOf('BEGIN');
  const commit = sent.indexOf('COMMIT');
  expect(sent.filter((s) => s === 'BEGIN')).toHaveLength(1);
  const inTransaction = sent.slice(begin + 1, commit);
  const audit = inTransaction.filter((s) => s.includes('audit_append'));
  expect(audit).toHaveLength(1);
  // Nothing runs while the chain's lock is held but the appends and the commit.
  expect(inTransaction.at(-1)).toContain('audit_append');
  // The answer to the key is stored with the order, not in a transaction of its own after it.
  expect(inTransaction.some((s) => s.startsWith('UPDATE idempotency_keys'))).toBe(true);
  expect(sent.slice(commit + 1)).toEqual([]);
  const stored = await pool.query('SELECT response_status, response_body FROM idempotency_keys WHERE key = $1', [
    'conc-200',
  ]);
  expect(stored.rows[0]).toMatchObject({
    response_status: 201,
    response_body: { clientOrderId: 'conc-200', filled: '0.01' },
  });
  const records = await pool.query(
    "SELECT kind FROM audit_records WHERE data->>'clientOrderId' = 'conc-200' ORDER BY seq",
  );
  expect(records.rows.map((r) => r.kind)).toEqual([
    'exchange.order.placed',
    'exchange.fill.booked',
    'exchange.order.closed',
  ]);
  const replay = await sell(200).expect(201);
  expect(replay.headers['idempotent-replayed']).toBe('true');
  expect(replay.body).toEqual(stored.rows[0].response_body);
});

test("fills the venue's trades list only later are booked at the next look-up, each once, and the view lists every fill once", async () => {
  // A venue whose list of trades lags its record of the order: the first fetch lists only the first trade.
  let lagging = true;
  const lags = new Proxy(venue, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (name !== 'orderFills') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: Parameters<Venue['orderFills']>) => {
        const fills = await target.orderFills(...args);
        return lagging ? fills.slice(0, 1) : fills;
      };
    },
  });
  const laggingApp = createApp({ pool, logger: silentLogger(), venue: lags });
  // Large enough to take several levels of the book: several trades.
  const placed = await request(laggingApp)
    .post('/v1/orders')
    .set('Idempotency-Key', 'conc-lag')
    .send({ caseId: 'CASE-CONC-LAG', clientOrderId: 'conc-lag', symbol: 'BTC/USDT', type: 'market', amount: '3' })
    .expect(201);
  expect(placed.body.fills).toHaveLength(1);
  lagging = false;
  const all = await venue.orderFills('BTC/USDT', { venueOrderId: placed.body.venueOrderId, clientOrderId: 'conc-lag' });
  expect(all.length).toBeGreaterThan(1);
  const again = await request(laggingApp).get('/v1/orders/conc-lag').expect(200);
  const byTrade = (fills: { tradeId: string }[]) => fills.map((f) => f.tradeId).sort();
  expect(byTrade(again.body.fills)).toEqual(byTrade(all));
  expect(again.body.filled).toBe('3');
  // The first fill is the one booked at placement, with the same figures.
  expect(again.body.fills).toContainEqual(placed.body.fills[0]);
  const booked = await pool.query(
    "SELECT data->>'tradeId' AS trade FROM audit_records WHERE kind = 'exchange.fill.booked' AND data->>'clientOrderId' = 'conc-lag'",
  );
  expect(booked.rows.map((r) => r.trade).sort()).toEqual(byTrade(all));
  // A third look, with nothing new, changes nothing and lists the same.
  expect((await request(laggingApp).get('/v1/orders/conc-lag').expect(200)).body).toEqual(again.body);
});

test('checks reading a book while a read of it is under way share that read; a read that has answered is not reused', async () => {
  const DEPTH = 'GET /quote/v1/depth';
  const before = sim.requestLimit.count(DEPTH);
  const shared = await Promise.all(Array.from({ length: 5 }, () => venue.bidsAndTop('BTC/USDT')));
  expect(sim.requestLimit.count(DEPTH)).toBe(before + 1);
  expect(new Set(shared).size).toBe(1);
  const next = await venue.bidsAndTop('BTC/USDT');
  expect(sim.requestLimit.count(DEPTH)).toBe(before + 2);
  expect(next).not.toBe(shared[0]);
  // Another market's book is a read of its own.
  await Promise.all([venue.bidsAndTop('BTC/USDT'), venue.bidsAndTop('ETH/USDT')]);
  expect(sim.requestLimit.count(DEPTH)).toBe(before + 4);
});

test('looking an order up again fetches no trades once its fills are recorded', async () => {
  const before = sim.requestLimit.count(TRADES);
  const again = await request(app).get('/v1/orders/conc-0').expect(200);
  expect(again.body).toMatchObject({ status: 'closed', filled: '0.01' });
  expect(again.body.fills.length).toBeGreaterThan(0);
  expect(sim.requestLimit.count(TRADES)).toBe(before);
});

test('a resting limit order is placed, looked up and cancelled without a fetch of trades, and no connection is held while the venue is asked', async () => {
  const before = sim.requestLimit.count(TRADES);
  // One request at a time: any connection checked out during a venue call is one this order holds.
  heldDuringVenueCall = 0;
  const placed = await sell(100, { symbol: 'ETH/USDT', type: 'limit', amount: '1', limitPrice: '3600' });
  expect(placed.status).toBe(201);
  expect(placed.body).toMatchObject({ status: 'open', filled: '0', fills: [] });
  await request(app).get('/v1/orders/conc-100').expect(200);
  const cancelled = await request(app)
    .post('/v1/orders/conc-100/cancel')
    .set('Idempotency-Key', 'conc-100-cancel')
    .send({ caseId: 'CASE-CONC-100' })
    .expect(200);
  expect(cancelled.body).toMatchObject({ status: 'canceled', filled: '0' });
  expect(sim.requestLimit.count(TRADES)).toBe(before);
  expect(sim.requestLimit.refused).toBe(0);
  expect(heldDuringVenueCall).toBe(0);
});

test('a request that died after the venue took its order leaves its claim: a retry waits, then takes it over and adopts that order', async () => {
  const body = {
    caseId: 'CASE-CONC-CRASH',
    clientOrderId: 'conc-crash',
    symbol: 'BTC/USDT',
    type: 'market',
    amount: '0.01',
  };
  // What the dead request got as far as: its key claimed, its order at the venue, nothing recorded.
  const atVenue = await venue.placeSellOrder({
    symbol: 'BTC/USDT',
    type: 'market',
    amount: '0.01',
    clientOrderId: 'conc-crash',
  });
  const claim = (age: string) =>
    pool.query(
      `INSERT INTO idempotency_keys (key, request_hash, method, path, response_status, response_body, created_at)
       VALUES ('conc-crash', $1, 'POST', '/v1/orders', 102, 'null', now() - $2::interval)
       ON CONFLICT (key) DO UPDATE SET created_at = EXCLUDED.created_at`,
      [sha256Hex(canonicalJson({ method: 'POST', path: '/v1/orders', body })), age],
    );
  const retry = () => request(app).post('/v1/orders').set('Idempotency-Key', 'conc-crash').send(body);

  await claim('1 second');
  const early = await retry().expect(409);
  expect(early.body.type).toBe('urn:vcdc:problem:idempotency-request-in-progress');

  await claim(`${CLAIM_TTL_MS + 1000} milliseconds`);
  const adopted = await retry().expect(201);
  expect(adopted.body).toMatchObject({ venueOrderId: atVenue.venueOrderId, status: 'closed', filled: '0.01' });
  expect(sim.venue.state.orders.filter((o) => o.clientOrderId === 'conc-crash')).toHaveLength(1);
  // The answer is stored: the same request again is a replay.
  const replay = await retry().expect(201);
  expect(replay.headers['idempotent-replayed']).toBe('true');
});
