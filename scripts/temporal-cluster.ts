/**
 * The dev stack on a real multi-node Temporal cluster (issue 18, part 3): two Temporal server processes
 * (built from the pinned Go module) as one cluster on the stack's PostgreSQL, and two case workers, each
 * on another node's frontend; every part its own process, started again when it dies. State in
 * `.data/cluster/` (not the dev server's `.data/`).
 *
 *   npm run cluster                                               (VCDC_TEMPORAL_NODES, VCDC_WORKERS: 2 each)
 *   node --import tsx scripts/temporal-cluster.ts --build-only    (just build the server; prints where and how long)
 */
import path from 'node:path';
import { ensureTemporalServer, TEMPORAL_SERVER_DIR } from './lib/temporal-cluster';

const log = (line: string) => process.stderr.write(`[vcdc] ${line}\n`);

if (process.argv.includes('--build-only')) {
  const { seconds } = ensureTemporalServer(log);
  if (seconds > 0) log(`the Temporal server built in ${seconds.toFixed(0)} s`);
  log(`Temporal server and SQL tool: ${TEMPORAL_SERVER_DIR}`);
} else {
  process.env.VCDC_TEMPORAL = 'cluster';
  process.env.VCDC_TEMPORAL_NODES ??= '2';
  process.env.VCDC_WORKERS ??= '2';
  process.env.VCDC_DATA_DIR ??= path.resolve(__dirname, '../.data/cluster');
  // The dev stack itself, with these settings (it starts on import).
  require('./dev');
}
