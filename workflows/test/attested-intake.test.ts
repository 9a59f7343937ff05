/**
 * ATTESTED lots (chains custody does not watch, e.g. bitcoin) on the time-skipping test server with
 * the fake services: the case records no intake for them; it waits, for days if need be, until two
 * custodians have attested the sweep at custody, then goes on with the intake custody recorded. Two
 * attestations that disagree are a DISCREPANCY of the whole lot that a supervisor rules on.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { type CaseRegistration, Lot } from '../src/workflow/case-input';
import type { Decision } from '../src/workflow/decision';
import { decide, status } from '../src/workflow/shared';
import {
  awaiting,
  bundleCaseWorkflows,
  type CaseHandle,
  DECISIONS,
  decideAt,
  outcomeOf,
  runCase,
  settleAt,
  startCaseTestServer,
  until,
} from './case-support';
import { createFakeActivities, type FakeAttestedLot, type FakeOptions, sampleRegistration } from './fake-services';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, bundle] = await Promise.all([startCaseTestServer(), bundleCaseWorkflows()]);
}, 180_000);

afterAll(async () => {
  await env?.teardown();
});

type Fake = ReturnType<typeof createFakeActivities>;

/** The sample case (BTC lot L1, ETH lot L2) with its BTC lot ATTESTED. */
function registration(): CaseRegistration {
  const reg = sampleRegistration(`A-${randomUUID().slice(0, 8)}`) as CaseRegistration;
  return { ...reg, lots: reg.lots.map((lot) => (lot.asset === 'BTC' ? { ...lot, verification: 'ATTESTED' } : lot)) };
}

/** Run a case with the fake services (`runCase` ends it if the test left it waiting). */
function withCase<T>(reg: CaseRegistration, opts: FakeOptions, body: (h: CaseHandle, fake: Fake) => Promise<T>) {
  const fake = createFakeActivities(opts);
  return runCase(env, bundle, reg, fake, (h) => body(h, fake), `attested-${randomUUID()}`);
}

