/**
 * An RFQ judged by the service's own prices (no prices given to the app): the fair-price guard's
 * reference from the venue simulator through ccxt, the day's legal floor from its daily closes, the
 * market's band from the capability table — the same prices an order at the venue is held to.
 */
import { createPool, migrate, type Pool, silentLogger } from '@vcdc/shared';
import { Decimal } from '@vcdc/shared/money';
import type { Express } from 'express';
import request from 'supertest';
import { type RunningChainSimulator, startChainSimulator } from '../../../simulators/src/chain';
import { devDeskCredentials, type RunningDesk, startDesk } from '../../../simulators/src/desks';
import {
  DEV_VENUE_API_KEY,
  DEV_VENUE_SECRET,
  type RunningVenueSimulator,
  startVenueSimulator,
} from '../../../simulators/src/venue';
import { createTestDatabase } from '../../../test/support/database';
import { seedProviderRegister } from '../../../test/support/provider-register';
import { createApp, EXCHANGE_MIGRATIONS_DIR } from '../src/app';
import { CcxtVenue } from '../src/ccxt-venue';
import { DeskClient } from '../src/rfq/desk-client';

let pool: Pool;
let chain: RunningChainSimulator;
let sim: RunningVenueSimulator;
let desk: RunningDesk;
let app: Express;
let reference = '1';

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('exchange_rfq_prices');
  await migrate({ databaseUrl, schema: 'exchange', dir: EXCHANGE_MIGRATIONS_DIR });
  pool = createPool(databaseUrl, 'exchange', 4);
  await seedProviderRegister(pool); // the dev desks among the dev providers
  chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  sim = await startVenueSimulator({ port: 0, seed: 16, chainUrl: chain.url, pollIntervalMs: 60_000 });
  desk = await startDesk({
    id: 'desk-alpha',
    credentials: devDeskCredentials('desk-alpha'),
    seed: 3,
    reference: () => reference,
    spreadBp: 0,
    minAmount: '0.1',
    maxAmount: '50',
    validityMs: 10_000,
    lastLook: 0,
    noAnswer: 0,
  });
  const venue = new CcxtVenue({
    venueId: 'hashkey',
    apiUrl: sim.url,
    apiKey: DEV_VENUE_API_KEY,
    secret: DEV_VENUE_SECRET,
    timeoutMs: 5000,
    enableRateLimit: false,
  });
  app = createApp({
    pool,
    logger: silentLogger(),
    venue,
    desks: [new DeskClient({ id: 'desk-alpha', url: desk.url, credentials: devDeskCredentials('desk-alpha') })],
  });
});

afterAll(async () => {
  await desk.close();
  await sim.close();
  await chain.close();
  await pool.end();
});

test('the reference, the legal floor and the band are the service’s own; the quote is judged by them', async () => {
  const ref = (await request(app).get('/v1/markets/BTC/USD/reference-price').expect(200)).body;
  const floor = (await request(app).get('/v1/markets/BTC/USD/legal-floor').expect(200)).body;
  reference = ref.price;
  const res = await request(app)
    .post('/v1/rfqs')
    .set('Idempotency-Key', 'rfq-prices-1')
    .send({ rfqId: 'rfq-prices-1', caseId: 'CASE-RFQP-1', symbol: 'BTC/USD', amount: '1' })
    .expect(201);
  const body = res.body;
  expect(body.floorRule).toBe('average-close:20');
  expect(body.floorPrice).toBe(floor.price);
  expect(body.band).toBe('0.2');
  expect(body.referenceId).toBeDefined();
  expect(new Decimal(body.bandLow).eq(new Decimal(body.referencePrice).mul('0.8'))).toBe(true);
  // The desk bid the reference it was shown (the service's own may have moved a step since): well
  // within the band, and above the day's floor (the simulator's market stands over its 20-day average).
  expect(new Decimal(floor.price).lt(new Decimal(reference).mul('0.99'))).toBe(true);
  expect(body.quotes).toEqual([expect.objectContaining({ desk: 'desk-alpha', status: 'ACCEPTED', price: reference })]);
  expect(body.outcome).toBe('TRADED');

  // A bid 1 % under the floor, within the band: never taken.
  desk.state.set({ spreadBp: 0, reference: () => new Decimal(floor.price).mul('0.99').toFixed(2) });
  const under = (
    await request(app)
      .post('/v1/rfqs')
      .set('Idempotency-Key', 'rfq-prices-2')
      .send({ rfqId: 'rfq-prices-2', caseId: 'CASE-RFQP-1', symbol: 'BTC/USD', amount: '1' })
      .expect(201)
  ).body;
  expect(under.quotes).toEqual([expect.objectContaining({ status: 'BELOW_FLOOR' })]);
  expect(under).toMatchObject({ outcome: 'NO_DESK', useEngine: true });
  expect(desk.state.trades.size).toBe(1);
});
