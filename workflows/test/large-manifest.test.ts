/**
 * A large case registered by a lot manifest (issue 18): 20,000 lots in chunks, sealed, stored in
 * PostgreSQL; the case's input carries only the manifest's reference. The case completes, its own
 * history stays under 2,000 events, every intake part's under 10,000 (a part continues as new before),
 * the status at the plan is a summary (no lot list) and the intake reconciles exactly with the seal.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createPool, Decimal, type Pool } from '@vcdc/shared';
import { createTestDatabase } from '../../test/support/database';
import { startDevServer } from '../../test/support/temporal';
import { createManifestActivities } from '../src/activities/manifest-activities';
import { LotManifestStore, migrateManifests } from '../src/manifest/store';
import { intakeManifestWorkflow } from '../src/workflow/intake-manifest-workflow';
import { bundleCaseWorkflows } from './case-support';
import { fakeServiceActivities } from './fake-services';
import { LOT_AMOUNT, registerManifest, runManifestCase } from './manifest-case';

jest.setTimeout(600_000);

let env: TestWorkflowEnvironment;
let pool: Pool;
let store: LotManifestStore;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  const url = await createTestDatabase('manifest');
  await migrateManifests(url);
  pool = createPool(url, 'lot_manifests');
  store = new LotManifestStore(pool);
  [env, bundle] = await Promise.all([startDevServer(), bundleCaseWorkflows()]);
}, 180_000);

afterAll(async () => {
  await env?.teardown();
  await pool?.end();
});

const LOTS = Number(process.env.MANIFEST_LOTS ?? 20_000);
/** LOT_AMOUNT (0.00002 BTC) a lot: the exact totals the seal and the intake must both show. */
const DECLARED = new Decimal(LOT_AMOUNT).times(LOTS).toFixed();
const SATOSHI = String(LOTS * 2_000);
const PARTS = Math.min(4, Math.ceil(LOTS / 500));

test('a case of 20,000 lots by manifest completes with its histories bounded and its intake reconciled', async () => {
  const caseId = `MAN-${randomUUID().slice(0, 8)}`;
  const manifest = await registerManifest(store, caseId, LOTS);
  expect(manifest).toMatchObject({
    lots: LOTS,
    chunks: Math.ceil(LOTS / 2_000),
    totals: [{ asset: 'BTC', lots: LOTS, declared: DECLARED }],
  });

  const run = await runManifestCase(env, bundle, store, manifest, `manifest-${randomUUID()}`);
  process.stdout.write(
    `manifest case: ${LOTS} lots, case ${run.caseEvents} events, parts ${JSON.stringify(run.childEvents)}, status ${run.statusBytes} bytes\n`,
  );
  expect(run.outcome.status).toBe('COMPLETED');
  expect(run.outcome.reconciliation?.ok).toBe(true);
  expect(run.caseEvents).toBeLessThan(2_000);
  expect(Object.keys(run.childEvents)).toHaveLength(PARTS);
  expect(run.maxChildEvents).toBeLessThan(10_000);
  // The status is a summary: counts and totals, no lot list (nothing differed), well under 100 kB.
  expect(run.atPlan.intakeProgress).toEqual({
    lots: LOTS,
    recorded: LOTS,
    discrepancies: 0,
    batches: PARTS,
    batchesDone: PARTS,
  });
  expect(run.atPlan.intakes).toEqual([]);
  expect(run.atPlan.manifest?.intake).toEqual([{ asset: 'BTC', lots: LOTS, declared: DECLARED, received: DECLARED }]);
  expect(run.atPlan.amounts?.totals[0]).toMatchObject({
    asset: 'BTC',
    lots: LOTS,
    declared: { amount: DECLARED, baseUnits: SATOSHI },
    received: { amount: DECLARED, baseUnits: SATOSHI },
  });
  expect(run.statusBytes).toBeLessThan(100_000);
});

test('an intake part continues as new before its history would pass its limit, and its totals carry over', async () => {
  const caseId = `MANP-${randomUUID().slice(0, 8)}`;
  const manifest = await registerManifest(store, caseId, 2_000);
  const taskQueue = `manifest-part-${randomUUID()}`;
  const fakes = fakeServiceActivities({ received: { L000007: '0.00001' } });
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: { ...fakes, ...createManifestActivities(store, fakes) },
  });
  const summary = await worker.runUntil(
    env.client.workflow.execute(intakeManifestWorkflow, {
      taskQueue,
      workflowId: `case-${caseId}/intake-manifest/1`,
      // 20 pages of 100; a limit of 700 events leaves room for about 14 pages a run.
      args: [
        {
          caseWorkflowId: `case-${caseId}`,
          caseId,
          manifestId: manifest.manifestId,
          part: 1,
          firstPage: 0,
          endPage: 20,
          pageSize: 100,
          historyLimit: 700,
        },
      ],
    }),
  );
  expect(summary.runs).toBeGreaterThan(1);
  expect(summary.lots).toBe(2_000);
  expect(summary.discrepancies).toBe(1);
  expect(summary.discrepancyIntakes.map((i) => i.lotId)).toEqual(['L000007']);
  expect(summary.totals).toEqual([{ asset: 'BTC', lots: 2_000, declared: '0.04', received: '0.03999' }]);
});

test('the manifest store is append-only: no lot, chunk or seal changes, and no chunk joins a sealed manifest', async () => {
  const caseId = `MANS-${randomUUID().slice(0, 8)}`;
  const sealed = await registerManifest(store, caseId, 10);
  await expect(
    pool.query(`UPDATE lot_manifest_lots SET declared_amount = 1 WHERE case_id = $1`, [caseId]),
  ).rejects.toThrow(/never changed/);
  await expect(pool.query(`DELETE FROM lot_manifest_seals WHERE case_id = $1`, [caseId])).rejects.toThrow(
    /never changed/,
  );
  await expect(
    pool.query(
      `INSERT INTO lot_manifest_chunks (case_id, chunk_index, chunk_sha256, lot_count, submitted_by) VALUES ($1, 1, $2, 1, 'x')`,
      [caseId, 'a'.repeat(64)],
    ),
  ).rejects.toThrow(/is sealed/);
  expect((await store.page(sealed.manifestId, 0, 500)).map((l) => l.lotId)).toEqual(
    Array.from({ length: 10 }, (_, i) => `L${String(i + 1).padStart(6, '0')}`),
  );
  expect(await store.page(sealed.manifestId, 1, 5)).toHaveLength(5);
  expect(await store.page(sealed.manifestId, 2, 5)).toHaveLength(0);
});
