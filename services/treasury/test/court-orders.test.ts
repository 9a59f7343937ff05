/**
 * Restitution by court order, escrow until the judgment, return to the owner, and corrections: every
 * transition allowed and refused, on real PostgreSQL through the HTTP API.
 */
import { type Actor, Decimal, type Pool } from '@vcdc/shared';
import type { Express } from 'express';
import request from 'supertest';
import { actHeader, PEOPLE, signedDecision, testActKeys } from '../../../test/support/acts';
import { type StartedService, startTreasury } from '../../../test/support/fx-treasury';

const NOW = new Date('2026-04-02T08:00:00.000Z');
const AGENCY = 'City Public Security Bureau';
const HASH = 'ab'.repeat(32);

const acts = testActKeys();
let started: StartedService;
let pool: Pool;
let app: Express;
let keys = 0;
const key = (label = 'k') => `court-${label}-${++keys}`;

beforeAll(async () => {
  started = await startTreasury({ database: 'treasury_court', verifyKeys: acts.verifyKeys, clock: () => NOW });
  ({ pool, app } = started);
});
afterAll(() => started?.close());

const post = (route: string, body: object, k = key(route.slice(4))) =>
  request(app).post(route).set('Idempotency-Key', k).send(body);
const credit = (caseId: string, amount: string) =>
  post('/v1/credits', {
    caseId,
    agency: AGENCY,
    amount,
    fxSettlementId: `fxs-${++keys}`,
    bankReference: 'BOC-1',
  }).expect(201);
/** The supervisor's signed REMITTANCE approval of a case (one per case: it authorises each pay-out). */
const approvals = new Map<string, unknown>();
const approval = (
  caseId: string,
  payout: {
    kind: 'TREASURY' | 'RESTITUTION' | 'OWNER_RETURN';
    restitutionOrderId?: string;
    ownerPayeeAccount?: string;
  } = {
    kind: 'TREASURY',
  },
) => {
  // The pay-out each approval names; a restitution's approval also lets the rest go to the treasury.
  const cached = approvals.get(caseId) as { payout?: typeof payout } | undefined;
  const same =
    cached?.payout?.kind === payout.kind &&
    cached.payout.restitutionOrderId === payout.restitutionOrderId &&
    cached.payout.ownerPayeeAccount === payout.ownerPayeeAccount;
  if (!cached || (payout.kind !== 'TREASURY' && !same)) {
    approvals.set(
      caseId,
      signedDecision(acts.signingKey, caseId, PEOPLE.supervisor, {
        stage: 'REMITTANCE',
        outcome: 'APPROVE',
        payout: { caseId, amount: '1000000000.00', ...payout },
      }),
    );
  }
  return approvals.get(caseId);
};
/** The supervisor's signed JUDGMENT decision carrying the court's judgment. */
const judgmentDecision = (caseId: string, outcome: string, judgmentRef: string, documentHash = HASH) =>
  signedDecision(acts.signingKey, caseId, PEOPLE.supervisor, {
    stage: 'JUDGMENT',
    outcome: 'APPROVE',
    judgment: { judgmentRef, documentHash, outcome: outcome as 'CONFISCATION' },
  });
const remit = (caseId: string, amount: string) =>
  post('/v1/remittances', { caseId, amount, budgetClassificationCode: '1030501', decision: approval(caseId) });
const statement = async (caseId: string) => (await request(app).get(`/v1/cases/${caseId}/statement`).expect(200)).body;

