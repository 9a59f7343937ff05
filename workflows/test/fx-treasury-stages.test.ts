/**
 * The case workflow's FX and TREASURY stages on Temporal's time-skipping test server, with the fake
 * services: a rejected declaration resubmitted, the declaration deadline in working days, the
 * remittance decision before money leaves the special account, and restitution to victims by court
 * order with the rest to the treasury.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { Decimal } from '@vcdc/shared/money';
import { addCaseSearchAttributes, startTimeSkippingServer } from '../../test/support/temporal';
import { workflowsPath } from '../src/worker/worker';
import type { CaseRegistration } from '../src/workflow/case-input';
import type { caseWorkflow } from '../src/workflow/case-workflow';
import type { Decision } from '../src/workflow/decision';
import { decide, status } from '../src/workflow/shared';
import { addWorkingDays } from '../src/workflow/working-days';
import {
  awaiting,
  callsInHistory,
  DECISIONS as D,
  decideAt,
  outcomeOf,
  runCase,
  settleAt,
  until,
  VICTIMS,
} from './case-support';
import { createFakeActivities, sampleRegistration } from './fake-services';

// Each case runs to its end on the time-skipping server while the engine's slices take real seconds:
// a minute is usually plenty, but not on a machine that is busy with something else.
jest.setTimeout(180_000);

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const noop = () => undefined;
  [env, bundle] = await Promise.all([
    startTimeSkippingServer(),
    bundleWorkflowCode({
      workflowsPath,
      logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop },
    }),
  ]);
  await addCaseSearchAttributes(env);
}, 180_000);

afterAll(async () => {
  await env?.teardown();
});

type Fake = ReturnType<typeof createFakeActivities>;
type Handle = WorkflowHandle<typeof caseWorkflow>;

async function withCase<T>(
  reg: CaseRegistration,
  body: (fake: Fake, handle: Handle) => Promise<T>,
  options: Parameters<typeof createFakeActivities>[0] = {},
): Promise<T> {
  const fake = createFakeActivities(options);
  // runCase ends a case the body left running: a held case waits for its resolution and keeps timers.
  return runCase(env, bundle, reg, fake, (handle) => body(fake, handle), `test-${randomUUID()}`);
}

const registration = (overrides: Record<string, unknown> = {}) =>
  sampleRegistration(`C-${randomUUID().slice(0, 8)}`, overrides) as CaseRegistration;

test('a rejected declaration waits for a supervisor, is resubmitted with its own key, approved, and the case completes', async () => {
  await withCase(registration(), async (fake, handle) => {
    await decideAt(handle, D.plan);
    const answer = await decideAt(handle, D.fxReject);
    expect(answer.movesTo).toEqual({ stage: 'FX', status: 'AWAITING_DECISION' });
    await decideAt(handle, D.resubmit);
    await decideAt(handle, D.fx);
    await settleAt(handle);
    await decideAt(handle, D.remit);
    const outcome = await outcomeOf(handle);
    expect(outcome.status).toBe('COMPLETED');
    expect(outcome.decisions.accepted.map((d) => d.stage)).toEqual([
      'DISPOSAL_PLAN',
      'FX_DECLARATION',
      'FX_RESUBMISSION',
      'FX_DECLARATION',
      'FX_SETTLEMENT',
      'REMITTANCE',
    ]);
    expect(fake.submitDeclaration).toHaveBeenCalledTimes(2);
    expect(fake.recordFxDecision.mock.calls.map((c) => [c[1].decision?.outcome, c[2]])).toEqual([
      ['REJECT', `case-${outcome.caseId}/fx-declaration/decision`],
      ['APPROVE', `case-${outcome.caseId}/fx-declaration/decision/round-2`],
    ]);
    expect(fake.submitDeclaration.mock.calls[1]?.[1].note).toContain('SAFE-1');
    expect(outcome.fxDeadline?.state).toBe('MET');
  });
});

test('a supervisor may hold instead of resubmitting: the case is HELD with the money in the offshore account', async () => {
  await withCase(registration(), async (fake, handle) => {
    await decideAt(handle, D.plan);
    await decideAt(handle, D.fxReject);
    await decideAt(handle, D.hold);
    const outcome = await outcomeOf(handle);
    expect(outcome.status).toBe('HELD');
    expect(outcome.stage).toBe('FX');
    expect(outcome.reason).toMatch(
      /rejected FX declaration .* not resubmitted \(supervisor.zhang: wait for the appeal\)/,
    );
    expect(fake.settleDeclaration).not.toHaveBeenCalled();
  });
});

test('the declaration deadline: reminded the working day before, overdue after 5 working days from the funds arriving', async () => {
  await withCase(registration({ deadlines: { decisionDays: 30 } }), async (_fake, handle) => {
    await decideAt(handle, D.plan);
    const waiting = await until(handle, awaiting('FX_DECLARATION'));
    const arrived = new Date(waiting.fxDeadline!.fundsArrivedAt);
    expect(waiting.fxDeadline).toMatchObject({
      state: 'OPEN',
      dueBy: addWorkingDays(arrived, 5).toISOString(),
      remindAt: addWorkingDays(arrived, 4).toISOString(),
    });
    await env.sleep(Date.parse(waiting.fxDeadline!.remindAt) - arrived.getTime() + 1000);
    expect((await handle.query(status)).fxDeadline?.state).toBe('REMINDED');
    await env.sleep(Date.parse(waiting.fxDeadline!.dueBy) - Date.parse(waiting.fxDeadline!.remindAt));
    const late = await handle.query(status);
    expect(late.fxDeadline?.state).toBe('OVERDUE');
    // Overdue is an escalation, not a dead end: the officer can still record the decision.
    expect(late.status).toBe('AWAITING_DECISION');
    await decideAt(handle, D.fx);
    await settleAt(handle);
    await decideAt(handle, D.remit);
    expect((await outcomeOf(handle)).status).toBe('COMPLETED');
  });
});

test('no money leaves the special account without the remittance decision; a rejection holds it there', async () => {
  await withCase(registration(), async (fake, handle) => {
    await decideAt(handle, D.plan);
    await decideAt(handle, D.fx);
    await settleAt(handle);
    const waiting = await until(handle, awaiting('REMITTANCE'));
    expect(waiting.stage).toBe('TREASURY');
    expect(fake.recordCredit).toHaveBeenCalledTimes(1);
    expect(fake.requestRemittance).not.toHaveBeenCalled();
    // The case officer who asked for the disposal may not approve its pay-out.
    await expect(handle.executeUpdate(decide, { args: [{ ...D.remit, decidedBy: 'officer.li' }] })).rejects.toThrow();
    // Nor an FX officer: the remittance is a supervisor's decision.
    await expect(
      handle.executeUpdate(decide, { args: [{ ...D.remit, decidedBy: 'fx.officer.chen', role: 'fx-officer' }] }),
    ).rejects.toThrow();
    await handle.executeUpdate(decide, { args: [D.noRemit] });
    const outcome = await outcomeOf(handle);
    expect(outcome.status).toBe('HELD');
    expect(outcome.reason).toMatch(
      /pay-out rejected by supervisor.zhang: judgment under appeal; .* CNY stay in the special account/,
    );
    expect(fake.requestRemittance).not.toHaveBeenCalled();
  });
});

test('restitution: three victims paid by the court order, the rest remitted, the statement ends at zero and reconciles', async () => {
  const reg = registration({
    restitution: {
      courtOrderRef: '(2026) Jing 01 Xing Chu 7',
      documentHash: 'ef'.repeat(32),
      method: 'PRO_RATA',
      victims: VICTIMS,
    },
  });
  await withCase(reg, async (fake, handle) => {
    await decideAt(handle, D.plan);
    await decideAt(handle, D.fx);
    await settleAt(handle);
    await decideAt(handle, D.remit);
    const outcome = await outcomeOf(handle);
    expect(outcome.reason).toBeUndefined();
    expect(outcome.status).toBe('COMPLETED');
    expect(fake.registerRestitutionOrder.mock.calls[0]?.[0]).toMatchObject({
      caseId: reg.caseId,
      courtOrderRef: '(2026) Jing 01 Xing Chu 7',
      // The workflow's own step, booked as the workflow.
      workflowId: `case-${reg.caseId}`,
    });
    const credited = new Decimal(outcome.credits[0]!.amount);
    expect(outcome.restitution?.allocations.map((a) => a.amount)).toEqual(['40000.00', '30000.00', '10000.01']);
    expect(outcome.restitution?.approvedBy).toBe('supervisor.zhang');
    expect(new Decimal(outcome.remittance!.amount).eq(credited.minus('80000.01'))).toBe(true);
    const statement = await fake.getTreasuryStatement(reg.caseId);
    expect(statement.balance).toBe('0');
    expect(outcome.reconciliation?.ok).toBe(true);
    expect(outcome.details).toMatch(/paid 80000.01 CNY to 3 victims; remitted .* CNY to the treasury/);
  });
});

describe('a pre-trial sale: the proceeds wait in escrow until the judgment', () => {
  const escrow = {
    reason: 'sold before trial: the coins were losing value',
    owner: { name: 'Zhao Lei', payeeAccount: 'CN-OWNER-1' },
  };
  const judgment = (outcome: 'CONFISCATION' | 'ACQUITTAL'): Decision => ({
    stage: 'JUDGMENT',
    outcome: 'APPROVE',
    decidedBy: 'supervisor.zhang',
    role: 'supervisor',
    decidedAt: '2026-06-01T09:00:00Z',
    judgment: { judgmentRef: '(2026) Jing 01 Xing Chu 9', documentHash: 'ab'.repeat(32), outcome },
  });
  const escrowed = () => registration({ treasury: { budgetClassificationCode: '1030501', escrow } });

  test('nothing leaves the special account before the judgment; a confiscation sends it all to the treasury', async () => {
    const reg = escrowed();
    await withCase(reg, async (fake, handle) => {
      await decideAt(handle, D.plan);
      await decideAt(handle, D.fx);
      await settleAt(handle);
      const waiting = await until(handle, awaiting('JUDGMENT'));
      expect(waiting.escrow?.status).toBe('HELD');
      expect(fake.requestRemittance).not.toHaveBeenCalled();
      await decideAt(handle, judgment('CONFISCATION'));
      await decideAt(handle, D.remit);
      const outcome = await outcomeOf(handle);
      expect(outcome.status).toBe('COMPLETED');
      expect(outcome.escrow?.judgment?.outcome).toBe('CONFISCATION');
      expect(new Decimal(outcome.remittance!.amount).eq(outcome.credits[0]!.amount)).toBe(true);
      expect(outcome.reconciliation?.ok).toBe(true);
    });
  });

  test('an acquittal pays the proceeds back to the owner, nothing to the treasury', async () => {
    const reg = escrowed();
    await withCase(reg, async (fake, handle) => {
      await decideAt(handle, D.plan);
      await decideAt(handle, D.fx);
      await settleAt(handle);
      await decideAt(handle, judgment('ACQUITTAL'));
      const asked = await until(handle, awaiting('REMITTANCE'));
      expect(asked.awaiting?.what).toContain('back to the owner Zhao Lei (acquittal)');
      await decideAt(handle, D.remit);
      const outcome = await outcomeOf(handle);
      expect(outcome.status).toBe('COMPLETED');
      expect(outcome.ownerReturn).toMatchObject({ ownerName: 'Zhao Lei', payeeAccount: 'CN-OWNER-1' });
      expect(fake.requestRemittance).not.toHaveBeenCalled();
      expect((await fake.getTreasuryStatement(reg.caseId)).balance).toBe('0');
      expect(outcome.reconciliation?.ok).toBe(true);
    });
  });

  test('with no judgment within its deadline the case is held with the money in escrow', async () => {
    const reg = escrowed();
    await withCase(reg, async (_fake, handle) => {
      await decideAt(handle, D.plan);
      await decideAt(handle, D.fx);
      await settleAt(handle);
      await until(handle, awaiting('JUDGMENT'));
      const outcome = await outcomeOf(handle);
      expect(outcome.status).toBe('HELD');
      expect(outcome.reason).toContain('no judgment recorded within 365 days');
    });
  });
});

describe('the reconciliation gates the pay-out (issue 13)', () => {
  const SETTLEMENT_CHECK = /^settlement st-\d+: CNY \+ rounding remainder = converted x rate$/;

  test('a settlement net of bank charges and correspondent fees reconciles exactly, before and after the pay-out', async () => {
    await withCase(registration(), async (fake, handle) => {
      await decideAt(handle, D.plan);
      await decideAt(handle, D.fx);
      await settleAt(handle, undefined, 'BOCHK-FX-0001', { bankCharges: '15.00', correspondentFees: '7.50' });
      // Reconciled before the pay-out is even asked.
      const asked = await until(handle, awaiting('REMITTANCE'));
      expect(asked.reconciliationBeforePayout).toMatchObject({ ok: true, phase: 'before-payout', differences: [] });
      await decideAt(handle, D.remit);
      const outcome = await outcomeOf(handle);
      expect(outcome.status).toBe('COMPLETED');
      const s = outcome.settlements[0]!;
      expect(s).toMatchObject({ bankCharges: '15.00', correspondentFees: '7.50' });
      expect(new Decimal(s.netForeignAmount!).eq(new Decimal(s.foreignAmount).minus('22.50'))).toBe(true);
      expect(outcome.reconciliation).toMatchObject({ ok: true, phase: 'closing' });
      const check = outcome.reconciliation!.checks.find((c) => SETTLEMENT_CHECK.test(c.name));
      expect(check).toMatchObject({ pass: true });
      expect(new Decimal(check!.left.amount).eq(new Decimal(s.netForeignAmount!).times(s.rate))).toBe(true);
      expect(outcome.remittance?.amount).toBe(s.cnyAmount);
      expect(fake.requestRemittance).toHaveBeenCalledTimes(1);
      // Every stage change, and the case's end, asked every service to sign its audit chain's head.
      expect(fake.checkpointAuditChains.mock.calls.map((c) => c[0])).toEqual(
        [
          'INTAKE',
          'AUTHORISATION',
          'TRANSFER',
          'SALE',
          'WITHDRAWAL',
          'FX',
          'TREASURY',
          'RECONCILIATION',
          'COMPLETED',
        ].map((stage) => ({ caseId: outcome.caseId, stage })),
      );
      // Activity tasks, beside the stages (not local activities: those would hold the workflow task, and the
      // stage's next step, until four services signed).
      expect((await callsInHistory(handle)).tasks.filter((name) => name === 'checkpointAuditChains')).toHaveLength(9);
    });
  });

  test('an inconsistent settlement stops the pay-out and asks RECONCILIATION; a hold keeps the money in the special account', async () => {
    await withCase(
      registration(),
      async (fake, handle) => {
        await decideAt(handle, D.plan);
        await decideAt(handle, D.fx);
        await settleAt(handle);
        const asked = await until(handle, awaiting('RECONCILIATION'));
        expect(asked.reconciliationBeforePayout?.ok).toBe(false);
        expect(asked.reconciliationAsked).toEqual([
          { check: expect.stringMatching(SETTLEMENT_CHECK), difference: '-3.21' },
        ]);
        expect(asked.awaiting?.what).toMatch(/converted x rate: -3\.21/);
        expect(asked.payoutRequested).toBeUndefined();
        await decideAt(handle, {
          stage: 'RECONCILIATION',
          outcome: 'REJECT',
          decidedBy: 'supervisor.zhang',
          role: 'supervisor',
          reason: 'ask the bank for its settlement advice',
          decidedAt: '2026-03-10T08:00:00.000Z',
        });
        const outcome = await outcomeOf(handle);
        expect(outcome.status).toBe('HELD');
        expect(outcome.reason).toContain(
          'held by supervisor.zhang at reconciliation: ask the bank for its settlement advice',
        );
        expect(outcome.reason).toContain('the CNY stay in the special account');
        expect(fake.requestRemittance).not.toHaveBeenCalled();
        expect(fake.distributeRestitution).not.toHaveBeenCalled();
      },
      { settlementCnyOff: '-3.21' },
    );
  });

  test('a supervisor explains the difference with a reason: it is its own line in both reconciliations, and the pay-out goes on', async () => {
    await withCase(
      registration(),
      async (fake, handle) => {
        await decideAt(handle, D.plan);
        await decideAt(handle, D.fx);
        await settleAt(handle);
        await until(handle, awaiting('RECONCILIATION'));
        const approve = {
          stage: 'RECONCILIATION',
          outcome: 'APPROVE',
          decidedBy: 'supervisor.zhang',
          role: 'supervisor',
          decidedAt: '2026-03-10T08:00:00.000Z',
        } as const;
        // Approving a difference needs a reason.
        await expect(decideAt(handle, approve)).rejects.toHaveProperty(
          'cause.message',
          expect.stringMatching(/approving a difference needs a reason/),
        );
        await decideAt(handle, { ...approve, reason: 'the bank rounded per advice BA-2026-0310' });
        await until(handle, awaiting('REMITTANCE'));
        await decideAt(handle, D.remit);
        const outcome = await outcomeOf(handle);
        expect(outcome.status).toBe('COMPLETED');
        const line = {
          check: expect.stringMatching(SETTLEMENT_CHECK),
          difference: '-3.21',
          decidedBy: 'supervisor.zhang',
          reason: 'the bank rounded per advice BA-2026-0310',
        };
        expect(outcome.explainedDifferences).toEqual([expect.objectContaining(line)]);
        for (const r of [outcome.reconciliationBeforePayout, outcome.reconciliation]) {
          expect(r?.ok).toBe(true);
          expect(r?.checks.find((c) => SETTLEMENT_CHECK.test(c.name))).toMatchObject({
            pass: true,
            difference: '-3.21',
            explainedBy: line,
          });
        }
        expect(fake.requestRemittance).toHaveBeenCalledTimes(1);
      },
      { settlementCnyOff: '-3.21' },
    );
  });
});
