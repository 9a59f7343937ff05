/**
 * A second licensed venue: the exchange service with HashKey as its default venue and OSL beside it,
 * OSL reached through our ccxt adapter over real HTTP to the simulated OSL (its own API, signing,
 * precision, fees), which watches the real ledger-chain simulator for deposits. Orders, deposits and
 * withdrawals go through OSL at /v1/venues/osl/... exactly as through HashKey at /v1/...
 */
import { createPool, migrate, type Pool, silentLogger } from '@vcdc/shared';
import type { exchange } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import type { Express } from 'express';
import request from 'supertest';
import { type RunningChainSimulator, startChainSimulator } from '../../../simulators/src/chain';
import {
  DEV_OSL_API_KEY,
  DEV_OSL_SECRET,
  type RunningOslSimulator,
  startOslSimulator,
} from '../../../simulators/src/osl';
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
import { OslVenue } from '../src/osl/osl-venue';

const BANK = { id: 'HK-TRUST-001', name: 'Case property trust account', bank: 'Hong Kong branch' };

let pool: Pool;
let chain: RunningChainSimulator;
let hashkey: RunningVenueSimulator;
let osl: RunningOslSimulator;
let app: Express;

const oslVenue = (url: string) =>
  new OslVenue({
    apiUrl: url,
    apiKey: DEV_OSL_API_KEY,
    secret: DEV_OSL_SECRET,
    timeoutMs: 5000,
    enableRateLimit: false,
  });

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('exchange_osl');
  await migrate({ databaseUrl, schema: 'exchange', dir: EXCHANGE_MIGRATIONS_DIR });
  pool = createPool(databaseUrl, 'exchange');
  await seedProviderRegister(pool);
  chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  hashkey = await startVenueSimulator({ port: 0, seed: 4242, chainUrl: chain.url, pollIntervalMs: 60_000 });
  osl = await startOslSimulator({
    port: 0,
    chainUrl: chain.url,
    bankAccounts: [BANK],
    depositConfirmations: 2,
    withdrawalDelayMs: 200,
    pollIntervalMs: 60_000,
    initialBalances: { BTC: '4', USD: '10000' },
  });
  app = createApp({
    pool,
    logger: silentLogger(),
    venue: new CcxtVenue({
      venueId: 'hashkey',
      apiUrl: hashkey.url,
      apiKey: DEV_VENUE_API_KEY,
      secret: DEV_VENUE_SECRET,
      timeoutMs: 5000,
      enableRateLimit: false,
    }),
    otherVenues: [{ venue: oslVenue(osl.url) }],
  });
});

afterAll(async () => {
  await osl.close();
  await hashkey.close();
  await chain.close();
  await pool.end();
});

const oslBalance = (asset: string) => new Decimal(osl.venue.state.balances[asset]?.free ?? '0');

test("OSL's market rules: its own precision (quantity to 4 places, price to 2) and limits, named as OSL", async () => {
  const res = await request(app).get('/v1/venues/osl/markets/BTC/USDT').expect(200);
  expect(res.body).toEqual({
    venue: 'osl',
    symbol: 'BTC/USDT',
    base: 'BTC',
    quote: 'USDT',
    stepSize: '0.0001',
    tickSize: '0.01',
    minQty: '0.0005',
    maxQty: '5',
    marketOrderMaxQty: '2',
    minNotional: '10',
  });
  // the default venue is unchanged
  const hk = await request(app).get('/v1/markets/BTC/USDT').expect(200);
  expect(hk.body).toMatchObject({ venue: 'hashkey', stepSize: '0.00001' });
  await request(app).get('/v1/venues/nowhere/markets/BTC/USDT').expect(404);
});

