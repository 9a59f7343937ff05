/**
 * Resubmission after a rejection, charges and fees per tranche, and the itemised waterfall from the
 * venue to the CNY settled: on real PostgreSQL, real HTTP and the FX-rate simulator.
 */
import { Decimal, type Pool } from '@vcdc/shared';
import type { Express } from 'express';
import request from 'supertest';
import { type RunningFxRateSimulator, startFxRateSimulator } from '../../../simulators/src/fx-rates';
import { PEOPLE, signedDecision, testActKeys } from '../../../test/support/acts';
import { type StartedService, startFx } from '../../../test/support/fx-treasury';
import { HttpRateSource } from '../src/rate-source';

const NOW = new Date('2026-03-12T08:30:00.000Z');
const HASH = 'cd'.repeat(32);

let started: StartedService;
let pool: Pool;
let sim: RunningFxRateSimulator;
let app: Express;
const acts = testActKeys();
let keys = 0;
const key = (label = 'k') => `wf-${label}-${++keys}`;

beforeAll(async () => {
  sim = await startFxRateSimulator({ port: 0, seed: 'fx-waterfall-test', clock: () => NOW });
  started = await startFx({
    database: 'fx_waterfall',
    verifyKeys: acts.verifyKeys,
    rateSource: new HttpRateSource(sim.url),
    clock: () => NOW,
  });
  ({ pool, app } = started);
});
afterAll(async () => {
  await sim.close();
  await started.close();
});

const body = (overrides: Record<string, unknown> = {}) => ({
  caseId: 'CASE-WF-1',
  currency: 'USD',
  amount: '10000.00',
  transactionCode: '622011',
  purpose: 'Proceeds of the court-ordered disposal of seized virtual currency',
  remitter: { name: 'VCDC Trust HK', account: 'HK-001-2345', bank: 'Bank of China (Hong Kong)' },
  beneficiary: { name: 'City Public Security Bureau', account: '1100-2200-3300', bank: 'Bank of China Beijing' },
  documents: [{ name: 'disposal-ruling.pdf', sha256: HASH }],
  venueWithdrawal: { withdrawalId: 'wd-1', grossAmount: '10025.00', fee: '25.00' },
  workflowId: 'case-CASE-WF-1',
  ...overrides,
});
const post = (route: string, b: object, k = key()) => request(app).post(route).set('Idempotency-Key', k).send(b);
/** A request that first reads the declaration's case (decisions are signed for it), then posts. */
function onCaseOf(id: string, send: (caseId: string) => request.Test) {
  const run = request(app)
    .get(`/v1/declarations/${id}`)
    // Boxed: a supertest request is itself awaitable, and would be sent here otherwise.
    .then((r) => ({ test: () => send(r.status === 200 ? r.body.caseId : 'CASE-WF-1') }));
  return {
    expect: (status: number) => run.then(async (box) => box.test().expect(status)),
    // biome-ignore lint/suspicious/noThenProperty: awaitable like a supertest request
    then: <R>(ok: (r: request.Response) => R, fail?: (e: unknown) => R) =>
      run.then(async (box) => box.test()).then(ok, fail),
  };
}
const decide = (id: string, decision: 'APPROVED' | 'REJECTED', regulatorReference = `SAFE-${++keys}`) =>
  onCaseOf(id, (caseId) =>
    post(`/v1/declarations/${id}/decision`, {
      decision: signedDecision(acts.signingKey, caseId, PEOPLE.fxOfficer, {
        stage: 'FX_DECLARATION',
        outcome: decision === 'APPROVED' ? 'APPROVE' : 'REJECT',
        reference: regulatorReference,
      }),
    }),
  );
const settle = (id: string, b: Record<string, string>) =>
  onCaseOf(id, (caseId) =>
    post(`/v1/declarations/${id}/settlements`, {
      decision: signedDecision(acts.signingKey, caseId, PEOPLE.fxOfficer, {
        stage: 'FX_SETTLEMENT',
        outcome: 'APPROVE',
        settlement: { bankReference: `BOCHK-${++keys}`, ...b } as { amount: string; bankReference: string },
      }),
    }),
  );