const VICTIMS = [
  {
    victimId: 'V1',
    name: 'Wang Fang',
    claimOrder: 1,
    loss: '50000.00',
    recovered: '10000.00',
    payeeAccount: '6222-01',
  },
  { victimId: 'V2', name: 'Li Wei', claimOrder: 2, loss: '30000.00', recovered: '0.00', payeeAccount: '6222-02' },
  { victimId: 'V3', name: 'Zhang Min', claimOrder: 3, loss: '10000.00', recovered: '0.00', payeeAccount: '6222-03' },
];
const order = (
  caseId: string,
  method = 'PRO_RATA',
  victims: object[] = VICTIMS,
  courtOrderRef = `(2026)京01刑初${++keys}号`,
) =>
  post('/v1/restitution-orders', {
    caseId,
    courtOrderRef,
    documentHash: HASH,
    method,
    victims,
    workflowId: `case-${caseId}`,
  });
const distribute = (caseId: string, restitutionOrderId: string, amount: string, k?: string) =>
  post(
    '/v1/restitution-distributions',
    { caseId, restitutionOrderId, amount, decision: approval(caseId, { kind: 'RESTITUTION', restitutionOrderId }) },
    k,
  );

describe('restitution by court order', () => {
  test('pro rata to three victims net of recoveries, the rest remitted: the statement ends at zero', async () => {
    await credit('CASE-R1', '100000.01');
    const o = await order('CASE-R1').expect(201);
    expect(o.body.victims).toHaveLength(3);
    // Net losses 40000 + 30000 + 10000 = 80000 ≤ 100000.01: each victim in full, 20000.01 to the treasury.
    const d = await distribute('CASE-R1', o.body.restitutionOrderId, '100000.01').expect(201);
    expect(d.body.allocations.map((a: { amount: string }) => a.amount)).toEqual(['40000.00', '30000.00', '10000.00']);
    expect(d.body).toMatchObject({ totalToVictims: '80000.00', toTreasury: '20000.01', method: 'PRO_RATA' });
    expect(d.body.payments.map((p: { receiptNo: string }) => p.receiptNo)).toEqual([
      expect.stringMatching(/^RCP-LOCAL-PAY-20260402-\d{6}$/),
      expect.stringMatching(/^RCP-LOCAL-PAY-20260402-\d{6}$/),
      expect.stringMatching(/^RCP-LOCAL-PAY-20260402-\d{6}$/),
    ]);
    await remit('CASE-R1', d.body.toTreasury).expect(201);
    const s = await statement('CASE-R1');
    expect(s.lines.map((l: { kind: string; amount: string }) => [l.kind, l.amount])).toEqual([
      ['CREDIT', '100000.01'],
      ['RESTITUTION', '-40000.00'],
      ['RESTITUTION', '-30000.00'],
      ['RESTITUTION', '-10000.00'],
      ['REMITTANCE', '-20000.01'],
    ]);
    expect(s).toMatchObject({
      totalCredited: '100000.01',
      totalToVictims: '80000.00',
      totalRemitted: '20000.01',
      balance: '0.00',
    });

    const v1 = await request(app)
      .get(`/v1/restitution-orders/${o.body.restitutionOrderId}/victims/V1/statement`)
      .expect(200);
    expect(v1.body).toMatchObject({
      victimId: 'V1',
      name: 'Wang Fang',
      loss: '50000.00',
      recovered: '10000.00',
      netLoss: '40000.00',
      totalPaid: '40000.00',
      outstanding: '0.00',
      courtOrderRef: o.body.courtOrderRef,
    });
    expect(v1.body.payments).toEqual([d.body.payments[0]]);
  });

  test('short of the net losses, pro rata: shares to the fen by largest remainder, nothing left for the treasury', async () => {
    await credit('CASE-R2', '1000.00');
    const o = await order('CASE-R2', 'PRO_RATA', [
      { victimId: 'A', name: 'A', claimOrder: 1, loss: '300.00', recovered: '0.00', payeeAccount: 'a' },
      { victimId: 'B', name: 'B', claimOrder: 2, loss: '300.00', recovered: '0.00', payeeAccount: 'b' },
      { victimId: 'C', name: 'C', claimOrder: 3, loss: '300.00', recovered: '0.00', payeeAccount: 'c' },
      { victimId: 'D', name: 'D', claimOrder: 4, loss: '2100.00', recovered: '0.00', payeeAccount: 'd' },
    ]).expect(201);
    const d = await distribute('CASE-R2', o.body.restitutionOrderId, '1000.00').expect(201);
    // exact: 100.00 × 3 and 700.00: whole fen already.
    expect(d.body.allocations.map((a: { amount: string }) => a.amount)).toEqual([
      '100.00',
      '100.00',
      '100.00',
      '700.00',
    ]);
    expect(d.body.toTreasury).toBe('0.00');
    const { rows } = await pool.query('SELECT allocation FROM restitution_distributions WHERE distribution_id = $1', [
      d.body.distributionId,
    ]);
    expect(rows[0].allocation.rounding).toHaveLength(4);
    expect((await statement('CASE-R2')).balance).toBe('0.00');
  });

  test('claim order: the first victims in full, the last gets what is left', async () => {
    await credit('CASE-R3', '75000.00');
    const o = await order('CASE-R3', 'CLAIM_ORDER').expect(201);
    const d = await distribute('CASE-R3', o.body.restitutionOrderId, '75000.00').expect(201);
    expect(d.body.allocations.map((a: { amount: string }) => a.amount)).toEqual(['40000.00', '30000.00', '5000.00']);
    const v3 = await request(app).get(`/v1/restitution-orders/${o.body.restitutionOrderId}/victims/V3/statement`);
    expect(v3.body).toMatchObject({ netLoss: '10000.00', totalPaid: '5000.00', outstanding: '5000.00' });
  });

  test('an order is distributed once: a second distribution, under another key, is 409', async () => {
    await credit('CASE-R4', '200000.00');
    const o = await order('CASE-R4').expect(201);
    await distribute('CASE-R4', o.body.restitutionOrderId, '100.00').expect(201);
    const again = await distribute('CASE-R4', o.body.restitutionOrderId, '100.00').expect(409);
    expect(again.body).toMatchObject({ type: 'urn:vcdc:problem:restitution-already-distributed' });
    expect((await statement('CASE-R4')).balance).toBe('199900.00');
  });

  test('a replayed distribution answers the same payments and pays once', async () => {
    await credit('CASE-R5', '500.00');
    const o = await order('CASE-R5').expect(201);
    const first = await distribute('CASE-R5', o.body.restitutionOrderId, '500.00', 'dist-once').expect(201);
    const again = await distribute('CASE-R5', o.body.restitutionOrderId, '500.00', 'dist-once').expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect((await statement('CASE-R5')).lines).toHaveLength(4);
  });

  test('more than the balance is refused with 422 and nothing is paid', async () => {
    await credit('CASE-R6', '10.00');
    const o = await order('CASE-R6').expect(201);
    const res = await distribute('CASE-R6', o.body.restitutionOrderId, '10.01').expect(422);
    expect(res.body).toMatchObject({ type: 'urn:vcdc:problem:insufficient-case-balance', balance: '10.00' });
    expect((await statement('CASE-R6')).lines).toHaveLength(1);
  });

  test('an order of another case, an unknown order, a court order registered twice are refused', async () => {
    await credit('CASE-R7', '10.00');
    const other = await order('CASE-R7-OTHER').expect(201);
    const res = await distribute('CASE-R7', other.body.restitutionOrderId, '1.00').expect(422);
    expect(res.body.type).toBe('urn:vcdc:problem:restitution-order-of-another-case');
    await distribute('CASE-R7', 'no-such-order', '1.00').expect(404);
    await order('CASE-R7', 'PRO_RATA', VICTIMS, 'ORDER-TWICE').expect(201);
    const twice = await order('CASE-R7', 'PRO_RATA', VICTIMS, 'ORDER-TWICE').expect(409);
    expect(twice.body.type).toBe('urn:vcdc:problem:restitution-order-exists');
  });

  test('a bad order names the field: a victim listed twice, a claim order repeated, a fraction of a fen, a bad method', async () => {
    const dup = await order('CASE-R8', 'PRO_RATA', [
      VICTIMS[0]!,
      { ...VICTIMS[1]!, victimId: 'V1' },
      { ...VICTIMS[2]!, claimOrder: 1, loss: '1.001' },
    ]).expect(400);
    expect(dup.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(
      ['victims[1].victimId', 'victims[2].claimOrder', 'victims[2].loss'].sort(),
    );
    const bad = await order('CASE-R8', 'LOTTERY').expect(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'method' })]);
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM restitution_orders WHERE case_id = 'CASE-R8'");
    expect(rows[0].n).toBe(0);
  });
});

