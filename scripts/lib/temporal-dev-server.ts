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
}

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
    ...(o.uiCodecEndpoint ? ['--ui-codec-endpoint', o.uiCodecEndpoint] : []),
    ...Object.entries(o.searchAttributes).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
  ];
  group.start('temporal', o.cliPath, args, {});
  await waitFor(`Temporal frontend on 127.0.0.1:${o.port}`, () => portOpen(o.port), 60_000);
  await waitFor(`Temporal Web UI on 127.0.0.1:${o.uiPort}`, () => portOpen(o.uiPort), 60_000);
}
