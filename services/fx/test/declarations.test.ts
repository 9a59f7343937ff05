import { Decimal, type Pool, silentLogger } from '@vcdc/shared';
import type { Express } from 'express';
import request from 'supertest';
import { type RunningFxRateSimulator, startFxRateSimulator } from '../../../simulators/src/fx-rates';
import { PEOPLE, signedDecision, testActKeys } from '../../../test/support/acts';
import { type StartedService, startFx } from '../../../test/support/fx-treasury';
import { settlementBankInGoodStanding } from '../../../test/support/provider-register';
import { createApp } from '../src/app';
import { HttpRateSource } from '../src/rate-source';

const NOW = new Date('2026-03-10T08:30:00.000Z');

let started: StartedService;
let pool: Pool;
let sim: RunningFxRateSimulator;
let app: Express;
const acts = testActKeys();
let keys = 0;
const key = (label = 'k') => `test-${label}-${++keys}`;

beforeAll(async () => {
  sim = await startFxRateSimulator({ port: 0, seed: 'fx-service-test', clock: () => NOW });
  started = await startFx({
    database: 'fx',
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

function declarationBody(overrides: Record<string, unknown> = {}) {
  return {
    caseId: 'CASE-FX-1',
    currency: 'USD',
    amount: '1000.00',
    transactionCode: '622011',
    purpose: 'Proceeds of the court-ordered disposal of seized virtual currency',
    remitter: { name: 'VCDC Trust HK', account: 'HK-001-2345', bank: 'Bank of China (Hong Kong)' },
    beneficiary: { name: 'City Public Security Bureau', account: '1100-2200-3300', bank: 'Bank of China Beijing' },
    workflowId: 'case-CASE-FX-1',
    ...overrides,
  };
}

async function create(overrides: Record<string, unknown> = {}) {
  const res = await request(app)
    .post('/v1/declarations')
    .set('Idempotency-Key', key('create'))
    .send(declarationBody(overrides));
  expect(res.status).toBe(201);
  caseOf.set(res.body.declarationId, res.body.caseId);
  return res.body as { declarationId: string; declarationNo: string; status: string };
}

/** The case each declaration is on (decisions are signed for it). */
const caseOf = new Map<string, string>();
const caseOfDeclaration = (id: string) => caseOf.get(id) ?? 'CASE-FX-1';

const submit = (id: string, workflowId = 'case-CASE-FX-1', k = key('submit')) =>
  request(app).post(`/v1/declarations/${id}/submit`).set('Idempotency-Key', k).send({ workflowId });
/** The regulator's decision as the FX officer recorded it: a signed FX_DECLARATION decision. */
const regulatorDecision = (caseId: string, outcome: 'APPROVE' | 'REJECT') =>
  signedDecision(acts.signingKey, caseId, PEOPLE.fxOfficer, {
    stage: 'FX_DECLARATION',
    outcome,
    reference: 'SAFE-2026-0042',
    reason: 'documents complete',
  });
const decide = (id: string, decision: 'APPROVED' | 'REJECTED', k = key('decide')) =>
  request(app)
    .post(`/v1/declarations/${id}/decision`)
    .set('Idempotency-Key', k)
    .send({ decision: regulatorDecision(caseOfDeclaration(id), decision === 'APPROVED' ? 'APPROVE' : 'REJECT') });
/** The FX officer's signed FX_SETTLEMENT decision for one tranche. */
const settlementDecision = (caseId: string, amount: string, bankReference: string) =>
  signedDecision(acts.signingKey, caseId, PEOPLE.fxOfficer, {
    stage: 'FX_SETTLEMENT',
    outcome: 'APPROVE',
    settlement: { amount, bankReference },
  });
const settleWith = (id: string, decision: unknown, k = key('settle')) =>
  request(app).post(`/v1/declarations/${id}/settlements`).set('Idempotency-Key', k).send({ decision });
const settle = (id: string, amount: string, bankReference = `BOCHK-${++keys}`, k = key('settle')) =>
  settleWith(id, settlementDecision(caseOfDeclaration(id), amount, bankReference), k);

async function approved(overrides: Record<string, unknown> = {}) {
  const d = await create(overrides);
  expect((await submit(d.declarationId)).status).toBe(200);
  expect((await decide(d.declarationId, 'APPROVED')).status).toBe(200);
  return d;
}

async function rateOfToday(currency: string) {
  const res = await fetch(`${sim.url}/v1/rates/${currency}/CNY?date=2026-03-10`);
  return (await res.json()) as { bankBuyRate: string; centralParity: string; publishedAt: string; source: string };
}

async function countRows(table: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0]!.n;
}

async function current(id: string) {
  return (await request(app).get(`/v1/declarations/${id}`).expect(200)).body;
}

describe('a declaration from filing to settlement', () => {
  test('filed as DRAFT, submitted, approved and settled in one tranche at the bank buying rate, every step recorded', async () => {
    const d = await create();
    expect(d.status).toBe('DRAFT');
    expect(d.declarationNo).toMatch(/^BOP-20260310-\d{6}$/);

    const submitted = await submit(d.declarationId).expect(200);
    expect(submitted.body.status).toBe('SUBMITTED');
    const decided = await decide(d.declarationId, 'APPROVED').expect(200);
    expect(decided.body.status).toBe('APPROVED');

    const rate = await rateOfToday('USD');
    const res = await settle(d.declarationId, '1000.00', 'BOCHK-FULL-1').expect(201);
    const expected = new Decimal('1000.00').times(rate.bankBuyRate);
    expect(res.body).toMatchObject({
      declarationId: d.declarationId,
      caseId: 'CASE-FX-1',
      currency: 'USD',
      foreignAmount: '1000.00',
      rate: rate.bankBuyRate,
      rateSource: rate.source,
      rateAsOf: rate.publishedAt,
      cnyAmount: expected.toDecimalPlaces(2, Decimal.ROUND_DOWN).toFixed(2),
      bankReference: 'BOCHK-FULL-1',
      settledAt: NOW.toISOString(),
      recordedBy: PEOPLE.fxOfficer.id,
    });
    expect(new Decimal(res.body.rate).lt(rate.centralParity)).toBe(true);

    const after = await current(d.declarationId);
    expect(after).toMatchObject({ status: 'SETTLED', amount: '1000.00', settledAmount: '1000.00' });
    expect(after.settlements).toEqual([res.body]);
    expect(after.transitions).toEqual([
      { from: null, to: 'DRAFT', by: 'workflow:case-CASE-FX-1', at: NOW.toISOString(), note: 'prepared' },
      { from: 'DRAFT', to: 'SUBMITTED', by: 'workflow:case-CASE-FX-1', at: NOW.toISOString(), note: null },
      {
        from: 'SUBMITTED',
        to: 'APPROVED',
        by: 'fx.officer.wang',
        at: NOW.toISOString(),
        note: 'regulator reference SAFE-2026-0042: documents complete',
      },
      expect.objectContaining({ from: 'APPROVED', to: 'SETTLED', by: PEOPLE.fxOfficer.id }),
    ]);
    // What happened is kept as it happened: a settlement or a transition cannot be changed or removed.
    for (const sql of [
      `UPDATE settlements SET cny_amount = 0 WHERE declaration_id = '${d.declarationId}'`,
      `UPDATE declaration_transitions SET to_status = 'DRAFT' WHERE declaration_id = '${d.declarationId}'`,
      `DELETE FROM declaration_transitions WHERE declaration_id = '${d.declarationId}'`,
      // CASCADE: the corrections' entries reference the tranches, and are append-only themselves.
      'TRUNCATE settlements CASCADE',
    ]) {
      await expect(pool.query(sql)).rejects.toThrow(/is append-only/);
    }
  });

  test('a rejected declaration stays REJECTED: it cannot be settled or decided again', async () => {
    const d = await create();
    await submit(d.declarationId).expect(200);
    expect((await decide(d.declarationId, 'REJECTED').expect(200)).body.status).toBe('REJECTED');
    const settled = await settle(d.declarationId, '1.00').expect(409);
    expect(settled.body).toMatchObject({
      type: 'urn:vcdc:problem:invalid-transition',
      currentStatus: 'REJECTED',
      requestedStatus: 'SETTLED',
    });
    const again = await decide(d.declarationId, 'APPROVED').expect(409);
    expect(again.body).toMatchObject({ currentStatus: 'REJECTED', requestedStatus: 'APPROVED' });
    expect((await current(d.declarationId)).transitions).toHaveLength(3);
  });

  test('declaration numbers are consecutive within a day, start again each day and never repeat', async () => {
    const a = await create({ caseId: 'CASE-NUMBERS' });
    const b = await create({ caseId: 'CASE-NUMBERS' });
    const seqA = Number(a.declarationNo.slice(-6));
    expect(b.declarationNo).toBe(`BOP-20260310-${String(seqA + 1).padStart(6, '0')}`);
    const tomorrow = createApp({
      pool,
      logger: silentLogger(),
      rateSource: new HttpRateSource(sim.url),
      clock: () => new Date('2026-03-11T00:00:01Z'),
      actVerifyKeys: acts.verifyKeys,
      settlementBank: settlementBankInGoodStanding(),
    });
    const next = await request(tomorrow)
      .post('/v1/declarations')
      .set('Idempotency-Key', key('tomorrow'))
      .send(declarationBody())
      .expect(201);
    expect(next.body.declarationNo).toBe('BOP-20260311-000001');
    const { rows } = await pool.query('SELECT declaration_no FROM declarations');
    expect(new Set(rows.map((r) => r.declaration_no)).size).toBe(rows.length);
  });
});

describe('transitions out of order are refused with 409 invalid-transition and change nothing', () => {
  test.each([
    ['DRAFT', 'decided', 'APPROVED'],
    ['DRAFT', 'settled', 'SETTLED'],
    ['SUBMITTED', 'submitted', 'SUBMITTED'],
    ['SUBMITTED', 'settled', 'SETTLED'],
    ['APPROVED', 'submitted', 'SUBMITTED'],
    ['APPROVED', 'decided', 'APPROVED'],
    ['SETTLED', 'settled', 'SETTLED'],
    ['SETTLED', 'submitted', 'SUBMITTED'],
  ])('a %s declaration cannot be %s', async (state, action, requested) => {
    const d = await create({ amount: '10.00' });
    if (state !== 'DRAFT') await submit(d.declarationId).expect(200);
    if (state === 'APPROVED' || state === 'SETTLED') await decide(d.declarationId, 'APPROVED').expect(200);
    if (state === 'SETTLED') await settle(d.declarationId, '10.00').expect(201);
    const before = await current(d.declarationId);
    expect(before.status).toBe(state);

    const res =
      action === 'submitted'
        ? await submit(d.declarationId)
        : action === 'decided'
          ? await decide(d.declarationId, 'APPROVED')
          : await settle(d.declarationId, '1.00');
    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({
      type: 'urn:vcdc:problem:invalid-transition',
      currentStatus: state,
      requestedStatus: requested,
    });
    expect(res.body.detail).toContain(`is ${state}`);
    expect(await current(d.declarationId)).toEqual(before);
  });

  test('two different submissions racing on one declaration: exactly one wins', async () => {
    const d = await create();
    const answers = await Promise.all([
      submit(d.declarationId, 'case-a'),
      submit(d.declarationId, 'case-b'),
      submit(d.declarationId, 'case-c'),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409]);
    expect((await current(d.declarationId)).transitions).toHaveLength(2);
  });
});

describe('settlement in tranches', () => {
  test('partial settlements accumulate; over-settlement is refused with 422; the last tranche settles the declaration', async () => {
    const d = await approved({ amount: '1000.00', currency: 'HKD' });
    const rate = await rateOfToday('HKD');

    const first = await settle(d.declarationId, '400.00').expect(201);
    expect(await current(d.declarationId)).toMatchObject({ status: 'APPROVED', settledAmount: '400.00' });

    const over = await settle(d.declarationId, '600.01').expect(422);
    expect(over.body).toMatchObject({
      type: 'urn:vcdc:problem:over-settlement',
      declaredAmount: '1000.00',
      settledAmount: '400.00',
      remainingAmount: '600.00',
    });
    expect((await current(d.declarationId)).settlements).toHaveLength(1);

    const last = await settle(d.declarationId, '600.00').expect(201);
    const after = await current(d.declarationId);
    expect(after).toMatchObject({ status: 'SETTLED', settledAmount: '1000.00' });
    expect(after.settlements).toEqual([first.body, last.body]);
    expect(after.transitions.at(-1).note).toContain('in 2 tranches');

    // Conservation: each tranche's CNY plus its remainder is exactly its foreign amount × the rate.
    for (const s of after.settlements) {
      expect(s.rate).toBe(rate.bankBuyRate);
      expect(new Decimal(s.cnyAmount).plus(s.roundingRemainder).eq(new Decimal(s.foreignAmount).times(s.rate))).toBe(
        true,
      );
    }
  });

  test('one cent at the day rate: the CNY is rounded toward zero to the fen and the cut-off is booked exactly', async () => {
    const d = await approved({ amount: '0.01' });
    const rate = await rateOfToday('USD');
    const res = await settle(d.declarationId, '0.01').expect(201);
    const exact = new Decimal('0.01').times(rate.bankBuyRate);
    const fen = exact.toDecimalPlaces(2, Decimal.ROUND_DOWN);
    expect(res.body.cnyAmount).toBe(fen.toFixed(2));
    expect(res.body.roundingRemainder).toBe(exact.minus(fen).toFixed());
    expect(new Decimal(res.body.roundingRemainder).gt(0)).toBe(true);
    const { rows } = await pool.query(
      'SELECT cny_amount::text, rounding_remainder::text FROM settlements WHERE settlement_id = $1',
      [res.body.settlementId],
    );
    expect(new Decimal(rows[0].cny_amount).plus(rows[0].rounding_remainder).eq(exact)).toBe(true);
  });

  test('the same bank reference twice on a declaration is refused with 409, even under another key', async () => {
    const d = await approved({ amount: '50.00' });
    await settle(d.declarationId, '10.00', 'BOCHK-DUP').expect(201);
    const dup = await settle(d.declarationId, '10.00', 'BOCHK-DUP').expect(409);
    expect(dup.body.type).toBe('urn:vcdc:problem:settlement-already-recorded');
    expect((await current(d.declarationId)).settledAmount).toBe('10.00');
  });

  test('when the rate source is down the settlement answers 503, stores nothing, and a retry with the same key settles', async () => {
    const d = await approved({ amount: '20.00' });
    const before = await countRows('settlements');
    sim.faults.failNext(1);
    const k = key('outage');
    const down = await settle(d.declarationId, '20.00', 'BOCHK-OUTAGE', k).expect(503);
    expect(down.body.type).toBe('urn:vcdc:problem:unavailable');
    expect(await countRows('settlements')).toBe(before);
    expect((await current(d.declarationId)).status).toBe('APPROVED');
    await settle(d.declarationId, '20.00', 'BOCHK-OUTAGE', k).expect(201);
    expect((await current(d.declarationId)).status).toBe('SETTLED');
  });
});

describe('Idempotency-Key', () => {
  test('a replayed creation returns the same declaration and files nothing new', async () => {
    const before = await countRows('declarations');
    const body = declarationBody({ caseId: 'CASE-REPLAY' });
    const first = await request(app)
      .post('/v1/declarations')
      .set('Idempotency-Key', 'create-once')
      .send(body)
      .expect(201);
    const again = await request(app)
      .post('/v1/declarations')
      .set('Idempotency-Key', 'create-once')
      .send(body)
      .expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await countRows('declarations')).toBe(before + 1);
  });

  test('a replayed settlement returns the same settlement; the key reused for another amount is 409 and nothing changes', async () => {
    const d = await approved({ amount: '100.00' });
    const decision = settlementDecision(caseOfDeclaration(d.declarationId), '30.00', 'BOCHK-IDEM');
    const first = await settleWith(d.declarationId, decision, 'settle-once').expect(201);
    const again = await settleWith(d.declarationId, decision, 'settle-once').expect(201);
    expect(again.body).toEqual(first.body);
    const reused = await settle(d.declarationId, '31.00', 'BOCHK-IDEM', 'settle-once').expect(409);
    expect(reused.body.type).toBe('urn:vcdc:problem:idempotency-key-reused');
    const after = await current(d.declarationId);
    expect(after.settlements).toHaveLength(1);
    expect(after.settledAmount).toBe('30.00');
  });

  test('a replayed submission answers as the first time did, not with invalid-transition', async () => {
    const d = await create();
    const first = await submit(d.declarationId, 'case-CASE-FX-1', 'submit-once').expect(200);
    const again = await submit(d.declarationId, 'case-CASE-FX-1', 'submit-once').expect(200);
    expect(again.body).toEqual(first.body);
    expect((await current(d.declarationId)).transitions).toHaveLength(2);
  });
});

describe('bad input and unknown ids', () => {
  test('an invalid declaration is a 400 that names every bad field, and nothing is filed', async () => {
    const before = await countRows('declarations');
    const res = await request(app)
      .post('/v1/declarations')
      .set('Idempotency-Key', key('bad'))
      .send(declarationBody({ currency: 'CNY', amount: '-5', transactionCode: '12', remitter: { name: 'x' } }))
      .expect(400);
    const fields = res.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(
      expect.arrayContaining(['currency', 'amount', 'transactionCode', 'remitter.account', 'remitter.bank']),
    );
    expect(await countRows('declarations')).toBe(before);
  });

  test('a declared amount finer than a cent is a 400 naming amount', async () => {
    const res = await request(app)
      .post('/v1/declarations')
      .set('Idempotency-Key', key('cents'))
      .send(declarationBody({ amount: '100.001' }))
      .expect(400);
    expect(res.body.errors).toEqual([{ field: 'amount', message: 'must have at most 2 decimal places for USD' }]);
  });

  test('a settlement finer than a cent, or a decision that is not one, is a 400 naming the field', async () => {
    const d = await approved({ amount: '10.00' });
    const fine = await settle(d.declarationId, '1.005').expect(400);
    expect(fine.body.errors).toEqual([expect.objectContaining({ field: 'decision.settlement.amount' })]);
    const decision = await request(app)
      .post(`/v1/declarations/${d.declarationId}/decision`)
      .set('Idempotency-Key', key('bad-decision'))
      .send({ decision: 'MAYBE' })
      .expect(400);
    expect(decision.body.errors).toEqual([expect.objectContaining({ field: 'decision' })]);
    expect((await current(d.declarationId)).settledAmount).toBe('0.00');
  });

  test('an unknown declaration is 404 to read, submit, decide and settle', async () => {
    const res = await request(app).get('/v1/declarations/no-such-declaration').expect(404);
    expect(res.body.type).toBe('urn:vcdc:problem:not-found');
    await submit('no-such-declaration').expect(404);
    await decide('no-such-declaration', 'APPROVED').expect(404);
    await settle('no-such-declaration', '1.00').expect(404);
  });

  test("a case's declarations are listed oldest first; a case without any has an empty list", async () => {
    const a = await create({ caseId: 'CASE-LIST' });
    const b = await create({ caseId: 'CASE-LIST', currency: 'HKD' });
    const list = await request(app).get('/v1/cases/CASE-LIST/declarations').expect(200);
    expect(list.body.map((d: { declarationId: string }) => d.declarationId)).toEqual([
      a.declarationId,
      b.declarationId,
    ]);
    expect((await request(app).get('/v1/cases/CASE-NONE/declarations').expect(200)).body).toEqual([]);
    await request(app).get('/v1/cases/bad%20id/declarations').expect(400);
  });
});