describe('escrow until the judgment', () => {
  const escrow = (caseId: string) =>
    post('/v1/escrows', { caseId, agency: AGENCY, reason: 'pre-trial sale', workflowId: `case-${caseId}` });
  const judgment = (caseId: string, outcome: string, judgmentRef = `J-${++keys}`) =>
    post('/v1/judgments', { caseId, decision: judgmentDecision(caseId, outcome, judgmentRef) });
  const returnToOwner = (caseId: string, amount: string) =>
    post('/v1/owner-returns', {
      caseId,
      ownerName: 'Zhao Lei',
      payeeAccount: '6222-99',
      amount,
      decision: approval(caseId, { kind: 'OWNER_RETURN', ownerPayeeAccount: '6222-99' }),
    });

  test('held: nothing leaves; a confiscation judgment releases it to the treasury only', async () => {
    await escrow('CASE-E1').expect(201);
    await credit('CASE-E1', '300.00');
    const held = await remit('CASE-E1', '1.00').expect(409);
    expect(held.body).toMatchObject({ type: 'urn:vcdc:problem:funds-in-escrow', payOut: 'REMITTANCE' });
    const o = await order('CASE-E1').expect(201);
    expect((await distribute('CASE-E1', o.body.restitutionOrderId, '1.00').expect(409)).body.type).toBe(
      'urn:vcdc:problem:funds-in-escrow',
    );
    expect((await returnToOwner('CASE-E1', '1.00').expect(409)).body.type).toBe('urn:vcdc:problem:funds-in-escrow');

    const released = await judgment('CASE-E1', 'CONFISCATION', 'J-E1').expect(201);
    expect(released.body).toMatchObject({
      status: 'RELEASED',
      judgment: { judgmentRef: 'J-E1', documentHash: HASH, outcome: 'CONFISCATION', recordedBy: PEOPLE.supervisor.id },
    });
    expect((await distribute('CASE-E1', o.body.restitutionOrderId, '1.00').expect(409)).body.type).toBe(
      'urn:vcdc:problem:judgment-forbids',
    );
    await remit('CASE-E1', '300.00').expect(201);
    expect((await statement('CASE-E1')).balance).toBe('0.00');
  });

  test('a restitution judgment releases it to the victims and the rest to the treasury', async () => {
    await escrow('CASE-E2').expect(201);
    await credit('CASE-E2', '90000.00');
    await judgment('CASE-E2', 'RESTITUTION').expect(201);
    const o = await order('CASE-E2').expect(201);
    const d = await distribute('CASE-E2', o.body.restitutionOrderId, '90000.00').expect(201);
    await remit('CASE-E2', d.body.toTreasury).expect(201);
    expect(await statement('CASE-E2')).toMatchObject({
      totalToVictims: '80000.00',
      totalRemitted: '10000.00',
      balance: '0.00',
    });
    expect((await returnToOwner('CASE-E2', '0.01').expect(409)).body.type).toBe('urn:vcdc:problem:judgment-forbids');
  });

  test('an acquittal returns the money to the owner, with a receipt, and forbids remittance', async () => {
    await escrow('CASE-E3').expect(201);
    await credit('CASE-E3', '123.45');
    await judgment('CASE-E3', 'ACQUITTAL').expect(201);
    expect((await remit('CASE-E3', '1.00').expect(409)).body.type).toBe('urn:vcdc:problem:judgment-forbids');
    const r = await returnToOwner('CASE-E3', '123.45').expect(201);
    expect(r.body).toMatchObject({
      ownerName: 'Zhao Lei',
      amount: '123.45',
      receiptNo: expect.stringMatching(/^RCP-LOCAL-PAY-/),
    });
    expect(await statement('CASE-E3')).toMatchObject({ totalReturnedToOwner: '123.45', balance: '0.00' });
  });

  test('refused: a second escrow, a judgment without escrow, a second judgment, a return without acquittal', async () => {
    await escrow('CASE-E4').expect(201);
    expect((await escrow('CASE-E4').expect(409)).body.type).toBe('urn:vcdc:problem:escrow-already-open');
    expect((await judgment('CASE-E4-NONE', 'CONFISCATION').expect(409)).body.type).toBe('urn:vcdc:problem:no-escrow');
    await judgment('CASE-E4', 'CONFISCATION', 'J-E4').expect(201);
    const twice = await judgment('CASE-E4', 'ACQUITTAL').expect(409);
    expect(twice.body).toMatchObject({ type: 'urn:vcdc:problem:escrow-already-released', judgmentRef: 'J-E4' });
    await credit('CASE-E5', '5.00');
    expect((await returnToOwner('CASE-E5', '5.00').expect(409)).body.type).toBe('urn:vcdc:problem:judgment-forbids');
  });

  test('a replayed judgment answers the same release; a judgment document hash must be a SHA-256', async () => {
    await escrow('CASE-E6').expect(201);
    const first = await judgment('CASE-E6', 'CONFISCATION', 'J-E6');
    const k = 'judgment-once';
    const a = await post(
      '/v1/judgments',
      { caseId: 'CASE-E6-B', decision: judgmentDecision('CASE-E6-B', 'ACQUITTAL', 'x', 'nothex') },
      k,
    ).expect(400);
    expect(a.body).toMatchObject({ type: 'urn:vcdc:problem:act-malformed' });
    expect(a.body.detail).toMatch(/judgment\.documentHash/);
    expect(first.status).toBe(201);
    const body = { caseId: 'CASE-E7', decision: judgmentDecision('CASE-E7', 'CONFISCATION', 'J-E7') };
    await escrow('CASE-E7').expect(201);
    const once = await post('/v1/judgments', body, 'judgment-replay').expect(201);
    const replay = await post('/v1/judgments', body, 'judgment-replay').expect(201);
    expect(replay.body).toEqual(once.body);
  });
});