test('an order on OSL fills through the adapter and is booked with OSL precision and its 0.15% taker fee', async () => {
  const btcBefore = oslBalance('BTC');
  const usdtBefore = oslBalance('USDT');
  const hashkeyOrders = hashkey.venue.state.orders.length;
  const res = await request(app)
    .post('/v1/venues/osl/orders')
    .set('Idempotency-Key', 'k-osl-1')
    .send({
      caseId: 'case-osl-1',
      clientOrderId: 'case-osl-1-sell-1',
      symbol: 'BTC/USDT',
      type: 'market',
      amount: '1.2345',
    })
    .expect(201);
  const order = res.body as exchange.VenueOrder;
  expect(order).toMatchObject({
    venue: 'osl',
    amount: '1.2345',
    filled: '1.2345',
    status: 'closed',
    feeCurrency: 'USDT',
  });
  const trades = osl.venue.state.trades.filter((t) => t.clientOrderId === 'case-osl-1-sell-1');
  expect(order.fills.map((f) => [f.tradeId, f.price, f.amount, f.fee])).toEqual(
    trades.map((t) => [t.id, new Decimal(t.price).toFixed(), new Decimal(t.qty).toFixed(), t.commission]),
  );
  for (const f of order.fills) {
    expect(f.amount).toMatch(/^\d+(\.\d{1,4})?$/);
    expect(f.price).toMatch(/^\d+(\.\d{1,2})?$/);
    // OSL's schedule, not HashKey's 0.10%: what is credited is the cost less 0.15%, to USDT's 6 places down
    const credited = new Decimal(f.cost).mul('0.9985').toDecimalPlaces(6, Decimal.ROUND_DOWN);
    expect(f.fee).toBe(new Decimal(f.cost).minus(credited).toFixed());
  }
  // conservation at OSL: the BTC sold is the amount, the USDT credited is cost - fee
  expect(btcBefore.minus(oslBalance('BTC')).toFixed()).toBe('1.2345');
  expect(oslBalance('USDT').minus(usdtBefore).toFixed()).toBe(new Decimal(order.cost).minus(order.fee).toFixed());
  expect(hashkey.venue.state.orders.length).toBe(hashkeyOrders);
  const { rows } = await pool.query('SELECT venue FROM orders WHERE client_order_id = $1', ['case-osl-1-sell-1']);
  expect(rows).toEqual([{ venue: 'osl' }]);

  // looked up at OSL, where it was placed; not at the default venue
  const again = await request(app).get('/v1/venues/osl/orders/case-osl-1-sell-1').expect(200);
  expect(again.body).toEqual(order);
  await request(app).get('/v1/orders/case-osl-1-sell-1').expect(404);
});

test("an amount finer than OSL's 4 places is refused naming amount, and nothing reaches OSL", async () => {
  const before = osl.venue.state.orders.length;
  const res = await request(app)
    .post('/v1/venues/osl/orders')
    .set('Idempotency-Key', 'k-osl-2')
    .send({
      caseId: 'case-osl-2',
      clientOrderId: 'case-osl-2-sell-1',
      symbol: 'BTC/USDT',
      type: 'market',
      amount: '0.12345',
    })
    .expect(422);
  expect(JSON.stringify(res.body)).toMatch(/amount/);
  expect(osl.venue.state.orders.length).toBe(before);
});

test('a deposit to OSL is credited through the adapter and recorded at OSL', async () => {
  const addr = await request(app).get('/v1/venues/osl/deposit-addresses/BTC').expect(200);
  expect(addr.body).toMatchObject({ venue: 'osl', address: osl.venue.state.depositAddresses.bitcoin });
  expect(addr.body.address).not.toBe(hashkey.venue.state.depositAddresses.bitcoin);
  const sent = await fetch(`${chain.url}/v1/chains/bitcoin/faucet`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ address: addr.body.address, asset: 'BTC', amount: '0.75' }),
  });
  const { txHash } = (await sent.json()) as { txHash: string };
  chain.mine('bitcoin', 2);
  const btc = oslBalance('BTC');
  const res = await request(app)
    .get('/v1/venues/osl/deposits')
    .query({ caseId: 'case-osl-d1', asset: 'BTC', txHash })
    .expect(200);
  expect(res.body).toMatchObject({ venue: 'osl', status: 'CREDITED', amount: '0.75', txHash });
  expect(oslBalance('BTC').minus(btc).toFixed()).toBe('0.75');
  // HashKey never saw it
  await request(app).get('/v1/deposits').query({ caseId: 'case-osl-d1', asset: 'BTC', txHash }).expect(404);
});