async function eventually(test: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (test()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not reached: ${what}`);
}

const btcLot = (): FakeAttestedLot => ({ asset: 'BTC', chain: 'bitcoin', declaredAmount: '1.25', attestations: [] });

test('an ATTESTED lot waits (days) for two custodians, nothing recorded for it; then the case goes on with the intake custody recorded', async () => {
  const reg = registration();
  const l1 = btcLot();
  await withCase(reg, { attested: { L1: l1 } }, async (handle, fake) => {
    await eventually(() => fake.awaitAttestedIntake.mock.calls.length > 0, 'the batch asks custody for L1');
    expect(fake.awaitAttestedIntake.mock.calls[0]?.[0]).toEqual({ caseId: reg.caseId, lotId: 'L1' });

    // One custodian attests; two days pass: the case still waits in INTAKE, asking custody, posting nothing for L1.
    l1.attestations.push({ attestedBy: 'custodian.chen', txHash: 'btc-sweep-1', amount: '1.25' });
    await env.sleep('2 days');
    const waiting = await handle.query(status);
    expect(waiting.stage).toBe('INTAKE');
    expect(waiting.status).toBe('RUNNING');
    expect(waiting.awaiting).toBeUndefined();
    const polls = fake.awaitAttestedIntake.mock.calls.length;
    // Backoff to 30 minutes: some dozens of reads in two days, not thousands.
    expect(polls).toBeGreaterThan(5);
    expect(polls).toBeLessThan(200);
    expect(fake.recordIntake.mock.calls.map(([body]) => body.lotId)).toEqual(['L2']);

    // The second custodian attests the same txid and amount: custody records the intake; the case goes on.
    l1.attestations.push({ attestedBy: 'custodian.liu', txHash: 'btc-sweep-1', amount: '1.25' });
    await env.sleep('1 hour');
    const plan = await until(handle, awaiting('DISPOSAL_PLAN'));
    const intake = plan.intakes.find((i) => i.lotId === 'L1');
    expect(intake).toMatchObject({ status: 'RECEIVED', verification: 'ATTESTED', receivedAmount: '1.25' });
    expect(plan.intakes.find((i) => i.lotId === 'L2')?.status).toBe('RECEIVED');

    await decideAt(handle, DECISIONS.plan);
    await decideAt(handle, DECISIONS.fx);
    await settleAt(handle);
    await decideAt(handle, DECISIONS.remit);
    const outcome = await outcomeOf(handle);
    expect(outcome.status).toBe('COMPLETED');
    expect(outcome.reconciliation?.ok).toBe(true);
    // The attested BTC was credited in custody and all of it went to the venue.
    expect(fake.requestTransfer.mock.calls.some(([body]) => body.asset === 'BTC')).toBe(true);
    expect(fake.recordIntake).toHaveBeenCalledTimes(1);
  });
}, 120_000);

test('mismatching attestations: a DISCREPANCY of the whole lot (nothing credited) that asks INTAKE_DISCREPANCY; refused, the case is held', async () => {
  const reg = registration();
  const l1 = btcLot();
  l1.attestations.push(
    { attestedBy: 'custodian.chen', txHash: 'btc-sweep-1', amount: '1.25' },
    { attestedBy: 'custodian.liu', txHash: 'btc-sweep-1', amount: '1.2' },
  );
  await withCase(reg, { attested: { L1: l1 } }, async (handle, fake) => {
    const p = await until(handle, awaiting('INTAKE_DISCREPANCY'));
    expect(p.awaiting?.what).toContain('lot L1 declared 1.25 BTC, received 0');
    expect(p.intakes.find((i) => i.lotId === 'L1')).toMatchObject({
      status: 'DISCREPANCY',
      verification: 'ATTESTED',
      receivedAmount: '0',
      difference: '-1.25',
      txHash: 'btc-sweep-1',
    });
    expect(p.intakes.find((i) => i.lotId === 'L2')?.status).toBe('RECEIVED');
    const refuse: Decision = {
      stage: 'INTAKE_DISCREPANCY',
      outcome: 'REJECT',
      decidedBy: 'supervisor.zhou',
      role: 'supervisor',
      reason: 'the custodians disagree on the amount',
      decidedAt: '2026-01-05T09:00:00Z',
    };
    await handle.executeUpdate(decide, { args: [refuse] });
    const outcome = await outcomeOf(handle);
    expect(outcome.status).toBe('HELD');
    expect(outcome.reason).toContain('lot L1 declared 1.25 BTC, received 0');
    expect(outcome.reason).toContain('the coins stay in custody');
    expect(fake.requestTransfer).not.toHaveBeenCalled();
    expect(fake.recordIntake.mock.calls.map(([body]) => body.lotId)).toEqual(['L2']);
  });
}, 120_000);

test('a lot on a chain custody watches cannot be ATTESTED', () => {
  const lot = sampleRegistration('X').lots[1];
  expect(Lot.safeParse({ ...lot, verification: 'CHAIN' }).success).toBe(true);
  const attested = Lot.safeParse({ ...lot, verification: 'ATTESTED' });
  expect(attested.success).toBe(false);
  expect(attested.error?.issues[0]).toMatchObject({ path: ['verification'] });
});

test('attestations made right after the first look are seen about a second later, not at a fixed 10 s retry (issue 18)', async () => {
  const reg = registration();
  const l1 = btcLot();
  await withCase(reg, { attested: { L1: l1 } }, async (handle, fake) => {
    await eventually(() => fake.awaitAttestedIntake.mock.calls.length > 0, 'the batch asks custody for L1');
    l1.attestations.push(
      { attestedBy: 'custodian.chen', txHash: 'btc-sweep-1', amount: '1.25' },
      { attestedBy: 'custodian.liu', txHash: 'btc-sweep-1', amount: '1.25' },
    );
    await until(handle, awaiting('DISPOSAL_PLAN'));
    // The intake batch (a child of the case) waited for the attestations by retrying one activity.
    const caseEvents = (await handle.fetchHistory()).events ?? [];
    const batchIds = caseEvents
      .map((e) => e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId)
      .filter((id): id is string => Boolean(id));
    const events = (
      await Promise.all(
        batchIds.map(async (id) => (await env.client.workflow.getHandle(id).fetchHistory()).events ?? []),
      )
    ).flat();
    const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
      Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
    const scheduled = events.find(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'awaitAttestedIntake',
    );
    const sameId = (id: unknown) => String(id) === String(scheduled?.eventId);
    const started = events.find((e) => sameId(e.activityTaskStartedEventAttributes?.scheduledEventId));
    const completed = events.find((e) => sameId(e.activityTaskCompletedEventAttributes?.scheduledEventId));
    expect(ms(scheduled?.activityTaskScheduledEventAttributes?.retryPolicy?.initialInterval)).toBe(1000);
    expect(started?.activityTaskStartedEventAttributes?.attempt).toBeGreaterThanOrEqual(2);
    expect(ms(completed?.eventTime) - ms(scheduled?.eventTime)).toBeLessThan(5000);
  });
}, 120_000);