describe('corrections', () => {
  /** A treasury officer requests the correction (their forwarded act), then `approver` approves it (theirs). */
  const requestCorrection = (caseId: string, line: number, correctedAmount: string, k = key('correction')) => {
    const body = { caseId, line, correctedAmount, reason: 'rate mistyped: 7.1234 entered as 7.2134' };
    return request(app)
      .post('/v1/corrections')
      .set('Idempotency-Key', k)
      .set(
        actHeader(acts.signingKey, {
          kind: 'treasury.correction.request',
          actor: PEOPLE.treasuryOfficer,
          object: { type: 'credit', id: `${caseId}#${line}`, caseId },
          method: 'POST',
          path: '/v1/corrections',
          body,
        }),
      )
      .send(body);
  };
  const approveCorrection = (correctionId: string, caseId: string, approver: Actor, k = key('approval')) =>
    request(app)
      .post(`/v1/corrections/${correctionId}/approval`)
      .set('Idempotency-Key', k)
      .set(
        actHeader(acts.signingKey, {
          kind: 'treasury.correction.approve',
          actor: approver,
          object: { type: 'correction', id: correctionId, caseId },
          method: 'POST',
          path: `/v1/corrections/${correctionId}/approval`,
          body: {},
        }),
      )
      .send({});
  /** Requested and approved; `.expect(status)` checks the answer of the step that answered last. */
  const correct = (
    caseId: string,
    line: number,
    correctedAmount: string,
    approver: Actor = PEOPLE.supervisor,
    k?: string,
  ) => {
    const run = (async () => {
      const asked = await requestCorrection(caseId, line, correctedAmount, k && `${k}-request`);
      if (asked.status !== 201) return asked;
      return approveCorrection(asked.body.correctionId, caseId, approver, k && `${k}-approval`);
    })();
    return {
      expect: async (status: number) => {
        const res = await run;
        if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${res.text}`);
        return res;
      },
    };
  };

  test('a credit booked too high: reversal + new entry, the original untouched, the totals follow', async () => {
    await credit('CASE-C1', '7213.40');
    const c = await correct('CASE-C1', 1, '7123.40').expect(201);
    expect(c.body).toMatchObject({
      reversalLine: 2,
      correctionLine: 3,
      author: PEOPLE.treasuryOfficer.id,
      approver: PEOPLE.supervisor.id,
    });
    const s = await statement('CASE-C1');
    expect(
      s.lines.map((l: { line: number; kind: string; amount: string; balanceAfter: string; reversesLine?: number }) => [
        l.line,
        l.kind,
        l.amount,
        l.balanceAfter,
        l.reversesLine,
      ]),
    ).toEqual([
      [1, 'CREDIT', '7213.40', '7213.40', undefined],
      [2, 'REVERSAL', '-7213.40', '0.00', 1],
      [3, 'CORRECTION', '7123.40', '7123.40', 1],
    ]);
    expect(s).toMatchObject({ totalCredited: '7123.40', balance: '7123.40' });
    const { rows } = await pool.query("SELECT reason, author, approver FROM corrections WHERE case_id = 'CASE-C1'");
    expect(rows).toEqual([
      {
        reason: 'rate mistyped: 7.1234 entered as 7.2134',
        author: PEOPLE.treasuryOfficer.id,
        approver: PEOPLE.supervisor.id,
      },
    ]);
  });

  test('a credit booked too low after part was remitted: the new entry goes first, the balance never dips below zero', async () => {
    await credit('CASE-C2', '100.00');
    await remit('CASE-C2', '100.00').expect(201);
    await correct('CASE-C2', 1, '110.00').expect(201);
    const s = await statement('CASE-C2');
    expect(s.lines.map((l: { kind: string; balanceAfter: string }) => [l.kind, l.balanceAfter])).toEqual([
      ['CREDIT', '100.00'],
      ['REMITTANCE', '0.00'],
      ['CORRECTION', '110.00'],
      ['REVERSAL', '10.00'],
    ]);
    expect(s).toMatchObject({ totalCredited: '110.00', totalRemitted: '100.00', balance: '10.00' });
  });

  test('refused: author approving, a line reversed twice, a payment line, an unknown line (an overdraw becomes a receivable)', async () => {
    await credit('CASE-C3', '50.00');
    const self = await correct('CASE-C3', 1, '40.00', PEOPLE.treasuryOfficer).expect(422);
    expect(self.body).toMatchObject({ type: 'urn:vcdc:problem:four-eyes', errors: [{ field: 'approver' }] });
    await correct('CASE-C3', 1, '40.00').expect(201);
    expect((await correct('CASE-C3', 1, '45.00').expect(409)).body.type).toBe(
      'urn:vcdc:problem:entry-already-reversed',
    );
    // The correction line itself (line 3) can be corrected again.
    await correct('CASE-C3', 3, '45.00').expect(201);
    await remit('CASE-C3', '45.00').expect(201);
    const remLine = (await statement('CASE-C3')).lines.at(-1).line;
    expect((await correct('CASE-C3', remLine, '1.00').expect(422)).body.type).toBe(
      'urn:vcdc:problem:entry-not-correctable',
    );
    // Line 4 is the correction to 45.00 (booked before its reversal, line 5); the 45.00 left with the
    // remittance, so taking it back is not refused: the shortfall is a receivable (corrections-after-payout.test.ts).
    const taken = await correct('CASE-C3', 4, '0.00').expect(201);
    expect(taken.body.receivable).toMatchObject({ amount: '45.00', status: 'OPEN', debtor: 'TREASURY' });
    await correct('CASE-C3', 99, '1.00').expect(404);
    expect(await statement('CASE-C3')).toMatchObject({ balance: '0.00', totalRecoverable: '45.00' });
  });

  test('a replayed correction books once', async () => {
    await credit('CASE-C4', '10.00');
    const a = await correct('CASE-C4', 1, '0.00', PEOPLE.supervisor, 'correct-once').expect(201);
    const b = await correct('CASE-C4', 1, '0.00', PEOPLE.supervisor, 'correct-once').expect(201);
    expect(b.body).toEqual(a.body);
    expect(a.body.correctionLine).toBeUndefined();
    expect(await statement('CASE-C4')).toMatchObject({ totalCredited: '0.00', balance: '0.00' });
    expect(new Decimal((await statement('CASE-C4')).lines.length).toNumber()).toBe(2);
  });
});

describe('what may leave the account, by escrow and judgment (every pay-out from every state)', () => {
  type PayOut = 'REMITTANCE' | 'RESTITUTION' | 'OWNER_RETURN';
  const STATES = ['NO_ESCROW', 'HELD', 'CONFISCATION', 'RESTITUTION', 'ACQUITTAL'] as const;
  const ALLOWED: Record<(typeof STATES)[number], readonly PayOut[]> = {
    NO_ESCROW: ['REMITTANCE', 'RESTITUTION'],
    HELD: [],
    CONFISCATION: ['REMITTANCE'],
    RESTITUTION: ['REMITTANCE', 'RESTITUTION'],
    ACQUITTAL: ['OWNER_RETURN'],
  };
  const rows = STATES.flatMap((state) =>
    (['REMITTANCE', 'RESTITUTION', 'OWNER_RETURN'] as const).map(
      (payOut) => [state, payOut, ALLOWED[state].includes(payOut)] as const,
    ),
  );

  test.each(rows)('%s: %s allowed = %s', async (state, payOut, allowed) => {
    const caseId = `CASE-M-${++keys}`;
    if (state !== 'NO_ESCROW') {
      await post('/v1/escrows', {
        caseId,
        agency: AGENCY,
        reason: 'pre-trial sale',
        workflowId: `case-${caseId}`,
      }).expect(201);
    }
    await credit(caseId, '100.00');
    if (state !== 'NO_ESCROW' && state !== 'HELD') {
      await post('/v1/judgments', { caseId, decision: judgmentDecision(caseId, state, `J-${keys}`) }).expect(201);
    }
    const o = await order(caseId).expect(201);
    const res =
      payOut === 'REMITTANCE'
        ? await remit(caseId, '100.00')
        : payOut === 'RESTITUTION'
          ? await distribute(caseId, o.body.restitutionOrderId, '100.00')
          : await post('/v1/owner-returns', {
              caseId,
              ownerName: 'Zhao Lei',
              payeeAccount: '6222-99',
              amount: '100.00',
              decision: approval(caseId, { kind: 'OWNER_RETURN', ownerPayeeAccount: '6222-99' }),
            });
    const s = await statement(caseId);
    if (allowed) {
      expect(res.status).toBe(201);
      expect(s.balance).toBe('0.00');
    } else {
      expect(res.status).toBe(409);
      expect(res.body.type).toBe(
        state === 'HELD' ? 'urn:vcdc:problem:funds-in-escrow' : 'urn:vcdc:problem:judgment-forbids',
      );
      expect(s.balance).toBe('100.00');
      expect(s.lines).toHaveLength(1);
    }
  });
});
