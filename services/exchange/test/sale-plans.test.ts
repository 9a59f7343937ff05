/**
 * Sale plans (issue 16, part 3) on real PostgreSQL, the app working as exchange_service, HashKey and OSL
 * each reached over HTTP through ccxt (HashKey's class, our OSL adapter) from their simulators, the OTC
 * desks each an HTTP server of their own: a lot is split across both venues by what their books show; a
 * desk quote at or above the hurdle (the engine's expected price) takes a block and the venues the rest;
 * one under it is kept as UNDER_HURDLE and never taken; a venue whose licence has expired is not planned
 * on and says why; bad input changes nothing; a replay of the key answers the same plan with one RFQ.
 */
import { createPool, migrate, type Pool, type ProviderTerms, silentLogger } from '@vcdc/shared';
import type { exchange } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import type { Express } from 'express';
import request from 'supertest';
import { type RunningChainSimulator, startChainSimulator } from '../../../simulators/src/chain';
import { type DeskTerms, devDeskCredentials, type RunningDesk, startDesk } from '../../../simulators/src/desks';
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
import { servicePoolFor } from '../../../test/support/audit';
import { createTestDatabase } from '../../../test/support/database';
import { DEV_PROVIDERS, enterProvider, seedProviderRegister } from '../../../test/support/provider-register';
import { createApp, EXCHANGE_MIGRATIONS_DIR } from '../src/app';
import { CcxtVenue } from '../src/ccxt-venue';
import { OslVenue } from '../src/osl/osl-venue';
import { DeskClient } from '../src/rfq/desk-client';
import { planRfqId } from '../src/sale-plans';

let owner: Pool;
let rolePool: Pool;
let chain: RunningChainSimulator;
let hashkey: RunningVenueSimulator;
let osl: RunningOslSimulator;
let app: Express;
const desks = new Map<string, RunningDesk>();
const DESK_IDS = ['desk-alpha', 'desk-beta', 'desk-gamma'] as const;
type DeskId = (typeof DESK_IDS)[number];
/** The desks price from the service's own reference for BTC/USD (read before each plan). */
let deskReference = '95000';

function deskTerms(id: DeskId, seed: number): DeskTerms {
  return {
    id,
    credentials: devDeskCredentials(id),
    seed,
    reference: () => deskReference,
    spreadBp: 10,
    minAmount: '0.1',
    maxAmount: '50',
    validityMs: 10_000,
    lastLook: 0,
    noAnswer: 0,
  };
}

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('exchange_sale_plans');
  await migrate({ databaseUrl, schema: 'exchange', dir: EXCHANGE_MIGRATIONS_DIR });
  owner = createPool(databaseUrl, 'exchange', 2);
  rolePool = (await servicePoolFor(databaseUrl, 'exchange')).pool;
  await seedProviderRegister(owner);
  chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  hashkey = await startVenueSimulator({ port: 0, seed: 16, chainUrl: chain.url, pollIntervalMs: 60_000 });
  osl = await startOslSimulator({ port: 0, chainUrl: chain.url, pollIntervalMs: 60_000 });
  for (const [i, id] of DESK_IDS.entries()) desks.set(id, await startDesk(deskTerms(id, 30 + i)));
  app = createApp({
    pool: rolePool,
    logger: silentLogger(),
    venue: new CcxtVenue({
      venueId: 'hashkey',
      apiUrl: hashkey.url,
      apiKey: DEV_VENUE_API_KEY,
      secret: DEV_VENUE_SECRET,
      timeoutMs: 5000,
      enableRateLimit: false,
    }),
    otherVenues: [
      {
        venue: new OslVenue({
          apiUrl: osl.url,
          apiKey: DEV_OSL_API_KEY,
          secret: DEV_OSL_SECRET,
          timeoutMs: 5000,
          enableRateLimit: false,
        }),
      },
    ],
    desks: DESK_IDS.map(
      (id) => new DeskClient({ id, url: desks.get(id)?.url as string, credentials: devDeskCredentials(id) }, 3000),
    ),
  });
}, 60_000);

