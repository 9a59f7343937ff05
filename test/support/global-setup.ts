/**
 * Once per `jest` run: start one embedded PostgreSQL on a free loopback port (each test file makes
 * its own database in it, see ./database.ts) and make sure the Temporal binaries are at hand.
 * Environment variables set here reach the test workers, which are started afterwards.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../scripts/lib/embedded-postgres';
import { freePort } from '../../scripts/lib/ports';
import { ensureTemporalBinary } from '../../scripts/lib/temporal-binaries';

export default async function globalSetup(): Promise<void> {
  const log = (line: string) => process.stderr.write(`[test setup] ${line}\n`);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'vcdc-test-pg-'));
  chmodSync(dataDir, 0o755); // PostgreSQL runs as its own user when we are root; it must reach the folder
  const port = await freePort();
  const postgres = await startEmbeddedPostgres({ dir: path.join(dataDir, 'db'), port });
  (globalThis as { __VCDC_PG__?: unknown }).__VCDC_PG__ = { postgres, dataDir };
  process.env.VCDC_TEST_PG_ADMIN_URL = postgres.url('postgres');

  const cli = ensureTemporalBinary('cli', log);
  const testServer = ensureTemporalBinary('testServer', log);
  if (cli) process.env.TEMPORAL_CLI_PATH = cli;
  if (testServer) process.env.TEMPORAL_TEST_SERVER_PATH = testServer;
}
