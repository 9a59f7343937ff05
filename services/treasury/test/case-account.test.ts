import { contracts, type Pool } from '@vcdc/shared';
import type { Express } from 'express';
import request from 'supertest';
import { PEOPLE, signedDecision, testActKeys } from '../../../test/support/acts';
import { type StartedService, startTreasury } from '../../../test/support/fx-treasury';

const NOW = new Date('2026-03-10T09:00:00.000Z');

const acts = testActKeys();
let started: StartedService;
let pool: Pool;
let app: Express;
let keys = 0;
const key = (label = 'k') => `test-${label}-${++keys}`;

beforeAll(async () => {
  started = await startTreasury({ database: 'treasury', verifyKeys: acts.verifyKeys, clock: () => NOW });
  ({ pool, app } = started);
});
afterAll(() => started?.close());

const AGENCY = 'City Public Security Bureau';

function credit(caseId: string, amount: string, fxSettlementId = `fxs-${++keys}`, k = key('credit')) {
  return request(app)
    .post('/v1/credits')
    .set('Idempotency-Key', k)
    .send({ caseId, agency: AGENCY, amount, fxSettlementId, bankReference: `BOC-${fxSettlementId}` });
}

/** The supervisor's signed REMITTANCE approval of a case (one per case: it authorises each remittance). */
const approvals = new Map<string, unknown>();
function approval(caseId: string) {
  if (!approvals.has(caseId)) {
    approvals.set(
      caseId,
      signedDecision(acts.signingKey, caseId, PEOPLE.supervisor, {
        stage: 'REMITTANCE',
        outcome: 'APPROVE',
        // To the treasury, within a cap the tests never reach (the cap itself: acts.test.ts).
        payout: { caseId, kind: 'TREASURY', amount: '1000000000.00' },
      }),
    );
  }
  return approvals.get(caseId);
}

function remit(caseId: string, amount: string, k = key('remit')) {
  return request(app)
    .post('/v1/remittances')
    .set('Idempotency-Key', k)
    .send({ caseId, amount, budgetClassificationCode: '1030501', decision: approval(caseId) });
}

async function statement(caseId: string) {
  return (await request(app).get(`/v1/cases/${caseId}/statement`).expect(200)).body;
}

async function countRows(table: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0]!.n;
}

