/**
 * A PostgreSQL server for a benchmark to make its databases in: DATABASE_URL's server (a database per
 * name, dropped at the end), or an embedded one in a temporary folder (removed at the end).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../../scripts/lib/ports';

export interface BenchPostgres {
  /** A fresh database `name`; its URL. */
  database: (name: string) => Promise<string>;
  stop: () => Promise<void>;
  /** The embedded server's postmaster (its backends are its children); undefined for DATABASE_URL's server. */
  postmaster: () => number | undefined;
}

export async function benchPostgres(): Promise<BenchPostgres> {
  const made: string[] = [];
  const admin = process.env.DATABASE_URL;
  if (admin) {
    const sql = async (text: string) => {
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      try {
        await client.query(text);
      } finally {
        await client.end();
      }
    };
    return {
      database: async (name) => {
        await sql(`CREATE DATABASE ${name}`);
        made.push(name);
        const url = new URL(admin);
        url.pathname = `/${name}`;
        return url.toString();
      },
      stop: async () => {
        for (const name of made) await sql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      },
      postmaster: () => undefined,
    };
  }
  const { startEmbeddedPostgres } = await import('../../scripts/lib/embedded-postgres');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vcdc-bench-pg-'));
  const server = await startEmbeddedPostgres({ dir: path.join(dir, 'db'), port: await freePort() });
  return {
    database: async (name) => {
      await server.createDatabase(name);
      return server.url(name);
    },
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    // PostgreSQL writes its postmaster's pid on the first line of postmaster.pid.
    postmaster: () => {
      try {
        return Number(readFileSync(path.join(dir, 'db', 'postmaster.pid'), 'utf8').split('\n')[0]) || undefined;
      } catch {
        return undefined;
      }
    },
  };
}

/** One fresh database in a benchmark's server: its URL, and stopping both. */
export async function benchDatabase(
  name: string,
): Promise<{ url: string; stop: () => Promise<void>; postmaster: () => number | undefined }> {
  const server = await benchPostgres();
  try {
    return { url: await server.database(name), stop: server.stop, postmaster: server.postmaster };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