const rate = async () =>
  (await (await fetch(`${sim.url}/v1/rates/USD/CNY?date=2026-03-12`)).json()) as {
    bankBuyRate: string;
    centralParity: string;
  };

test('the declaration carries the fields a bank files: number, code, amount, parties, case, documents with hashes', async () => {
  const d = await post('/v1/declarations', body()).expect(201);
  expect(d.body).toMatchObject({
    declarationNo: expect.stringMatching(/^BOP-20260312-\d{6}$/),
    caseId: 'CASE-WF-1',
    transactionCode: '622011',
    currency: 'USD',
    amount: '10000.00',
    remitter: body().remitter,
    beneficiary: body().beneficiary,
    documents: [{ name: 'disposal-ruling.pdf', sha256: HASH }],
    venueWithdrawal: { withdrawalId: 'wd-1', grossAmount: '10025.00', fee: '25.00' },
  });
});

test('rejected, then resubmitted with a note, then approved: every transition recorded with who and when', async () => {
  const { body: d } = await post('/v1/declarations', body()).expect(201);
  await post(`/v1/declarations/${d.declarationId}/submit`, { workflowId: 'case-CASE-WF-1' }).expect(200);
  await decide(d.declarationId, 'REJECTED').expect(200);
  const again = await post(`/v1/declarations/${d.declarationId}/submit`, {
    workflowId: 'case-CASE-WF-1',
    note: 'court judgment attached',
  }).expect(200);
  expect(again.body.status).toBe('SUBMITTED');
  await decide(d.declarationId, 'APPROVED').expect(200);
  // Approving twice, or resubmitting an approved declaration, is refused.
  expect((await decide(d.declarationId, 'APPROVED').expect(409)).body).toMatchObject({
    type: 'urn:vcdc:problem:invalid-transition',
    currentStatus: 'APPROVED',
  });
  await post(`/v1/declarations/${d.declarationId}/submit`, { workflowId: 'case-CASE-WF-1' }).expect(409);
  const { body: after } = await request(app).get(`/v1/declarations/${d.declarationId}`).expect(200);
  expect(
    after.transitions.map((t: { from: string | null; to: string; by: string; at: string }) => [
      t.from,
      t.to,
      t.by,
      t.at,
    ]),
  ).toEqual([
    [null, 'DRAFT', 'workflow:case-CASE-WF-1', NOW.toISOString()],
    ['DRAFT', 'SUBMITTED', 'workflow:case-CASE-WF-1', NOW.toISOString()],
    ['SUBMITTED', 'REJECTED', 'fx.officer.wang', NOW.toISOString()],
    ['REJECTED', 'SUBMITTED', 'workflow:case-CASE-WF-1', NOW.toISOString()],
    ['SUBMITTED', 'APPROVED', 'fx.officer.wang', NOW.toISOString()],
  ]);
  expect(after.transitions[3].note).toBe('court judgment attached');
});

