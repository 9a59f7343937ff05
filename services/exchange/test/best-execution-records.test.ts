/**
 * Best-execution records of the exchange service on real PostgreSQL, against two venue simulators as
 * moving markets (other participants' flow, 1m candles with volume) reached through real ccxt over
 * HTTP, and a third reference venue that cannot be reached. One hand-stepped clock drives the venues,
 * the fair-price guard and the report, so every figure is recomputed here from the venue's own records.
 */
import { createPool, migrate, type Pool, silentLogger } from '@vcdc/shared';
import { exchange } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import ccxt from 'ccxt';
import type { Express } from 'express';
import request from 'supertest';
import { type RunningChainSimulator, startChainSimulator } from '../../../simulators/src/chain';
import {
  DEV_VENUE_API_KEY,
  DEV_VENUE_SECRET,
  type RunningVenueSimulator,
  startVenueSimulator,
} from '../../../simulators/src/venue';
import { createTestDatabase } from '../../../test/support/database';
import { seedProviderRegister } from '../../../test/support/provider-register';
import { createApp, EXCHANGE_MIGRATIONS_DIR } from '../src/app';
import { DEFAULT_CAPABILITIES } from '../src/capabilities';
import { CcxtVenue } from '../src/ccxt-venue';
import { FairPriceGuard } from '../src/fair-price';
import { CcxtMarketData } from '../src/market-data';

const CASE = 'case-BX1';
const PARENT = `case-${CASE}/sale/BTC-USDT/1`;
const MINUTE = 60_000;

let pool: Pool;
let chain: RunningChainSimulator;
let trading: RunningVenueSimulator;
let other: RunningVenueSimulator;
let app: Express;
/** The market's clock: ten minutes back, 5 s into a minute; stepped by hand. */
const t0 = Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE + 5_000;
let t = t0;
const clock = () => t;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('exchange_best_execution');
  await migrate({ databaseUrl, schema: 'exchange', dir: EXCHANGE_MIGRATIONS_DIR });
  pool = createPool(databaseUrl, 'exchange');
  await seedProviderRegister(pool);
  chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  const sim = (seed: number) =>
    startVenueSimulator({
      port: 0,
      seed,
      chainUrl: chain.url,
      pollIntervalMs: 60_000,
      dynamics: { marketSeed: 7000 },
      clock,
      initialBalances: { BTC: '10' },
    });
  trading = await sim(7001);
  other = await sim(7002);
  const data = (id: string, url: string) =>
    new CcxtMarketData({ id, exchange: 'hashkey', url, timeoutMs: 3000, enableRateLimit: false });
  const venue = new CcxtVenue({
    venueId: 'hashkey',
    apiUrl: trading.url,
    apiKey: DEV_VENUE_API_KEY,
    secret: DEV_VENUE_SECRET,
    timeoutMs: 3000,
    enableRateLimit: false,
  });
  const fairPrice = new FairPriceGuard(venue, {
    referenceSources: [
      data('hashkey', trading.url),
      data('other', other.url),
      data('offline', 'http://127.0.0.1:9'), // never answers: recorded as unavailable
    ],
    policy: { maxAgeMs: 5000, maxDispersionBp: '100', minSources: 2 },
    capabilities: DEFAULT_CAPABILITIES,
    investorClass: 'professional',
    now: () => new Date(t),
  });
  app = createApp({ pool, logger: silentLogger(), venue, fairPrice, clock: () => new Date(t) });
});

afterAll(async () => {
  await trading.close();
  await other.close();
  await chain.close();
  await pool.end();
});

const book = () => trading.venue.state.books.BTCUSDT!;
const tick = (p: Decimal) => p.div('0.01').floor().mul('0.01');
const venueTrades = (clientOrderId: string) =>
  trading.venue.state.trades.filter((x) => x.clientOrderId === clientOrderId);

async function reference(): Promise<exchange.ReferencePrice> {
  return (await request(app).get('/v1/markets/BTC/USDT/reference-price').expect(200)).body;
}

function sell(body: Record<string, unknown>, key: string) {
  return request(app)
    .post('/v1/orders')
    .set('Idempotency-Key', key)
    .send({ caseId: CASE, symbol: 'BTC/USDT', ...body });
}

async function report(caseId = CASE): Promise<exchange.BestExecutionReport> {
  return (await request(app).get(`/v1/cases/${caseId}/best-execution`).expect(200)).body;
}

/** The venue's 1m candle volume of the minute starting at `start`, read through ccxt directly. */
async function candleVolume(start: number): Promise<string | undefined> {
  const ex = new ccxt.hashkey({ enableRateLimit: false, urls: { api: { public: trading.url, private: trading.url } } });
  const candles = await ex.fetchOHLCV('BTC/USDT', '1m', start, 1, { endTime: start + MINUTE - 1 });
  const found = candles.find((c) => c[0] === start);
  return found ? new Decimal(String(found[5])).toFixed() : undefined;
}

