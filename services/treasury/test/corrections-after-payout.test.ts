/**
 * Issue 13, part 2, in the treasury: a correction after the money left is never refused for the
 * balance. Downward: the shortfall is a RECOVERY_RECEIVABLE line, open until a treasury officer books
 * its recovery (the refund's receipt). Upward: the difference waits in the account for its FOLLOW-UP
 * REMITTANCE, a remittance like the first (voucher, receipt) that a supervisor approves, never the
 * correction's author. Every step is a signed act; refusals change nothing.
 */
import { type Actor, Decimal, type Pool } from '@vcdc/shared';
import type { Express } from 'express';
import request from 'supertest';
import { actHeader, PEOPLE, signedDecision, testActKeys } from '../../../test/support/acts';
import { type StartedService, startTreasury } from '../../../test/support/fx-treasury';

const NOW = new Date('2026-04-02T08:00:00.000Z');
const AGENCY = 'City Public Security Bureau';
const acts = testActKeys();
let started: StartedService;
let pool: Pool;
let app: Express;
let keys = 0;

beforeAll(async () => {
  started = await startTreasury({
    database: 'treasury_after_payout',
    verifyKeys: acts.verifyKeys,
    clock: () => NOW,
    connections: 3,
  });
  ({ pool, app } = started);
});
afterAll(() => started?.close());

const post = (route: string, body: object, headers: Record<string, string> = {}) =>
  request(app).post(route).set('Idempotency-Key', `ap-${++keys}`).set(headers).send(body);
const signed = (
  kind: Parameters<typeof actHeader>[1]['kind'],
  actor: Actor,
  object: object,
  route: string,
  body: object,
) =>
  actHeader(acts.signingKey, {
    kind,
    actor,
    object: object as never,
    method: 'POST',
    path: route,
    body,
  });

/** A case credited `amount` and remitted in full under a supervisor's REMITTANCE approval. */
async function remittedCase(caseId: string, amount: string) {
  await post('/v1/credits', {
    caseId,
    agency: AGENCY,
    amount,
    fxSettlementId: `fxs-${caseId}`,
    bankReference: 'B',
  }).expect(201);
  const decision = signedDecision(acts.signingKey, caseId, PEOPLE.supervisor, {
    stage: 'REMITTANCE',
    outcome: 'APPROVE',
    payout: { caseId, kind: 'TREASURY', amount },
  });
  return (await post('/v1/remittances', { caseId, amount, budgetClassificationCode: '1030501', decision }).expect(201))
    .body;
}

async function correct(
  caseId: string,
  line: number,
  correctedAmount: string,
  approver: Actor = PEOPLE.secondTreasuryOfficer,
) {
  const body = { caseId, line, correctedAmount, reason: 'the FX rate was corrected', fxCorrectionId: 'fxc-1' };
  const asked = await post(
    '/v1/corrections',
    body,
    signed(
      'treasury.correction.request',
      PEOPLE.treasuryOfficer,
      { type: 'credit', id: `${caseId}#${line}`, caseId },
      '/v1/corrections',
      body,
    ),
  ).expect(201);
  const route = `/v1/corrections/${asked.body.correctionId}/approval`;
  return post(
    route,
    {},
    signed('treasury.correction.approve', approver, { type: 'correction', id: asked.body.correctionId }, route, {}),
  );
}

/** The approval's answer, which must be 201. */
async function booked(answer: Promise<request.Response>) {
  const res = await answer;
  if (res.status !== 201) throw new Error(`expected 201, got ${res.status}: ${res.text}`);
  return res;
}

const followUp = (correctionId: string, by: Actor = PEOPLE.supervisor) => {
  const route = `/v1/corrections/${correctionId}/follow-up-remittance`;
  return post(route, {}, signed('treasury.follow-up.approve', by, { type: 'correction', id: correctionId }, route, {}));
};
const recover = (receivableId: string, receiptNo: string, by: Actor = PEOPLE.treasuryOfficer) => {
  const route = `/v1/recovery-receivables/${receivableId}/recovery`;
  const body = { receiptNo };
  return post(
    route,
    body,
    signed('treasury.recovery.record', by, { type: 'receivable', id: receivableId }, route, body),
  );
};
const statement = async (caseId: string) => (await request(app).get(`/v1/cases/${caseId}/statement`).expect(200)).body;
const lines = (s: { lines: Array<{ kind: string; amount: string; balanceAfter: string }> }) =>
  s.lines.map((l) => [l.kind, l.amount, l.balanceAfter]);

