/**
 * The Temporal dev server (Temporal CLI `server start-dev`) with its Web UI, persisting to a SQLite
 * file so a restart of the dev stack resumes running cases, and with our custom search attributes
 * registered at start.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ProcessGroup } from './process-group';
import { portOpen, waitFor } from './wait';

export interface TemporalDevServerOptions {
  cliPath: string;
  dataDir: string;
  port: number;
  uiPort: number;
  namespace: string;
  searchAttributes: Record<string, string>;
  /** The codec endpoint the Web UI calls to show encrypted payloads decoded. */
  uiCodecEndpoint?: string;
  /** SQLite pragmas of its database, `name=value` (default DEV_SQLITE_PRAGMAS; [] for SQLite's own). */
  sqlitePragmas?: readonly string[];
}

/**
 * The dev server's SQLite in WAL mode, committing without an fsync (`synchronous=normal`): a commit in
 * SQLite's default mode (a rollback journal, `synchronous=full`) is several fsyncs, and the server
 * commits a few times per workflow task, so on a busy disk each task waited on the disk. What is
 * given up: the last commits before an OS crash or power loss (not a crash of the server or the
 * stack, after which the dev stack still resumes its cases). A production cluster persists to
 * PostgreSQL (scripts/lib/temporal-cluster.ts, deploy/helm), which this does not touch.
 */
export const DEV_SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'] as const;

export async function startTemporalDevServer(group: ProcessGroup, o: TemporalDevServerOptions): Promise<void> {
  mkdirSync(o.dataDir, { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(o.port),
    '--ui-port',
    String(o.uiPort),
    '--db-filename',
    path.join(o.dataDir, 'temporal.db'),
    '--namespace',
    o.namespace,
    '--log-level',
    'warn',
    '--ui-disable-news-fetch',
    ...(o.sqlitePragmas ?? DEV_SQLITE_PRAGMAS).flatMap((pragma) => ['--sqlite-pragma', pragma]),
    ...(o.uiCodecEndpoint ? ['--ui-codec-endpoint', o.uiCodecEndpoint] : []),
    ...Object.entries(o.searchAttributes).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
  ];
  group.start('temporal', o.cliPath, args, {});
  await waitFor(`Temporal frontend on 127.0.0.1:${o.port}`, () => portOpen(o.port), 60_000);
  await waitFor(`Temporal Web UI on 127.0.0.1:${o.uiPort}`, () => portOpen(o.uiPort), 60_000);
}
