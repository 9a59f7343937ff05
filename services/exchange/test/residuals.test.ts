/**
 * Small amounts are never stranded (issue 13, part 5), the exchange service's part, on real PostgreSQL
 * as exchange_service and the real venue simulator through ccxt: the venue's terms for sending a coin
 * out (GET /v1/assets/:asset/withdrawal-terms), and residuals (POST /v1/residuals): an amount the case
 * cannot sell or take out, booked in its name with the venue's terms as evidence, listed in the case's
 * statement, append-only and on the audit chain; what the venue would pay out, or more than the case
 * holds there by the service's records, is refused naming `amount`, and nothing is booked.
 */
import type { Pool } from '@vcdc/shared';
import type { exchange } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import type { Express } from 'express';
import request from 'supertest';
import { type RunningChainSimulator, startChainSimulator } from '../../../simulators/src/chain';
import { auditRequests } from '../../../test/support/audit';
import { type SimulatedExchange, startSimulatedExchange } from '../../../test/support/simulated-exchange';
import { residualIdFor } from '../src/residuals';

const BANK = { id: 'HK-TRUST-001', name: 'Case property trust account', bank: 'Hong Kong branch' };
let owner: Pool;
let rolePool: Pool;
let chain: RunningChainSimulator;
let ex: SimulatedExchange;
let app: Express;

beforeAll(async () => {
  chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  ex = await startSimulatedExchange({
    database: 'exchange_residuals',
    chainUrl: chain.url,
    asServiceRole: true,
    venue: {
      seed: 11,
      bankAccounts: [BANK],
      depositConfirmations: 2,
      withdrawalDelayMs: 100,
      withdrawalFee: '10',
      initialBalances: { BTC: '20', ETH: '50', USD: '100000' },
    },
  });
  ({ pool: owner, app } = ex);
  rolePool = ex.servicePool!;
});

afterAll(async () => {
  await ex?.close();
  await chain?.close();
});

const { post, verify } = auditRequests(() => app);
const book = (body: Record<string, unknown>, key: string) =>
  request(app).post('/v1/residuals').set('Idempotency-Key', key).send(body);
const statement = async (caseId: string) =>
  (await request(app).get(`/v1/cases/${caseId}/statement`).expect(200)).body as exchange.ExchangeStatement;
const residualRows = async (caseId: string) =>
  Number(
    (await owner.query('SELECT count(*)::int AS n FROM residuals WHERE case_id = $1', [caseId])).rows[0].n as number,
  );

/** A case that sold `amount` of ETH for USDT at the venue: its USDT proceeds are what it holds there. */
async function caseWithProceeds(caseId: string, amount: string): Promise<exchange.VenueOrder> {
  const sold = (
    await post('/v1/orders', { caseId, clientOrderId: `${caseId}-sell`, symbol: 'ETH/USDT', type: 'market', amount })
  ).body as exchange.VenueOrder;
  expect(sold.status).toBe('closed');
  return sold;
}

describe('coin withdrawal terms', () => {
  test("the venue's minimum and fee for sending ETH and USDT out, on the chain each is carried on", async () => {
    const eth = (await request(app).get('/v1/assets/ETH/withdrawal-terms').expect(200)).body;
    expect(eth).toEqual({
      venue: 'hashkey',
      asset: 'ETH',
      chain: 'ethereum',
      allowed: true,
      fee: '0.003',
      minAmount: '0.01',
    });
    const usdt = (await request(app).get('/v1/assets/USDT/withdrawal-terms').expect(200)).body;
    expect(usdt).toMatchObject({ asset: 'USDT', minAmount: '10', fee: '3' });
    const bad = await request(app).get('/v1/assets/eth/withdrawal-terms').expect(400);
    expect(bad.body.errors[0].field).toBe('asset');
  });
});