describe('a correction after the money left', () => {
  test('downward: the shortfall is a receivable line, open until its recovery is booked with the refund receipt', async () => {
    await remittedCase('CASE-AP-1', '6940.25');
    const c = await booked(correct('CASE-AP-1', 1, '6891.37'));
    expect(c.body).toMatchObject({
      reversalLine: 5,
      correctionLine: 4,
      fxCorrectionId: 'fxc-1',
      author: PEOPLE.treasuryOfficer.id,
      approver: PEOPLE.secondTreasuryOfficer.id,
      receivable: { amount: '48.88', status: 'OPEN', debtor: 'TREASURY', line: 3 },
    });
    const s = await statement('CASE-AP-1');
    // Both versions: the credit as booked, its reversal and the corrected credit; never below zero.
    expect(lines(s)).toEqual([
      ['CREDIT', '6940.25', '6940.25'],
      ['REMITTANCE', '-6940.25', '0.00'],
      ['RECOVERY_RECEIVABLE', '48.88', '48.88'],
      ['CORRECTION', '6891.37', '6940.25'],
      ['REVERSAL', '-6940.25', '0.00'],
    ]);
    expect(s).toMatchObject({
      totalCredited: '6891.37',
      totalRemitted: '6940.25',
      totalRecoverable: '48.88',
      balance: '0.00',
      followUpsDue: [],
    });
    // What came in = what went out − what is owed back.
    expect(new Decimal(s.totalRemitted).minus(s.totalRecoverable).eq(s.totalCredited)).toBe(true);
    expect(s.receivables).toEqual([expect.objectContaining({ status: 'OPEN', amount: '48.88' })]);

    const receivableId = c.body.receivable.receivableId as string;
    const r = await recover(receivableId, 'RFD-2026-0001').expect(201);
    expect(r.body).toMatchObject({
      amount: '48.88',
      receiptNo: 'RFD-2026-0001',
      recordedBy: PEOPLE.treasuryOfficer.id,
    });
    const after = await statement('CASE-AP-1');
    expect(after.receivables).toEqual([
      expect.objectContaining({
        status: 'RECOVERED',
        recovery: expect.objectContaining({ receiptNo: 'RFD-2026-0001' }),
      }),
    ]);
    expect(after.lines).toEqual(s.lines);
    // Recovered once; a supervisor cannot book one (the act's roles); nothing changed by either.
    expect((await recover(receivableId, 'RFD-2026-0002').expect(409)).body.type).toBe(
      'urn:vcdc:problem:receivable-already-recovered',
    );
    await recover(receivableId, 'RFD-2026-0003', PEOPLE.supervisor).expect(403);
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM recoveries');
    expect(rows[0].n).toBe(1);
  });

  test('upward: the difference waits for its follow-up remittance, a supervisor’s, with a receipt like the first', async () => {
    const first = await remittedCase('CASE-AP-2', '6940.25');
    const c = await booked(correct('CASE-AP-2', 1, '7038.00'));
    expect(c.body).toMatchObject({ followUpDue: '97.75' });
    expect(c.body.receivable).toBeUndefined();
    const due = await statement('CASE-AP-2');
    expect(due).toMatchObject({
      balance: '97.75',
      followUpsDue: [{ correctionId: c.body.correctionId, amount: '97.75' }],
    });

    // Four eyes: the correction's author may not pay it out (nor could: not a supervisor); nothing changes.
    const self = await followUp(c.body.correctionId, { ...PEOPLE.treasuryOfficer, role: 'supervisor' }).expect(422);
    expect(self.body).toMatchObject({ type: 'urn:vcdc:problem:four-eyes', errors: [{ field: 'approver' }] });
    await followUp(c.body.correctionId, PEOPLE.secondTreasuryOfficer).expect(403);
    expect(await statement('CASE-AP-2')).toEqual(due);

    const paid = await followUp(c.body.correctionId).expect(201);
    expect(paid.body).toMatchObject({
      caseId: 'CASE-AP-2',
      amount: '97.75',
      budgetClassificationCode: first.budgetClassificationCode,
      approvedBy: PEOPLE.supervisor.id,
      followUpOf: c.body.correctionId,
    });
    expect(paid.body.receiptNo).toBe(paid.body.voucherNo.replace(/^VCH-/, 'RCP-LOCAL-'));
    expect(paid.body.voucherNo).not.toBe(first.voucherNo);
    const s = await statement('CASE-AP-2');
    expect(lines(s)).toEqual([
      ['CREDIT', '6940.25', '6940.25'],
      ['REMITTANCE', '-6940.25', '0.00'],
      ['CORRECTION', '7038.00', '7038.00'],
      ['REVERSAL', '-6940.25', '97.75'],
      ['REMITTANCE', '-97.75', '0.00'],
    ]);
    expect(s).toMatchObject({ totalCredited: '7038.00', totalRemitted: '7038.00', balance: '0.00', followUpsDue: [] });
    expect((await followUp(c.body.correctionId).expect(409)).body.type).toBe(
      'urn:vcdc:problem:follow-up-already-remitted',
    );
  });

  test('a correction before any pay-out needs no follow-up: the workflow’s own remittance pays it', async () => {
    await post('/v1/credits', {
      caseId: 'CASE-AP-3',
      agency: AGENCY,
      amount: '100.00',
      fxSettlementId: 'fxs-ap-3',
      bankReference: 'B',
    }).expect(201);
    const c = await booked(correct('CASE-AP-3', 1, '120.00'));
    expect(c.body.followUpDue).toBeUndefined();
    expect((await followUp(c.body.correctionId).expect(409)).body.type).toBe('urn:vcdc:problem:no-follow-up-due');
    expect(await statement('CASE-AP-3')).toMatchObject({
      balance: '120.00',
      followUpsDue: [],
      totalRecoverable: '0.00',
    });
  });

  test('the new tables are bound to the audit chain and agree with it', async () => {
    const verify = (await request(app).get('/v1/audit/verify').expect(200)).body;
    const chain = verify.chains?.[0] ?? verify;
    const bound = (chain.tables ?? []) as Array<{ table: string; ok: boolean }>;
    for (const t of ['recovery_receivables', 'recoveries', 'remittances', 'corrections', 'ledger_entries']) {
      expect(bound.find((b) => b.table === t)).toMatchObject({ ok: true });
    }
    expect(chain.ok).toBe(true);
  });
});