describe('the case-property account', () => {
  test('credits from two FX settlements, then everything remitted: the statement runs to zero', async () => {
    const c1 = await credit('CASE-T1', '7078.70', 'fxs-t1-a').expect(201);
    expect(c1.body).toMatchObject({
      caseId: 'CASE-T1',
      agency: AGENCY,
      amount: '7078.70',
      fxSettlementId: 'fxs-t1-a',
      bankReference: 'BOC-fxs-t1-a',
      creditedAt: NOW.toISOString(),
    });
    await credit('CASE-T1', '0.05', 'fxs-t1-b').expect(201);

    const r = await remit('CASE-T1', '7078.75').expect(201);
    expect(r.body).toMatchObject({
      caseId: 'CASE-T1',
      amount: '7078.75',
      budgetClassificationCode: '1030501',
      approvedBy: PEOPLE.supervisor.id,
      remittedAt: NOW.toISOString(),
    });
    expect(r.body.voucherNo).toMatch(/^VCH-20260310-\d{6}$/);
    expect(r.body.receiptNo).toBe(r.body.voucherNo.replace(/^VCH-/, 'RCP-LOCAL-'));

    expect(await statement('CASE-T1')).toEqual({
      caseId: 'CASE-T1',
      currency: 'CNY',
      lines: [
        {
          line: 1,
          kind: 'CREDIT',
          reference: 'fxs-t1-a',
          amount: '7078.70',
          baseUnits: '707870',
          balanceAfter: '7078.70',
          at: NOW.toISOString(),
        },
        {
          line: 2,
          kind: 'CREDIT',
          reference: 'fxs-t1-b',
          amount: '0.05',
          baseUnits: '5',
          balanceAfter: '7078.75',
          at: NOW.toISOString(),
        },
        {
          line: 3,
          kind: 'REMITTANCE',
          reference: r.body.voucherNo,
          amount: '-7078.75',
          baseUnits: '-707875',
          balanceAfter: '0.00',
          at: NOW.toISOString(),
        },
      ],
      totalCredited: '7078.75',
      totalRemitted: '7078.75',
      totalToVictims: '0.00',
      totalReturnedToOwner: '0.00',
      balance: '0.00',
      totalRecoverable: '0.00',
      receivables: [],
      followUpsDue: [],
      baseUnits: {
        unit: 'fen',
        totalCredited: '707875',
        totalRemitted: '707875',
        totalToVictims: '0',
        totalReturnedToOwner: '0',
        balance: '0',
      },
    });
  });

  test('the statement shows every line and total in fen beside the yuan', async () => {
    await credit('CASE-TF', '535817.01', 'fxs-tf-a').expect(201);
    await credit('CASE-TF', '0.09', 'fxs-tf-b').expect(201);
    await remit('CASE-TF', '535800.00').expect(201);
    const s = await statement('CASE-TF');
    expect(contracts.treasury.CaseStatement.parse(s)).toEqual(s);
    expect(s.lines.map((l: { amount: string; baseUnits: string }) => [l.amount, l.baseUnits])).toEqual([
      ['535817.01', '53581701'],
      ['0.09', '9'],
      ['-535800.00', '-53580000'],
    ]);
    expect(s.baseUnits).toEqual({
      unit: 'fen',
      totalCredited: '53581710',
      totalRemitted: '53580000',
      totalToVictims: '0',
      totalReturnedToOwner: '0',
      balance: '1710',
    });
  });

  test('the money records are facts: a credit, a remittance or a ledger line cannot be changed or removed', async () => {
    await credit('CASE-T0', '10.00', 'fxs-t0-a').expect(201);
    await remit('CASE-T0', '4.00').expect(201);
    for (const sql of [
      "UPDATE credits SET amount = 1 WHERE case_id = 'CASE-T0'",
      "UPDATE remittances SET amount = 1 WHERE case_id = 'CASE-T0'",
      "UPDATE ledger_entries SET amount = 1 WHERE case_id = 'CASE-T0'",
      "DELETE FROM ledger_entries WHERE case_id = 'CASE-T0'",
      'TRUNCATE ledger_entries CASCADE',
    ]) {
      await expect(pool.query(sql)).rejects.toThrow(/is append-only/);
    }
    expect((await statement('CASE-T0')).balance).toBe('6.00');
  });

  test('partial remittances leave the rest on the case; the balance is per case', async () => {
    await credit('CASE-T2', '100.00').expect(201);
    await credit('CASE-T2-OTHER', '999.99').expect(201);
    await remit('CASE-T2', '30.01').expect(201);
    const s = await statement('CASE-T2');
    expect(s.lines.map((l: { balanceAfter: string }) => l.balanceAfter)).toEqual(['100.00', '69.99']);
    expect(s).toMatchObject({ totalCredited: '100.00', totalRemitted: '30.01', balance: '69.99' });
    expect((await statement('CASE-T2-OTHER')).balance).toBe('999.99');
  });

  test('a remittance larger than the case balance is refused with 422 and nothing changes', async () => {
    await credit('CASE-T3', '50.00').expect(201);
    const before = await statement('CASE-T3');
    const remittances = await countRows('remittances');
    const res = await remit('CASE-T3', '50.01').expect(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({
      type: 'urn:vcdc:problem:insufficient-case-balance',
      caseId: 'CASE-T3',
      balance: '50.00',
      requested: '50.01',
    });
    expect(await statement('CASE-T3')).toEqual(before);
    expect(await countRows('remittances')).toBe(remittances);
    // and the refused request did not burn a voucher number: the next remittance takes the next one in turn
    const a = await remit('CASE-T3', '10.00').expect(201);
    const b = await remit('CASE-T3', '10.00').expect(201);
    expect(Number(b.body.voucherNo.slice(-6))).toBe(Number(a.body.voucherNo.slice(-6)) + 1);
  });

  test('remitting from a case that was never credited is refused as insufficient balance', async () => {
    const res = await remit('CASE-NEVER', '0.01').expect(422);
    expect(res.body).toMatchObject({ type: 'urn:vcdc:problem:insufficient-case-balance', balance: '0.00' });
  });

  test('concurrent remittances cannot together overdraw the case', async () => {
    await credit('CASE-RACE', '100.00').expect(201);
    const answers = await Promise.all([1, 2, 3].map(() => remit('CASE-RACE', '40.00')));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 201, 422]);
    expect((await statement('CASE-RACE')).balance).toBe('20.00');
  });

  test('the same FX settlement credited again, under another key, is refused with 409 and the balance is unchanged', async () => {
    await credit('CASE-T4', '500.00', 'fxs-dup').expect(201);
    const again = await credit('CASE-T4', '500.00', 'fxs-dup').expect(409);
    expect(again.body).toMatchObject({
      type: 'urn:vcdc:problem:settlement-already-credited',
      fxSettlementId: 'fxs-dup',
      caseId: 'CASE-T4',
    });
    const elsewhere = await credit('CASE-T4-B', '500.00', 'fxs-dup').expect(409);
    expect(elsewhere.body.type).toBe('urn:vcdc:problem:settlement-already-credited');
    expect((await statement('CASE-T4')).balance).toBe('500.00');
    expect((await statement('CASE-T4-B')).lines).toEqual([]);
  });

  test('racing credits of one settlement to two cases: exactly one is booked', async () => {
    const answers = await Promise.all([
      credit('CASE-R1', '10.00', 'fxs-race'),
      credit('CASE-R2', '10.00', 'fxs-race'),
      credit('CASE-R3', '10.00', 'fxs-race'),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409]);
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM ledger_entries WHERE reference = 'fxs-race'");
    expect(rows[0].n).toBe(1);
  });

  test('a case belongs to one agency: a credit naming another is refused with 422', async () => {
    await credit('CASE-T5', '1.00').expect(201);
    const res = await request(app)
      .post('/v1/credits')
      .set('Idempotency-Key', key('agency'))
      .send({
        caseId: 'CASE-T5',
        agency: 'Another Court',
        amount: '1.00',
        fxSettlementId: 'fxs-t5',
        bankReference: 'x',
      })
      .expect(422);
    expect(res.body).toMatchObject({ type: 'urn:vcdc:problem:agency-mismatch', accountAgency: AGENCY });
    expect((await statement('CASE-T5')).balance).toBe('1.00');
  });

  test('a case with no entries has an empty statement at zero', async () => {
    expect(await statement('CASE-UNKNOWN')).toEqual({
      caseId: 'CASE-UNKNOWN',
      currency: 'CNY',
      lines: [],
      totalCredited: '0.00',
      totalRemitted: '0.00',
      totalToVictims: '0.00',
      totalReturnedToOwner: '0.00',
      balance: '0.00',
      totalRecoverable: '0.00',
      receivables: [],
      followUpsDue: [],
      baseUnits: {
        unit: 'fen',
        totalCredited: '0',
        totalRemitted: '0',
        totalToVictims: '0',
        totalReturnedToOwner: '0',
        balance: '0',
      },
    });
  });
});