test('two tranches with charges and fees: each a waterfall line, and every level adds up to the fen', async () => {
  const { body: d } = await post('/v1/declarations', body()).expect(201);
  await post(`/v1/declarations/${d.declarationId}/submit`, { workflowId: 'case-CASE-WF-1' }).expect(200);
  await decide(d.declarationId, 'APPROVED').expect(200);
  const r = await rate();

  const t1 = await settle(d.declarationId, {
    amount: '6000.00',
    bankCharges: '15.00',
    correspondentFees: '20.00',
  }).expect(201);
  expect(t1.body).toMatchObject({
    foreignAmount: '6000.00',
    bankCharges: '15.00',
    correspondentFees: '20.00',
    netForeignAmount: '5965.00',
    rate: r.bankBuyRate,
    centralParity: r.centralParity,
    cnyAmount: new Decimal('5965.00').times(r.bankBuyRate).toDecimalPlaces(2, Decimal.ROUND_DOWN).toFixed(2),
  });
  expect(
    new Decimal(t1.body.fxSpread).eq(new Decimal('5965').times(new Decimal(r.centralParity).minus(r.bankBuyRate))),
  ).toBe(true);

  const mid = await request(app).get(`/v1/declarations/${d.declarationId}/waterfall`).expect(200);
  expect(mid.body.unsettled).toBe('4000.00');

  const t2 = await settle(d.declarationId, { amount: '4000.00', bankCharges: '10.00' }).expect(201);
  expect((await request(app).get(`/v1/declarations/${d.declarationId}`)).body.status).toBe('SETTLED');

  const { body: w } = await request(app).get(`/v1/declarations/${d.declarationId}/waterfall`).expect(200);
  const line = (kind: string) => new Decimal(w.lines.find((l: { kind: string }) => l.kind === kind).amount);
  expect(
    w.lines.map((l: { kind: string; amount: string }) => [
      l.kind,
      l.kind.startsWith('CNY') || l.kind === 'FX_SPREAD' || l.kind === 'ROUNDING' ? 'CNY' : l.amount,
    ]),
  ).toEqual([
    ['WITHDRAWN_AT_VENUE', '10025.00'],
    ['VENUE_WITHDRAWAL_FEE', '-25.00'],
    ['ARRIVED_AT_BANK', '10000.00'],
    ['CORRESPONDENT_FEES', '-20.00'],
    ['BANK_CHARGES', '-25.00'],
    ['CONVERTED', '9955.00'],
    ['CNY_AT_CENTRAL_PARITY', 'CNY'],
    ['FX_SPREAD', 'CNY'],
    ['ROUNDING', 'CNY'],
    ['CNY_SETTLED', 'CNY'],
  ]);
  expect(line('CNY_AT_CENTRAL_PARITY').eq(new Decimal('9955.00').times(r.centralParity))).toBe(true);
  expect(line('CNY_AT_CENTRAL_PARITY').plus(line('FX_SPREAD')).plus(line('ROUNDING')).eq(line('CNY_SETTLED'))).toBe(
    true,
  );
  expect(line('CNY_SETTLED').eq(new Decimal(t1.body.cnyAmount).plus(t2.body.cnyAmount))).toBe(true);
  expect(line('FX_SPREAD').lt(0)).toBe(true);
  expect(w.unsettled).toBe('0.00');
  expect(w.lines.find((l: { kind: string }) => l.kind === 'CNY_SETTLED').settlementIds).toEqual([
    t1.body.settlementId,
    t2.body.settlementId,
  ]);
});

test('refused: charges that eat the whole tranche (422), charges finer than a cent (400), a venue withdrawal that does not add up (400)', async () => {
  const { body: d } = await post('/v1/declarations', body()).expect(201);
  await post(`/v1/declarations/${d.declarationId}/submit`, { workflowId: 'case-CASE-WF-1' }).expect(200);
  await decide(d.declarationId, 'APPROVED').expect(200);
  const eaten = await settle(d.declarationId, {
    amount: '10.00',
    bankCharges: '6.00',
    correspondentFees: '4.00',
  }).expect(422);
  expect(eaten.body).toMatchObject({
    type: 'urn:vcdc:problem:charges-exceed-tranche',
    errors: [{ field: 'decision.settlement.bankCharges' }],
  });
  const fine = await settle(d.declarationId, { amount: '10.00', correspondentFees: '0.001' }).expect(400);
  expect(fine.body.errors).toEqual([expect.objectContaining({ field: 'decision.settlement.correspondentFees' })]);
  const { rows } = await pool.query('SELECT count(*)::int AS n FROM settlements WHERE declaration_id = $1', [
    d.declarationId,
  ]);
  expect(rows[0].n).toBe(0);

  const bad = await post(
    '/v1/declarations',
    body({ venueWithdrawal: { withdrawalId: 'wd-2', grossAmount: '10025.00', fee: '24.99' } }),
  ).expect(400);
  expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'venueWithdrawal.grossAmount' })]);
});

