/**
 * End to end: a case whose proceeds go part to three victims under a court's restitution order and
 * part to the treasury, on the real stack (Temporal dev server, PostgreSQL, simulators, real ccxt).
 * The supervisor approves the pay-out; the treasury's own records must show every victim paid their
 * net loss with a receipt, the rest remitted, and the special account ending at zero.
 */
import { type contracts, Decimal, dec, ServiceClient } from '@vcdc/shared';
import { type DemoCaseProgress, type DemoRestitution, runDemoCase } from '../../scripts/demo/demo-case';
import type { CaseProgress } from '../../workflows/src/workflow/case-state';
import { readCaseAsAuditor, startTestStack, type TestStack } from './stack';

jest.setTimeout(240_000);

let stack: TestStack;
let outcome: DemoCaseProgress;
let progress: CaseProgress;
const caseId = 'E2E-RESTITUTION-1';

const restitution: DemoRestitution = {
  courtOrderRef: '(2026) Jing 01 Xing Chu 88',
  documentHash: 'a1'.repeat(32),
  method: 'PRO_RATA',
  victims: [
    {
      victimId: 'V1',
      name: 'Wang Fang',
      claimOrder: 1,
      loss: '50000.00',
      recovered: '10000.00',
      payeeAccount: '6222-01',
    },
    { victimId: 'V2', name: 'Li Wei', claimOrder: 2, loss: '30000.00', recovered: '0.00', payeeAccount: '6222-02' },
    {
      victimId: 'V3',
      name: 'Zhang Min',
      claimOrder: 3,
      loss: '10000.01',
      recovered: '2500.00',
      payeeAccount: '6222-03',
    },
  ],
};
const NET_LOSSES = ['40000.00', '30000.00', '7500.01'];

beforeAll(async () => {
  stack = await startTestStack();
  outcome = await runDemoCase({
    urls: stack.urls,
    log: () => undefined,
    caseId,
    // One stablecoin lot (about 140 000 CNY): more than the victims' net losses, so the treasury gets the rest.
    lots: [{ lotId: 'LOT-1', asset: 'USDT', chain: 'ethereum', amount: '20000' }],
    restitution,
    timeoutMs: 180_000,
    token: (person) => stack.issuer.mint(person),
  });
  progress = await readCaseAsAuditor(stack, caseId);
});

afterAll(async () => {
  await stack?.close();
});

const treasury = () => new ServiceClient({ service: 'treasury', baseUrl: stack.urls.treasury });

test('the case completes after the supervisor approves the pay-out, and reconciles', () => {
  expect(outcome.reason).toBeUndefined();
  expect(outcome.status).toBe('COMPLETED');
  expect(progress.decisions.accepted.map((d) => d.stage)).toEqual([
    'DISPOSAL_PLAN',
    'FX_DECLARATION',
    'FX_SETTLEMENT',
    'REMITTANCE',
  ]);
  expect(progress.reconciliation?.ok).toBe(true);
  expect(progress.restitution?.approvedBy).toBe('supervisor.li');
});

test('the treasury statement: credit, three victim payments, the remittance of the rest, ending at zero', async () => {
  const s = await treasury().get<contracts.treasury.CaseStatement>(`/v1/cases/${caseId}/statement`);
  expect(s.lines.map((l) => l.kind)).toEqual(['CREDIT', 'RESTITUTION', 'RESTITUTION', 'RESTITUTION', 'REMITTANCE']);
  expect(s.lines.slice(1, 4).map((l) => l.amount)).toEqual(NET_LOSSES.map((n) => `-${n}`));
  expect(s.totalToVictims).toBe('77500.01');
  expect(dec(s.totalCredited).eq(dec(s.totalToVictims!).plus(s.totalRemitted))).toBe(true);
  expect(dec(s.totalRemitted).gt(0)).toBe(true);
  expect(s.balance).toBe('0.00');
  // The running balance is right at every line.
  let running = new Decimal(0);
  for (const line of s.lines) {
    running = running.plus(line.amount);
    expect(line.balanceAfter).toBe(running.toFixed(2));
  }
  // The credit is the FX settlement's CNY, and the remittance carries its voucher and receipt.
  expect(s.totalCredited).toBe(progress.settlements[0]?.cnyAmount);
  expect(progress.remittance?.voucherNo).toMatch(/^VCH-/);
  expect(progress.remittance?.receiptNo).toMatch(/\S/);
});

test.each(restitution.victims.map((v, i) => [v.victimId, NET_LOSSES[i]!]))(
  'victim %s: an itemised statement with the net loss paid in full and its receipt',
  async (victimId, netLoss) => {
    const orderId = progress.restitutionOrder!.restitutionOrderId;
    const v = await treasury().get<contracts.treasury.VictimStatement>(
      `/v1/restitution-orders/${orderId}/victims/${victimId}/statement`,
    );
    expect(v).toMatchObject({
      courtOrderRef: restitution.courtOrderRef,
      netLoss,
      totalPaid: netLoss,
      outstanding: '0.00',
    });
    expect(v.payments).toHaveLength(1);
    expect(v.payments[0]!.receiptNo).toMatch(/^RCP-LOCAL-PAY-/);
  },
);

test('the FX waterfall runs from the fiat withdrawn at the venue to the CNY credited, each deduction a line', async () => {
  const fx = new ServiceClient({ service: 'fx', baseUrl: stack.urls.fx });
  const w = await fx.get<contracts.fx.Waterfall>(`/v1/declarations/${progress.declaration!.declarationId}/waterfall`);
  const line = (kind: string) => dec(w.lines.find((l) => l.kind === kind)!.amount);
  expect(line('WITHDRAWN_AT_VENUE').eq(progress.withdrawal!.amount)).toBe(true);
  expect(line('WITHDRAWN_AT_VENUE').plus(line('VENUE_WITHDRAWAL_FEE')).eq(line('ARRIVED_AT_BANK'))).toBe(true);
  expect(line('CNY_AT_CENTRAL_PARITY').plus(line('FX_SPREAD')).plus(line('ROUNDING')).eq(line('CNY_SETTLED'))).toBe(
    true,
  );
  expect(line('CNY_SETTLED').eq(progress.credits[0]!.amount)).toBe(true);
  expect(w.unsettled).toBe('0.00');
});