afterAll(async () => {
  for (const d of desks.values()) await d.close();
  await osl?.close();
  await hashkey?.close();
  await chain?.close();
  await rolePool?.end();
  await owner?.end();
});

const desk = (id: DeskId) => desks.get(id) as RunningDesk;
const AUTO = { mode: 'AUTO', bandBp: '50', minDepthMultiple: '3' } as const;

function plan(caseId: string, body: Record<string, unknown>, key: string) {
  return request(app).post(`/v1/cases/${caseId}/sale-plans`).set('Idempotency-Key', key).send(body);
}

/** The desks' view of the market: the service's BTC/USD reference now. */
async function deskPricesFromReference(): Promise<void> {
  const ref = await request(app).get('/v1/markets/BTC/USD/reference-price').expect(200);
  deskReference = ref.body.price;
}

/** Each desk's spread under the reference, and the largest block it takes (default 50 BTC). */
function behave(spreads: Record<DeskId, number>, maxAmount: Partial<Record<DeskId, string>> = {}): void {
  for (const id of DESK_IDS)
    desk(id).state.set({ spreadBp: spreads[id], lastLook: 0, noAnswer: 0, maxAmount: maxAmount[id] ?? '50' });
}

const sum = (legs: { amount: string }[]) => legs.reduce((t, l) => t.plus(l.amount), new Decimal(0));
const count = async (table: string) =>
  Number((await owner.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n);

test('both venues liquid: the lot is split across HashKey and OSL, the legs add up to it; every book and alternative kept', async () => {
  const res = await plan(
    'CASE-PLAN-1',
    { asset: 'BTC', lot: '6', fiat: 'USD', rule: AUTO, slices: 6, desks: false },
    'p1',
  );
  expect(res.status).toBe(201);
  const body: exchange.SalePlanRecord = res.body;
  expect(body).toMatchObject({ caseId: 'CASE-PLAN-1', asset: 'BTC', lot: '6', fiat: 'USD', slices: 6 });
  expect(body.rfqId).toBeUndefined();
  expect(body.legs.every((l) => l.kind === 'VENUE')).toBe(true);
  expect(new Set(body.legs.map((l) => (l.kind === 'VENUE' ? l.venue : '')))).toEqual(new Set(['hashkey', 'osl']));
  expect(sum(body.legs).eq('6')).toBe(true);
  // A market order and the engine on every way read, the split across the venues.
  const kinds = body.alternatives.map((a) => a.kind);
  expect(kinds.filter((k) => k === 'ENGINE_SPLIT')).toHaveLength(1);
  expect(kinds.filter((k) => k === 'MARKET_ORDER').length).toBeGreaterThanOrEqual(3);
  const split = body.alternatives.find((a) => a.kind === 'ENGINE_SPLIT');
  expect(split && 'legs' in split ? split.legs : []).toEqual(body.legs);
  // The books: both venues' direct and stablecoin markets; OSL lists no USDT/USD, so its stablecoin way is not costed.
  const book = (venue: string, symbol: string) => body.books.find((b) => b.venue === venue && b.symbol === symbol);
  expect(book('hashkey', 'BTC/USD')).toMatchObject({ bestBid: expect.any(String) });
  expect(book('hashkey', 'BTC/USD')?.unread).toBeUndefined();
  expect(book('hashkey', 'BTC/USDT')?.unread).toBeUndefined();
  expect(book('osl', 'BTC/USD')?.unread).toBeUndefined();
  expect(book('osl', 'BTC/USDT')?.unread).toMatch(/USDT\/USD/);
  // Kept, listed, in the best-execution file and in the audit chain.
  const listed = (await request(app).get('/v1/cases/CASE-PLAN-1/sale-plans').expect(200)).body;
  expect(listed).toEqual({ salePlans: [body] });
  const report = (await request(app).get('/v1/cases/CASE-PLAN-1/best-execution').expect(200)).body;
  expect(report.salePlans).toEqual([body]);
  const audit = await owner.query(`SELECT data FROM audit_records WHERE kind = 'exchange.sale-plan.decided'`);
  expect(audit.rows.map((r) => r.data.planId)).toEqual([body.planId]);
  await expect(owner.query('UPDATE sale_plans SET reason = $1', ['changed'])).rejects.toThrow();
  // The plan's row is on the chain (bound table) and the chain verifies with it.
  const verify = (await request(app).get('/v1/audit/verify').expect(200)).body;
  expect(verify.ok).toBe(true);
  const bound = await owner.query(
    `SELECT 1 FROM audit_records WHERE kind = 'row.inserted' AND data->>'table' = 'sale_plans' AND data->'key'->>0 = $1`,
    [body.planId],
  );
  expect(bound.rowCount).toBe(1);
}, 30_000);

let deskPlan: exchange.SalePlanRecord;

test('a desk quote at or above the hurdle for the whole lot takes it all: one DESK leg, no venue', async () => {
  await deskPricesFromReference();
  behave({ 'desk-alpha': 2, 'desk-beta': 80, 'desk-gamma': 90 });
  const res = await plan(
    'CASE-PLAN-9',
    { asset: 'BTC', lot: '4', fiat: 'USD', rule: AUTO, slices: 6, desks: true },
    'p9',
  );
  expect(res.status).toBe(201);
  expect(res.body.legs).toEqual([expect.objectContaining({ kind: 'DESK', desk: 'desk-alpha', amount: '4' })]);
  expect((await request(app).get('/v1/cases/CASE-PLAN-9/rfqs').expect(200)).body.rfqs).toHaveLength(1);
}, 30_000);

test('desks declining the lot for size are asked for smaller blocks: a block to the desk, the rest to the venues', async () => {
  await deskPricesFromReference();
  // alpha bids 2 bp under the reference (better than the engine's expected price) but takes at most 1.5 BTC:
  // it declines 4 and 2, takes 1; beta and gamma bid far under the hurdle.
  behave({ 'desk-alpha': 2, 'desk-beta': 80, 'desk-gamma': 90 }, { 'desk-alpha': '1.5' });
  const tradesBefore = desk('desk-alpha').state.trades.size;
  const res = await plan(
    'CASE-PLAN-2',
    { asset: 'BTC', lot: '4', fiat: 'USD', rule: AUTO, slices: 6, desks: true },
    'p2',
  );
  expect(res.status).toBe(201);
  deskPlan = res.body;
  expect(deskPlan.rfqId).toBe(planRfqId('CASE-PLAN-2', 'p2', 2));
  expect(deskPlan.hurdle).toEqual(expect.any(String));
  const [first, ...rest] = deskPlan.legs;
  expect(first).toMatchObject({ kind: 'DESK', desk: 'desk-alpha', amount: '1', rfqId: deskPlan.rfqId });
  expect(new Decimal(first?.kind === 'DESK' ? first.price : '0').gte(deskPlan.hurdle as string)).toBe(true);
  expect(rest.length).toBeGreaterThan(0);
  expect(rest.every((l) => l.kind === 'VENUE')).toBe(true);
  expect(sum(deskPlan.legs).eq('4')).toBe(true);
  expect(deskPlan.alternatives.some((a) => a.kind === 'RFQ_BLOCK')).toBe(true);
  // Every quote of every tranche kept, each judged by the same hurdle.
  const rfqs: exchange.Rfq[] = (await request(app).get('/v1/cases/CASE-PLAN-2/rfqs').expect(200)).body.rfqs;
  const byAmount = Object.fromEntries(
    rfqs.map((r) => [r.amount, Object.fromEntries(r.quotes.map((q) => [q.desk, q.status]))]),
  );
  expect(byAmount).toEqual({
    '4': { 'desk-alpha': 'DECLINED', 'desk-beta': 'UNDER_HURDLE', 'desk-gamma': 'UNDER_HURDLE' },
    '2': { 'desk-alpha': 'DECLINED', 'desk-beta': 'UNDER_HURDLE', 'desk-gamma': 'UNDER_HURDLE' },
    '1': { 'desk-alpha': 'ACCEPTED', 'desk-beta': 'UNDER_HURDLE', 'desk-gamma': 'UNDER_HURDLE' },
  });
  expect(new Set(rfqs.map((r) => r.minPrice))).toEqual(new Set([deskPlan.hurdle]));
  expect(desk('desk-alpha').state.trades.size).toBe(tradesBefore + 1);
}, 30_000);

test('a replay of the key answers the same plan, with no RFQ asked again and one trade', async () => {
  const asked = DESK_IDS.map((id) => desk(id).state.log.quoteRequests);
  const trades = desk('desk-alpha').state.trades.size;
  const again = await plan(
    'CASE-PLAN-2',
    { asset: 'BTC', lot: '4', fiat: 'USD', rule: AUTO, slices: 6, desks: true },
    'p2',
  );
  expect(again.status).toBe(201);
  expect(again.body).toEqual(deskPlan);
  expect(DESK_IDS.map((id) => desk(id).state.log.quoteRequests)).toEqual(asked);
  expect((await request(app).get('/v1/cases/CASE-PLAN-2/rfqs').expect(200)).body.rfqs).toHaveLength(3);
  expect((await request(app).get('/v1/cases/CASE-PLAN-2/sale-plans').expect(200)).body.salePlans).toHaveLength(1);
  expect(desk('desk-alpha').state.trades.size).toBe(trades);
}, 30_000);

test('a plan retried after its RFQ traded (the first attempt died): that RFQ and its hurdle stand, no second RFQ', async () => {
  await deskPricesFromReference();
  // The first attempt asked the desks with its hurdle (fixed on the books then), alpha traded, then it died.
  behave({ 'desk-alpha': 30, 'desk-beta': 80, 'desk-gamma': 90 });
  const rfqId = planRfqId('CASE-PLAN-7', 'p8');
  const first = await request(app)
    .post('/v1/rfqs')
    .set('Idempotency-Key', 'p8-first-attempt')
    .send({ rfqId, caseId: 'CASE-PLAN-7', symbol: 'BTC/USD', amount: '2', minPrice: '90000' });
  expect(first.body).toMatchObject({ outcome: 'TRADED', trade: { desk: 'desk-alpha' } });
  const asked = DESK_IDS.map((id) => desk(id).state.log.quoteRequests);
  // The retry: today's hurdle is above alpha's price (30 bp under), the trade stands by the RFQ's own.
  const res = await plan(
    'CASE-PLAN-7',
    { asset: 'BTC', lot: '4', fiat: 'USD', rule: AUTO, slices: 6, desks: true },
    'p8',
  );
  expect(res.status).toBe(201);
  const body: exchange.SalePlanRecord = res.body;
  expect(body).toMatchObject({ rfqId, hurdle: '90000' });
  expect(body.legs[0]).toMatchObject({ kind: 'DESK', desk: 'desk-alpha', amount: '2', price: first.body.trade.price });
  expect(sum(body.legs).eq('4')).toBe(true);
  expect(DESK_IDS.map((id) => desk(id).state.log.quoteRequests)).toEqual(asked);
  expect((await request(app).get('/v1/cases/CASE-PLAN-7/rfqs').expect(200)).body.rfqs).toHaveLength(1);
}, 30_000);

test('every desk quote under the hurdle: kept as UNDER_HURDLE, none taken, the venues sell the whole lot', async () => {
  await deskPricesFromReference();
  behave({ 'desk-alpha': 60, 'desk-beta': 70, 'desk-gamma': 80 });
  const trades = DESK_IDS.map((id) => desk(id).state.trades.size);
  const res = await plan(
    'CASE-PLAN-3',
    { asset: 'BTC', lot: '4', fiat: 'USD', rule: AUTO, slices: 6, desks: true },
    'p3',
  );
  expect(res.status).toBe(201);
  const body: exchange.SalePlanRecord = res.body;
  expect(body.legs.every((l) => l.kind === 'VENUE')).toBe(true);
  expect(sum(body.legs).eq('4')).toBe(true);
  expect(body.alternatives.some((a) => a.kind === 'RFQ_BLOCK')).toBe(false);
  const rfq: exchange.Rfq = (await request(app).get(`/v1/rfqs/${body.rfqId}`).expect(200)).body;
  expect(rfq.outcome).toBe('NO_DESK');
  expect(rfq.quotes.map((q) => q.status)).toEqual(['UNDER_HURDLE', 'UNDER_HURDLE', 'UNDER_HURDLE']);
  for (const q of rfq.quotes) expect(new Decimal(q.price as string).lt(body.hurdle as string)).toBe(true);
  expect(DESK_IDS.map((id) => desk(id).state.trades.size)).toEqual(trades);
}, 30_000);

test('the plan sells through the stablecoin: no direct way is read or planned, the USDT leg is costed', async () => {
  const rule = { ...AUTO, mode: 'VIA_STABLECOIN' };
  const res = await plan('CASE-PLAN-6', { asset: 'BTC', lot: '2', fiat: 'USD', rule, slices: 6, desks: false }, 'p7');
  expect(res.status).toBe(201);
  const body: exchange.SalePlanRecord = res.body;
  // OSL lists no USDT/USD: only HashKey's stablecoin way can be costed.
  expect(body.legs).toEqual([expect.objectContaining({ venue: 'hashkey', route: 'VIA_STABLECOIN', amount: '2' })]);
  expect(body.alternatives.every((a) => !('route' in a) || a.route === 'VIA_STABLECOIN')).toBe(true);
  const direct = body.books.filter((b) => b.symbol === 'BTC/USD');
  expect(direct.map((b) => b.unread)).toEqual([expect.stringMatching(/not read/), expect.stringMatching(/not read/)]);
  // The engine's cost carries the USDT leg's: HashKey's maker fee (8 bp) and the USDT/USD taker fee (10 bp) at least.
  const engine = body.alternatives.find((a) => a.kind === 'ENGINE');
  expect(new Decimal(engine?.expectedCostBp ?? '0').gte(18)).toBe(true);
}, 30_000);

test('the disposal plan names the venues: the legs name no other, the one left out is recorded as not named', async () => {
  const res = await plan(
    'CASE-PLAN-10',
    { asset: 'BTC', lot: '3', fiat: 'USD', rule: AUTO, slices: 6, desks: false, venues: ['osl'] },
    'p10',
  );
  expect(res.status).toBe(201);
  const body: exchange.SalePlanRecord = res.body;
  expect(body.legs.map((l) => (l.kind === 'VENUE' ? l.venue : l.desk))).toEqual(['osl']);
  expect(sum(body.legs).eq('3')).toBe(true);
  expect(body.books).toContainEqual(
    expect.objectContaining({ venue: 'hashkey', unread: 'not planned on: the disposal plan does not name it' }),
  );
}, 30_000);

test('a tranche whose cost has fractions of a cent: the desk is paid, and its fill booked, in whole cents', async () => {
  await deskPricesFromReference();
  behave(
    { 'desk-alpha': 2, 'desk-beta': 80, 'desk-gamma': 90 },
    { 'desk-alpha': '2', 'desk-beta': '1.5', 'desk-gamma': '1' },
  );
  const res = await plan(
    'CASE-PLAN-11',
    { asset: 'BTC', lot: '7.99996', fiat: 'USD', rule: AUTO, slices: 2, desks: true, venues: ['hashkey', 'osl'] },
    'p11',
  );
  expect(res.status).toBe(201);
  const body: exchange.SalePlanRecord = res.body;
  const deskLeg = body.legs.find((l) => l.kind === 'DESK');
  expect(deskLeg).toMatchObject({ desk: 'desk-alpha', amount: '1.9999' });
  expect(sum(body.legs).eq('7.99996')).toBe(true);
  const rfq: exchange.Rfq = (await request(app).get(`/v1/rfqs/${body.rfqId}`).expect(200)).body;
  const exact = new Decimal(rfq.trade?.price as string).mul('1.9999');
  expect(rfq.trade?.cost).toBe(exact.toDecimalPlaces(2, Decimal.ROUND_DOWN).toFixed());
}, 30_000);

test('bad input: 400 naming each field, nothing kept and no desk asked', async () => {
  const plans = await count('sale_plans');
  const rfqs = await count('rfqs');
  const asked = DESK_IDS.map((id) => desk(id).state.log.quoteRequests);
  const res = await plan(
    'CASE-PLAN-4',
    { asset: 'BTC', lot: '1.123456789', fiat: 'USD', rule: { ...AUTO, mode: 'SOMEWHERE' }, slices: 0, desks: 'yes' },
    'p4',
  );
  expect(res.status).toBe(400);
  expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['desks', 'rule.mode', 'slices']);
  const lot = await plan(
    'CASE-PLAN-4',
    { asset: 'BTC', lot: '1.123456789', fiat: 'USD', rule: AUTO, slices: 6, desks: true },
    'p5',
  );
  expect(lot.status).toBe(400);
  expect(lot.body.errors).toEqual([expect.objectContaining({ field: 'lot' })]);
  const venue = await plan(
    'CASE-PLAN-4',
    { asset: 'BTC', lot: '1', fiat: 'USD', rule: AUTO, slices: 6, desks: true, venues: ['osl', 'nowhere'] },
    'p5b',
  );
  expect(venue.status).toBe(400);
  expect(venue.body.errors).toEqual([
    expect.objectContaining({ field: 'venues', message: expect.stringMatching(/nowhere/) }),
  ]);
  expect(await count('sale_plans')).toBe(plans);
  expect(await count('rfqs')).toBe(rfqs);
  expect(DESK_IDS.map((id) => desk(id).state.log.quoteRequests)).toEqual(asked);
});