test("a USD wire leaves OSL with OSL's fee and terms: PENDING then COMPLETED", async () => {
  const terms = await request(app).get('/v1/venues/osl/currencies/USD/withdrawal-terms').expect(200);
  expect(terms.body).toEqual({ venue: 'osl', currency: 'USD', allowed: true, fee: '25', minAmount: '100' });
  const usd = oslBalance('USD');
  const res = await request(app)
    .post('/v1/venues/osl/withdrawals')
    .set('Idempotency-Key', 'k-osl-wd-1')
    .send({ caseId: 'case-osl-w1', currency: 'USD', amount: '2500.5', bankAccountId: BANK.id })
    .expect(201);
  const w = res.body as exchange.VenueWithdrawal;
  expect(w).toMatchObject({ venue: 'osl', amount: '2500.5', fee: '25', netAmount: '2475.5', status: 'PENDING' });
  expect(usd.minus(oslBalance('USD')).toFixed()).toBe('2500.5');
  await new Promise((r) => setTimeout(r, 300));
  const done = await request(app).get(`/v1/venues/osl/withdrawals/${w.withdrawalId}`).expect(200);
  expect(done.body.status).toBe('COMPLETED');
  await request(app).get(`/v1/withdrawals/${w.withdrawalId}`).expect(404);
});

describe('a retail account at OSL', () => {
  let retailOsl: RunningOslSimulator;
  let retailApp: Express;
  beforeAll(async () => {
    retailOsl = await startOslSimulator({
      port: 0,
      chainUrl: chain.url,
      investorClass: 'retail',
      pollIntervalMs: 60_000,
      initialBalances: { BTC: '2' },
    });
    // OSL as the default venue this time, for an account of the retail class.
    const venue = oslVenue(retailOsl.url);
    retailApp = createApp({
      pool,
      logger: silentLogger(),
      venue,
      fairPrice: new FairPriceGuard(venue, { capabilities: DEFAULT_CAPABILITIES, investorClass: 'retail' }),
    });
  });
  afterAll(() => retailOsl.close());

  test("a pair for professional investors is refused before OSL is asked (the capability table's osl entry)", async () => {
    const before = retailOsl.venue.state.orders.length;
    const res = await request(retailApp)
      .post('/v1/orders')
      .set('Idempotency-Key', 'k-osl-retail-1')
      .send({
        caseId: 'case-osl-r1',
        clientOrderId: 'case-osl-r1-sell-1',
        symbol: 'BTC/USD',
        type: 'market',
        amount: '0.1',
      })
      .expect(422);
    expect(res.body.type).toBe('urn:vcdc:problem:investor-class-not-permitted');
    expect(retailOsl.venue.state.orders.length).toBe(before);
  });

  test('OSL itself refuses the pair to a retail account (PermissionDenied), and a retail pair fills', async () => {
    const venue = oslVenue(retailOsl.url);
    await expect(
      venue.placeSellOrder({ symbol: 'BTC/USD', type: 'market', amount: '0.1', clientOrderId: 'retail-direct-1' }),
    ).rejects.toMatchObject({ kind: 'refused', reason: 'not-permitted' });
    expect(retailOsl.venue.state.orders.filter((o) => o.clientOrderId === 'retail-direct-1')).toEqual([]);
    const filled = await venue.placeSellOrder({
      symbol: 'BTC/USDT',
      type: 'market',
      amount: '0.1',
      clientOrderId: 'retail-direct-2',
    });
    expect(filled).toMatchObject({ status: 'closed', filled: '0.1' });
  });
});

test('OSL\'s public book is a reference source like any ccxt venue\'s (REFERENCE_VENUES exchange "osl")', async () => {
  const source = new CcxtMarketData({
    id: 'osl',
    exchange: 'osl',
    url: osl.url,
    timeoutMs: 5000,
    enableRateLimit: false,
  });
  const top = await source.topOfBook('BTC/USDT');
  const book = osl.venue.depth('BTC-USDT', 1);
  expect(top).toMatchObject({ venue: 'osl', bid: book.b[0]?.[0], ask: book.a[0]?.[0] });
});