describe('Idempotency-Key', () => {
  test('a replayed credit answers the same credit and books once; the key reused for another amount is 409', async () => {
    const first = await credit('CASE-I1', '10.00', 'fxs-i1', 'credit-once').expect(201);
    const again = await credit('CASE-I1', '10.00', 'fxs-i1', 'credit-once').expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    const reused = await credit('CASE-I1', '11.00', 'fxs-i1', 'credit-once').expect(409);
    expect(reused.body.type).toBe('urn:vcdc:problem:idempotency-key-reused');
    expect((await statement('CASE-I1')).lines).toHaveLength(1);
  });

  test('a replayed remittance answers the same voucher and receipt and pays once', async () => {
    await credit('CASE-I2', '10.00').expect(201);
    const first = await remit('CASE-I2', '4.00', 'remit-once').expect(201);
    const again = await remit('CASE-I2', '4.00', 'remit-once').expect(201);
    expect(again.body).toEqual(first.body);
    const reused = await remit('CASE-I2', '5.00', 'remit-once').expect(409);
    expect(reused.body.type).toBe('urn:vcdc:problem:idempotency-key-reused');
    expect((await statement('CASE-I2')).balance).toBe('6.00');
  });

  test('a refused remittance is answered the same on replay even after the balance would allow it', async () => {
    const k = key('refused');
    await remit('CASE-I3', '5.00', k).expect(422);
    await credit('CASE-I3', '5.00').expect(201);
    await remit('CASE-I3', '5.00', k).expect(422);
    expect((await statement('CASE-I3')).balance).toBe('5.00');
  });
});

describe('bad input', () => {
  test('an invalid credit is a 400 naming each bad field, and nothing is booked', async () => {
    const before = await countRows('ledger_entries');
    const res = await request(app)
      .post('/v1/credits')
      .set('Idempotency-Key', key('bad-credit'))
      .send({ caseId: 'bad case id', agency: '', amount: '1.005', bankReference: 'b' })
      .expect(400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(
      ['agency', 'amount', 'caseId', 'fxSettlementId'].sort(),
    );
    expect(res.body.errors.find((e: { field: string }) => e.field === 'amount').message).toBe(
      'must have at most 2 decimal places for CNY',
    );
    expect(await countRows('ledger_entries')).toBe(before);
  });

  test('an invalid remittance is a 400 naming each bad field', async () => {
    const res = await request(app)
      .post('/v1/remittances')
      .set('Idempotency-Key', key('bad-remit'))
      .send({ caseId: 'CASE-T1', amount: '0', budgetClassificationCode: 'ABC', decision: approval('CASE-T1') })
      .expect(400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(
      ['amount', 'budgetClassificationCode'].sort(),
    );
  });

  test('a malformed case id in the statement path is a 400; a mutating call without a key is refused', async () => {
    const res = await request(app).get('/v1/cases/bad%20id/statement').expect(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'caseId' })]);
    const nokey = await request(app)
      .post('/v1/credits')
      .send({ caseId: 'C', agency: AGENCY, amount: '1.00', fxSettlementId: 'f', bankReference: 'b' })
      .expect(400);
    expect(nokey.body.type).toBe('urn:vcdc:problem:idempotency-key-missing');
  });
});
