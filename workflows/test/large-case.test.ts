/**
 * A case of 2,000 seized lots on a real Temporal dev server (with the fake services): it completes,
 * and no workflow of the case — the case itself, its intake batches, its sale rounds — has a history
 * near Temporal's limits. The test reads every history and asserts the largest stays under 10,000 events.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { startDevServer } from '../../test/support/temporal';
import type { CaseRegistration } from '../src/workflow/case-input';
import type { CaseProgress } from '../src/workflow/case-state';
import { caseWorkflow } from '../src/workflow/case-workflow';
import { decide, status } from '../src/workflow/shared';
import { bundleCaseWorkflows, DECISIONS, settleAt } from './case-support';
import { createFakeActivities, sampleRegistration } from './fake-services';

jest.setTimeout(600_000);

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await startDevServer();
}, 180_000);

afterAll(async () => {
  await env?.teardown();
});

const LOTS = 2_000;

function largeRegistration(caseId: string): CaseRegistration {
  const lots = Array.from({ length: LOTS }, (_, i) => ({
    lotId: `L${String(i + 1).padStart(4, '0')}`,
    asset: 'BTC',
    chain: 'bitcoin',
    declaredAmount: '0.001',
    sweepTxHash: `btc-sweep-${i + 1}`,
    evidence: {
      handoverFormNo: `HF-${i + 1}`,
      handedOverBy: 'officer.li',
      receivedBy: 'custodian.wang',
      documents: [],
    },
  }));
  return sampleRegistration(caseId, { lots }) as CaseRegistration;
}

test('a case of 2,000 lots completes and its largest workflow history stays under 10,000 events', async () => {
  const reg = largeRegistration(`BIG-${randomUUID().slice(0, 8)}`);
  const taskQueue = `large-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await bundleCaseWorkflows(),
    activities: createFakeActivities(),
  });
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(caseWorkflow, {
      taskQueue,
      workflowId: `case-${reg.caseId}`,
      args: [reg],
    });
    const waitFor = async (stage: string): Promise<CaseProgress> => {
      for (let i = 0; i < 1200; i++) {
        const p = await handle.query(status);
        if (p.status === 'AWAITING_DECISION' && p.awaiting?.stage === stage) return p;
        if (p.status !== 'RUNNING' && p.status !== 'AWAITING_DECISION') throw new Error(`ended: ${p.reason}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`not waiting for ${stage}`);
    };
    const atPlan = await waitFor('DISPOSAL_PLAN');
    expect(atPlan.intakeProgress).toEqual({
      lots: LOTS,
      recorded: LOTS,
      discrepancies: 0,
      batches: 20,
      batchesDone: 20,
    });
    // A large case keeps only the discrepancies in its status, not every intake.
    expect(atPlan.intakes).toEqual([]);
    // An operator finds it in the Web UI by what it waits for, for whom, and since when.
    const query = `CaseId = '${reg.caseId}' AND PendingDecision = 'DISPOSAL_PLAN' AND PendingRole = 'supervisor' AND PendingSince < '${new Date(Date.now() + 60_000).toISOString()}'`;
    const found: string[] = [];
    for (let i = 0; i < 120 && found.length === 0; i++) {
      for await (const wf of env.client.workflow.list({ query })) found.push(wf.workflowId);
      if (found.length === 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect(found).toEqual([handle.workflowId]);
    expect(atPlan.details).toMatch(
      /^waiting for a supervisor to approve the disposal plan \(DISPOSAL_PLAN, a supervisor\) until \d{4}-/,
    );
    await handle.executeUpdate(decide, { args: [DECISIONS.plan] });
    await waitFor('FX_DECLARATION');
    await handle.executeUpdate(decide, { args: [DECISIONS.fx] });
    await waitFor('FX_SETTLEMENT');
    await settleAt(handle);
    await waitFor('REMITTANCE');
    await handle.executeUpdate(decide, { args: [DECISIONS.remit] });
    const outcome = await handle.result();
    expect(outcome.status).toBe('COMPLETED');
    expect(outcome.reconciliation?.ok).toBe(true);

    // Every workflow of the case: the case and the children it started (intake batches, sale rounds).
    const history = await handle.fetchHistory();
    const children = (history.events ?? [])
      .map((e) => e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId)
      .filter((id): id is string => !!id);
    expect(children.filter((id) => id.includes('/intake/'))).toHaveLength(20);
    const sizes: Record<string, number> = { [handle.workflowId]: history.events?.length ?? 0 };
    for (const id of children) {
      sizes[id] = (await env.client.workflow.getHandle(id).fetchHistory()).events?.length ?? 0;
    }
    const largest = Math.max(...Object.values(sizes));
    process.stdout.write(
      `large case: ${Object.keys(sizes).length} workflows, largest history ${largest} events, case ${sizes[handle.workflowId]} events\n`,
    );
    expect(largest).toBeLessThan(10_000);
    expect(sizes[handle.workflowId]).toBeLessThan(2_000);
  });
});