describe('residuals', () => {
  test('USDT dust under the minimum send is booked in the case name with the terms, listed in the statement, once per key', async () => {
    const caseId = 'CASE-RES-1';
    const sold = await caseWithProceeds(caseId, '0.001');
    const proceeds = new Decimal(sold.cost).minus(sold.fee);
    expect(proceeds.lt(10)).toBe(true);
    const body = {
      caseId,
      asset: 'USDT',
      amount: '0.000924',
      reason: 'BELOW_MINIMUM_ORDER',
      detail: "below the venue's minimum order for USDT/USD after the sale",
    };
    const res = await book(body, 'k-res-1').expect(201);
    expect(res.body).toMatchObject({
      residualId: residualIdFor('k-res-1'),
      caseId,
      venue: 'hashkey',
      asset: 'USDT',
      amount: '0.000924',
      reason: 'BELOW_MINIMUM_ORDER',
      withdrawalMinimum: '10',
      withdrawalFee: '3',
      withdrawalAllowed: true,
    });
    // The same key answers the same line; nothing is booked twice.
    expect((await book(body, 'k-res-1').expect(201)).body).toEqual(res.body);
    expect(await residualRows(caseId)).toBe(1);
    expect((await statement(caseId)).residuals).toEqual([res.body]);
  });

  test('a remainder under the smallest unit of USD and USD under the minimum wire are residuals of the fiat', async () => {
    const caseId = 'CASE-RES-2';
    // The venue's account needs USDT to sell (another case's sale brings it); the case's USD are its USDT/USD proceeds.
    await caseWithProceeds('CASE-RES-2-SRC', '0.05');
    const usdSale = (
      await post('/v1/orders', {
        caseId,
        clientOrderId: `${caseId}-usd`,
        symbol: 'USDT/USD',
        type: 'market',
        amount: '57',
      })
    ).body as exchange.VenueOrder;
    expect(usdSale.status).toBe('closed');
    const usd = new Decimal(usdSale.cost).minus(usdSale.fee);
    const rounded = usd.toDecimalPlaces(2, Decimal.ROUND_DOWN);
    const subCent = usd.minus(rounded);
    const lines = [
      ...(subCent.gt(0)
        ? [{ amount: subCent.toFixed(), reason: 'BELOW_SMALLEST_UNIT', detail: 'below the smallest unit of USD' }]
        : []),
      { amount: rounded.toFixed(), reason: 'BELOW_MINIMUM_WITHDRAWAL', detail: "under hashkey's minimum wire" },
    ];
    for (const [i, l] of lines.entries()) {
      await book({ caseId, asset: 'USD', ...l }, `k-res-2-${i}`).expect(201);
    }
    const residuals = (await statement(caseId)).residuals ?? [];
    expect(residuals.map((r) => r.reason)).toEqual(lines.map((l) => l.reason));
    // Together they are the case's USD at the venue, to the last unit.
    expect(residuals.reduce((s, r) => s.plus(r.amount), new Decimal(0)).toFixed()).toBe(usd.toFixed());
    expect(residuals.at(-1)).toMatchObject({ withdrawalMinimum: '100', withdrawalFee: '10' });
  });

  test('an amount the venue would pay out is refused naming amount: it must go back, not stay', async () => {
    const caseId = 'CASE-RES-3';
    await caseWithProceeds(caseId, '0.02'); // some 70 USDT
    const res = await book(
      { caseId, asset: 'USDT', amount: '12', reason: 'BELOW_MINIMUM_ORDER', detail: 'not dust' },
      'k-res-3',
    ).expect(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.type).toMatch(/residual-could-be-withdrawn$/);
    expect(res.body.errors[0].field).toBe('amount');
    expect(res.body).toMatchObject({ minAmount: '10', fee: '3' });
    expect(await residualRows(caseId)).toBe(0);
    // Not above the fee: the venue would send nothing, so it may stay.
    await book(
      { caseId, asset: 'USDT', amount: '3', reason: 'BELOW_MINIMUM_WITHDRAWAL', detail: 'fee' },
      'k-res-3b',
    ).expect(201);
  });

  test("more than the case holds at the venue by the service's records is refused; another case's money is not its", async () => {
    const caseId = 'CASE-RES-4';
    const sold = await caseWithProceeds(caseId, '0.001');
    const proceeds = new Decimal(sold.cost).minus(sold.fee);
    const over = await book(
      {
        caseId,
        asset: 'USDT',
        amount: proceeds.plus('0.000001').toFixed(),
        reason: 'BELOW_MINIMUM_ORDER',
        detail: 'too much',
      },
      'k-res-4',
    ).expect(422);
    expect(over.body.type).toMatch(/residual-exceeds-case-balance$/);
    expect(over.body.errors[0].field).toBe('amount');
    // ETH the case never deposited (it sold from the venue's own balance here: it holds none of its own).
    const eth = await book(
      { caseId, asset: 'ETH', amount: '0.000016', reason: 'BELOW_LOT_STEP', detail: 'none of its own' },
      'k-res-4-eth',
    ).expect(422);
    expect(eth.body.type).toMatch(/residual-exceeds-case-balance$/);
    // All of it, then one unit more: the second is refused, the booked line counts against the balance.
    await book(
      { caseId, asset: 'USDT', amount: proceeds.toFixed(), reason: 'BELOW_MINIMUM_ORDER', detail: 'all' },
      'k-res-4-all',
    ).expect(201);
    const again = await book(
      { caseId, asset: 'USDT', amount: '0.000001', reason: 'BELOW_MINIMUM_ORDER', detail: 'one more' },
      'k-res-4-more',
    ).expect(422);
    expect(again.body.type).toMatch(/residual-exceeds-case-balance$/);
    expect(await residualRows(caseId)).toBe(1);
  });

  test('bad bodies are refused with 400 naming the field', async () => {
    const base = { caseId: 'CASE-RES-5', asset: 'USDT', amount: '0.1', reason: 'BELOW_LOT_STEP', detail: 'x' };
    for (const [field, value] of [
      ['amount', '0'],
      ['amount', '-1'],
      ['asset', 'DOGE'],
      ['reason', 'BECAUSE'],
      ['detail', ''],
    ] as const) {
      const res = await book({ ...base, [field]: value }, `k-res-5-${field}-${value}`).expect(400);
      expect(res.body.errors[0].field).toBe(field);
    }
    expect(await residualRows('CASE-RES-5')).toBe(0);
  });

  test('residual rows are append-only, their images are on the chain, and the chain verifies', async () => {
    const { rows } = await owner.query("SELECT residual_id FROM residuals WHERE case_id = 'CASE-RES-1'");
    const id = rows[0].residual_id as string;
    await expect(rolePool.query('UPDATE residuals SET amount = 1 WHERE residual_id = $1', [id])).rejects.toThrow();
    await expect(owner.query('UPDATE residuals SET amount = 1 WHERE residual_id = $1', [id])).rejects.toThrow(
      /append-only/,
    );
    await expect(owner.query('DELETE FROM residuals WHERE residual_id = $1', [id])).rejects.toThrow(/append-only/);
    const records = (await request(app).get('/v1/audit/records?caseId=CASE-RES-1').expect(200)).body.records as {
      kind: string;
      data: Record<string, unknown>;
    }[];
    expect(records.map((r) => r.kind)).toContain('exchange.residual.booked');
    const verified = await verify();
    expect(verified).toMatchObject({ ok: true });
    expect(JSON.stringify(verified)).toContain('residuals');
  });
});