test('a case sold in a lot and a lone order: every quote, order event and fill kept; per fill and per lot recomputed', async () => {
  // 1. The engine reads the reference (recorded with every quote, the offline venue's too) ...
  const arrival = await reference();
  expect(arrival.id).toMatch(/^\d+$/);
  const quotes = await pool.query(
    'SELECT venue, bid, ask, mid, excluded, outcome, median, dispersion_bp, detail FROM price_observations WHERE computation_id = $1 ORDER BY venue',
    [arrival.id],
  );
  expect(quotes.rows).toEqual([
    expect.objectContaining({ venue: 'hashkey', excluded: null, outcome: 'ok', median: arrival.price }),
    expect.objectContaining({
      venue: 'offline',
      bid: null,
      mid: null,
      excluded: 'unavailable',
      detail: expect.any(String),
    }),
    expect.objectContaining({ venue: 'other', excluded: null, outcome: 'ok', dispersion_bp: arrival.dispersionBp }),
  ]);

  // ... and sells slice 1 through the bid (filled at once), with the lot and the prices it priced from.
  const lot = { parentOrderId: PARENT, arrivalPrice: arrival.price, referencePrice: arrival.price };
  const bestBid = new Decimal(book().bids[0]!.price);
  const a = await sell(
    { ...lot, clientOrderId: 'bx-s1', type: 'limit', amount: '0.2', limitPrice: tick(bestBid.mul('0.9995')).toFixed() },
    'bx-k1',
  ).expect(201);
  expect(a.body.status).toBe('closed');

  // A refused order's check is recorded all the same (the refusal rolls back the order, not the prices).
  const computations = async () =>
    Number((await pool.query('SELECT count(DISTINCT computation_id)::int AS n FROM price_observations')).rows[0].n);
  t += 1_000; // after the slice's fill: the latest reference at the fill stays the slice's own check
  const before = await computations();
  await sell(
    { ...lot, clientOrderId: 'bx-bad', type: 'limit', amount: '0.1', limitPrice: tick(bestBid.mul('0.7')).toFixed() },
    'bx-kbad',
  ).expect(422);
  expect(await computations()).toBe(before + 1);

  // The first minute, read while it runs: provisional.
  const early = await report();
  expect(early.orders[0]!.fills[0]!.interval).toMatchObject({
    final: false,
    start: new Date(t0 - 5_000).toISOString(),
  });

  // 2. Slice 2 rests between bid and ask 15 s after slice 1; other participants' buying fills part of it; cancelled.
  t += 14_000;
  const second = await reference();
  const s2 = await sell(
    {
      ...lot,
      referencePrice: second.price,
      clientOrderId: 'bx-s2',
      type: 'limit',
      amount: '3',
      limitPrice: new Decimal(book().asks[0]!.price).minus('0.01').toFixed(),
    },
    'bx-k2',
  ).expect(201);
  expect(s2.body.status).toBe('open');
  t += 8_000;
  const cancelled = await request(app)
    .post('/v1/orders/bx-s2/cancel')
    .set('Idempotency-Key', 'bx-k2-cancel')
    .send({ caseId: CASE })
    .expect(200);
  expect(cancelled.body.status).toBe('canceled');
  expect(new Decimal(cancelled.body.filled).gt(0)).toBe(true);
  expect(new Decimal(cancelled.body.remaining).gt(0)).toBe(true);

  // 3. A market order on its own a minute later (its own lot, arrival = the reference it was checked at).
  t += 45_000;
  await sell({ clientOrderId: 'bx-solo', type: 'market', amount: '0.3' }, 'bx-k3').expect(201);

  // 4. Both minutes over: the report.
  t += 2 * MINUTE;
  const r = await report();
  expect(exchange.BestExecutionReport.parse(r)).toEqual(r); // the answer keeps the contract
  expect(r.caseId).toBe(CASE);
  expect(r.orders.map((o) => o.clientOrderId)).toEqual(['bx-s1', 'bx-s2', 'bx-solo']);
  const [s1o, s2o, solo] = r.orders as [
    exchange.BestExecutionOrder,
    exchange.BestExecutionOrder,
    exchange.BestExecutionOrder,
  ];

  // orders: the lot, the prices in force, the computations they were priced from and checked by
  expect(s1o).toMatchObject({
    parentOrderId: PARENT,
    arrivalPrice: arrival.price,
    referencePrice: arrival.price,
    pricedReferenceId: arrival.id,
    status: 'closed',
  });
  expect(s2o).toMatchObject({ parentOrderId: PARENT, arrivalPrice: arrival.price, pricedReferenceId: second.id });
  const floor = (await request(app).get('/v1/markets/BTC/USDT/legal-floor').expect(200)).body.price as string;
  for (const o of r.orders) {
    expect(o.floor).toBe(floor);
    expect(o.checkReferenceId).toMatch(/^\d+$/);
  }
  // priced from the engine's reading, checked by the service's own; on its own: the check's
  expect(s1o.checkReferenceId).not.toBe(s1o.pricedReferenceId);
  expect(solo.pricedReferenceId).toBe(solo.checkReferenceId);
  const soloCheck = r.referencePrices.find((c) => c.id === solo.checkReferenceId)!;
  expect(solo).toMatchObject({ parentOrderId: null, arrivalPrice: soloCheck.price, referencePrice: soloCheck.price });
  expect(soloCheck.quotes.map((q) => q.venue).sort()).toEqual(['hashkey', 'offline', 'other']);

  // events, append-only and in order
  expect(s1o.events.map((e) => e.event)).toEqual(['placed', ...venueTrades('bx-s1').map(() => 'fill'), 'closed']);
  expect(s2o.events.map((e) => e.event)).toEqual([
    'placed',
    ...venueTrades('bx-s2').map(() => 'fill'),
    'cancel-requested',
    'canceled',
  ]);
  expect(s2o.events.filter((e) => e.event === 'fill').map((e) => e.tradeId)).toEqual(
    venueTrades('bx-s2').map((x) => x.id),
  );
  expect(s2o.events.at(-1)!.at).toBe(new Date(t0 + 23_000).toISOString());

  // fills: exactly the venue's, each with its reference, floor and share of the venue's minute volume
  for (const o of r.orders) {
    const trades = venueTrades(o.clientOrderId);
    expect(o.fills.map((f) => [f.tradeId, f.price, f.amount, f.fee, f.at])).toEqual(
      trades.map((x) => [x.id, x.price, x.qty, x.commission, new Date(x.time).toISOString()]),
    );
    for (const f of o.fills) {
      // the latest reference at or before the fill: the order's own pre-trade check (computed last before it)
      expect(f.reference).toMatchObject({ computationId: o.checkReferenceId });
      const ref = new Decimal(f.reference!.price);
      expect(f.vsReferenceBp).toBe(
        ref.minus(f.price).div(ref).mul(10_000).toDecimalPlaces(4, Decimal.ROUND_DOWN).toFixed(),
      );
      expect(f.belowFloor).toBe(false);
      const start = Math.floor(Date.parse(f.at) / MINUTE) * MINUTE;
      const volume = await candleVolume(start);
      expect(volume).toBeDefined();
      expect(f.interval).toMatchObject({ start: new Date(start).toISOString(), final: true, venueVolume: volume });
      expect(f.interval.share).toBe(
        new Decimal(f.amount).div(volume!).toDecimalPlaces(6, Decimal.ROUND_DOWN).toFixed(),
      );
      expect(new Decimal(f.interval.share!).lte(1)).toBe(true);
    }
  }
  // the case's participation in a minute counts all its fills in it
  const firstMinute = s1o.fills[0]!.interval;
  const caseInMinute = r.orders
    .flatMap((o) => o.fills)
    .filter((f) => f.interval.start === firstMinute.start)
    .reduce((s, f) => s.plus(f.amount), new Decimal(0));
  expect(firstMinute.caseShare).toBe(
    caseInMinute.div(firstMinute.venueVolume!).toDecimalPlaces(6, Decimal.ROUND_DOWN).toFixed(),
  );
  // the first minute was read twice (provisional, then final), appended each time
  const observations = await pool.query('SELECT volume FROM interval_volumes WHERE interval_start = $1 ORDER BY id', [
    firstMinute.start,
  ]);
  expect(observations.rows).toHaveLength(2);

  // lots: sold, average, shortfall against the arrival price, fees, floor, recomputed from the venue's trades
  expect(r.lots.map((l) => [l.lotId, l.parentOrderId, l.clientOrderIds])).toEqual([
    [PARENT, PARENT, ['bx-s1', 'bx-s2']],
    ['bx-solo', null, ['bx-solo']],
  ]);
  for (const [l, ids, arrivalPrice] of [
    [r.lots[0]!, ['bx-s1', 'bx-s2'], arrival.price],
    [r.lots[1]!, ['bx-solo'], soloCheck.price!],
  ] as const) {
    const trades = ids.flatMap(venueTrades);
    const sold = trades.reduce((s, x) => s.plus(x.qty), new Decimal(0));
    const proceeds = trades.reduce((s, x) => s.plus(new Decimal(x.price).mul(x.qty)), new Decimal(0));
    const fees = trades.reduce((s, x) => s.plus(x.commission), new Decimal(0));
    const avg = proceeds.div(sold);
    const bp = (p: Decimal) =>
      new Decimal(arrivalPrice).minus(p).div(arrivalPrice).mul(10_000).toDecimalPlaces(4, Decimal.ROUND_DOWN);
    const prices = trades.map((x) => new Decimal(x.price));
    expect(l).toMatchObject({
      fillCount: trades.length,
      sold: sold.toFixed(),
      proceeds: proceeds.toFixed(),
      averagePrice: avg.toDecimalPlaces(12, Decimal.ROUND_DOWN).toFixed(),
      arrivalPrice,
      shortfallBp: bp(avg).isZero() ? '0' : bp(avg).toFixed(),
      shortfallWithFeesBp: bp(proceeds.minus(fees).div(sold)).toFixed(),
      fees: [{ currency: 'USDT', amount: fees.toFixed() }],
      floor: { price: floor, minFillPrice: Decimal.min(...prices).toFixed(), result: 'OK', breaches: [] },
    });
  }

  // every computation the report refers to is in it, quote by quote
  const ids = new Set(r.referencePrices.map((c) => c.id));
  for (const o of r.orders) {
    expect(ids.has(o.checkReferenceId!)).toBe(true);
    expect(ids.has(o.pricedReferenceId!)).toBe(true);
  }
  expect(r.referencePrices.find((c) => c.id === arrival.id)).toMatchObject({
    outcome: 'ok',
    price: arrival.price,
    policy: { maxAgeMs: 5000, maxDispersionBp: '100', minSources: 2 },
  });

  // recomputed on each request from the same records: the same answer (nothing final is read again)
  const volumeRows = async () =>
    Number((await pool.query('SELECT count(*)::int AS n FROM interval_volumes')).rows[0].n);
  const read = await volumeRows();
  const again = await report();
  expect({ ...again, generatedAt: '' }).toEqual({ ...r, generatedAt: '' });
  expect(await volumeRows()).toBe(read);
}, 60_000);

