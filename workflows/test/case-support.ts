/**
 * What the case workflow tests and the history recorder (replay/record-histories.ts) share: the
 * time-skipping server with the case search attributes, the bundled workflows, one case run by a
 * worker on its own task queue, waiting for a decision, and fixed decisions people send.
 * No jest here: the recorder runs under plain node.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { addCaseSearchAttributes, startTimeSkippingServer } from '../../test/support/temporal';
import type { CaseActivities } from '../src/activities/case-activities';
import { workflowsPath } from '../src/worker/worker';
import type { CaseRegistration } from '../src/workflow/case-input';
import type { CaseProgress } from '../src/workflow/case-state';
import { caseWorkflow } from '../src/workflow/case-workflow';
import type { Decision } from '../src/workflow/decision';
import { decide, status } from '../src/workflow/shared';

export type CaseHandle = WorkflowHandle<typeof caseWorkflow>;

export function quietLogger() {
  const noop = () => undefined;
  return { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };
}

/** The time-skipping server, with the case's custom search attributes added (it knows none until then). */
export async function startCaseTestServer(): Promise<TestWorkflowEnvironment> {
  const env = await startTimeSkippingServer();
  try {
    await addCaseSearchAttributes(env);
    return env;
  } catch (error) {
    await env.teardown();
    throw error;
  }
}

/** The workflows the worker runs (worker.ts's `workflowsPath`), bundled once. */
export function bundleCaseWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: quietLogger() });
}

/**
 * Start the case `case-<caseId>` with a worker on `taskQueue` running `activities`, run `body`, end
 * the case if `body` left it running (on the time-skipping server a case with no worker keeps a task
 * open, and time stops skipping for every later test), stop the worker.
 */
export async function runCase<T>(
  env: TestWorkflowEnvironment,
  workflowBundle: WorkflowBundleWithSourceMap,
  registration: CaseRegistration,
  activities: CaseActivities,
  body: (handle: CaseHandle) => Promise<T>,
  taskQueue: string,
): Promise<T> {
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities });
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start(caseWorkflow, {
      taskQueue,
      workflowId: `case-${registration.caseId}`,
      args: [registration],
    });
    try {
      return await body(handle);
    } finally {
      if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test over');
    }
  });
}

/** Poll the status query until `test` holds (10 s at most). */
export async function until(handle: WorkflowHandle, test: (p: CaseProgress) => boolean): Promise<CaseProgress> {
  for (let i = 0; i < 600; i++) {
    const p = await handle.query(status);
    if (test(p)) return p;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`condition not reached; last status ${JSON.stringify(await handle.query(status))}`);
}

export const awaiting = (stage: string) => (p: CaseProgress) =>
  p.status === 'AWAITING_DECISION' && p.awaiting?.stage === stage;

/** A held case waits for two supervisors to resolve it (HOLD_RESOLUTION): it does not end. */
export const heldForResolution = (p: CaseProgress) => p.status === 'HELD' && p.awaiting?.stage === 'HOLD_RESOLUTION';

/** The time-skipping server's clock switch, which the test client's `result()` flips on while it waits. */
interface TimeSkipping {
  lockTimeSkipping(request: object): Promise<unknown>;
  unlockTimeSkipping(request: object): Promise<unknown>;
}

/**
 * How the case came out: its result when it ends, or its status once it is held and waits for its
 * resolution (then the case is terminated: the test is over, and a case left waiting with its reminder
 * timers and no worker would stop the time-skipping server for every later test).
 *
 * It lets the server's clock run while it waits, as `handle.result()` does, but holds the switch
 * itself: once the case is seen held, the clock is stopped first and the case terminated only when its
 * history has stopped growing. Terminating while a timer's workflow task is still open leaves the
 * server's clock locked for good (every later test in the file then waits in real time).
 */
