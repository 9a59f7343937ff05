/**
 * End to end (issue 13, part 2): a case settled and remitted to the treasury — the demo case, through
 * every service on the real stack — then a wrong FX rate found after the remittance. Through the control
 * API only, as the people who do it: an FX officer corrects the tranche's rate and another approves;
 * a treasury officer carries the correction to the credit line and another approves. Downward, the
 * money already remitted too much becomes a recovery receivable (later recovered, with the refund's
 * receipt); upward, the difference is remitted as a follow-up on a supervisor's approval. After each,
 * the books recomputed from the services' records reconcile, and every view shows both versions.
 */
import { type contracts, Decimal, ServiceClient } from '@vcdc/shared';
import { renderStatement, type StatementView } from '../../cli/src/vcdc';
import type { CaseBooks } from '../../control-api/src/case-books';
import { runDemoCase } from '../../scripts/demo/demo-case';
import { startTestStack, type TestStack } from './stack';

jest.setTimeout(900_000);

type Settlement = contracts.fx.Settlement;
type SettlementCorrection = contracts.fx.SettlementCorrection;
type TreasuryStatement = contracts.treasury.CaseStatement;

let stack: TestStack;
const caseId = 'E2E-CORR-1';
let tranche: Settlement;
let remittedFirst: string;

/** A person's call to the control API; the answer's status and body, whatever the status. */
async function as(person: string, method: 'GET' | 'POST', path: string, body?: object) {
  const res = await fetch(`${stack.urls.controlApi}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${await stack.issuer.mint(person)}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
async function ok<T>(answer: Promise<{ status: number; body: unknown }>, status = 201): Promise<T> {
  const a = await answer;
  if (a.status !== status) throw new Error(`expected ${status}, got ${a.status}: ${JSON.stringify(a.body)}`);
  return a.body as T;
}
const books = () => ok<CaseBooks>(as('auditor.qian', 'GET', `/v1/cases/${caseId}/reconciliation`), 200);
const treasury = () =>
  new ServiceClient({ service: 'treasury', baseUrl: stack.urls.treasury }).get<TreasuryStatement>(
    `/v1/cases/${caseId}/statement`,
  );

/** The FX correction: one FX officer asks, `approver` approves. */
async function correctRate(rate: string, approver: string) {
  const asked = await ok<SettlementCorrection>(
    as('fx.officer.wang', 'POST', `/v1/fx/settlements/${tranche.settlementId}/corrections`, {
      rate,
      reason: `the bank's rate of the day was ${rate}`,
    }),
  );
  return ok<SettlementCorrection>(
    as(approver, 'POST', `/v1/fx/settlement-corrections/${asked.correctionId}/approval`, {}),
  );
}

/** The treasury correction of the tranche's credit line in force, carrying the FX correction. */
async function carryToTreasury(fx: SettlementCorrection) {
  const statement = await treasury();
  const inForce = statement.lines.filter(
    (l) => l.reference === tranche.settlementId && (l.kind === 'CREDIT' || l.kind === 'CORRECTION'),
  );
  const reversed = new Set(statement.lines.map((l) => l.reversesLine).filter((n) => n !== undefined));
  const line = inForce.find((l) => !reversed.has(l.line as number))!.line as number;
  const asked = await ok<{ correctionId: string }>(
    as('treasury.officer.sun', 'POST', '/v1/treasury/corrections', {
      caseId,
      line,
      correctedAmount: fx.after.cnyAmount,
      reason: `FX correction ${fx.correctionId}: ${fx.reason}`,
      fxCorrectionId: fx.correctionId,
    }),
  );
  return ok<contracts.treasury.Correction>(
    as('treasury.officer.gao', 'POST', `/v1/treasury/corrections/${asked.correctionId}/approval`, {}),
  );
}

beforeAll(async () => {
  stack = await startTestStack();
  const outcome = await runDemoCase({
    urls: stack.urls,
    log: () => undefined,
    caseId,
    timeoutMs: 700_000,
    token: (person) => stack.issuer.mint(person),
  });
  expect(outcome.status).toBe('COMPLETED');
  const declarations = await new ServiceClient({ service: 'fx', baseUrl: stack.urls.fx }).get<
    contracts.fx.Declaration[]
  >(`/v1/cases/${caseId}/declarations`);
  tranche = declarations[0]!.settlements[0]!;
  remittedFirst = (await treasury()).totalRemitted;
});