test('a venue whose licence has expired is not planned on: recorded with why, in the plan and its audit record', async () => {
  const oslTerms = DEV_PROVIDERS.find((p) => p.providerId === 'osl') as ProviderTerms;
  await enterProvider(owner, { ...oslTerms, licence: { ...oslTerms.licence, expires: '2026-01-31' } }, 1);
  const res = await plan(
    'CASE-PLAN-5',
    { asset: 'BTC', lot: '3', fiat: 'USD', rule: AUTO, slices: 6, desks: false },
    'p6',
  );
  expect(res.status).toBe(201);
  const body: exchange.SalePlanRecord = res.body;
  expect(body.legs.every((l) => l.kind === 'VENUE' && l.venue === 'hashkey')).toBe(true);
  expect(sum(body.legs).eq('3')).toBe(true);
  expect(body.books.filter((b) => b.venue === 'osl')).toEqual([
    { venue: 'osl', symbol: '*', levels: 0, unread: expect.stringMatching(/not planned on: .*licen/i) },
  ]);
  expect(JSON.stringify(body.alternatives)).not.toContain('"osl"');
  const audit = await owner.query(
    `SELECT data FROM audit_records WHERE kind = 'exchange.sale-plan.decided' AND case_id = 'CASE-PLAN-5'`,
  );
  expect(audit.rows[0]?.data.refusedVenues).toEqual([
    expect.objectContaining({ venue: 'osl', detail: expect.stringMatching(/licen/i) }),
  ]);
}, 30_000);
