/**
 * Large cases stay bounded (issue 18, Deliver 5): a case of 2,000, 20,000 and 100,000 lots registered
 * by a lot manifest (chunks of 2,000 into real PostgreSQL, sealed), run to COMPLETED on a Temporal dev
 * server with the worker in this process and the fake services as activities (cheap, no HTTP), the
 * intake reading its lots in pages from the manifest store. Prints per size: the case's history
 * events, the largest intake part history (every run of it), registration and run wall time, the
 * status query's size, and this process's peak RSS during the run.
 *
 *   npm run bench:large-case                # 2000 20000 100000
 *   npm run bench:large-case -- 2000 20000  # other sizes
 *
 * Needs the Temporal CLI (TEMPORAL_CLI_PATH, PATH or .tools/) and PostgreSQL (DATABASE_URL, or an
 * embedded one started for the run).
 *
 * Measured 2026-12-04 on the 2-core dev machine (shared), `npm run bench:large-case`:
 *
 *      lots  case events  max part events  parts/runs  register s  run s  status bytes  run RSS MB
 *     2,000          365               11         4/1         0.1    8.0         2,259         518
 *    20,000          353               65         4/1         0.6    9.0         2,271         590
 *   100,000          368              305         4/1         3.1   25.8         2,269         815
 *
 * Every case COMPLETED with the intake reconciled exactly (100,000 x 0.00002 = 2 BTC received). The
 * case's history does not grow with its lots (four child starts); a part's grows about 6 events a
 * page of 500 CHAIN lots (305 at 25,000 lots), so it continues as new only where ATTESTED lots (an
 * activity each, up to ~3,000 events a page) fill it; large-manifest.test.ts forces it with a low
 * limit. RSS is this process: worker, bundle, and the
 * fake services, which keep every intake and ledger line in memory.
 */
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createPool } from '../packages/shared/src';
import { findTemporalBinary } from '../scripts/lib/temporal-binaries';
import { LotManifestStore, migrateManifests } from '../workflows/src/manifest/store';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/src/workflow/shared';
import { bundleCaseWorkflows } from '../workflows/test/case-support';
import { registerManifest, runManifestCase } from '../workflows/test/manifest-case';
import { benchPostgres } from './lib/postgres';

const MB = 1024 * 1024;

/** The highest RSS of this process while `work` runs, sampled every 100 ms. */
async function peakRss<T>(work: () => Promise<T>): Promise<{ result: T; peakMb: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  try {
    const result = await work();
    return { result, peakMb: Math.max(peak, process.memoryUsage().rss) / MB };
  } finally {
    clearInterval(timer);
  }
}

async function main() {
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((n) => n > 0);
  const runs = sizes.length > 0 ? sizes : [2_000, 20_000, 100_000];
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const cli = findTemporalBinary('cli');
  const [env, bundle, db] = await Promise.all([
    TestWorkflowEnvironment.createLocal({
      server: {
        ...(cli ? { executable: { type: 'existing-path' as const, path: cli } } : {}),
        searchAttributes: SEARCH_ATTRIBUTE_KEYS,
      },
    }),
    bundleCaseWorkflows(),
    benchPostgres(),
  ]);
  const url = await db.database(`bench_large_${randomUUID().slice(0, 8)}`);
  await migrateManifests(url);
  const pool = createPool(url, 'lot_manifests');
  const store = new LotManifestStore(pool);
  const rows: string[] = [];
  try {
    for (const lots of runs) {
      const caseId = `BENCH-${lots}-${randomUUID().slice(0, 6)}`;
      const t0 = performance.now();
      const { result: manifest, peakMb: registerMb } = await peakRss(() => registerManifest(store, caseId, lots));
      const registerS = (performance.now() - t0) / 1000;
      const t1 = performance.now();
      const { result: run, peakMb } = await peakRss(() =>
        runManifestCase(env, bundle, store, manifest, `bench-large-${randomUUID()}`),
      );
      const runS = (performance.now() - t1) / 1000;
      const parts = Object.values(run.childEvents);
      const row = [
        String(lots).padStart(7),
        run.outcome.status.padEnd(9),
        String(run.caseEvents).padStart(11),
        String(run.maxChildEvents).padStart(15),
        `${parts.length}/${Math.max(...parts.map((r) => r.length))}`.padStart(11),
        registerS.toFixed(1).padStart(10),
        runS.toFixed(1).padStart(7),
        String(run.statusBytes).padStart(12),
        registerMb.toFixed(0).padStart(11),
        peakMb.toFixed(0).padStart(9),
        run.atPlan.manifest?.intake?.map((t) => `${t.received} ${t.asset}`).join(', ') ?? '',
      ].join(' ');
      rows.push(row);
      process.stdout.write(`${row}\n`);
    }
  } finally {
    await pool.end();
    await env.teardown();
    await db.stop();
  }
  process.stdout.write(
    `\n   lots outcome   case events  max part events parts/runs register s  run s status bytes register MB run RSS MB received\n${rows.join('\n')}\n`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