afterAll(async () => {
  await stack?.close();
});

test('the settled and remitted case reconciles from the services’ records, with nothing corrected yet', async () => {
  const b = await books();
  expect(b.reconciliation).toMatchObject({ ok: true, phase: 'closing' });
  expect(b.reconciliation.corrections).toBeUndefined();
  expect(b.treasury.balance).toBe('0.00');
});

test('downward after the remittance: a recovery receivable, never a refusal; the books reconcile with both versions', async () => {
  const lower = new Decimal(tranche.rate).minus('0.05').toFixed();
  // The author cannot approve their own correction: 422 naming it, nothing booked.
  const asked = await ok<SettlementCorrection>(
    as('fx.officer.wang', 'POST', `/v1/fx/settlements/${tranche.settlementId}/corrections`, {
      rate: lower,
      reason: 'x',
    }),
  );
  const self = await as('fx.officer.wang', 'POST', `/v1/fx/settlement-corrections/${asked.correctionId}/approval`, {});
  expect(self).toMatchObject({ status: 422, body: { type: 'urn:vcdc:problem:four-eyes' } });

  const fx = await correctRate(lower, 'fx.officer.zhao');
  expect(fx).toMatchObject({ status: 'APPLIED', author: 'fx.officer.wang', approver: 'fx.officer.zhao' });
  expect(new Decimal(fx.cnyDifference).lt(0)).toBe(true);

  // The FX records now say less CNY than the treasury credited: the books recomputed say so.
  const between = await books();
  expect(between.reconciliation.ok).toBe(false);
  expect(between.reconciliation.differences.map((d) => d.check)).toContain('CNY: settled = credited');

  const t = await carryToTreasury(fx);
  const owed = new Decimal(fx.cnyDifference).negated().toFixed(2);
  expect(t).toMatchObject({
    fxCorrectionId: fx.correctionId,
    author: 'treasury.officer.sun',
    approver: 'treasury.officer.gao',
    receivable: { amount: owed, status: 'OPEN', debtor: 'TREASURY' },
  });

  const b = await books();
  expect(b.reconciliation).toMatchObject({ ok: true, phase: 'closing' });
  // Both versions, everywhere: the tranche as settled and in force, the credit and its correction.
  expect(b.reconciliation.corrections).toEqual([
    expect.objectContaining({
      correctionId: fx.correctionId,
      before: { rate: new Decimal(tranche.rate).toFixed(), cnyAmount: tranche.cnyAmount },
      after: { rate: lower, cnyAmount: fx.after.cnyAmount },
    }),
  ]);
  const settled = b.settlements.find((s) => s.settlementId === tranche.settlementId)!;
  expect(settled.cnyAmount).toBe(tranche.cnyAmount);
  expect(settled.inForce?.cnyAmount).toBe(fx.after.cnyAmount);
  const mine = b.treasury.lines.filter((l) => l.reference === tranche.settlementId).map((l) => [l.kind, l.amount]);
  expect(mine).toEqual(
    expect.arrayContaining([
      ['CREDIT', tranche.cnyAmount],
      ['RECOVERY_RECEIVABLE', owed],
      ['CORRECTION', fx.after.cnyAmount],
      ['REVERSAL', `-${tranche.cnyAmount}`],
    ]),
  );
  expect(b.treasury).toMatchObject({ balance: '0.00', totalRecoverable: owed, totalRemitted: remittedFirst });
  const waterfall = await new ServiceClient({ service: 'fx', baseUrl: stack.urls.fx }).get<contracts.fx.Waterfall>(
    `/v1/declarations/${tranche.declarationId}/waterfall`,
  );
  expect(waterfall.lines.map((l) => l.kind)).toEqual(
    expect.arrayContaining(['CNY_SETTLED', 'CORRECTION_REVERSAL', 'CORRECTION', 'CNY_IN_FORCE']),
  );

  // The money comes back: the recovery booked with the refund's receipt; the books still reconcile.
  const receivableId = t.receivable!.receivableId;
  const recovered = await ok<contracts.treasury.Recovery>(
    as('treasury.officer.sun', 'POST', `/v1/treasury/recovery-receivables/${receivableId}/recovery`, {
      receiptNo: 'RFD-E2E-0001',
    }),
  );
  expect(recovered).toMatchObject({ amount: owed, recordedBy: 'treasury.officer.sun' });
  const after = await books();
  expect(after.reconciliation.ok).toBe(true);
  expect(after.treasury.receivables).toEqual([expect.objectContaining({ status: 'RECOVERED' })]);
});