test('a replayed resubmission answers the same declaration and records one transition', async () => {
  const { body: d } = await post('/v1/declarations', body({ venueWithdrawal: undefined })).expect(201);
  await post(`/v1/declarations/${d.declarationId}/submit`, { workflowId: 'case-CASE-WF-1' }).expect(200);
  await decide(d.declarationId, 'REJECTED').expect(200);
  const first = await post(
    `/v1/declarations/${d.declarationId}/submit`,
    { workflowId: 'case-CASE-WF-1', note: 'fixed' },
    'resubmit-once',
  ).expect(200);
  const again = await post(
    `/v1/declarations/${d.declarationId}/submit`,
    { workflowId: 'case-CASE-WF-1', note: 'fixed' },
    'resubmit-once',
  ).expect(200);
  expect(again.body).toEqual(first.body);
  expect(first.body.transitions).toHaveLength(4);
  // Without a venue withdrawal the waterfall starts at the bank.
  const { body: w } = await request(app).get(`/v1/declarations/${d.declarationId}/waterfall`).expect(200);
  expect(w.lines[0]).toMatchObject({ kind: 'ARRIVED_AT_BANK', amount: '10000.00' });
});

describe('the declaration state machine, every action from every state', () => {
  type Action = 'submit' | 'approve' | 'reject' | 'settle';
  const act = (id: string, action: Action) => {
    switch (action) {
      case 'submit':
        return post(`/v1/declarations/${id}/submit`, { workflowId: 'case-CASE-WF-1' });
      case 'approve':
        return decide(id, 'APPROVED');
      case 'reject':
        return decide(id, 'REJECTED');
      case 'settle':
        return settle(id, { amount: '10000.00' });
    }
  };
  /** How to bring a new declaration to each state. */
  const PATHS: Record<string, Action[]> = {
    DRAFT: [],
    SUBMITTED: ['submit'],
    APPROVED: ['submit', 'approve'],
    REJECTED: ['submit', 'reject'],
    SETTLED: ['submit', 'approve', 'settle'],
  };
  const ALLOWED: Record<string, Partial<Record<Action, string>>> = {
    DRAFT: { submit: 'SUBMITTED' },
    SUBMITTED: { approve: 'APPROVED', reject: 'REJECTED' },
    APPROVED: { settle: 'SETTLED' },
    REJECTED: { submit: 'SUBMITTED' },
    SETTLED: {},
  };
  const rows = Object.keys(PATHS).flatMap((from) =>
    (['submit', 'approve', 'reject', 'settle'] as const).map(
      (action) => [from, action, ALLOWED[from]![action]] as const,
    ),
  );

  test.each(rows)('from %s, %s → %s (undefined = refused with 409, nothing recorded)', async (from, action, to) => {
    const { body: d } = await post('/v1/declarations', body({ caseId: `CASE-SM-${++keys}` })).expect(201);
    for (const step of PATHS[from]!) expect((await act(d.declarationId, step)).status).toBeLessThan(300);
    const before = (await request(app).get(`/v1/declarations/${d.declarationId}`)).body;
    expect(before.status).toBe(from);
    const res = await act(d.declarationId, action);
    const after = (await request(app).get(`/v1/declarations/${d.declarationId}`)).body;
    if (to) {
      expect(res.status).toBeLessThan(300);
      expect(after.status).toBe(to);
      expect(after.transitions.at(-1)).toMatchObject({ from, to, at: NOW.toISOString() });
    } else {
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ type: 'urn:vcdc:problem:invalid-transition', currentStatus: from });
      expect(after).toEqual(before);
    }
  });
});