export async function outcomeOf(handle: WorkflowHandle<typeof caseWorkflow>): Promise<CaseProgress> {
  const clock = (handle.client as unknown as { testService?: TimeSkipping }).testService;
  if (!clock) return handle.result();
  await clock.unlockTimeSkipping({});
  let running = true;
  const stopClock = async () => {
    if (running) {
      running = false;
      await clock.lockTimeSkipping({});
    }
  };
  try {
    for (;;) {
      const { status: run } = await handle.describe();
      if (run.name !== 'RUNNING') {
        await stopClock();
        return await handle.result().catch(async (error: unknown) => {
          // A held case with no timer left may have "timed out" in virtual time: its status still tells.
          const last = await handle.query(status).catch(() => undefined);
          if (last && heldForResolution(last)) return last;
          throw error;
        });
      }
      const p = await handle.query(status).catch(() => undefined);
      if (p && heldForResolution(p)) {
        await stopClock();
        const settled = await quiet(handle);
        await handle.terminate('held: the test is over').catch(() => undefined);
        return settled ?? p;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await stopClock();
  }
}

/** Wait (5 s at most) until the run's history stops growing; its last status then. */
async function quiet(handle: WorkflowHandle<typeof caseWorkflow>): Promise<CaseProgress | undefined> {
  let length = -1;
  for (let i = 0; i < 20; i++) {
    const now = (await handle.describe()).historyLength;
    if (now === length) break;
    length = now;
    await new Promise((r) => setTimeout(r, 250));
  }
  return handle.query(status).catch(() => undefined);
}

/** Wait until the case waits for `d.stage`, then send `d` as the `decide` Update. */
export async function decideAt(handle: WorkflowHandle, d: Decision) {
  await until(handle, awaiting(d.stage));
  return handle.executeUpdate(decide, { args: [d] });
}

const at = '2026-01-05T09:00:00Z';

/**
 * Wait until the case asks for the bank's settlement, then record it as the FX officer: the whole
 * remainder in one tranche unless `amount` says less. Returns the Update's answer.
 */
export async function settleAt(
  handle: WorkflowHandle,
  amount?: string,
  bankReference = 'BOCHK-FX-0001',
  charges: { bankCharges?: string; correspondentFees?: string } = {},
) {
  const p = await until(handle, awaiting('FX_SETTLEMENT'));
  const d: Decision = {
    stage: 'FX_SETTLEMENT',
    outcome: 'APPROVE',
    decidedBy: 'fx.officer.chen',
    role: 'fx-officer',
    decidedAt: at,
    settlement: { amount: amount ?? p.fxSettlement?.remaining ?? '0', bankReference, ...charges },
  };
  return handle.executeUpdate(decide, { args: [d] });
}
/** Fixed decisions, one per stage and outcome. */
export const DECISIONS = {
  plan: {
    stage: 'DISPOSAL_PLAN',
    outcome: 'APPROVE',
    decidedBy: 'supervisor.zhang',
    role: 'supervisor',
    decidedAt: at,
  },
  fx: {
    stage: 'FX_DECLARATION',
    outcome: 'APPROVE',
    decidedBy: 'fx.officer.chen',
    role: 'fx-officer',
    reference: 'SAFE-2',
    decidedAt: at,
  },
  planReject: {
    stage: 'DISPOSAL_PLAN',
    outcome: 'REJECT',
    decidedBy: 'supervisor.zhang',
    role: 'supervisor',
    reason: 'price band not set',
    decidedAt: at,
  },
  fxReject: {
    stage: 'FX_DECLARATION',
    outcome: 'REJECT',
    decidedBy: 'fx.officer.chen',
    role: 'fx-officer',
    reference: 'SAFE-1',
    reason: 'judgment missing',
    decidedAt: at,
  },
  resubmit: {
    stage: 'FX_RESUBMISSION',
    outcome: 'APPROVE',
    decidedBy: 'supervisor.zhang',
    role: 'supervisor',
    decidedAt: at,
  },
  hold: {
    stage: 'FX_RESUBMISSION',
    outcome: 'REJECT',
    decidedBy: 'supervisor.zhang',
    role: 'supervisor',
    reason: 'wait for the appeal',
    decidedAt: at,
  },
  remit: { stage: 'REMITTANCE', outcome: 'APPROVE', decidedBy: 'supervisor.zhang', role: 'supervisor', decidedAt: at },
  noRemit: {
    stage: 'REMITTANCE',
    outcome: 'REJECT',
    decidedBy: 'supervisor.zhang',
    role: 'supervisor',
    reason: 'judgment under appeal',
    decidedAt: at,
  },
} satisfies Record<string, Decision>;

/** Three victims of a court's restitution order. */
export const VICTIMS = [
  { victimId: 'V1', name: 'Wang Fang', claimOrder: 1, loss: '50000.00', recovered: '10000.00', payeeAccount: 'a1' },
  { victimId: 'V2', name: 'Li Wei', claimOrder: 2, loss: '30000.00', recovered: '0.00', payeeAccount: 'a2' },
  { victimId: 'V3', name: 'Zhang Min', claimOrder: 3, loss: '10000.01', recovered: '0.00', payeeAccount: 'a3' },
];

/**
 * What a case's history shows of its calls: the activity tasks scheduled, the local activities run (their
 * markers) and the patches taken, each by name, in order: which path a new case took (issue 18).
 */
export async function callsInHistory(
  handle: WorkflowHandle,
): Promise<{ tasks: string[]; local: string[]; patches: string[] }> {
  const events = (await handle.fetchHistory()).events ?? [];
  const json = (data: Uint8Array | null | undefined) => JSON.parse(Buffer.from(data ?? []).toString() || 'null');
  const tasks: string[] = [];
  const local: string[] = [];
  const patches: string[] = [];
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (scheduled) tasks.push(scheduled);
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName === 'core_patch') patches.push(json(marker.details?.['patch-data']?.payloads?.[0]?.data).id);
    if (marker?.markerName === 'core_local_activity')
      local.push(json(marker.details?.data?.payloads?.[0]?.data).activity_type);
  }
  return { tasks, local, patches };
}