test('a retried placement (answer lost after the venue accepted) is recorded once, with the event saying so', async () => {
  const ref = await reference();
  const body = {
    parentOrderId: PARENT,
    arrivalPrice: ref.price,
    referencePrice: ref.price,
    clientOrderId: 'bx-retry',
    type: 'market',
    amount: '0.1',
  };
  trading.faults.dropResponseAfterAccept('createOrder');
  await sell(body, 'bx-k-retry').expect(503);
  const retried = await sell(body, 'bx-k-retry').expect(201);
  expect(retried.body.filled).toBe('0.1');
  const o = (await report()).orders.find((x) => x.clientOrderId === 'bx-retry')!;
  expect(o.events.filter((e) => e.event === 'placed')).toEqual([
    expect.objectContaining({ detail: expect.stringMatching(/found at the venue/) }),
  ]);
  expect(o).toMatchObject({ parentOrderId: PARENT, arrivalPrice: ref.price, checkReferenceId: null, floor: null });
  // the lot's floor still judges it
  expect(o.fills[0]!.floor).toMatch(/^\d/);
  // another parent order under the same client order id is another order: refused
  const other = await sell({ ...body, parentOrderId: `${PARENT}-other` }, 'bx-k-retry-2').expect(409);
  expect(other.body.type).toBe('urn:vcdc:problem:client-order-id-conflict');
});

test('records are append-only: quotes, events, volumes and what an order was placed with never change', async () => {
  await expect(pool.query('UPDATE price_observations SET median = 1')).rejects.toThrow(/append-only/);
  await expect(pool.query('DELETE FROM order_events')).rejects.toThrow(/append-only/);
  await expect(pool.query('TRUNCATE interval_volumes')).rejects.toThrow(/append-only/);
  await expect(pool.query("UPDATE orders SET arrival_price = 1 WHERE client_order_id = 'bx-s1'")).rejects.toThrow(
    /never changes/,
  );
  await expect(pool.query("DELETE FROM orders WHERE client_order_id = 'bx-s1'")).rejects.toThrow(/never deleted/);
  // the status is the venue's, refreshed
  await pool.query("UPDATE orders SET status_checked_at = now() WHERE client_order_id = 'bx-s1'");
});

test('a case without orders has an empty report; a malformed case id is 400', async () => {
  expect(await report('case-none')).toMatchObject({ caseId: 'case-none', lots: [], orders: [], referencePrices: [] });
  await request(app).get('/v1/cases/-bad-/best-execution').expect(400);
});