test('upward after the remittance: the difference is remitted as a follow-up, approved by a supervisor', async () => {
  const before = await treasury();
  const higher = new Decimal(tranche.rate).plus('0.05').toFixed();
  const fx = await correctRate(higher, 'supervisor.li');
  expect(new Decimal(fx.cnyDifference).gt(0)).toBe(true);
  const t = await carryToTreasury(fx);
  expect(t.followUpDue).toBe(fx.cnyDifference);
  expect((await treasury()).followUpsDue).toEqual([{ correctionId: t.correctionId, amount: fx.cnyDifference }]);
  // Until it is remitted, the money sits in the account and the closing books say so.
  expect((await books()).reconciliation.ok).toBe(false);

  // A treasury officer cannot approve the pay-out (a supervisor's, like the first); nothing leaves.
  const refused = await as(
    'treasury.officer.gao',
    'POST',
    `/v1/treasury/corrections/${t.correctionId}/follow-up-remittance`,
    {},
  );
  expect(refused.status).toBe(403);
  const followUp = await ok<contracts.treasury.Remittance>(
    as('supervisor.li', 'POST', `/v1/treasury/corrections/${t.correctionId}/follow-up-remittance`, {}),
  );
  expect(followUp).toMatchObject({ amount: fx.cnyDifference, approvedBy: 'supervisor.li', followUpOf: t.correctionId });
  expect(followUp.receiptNo).toMatch(/\S/);

  const b = await books();
  expect(b.reconciliation).toMatchObject({ ok: true, phase: 'closing' });
  expect(b.reconciliation.corrections?.map((c) => c.after.rate)).toEqual([
    new Decimal(tranche.rate).minus('0.05').toFixed(),
    higher,
  ]);
  expect(b.treasury).toMatchObject({
    balance: '0.00',
    followUpsDue: [],
    totalRemitted: new Decimal(before.totalRemitted).plus(fx.cnyDifference).toFixed(2),
  });
  // Credited in force = remitted (first and follow-up) − what is owed back.
  expect(
    new Decimal(b.treasury.totalRemitted).minus(b.treasury.totalRecoverable ?? 0).eq(b.treasury.totalCredited),
  ).toBe(true);
  const settled = b.settlements.find((s) => s.settlementId === tranche.settlementId)!;
  expect([settled.cnyAmount, settled.inForce?.cnyAmount]).toEqual([tranche.cnyAmount, fx.after.cnyAmount]);

  // The case statement shows the values the case recorded and, beside them, the books as corrected.
  const statement = await ok<StatementView>(as('auditor.qian', 'GET', `/v1/cases/${caseId}/statement`), 200);
  expect(statement.corrected).toMatchObject({
    reconciles: true,
    creditedCny: b.treasury.totalCredited,
    remittedCny: b.treasury.totalRemitted,
    followUpsDueCny: '0.00',
  });
  expect(statement.corrected?.corrections).toHaveLength(2);
  expect(renderStatement(statement)).toMatch(/Corrected: +credited CNY .*the books reconcile/);
});

test('every chain, with the new money tables, still verifies', async () => {
  const v = await ok<{ totals: { chains: number; verified: number } }>(
    as('auditor.qian', 'GET', '/v1/audit/verify'),
    200,
  );
  expect(v.totals).toMatchObject({ chains: 5, verified: 5 });
});
