/**
 * A large case registered by a lot manifest, run to COMPLETED with fixed decisions, and the sizes of
 * every history it made: what large-manifest.test.ts asserts and bench/large-case.ts prints. The
 * lots are made a chunk at a time (never the whole list in memory), stored in the manifest store
 * (real PostgreSQL) and sealed; the worker's intake reads them back in pages. No jest here.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createManifestActivities } from '../src/activities/manifest-activities';
import type { LotManifestStore, SealedManifest } from '../src/manifest/store';
import type { CaseRegistration, Lot } from '../src/workflow/case-input';
import type { CaseOutcome, CaseProgress } from '../src/workflow/case-state';
import { caseWorkflow } from '../src/workflow/case-workflow';
import { MAX_LOTS_PER_CHUNK } from '../src/workflow/lot-manifest';
import { decide, status } from '../src/workflow/shared';
import { DECISIONS, settleAt } from './case-support';
import { fakeServiceActivities, sampleRegistration } from './fake-services';

/**
 * What each lot declares: small, so even 100,000 lots (2 BTC) stay under the approval policy's tier
 * that asks a second unit (the run takes one approval of the plan).
 */
export const LOT_AMOUNT = '0.00002';

/** Lot `i` (from 0) of a large case: LOT_AMOUNT BTC each. */
export function manifestLot(i: number): Lot {
  return {
    lotId: `L${String(i + 1).padStart(6, '0')}`,
    asset: 'BTC',
    chain: 'bitcoin',
    declaredAmount: LOT_AMOUNT,
    sweepTxHash: `btc-sweep-${i + 1}`,
    evidence: {
      handoverFormNo: `HF-${i + 1}`,
      handedOverBy: 'officer.li',
      receivedBy: 'custodian.wang',
      documents: [],
    },
  };
}

/** Register `lots` lots in chunks of MAX_LOTS_PER_CHUNK (2,000) and seal them. */
export async function registerManifest(
  store: LotManifestStore,
  caseId: string,
  lots: number,
  by = 'officer.li',
): Promise<SealedManifest> {
  const chunks = Math.ceil(lots / MAX_LOTS_PER_CHUNK);
  for (let c = 0; c < chunks; c++) {
    const from = c * MAX_LOTS_PER_CHUNK;
    const chunk = Array.from({ length: Math.min(MAX_LOTS_PER_CHUNK, lots - from) }, (_, i) => manifestLot(from + i));
    await store.appendChunk(caseId, { chunk: c, lots: chunk }, by);
  }
  return store.seal(caseId, chunks, by);
}

export interface ManifestCaseRun {
  outcome: CaseOutcome;
  /** The status at the disposal plan (intake done). */
  atPlan: CaseProgress;
  caseEvents: number;
  /** The intake parts' histories, every run of each (continue-as-new makes runs). */
  childEvents: Record<string, number[]>;
  maxChildEvents: number;
  /** Bytes of the status query's answer at the disposal plan. */
  statusBytes: number;
}

export async function runManifestCase(
  env: TestWorkflowEnvironment,
  workflowBundle: WorkflowBundleWithSourceMap,
  store: LotManifestStore,
  manifest: SealedManifest,
  taskQueue: string,
): Promise<ManifestCaseRun> {
  const { caseId: _caseId, sealedBy: _by, sealedAt: _at, ...ref } = manifest;
  const reg = { ...sampleRegistration(manifest.caseId, { lots: [] }), manifest: ref } as CaseRegistration;
  const fakes = fakeServiceActivities();
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle,
    activities: { ...fakes, ...createManifestActivities(store, fakes) },
  });
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start(caseWorkflow, {
      taskQueue,
      workflowId: `case-${manifest.caseId}`,
      args: [reg],
    });
    const waitFor = async (stage: string): Promise<CaseProgress> => {
      let p: CaseProgress | undefined;
      for (let i = 0; i < 4800; i++) {
        p = await handle.query(status);
        if (p.status === 'AWAITING_DECISION' && p.awaiting?.stage === stage) return p;
        if (p.status !== 'RUNNING' && p.status !== 'AWAITING_DECISION') throw new Error(`ended: ${p.reason}`);
        if (process.env.MANIFEST_TRACE && i % 20 === 0)
          process.stdout.write(`${stage}? ${p.status} ${p.stage}: ${p.details}\n`);
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`not waiting for ${stage}: ${p?.status} ${p?.stage}: ${p?.details}`);
    };
    const atPlan = await waitFor('DISPOSAL_PLAN');
    const statusBytes = Buffer.byteLength(JSON.stringify(atPlan));
    await handle.executeUpdate(decide, { args: [DECISIONS.plan] });
    await waitFor('FX_DECLARATION');
    await handle.executeUpdate(decide, { args: [DECISIONS.fx] });
    await waitFor('FX_SETTLEMENT');
    await settleAt(handle);
    await waitFor('REMITTANCE');
    await handle.executeUpdate(decide, { args: [DECISIONS.remit] });
    const outcome = await handle.result();

    const history = await handle.fetchHistory();
    const caseEvents = history.events?.length ?? 0;
    const children = (history.events ?? [])
      .map((e) => e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId)
      .filter((id): id is string => !!id && id.includes('/intake-manifest/'));
    const childEvents: Record<string, number[]> = {};
    for (const id of children) {
      // Every run of the part: follow the continue-as-new chain from its first run.
      const runs: number[] = [];
      for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${id}'` })) {
        runs.push((await env.client.workflow.getHandle(id, wf.runId).fetchHistory()).events?.length ?? 0);
      }
      childEvents[id] = runs;
    }
    const maxChildEvents = Math.max(0, ...Object.values(childEvents).flat());
    return { outcome, atPlan, caseEvents, childEvents, maxChildEvents, statusBytes };
  });
}
