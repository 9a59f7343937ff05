/**
 * Forward-only SQL migrations with node-pg-migrate: numbered `.sql` files, each applied in its own
 * transaction under an advisory lock (two processes starting at once cannot both apply one: the
 * second waits, then finds nothing left to do). The lock is per schema, so services sharing one
 * database (the dev stack) migrate side by side instead of failing on one global lock. Recorded
 * in a table in the service's schema. Tables every service needs (the idempotency store) come from
 * this package's own migrations folder and are tracked in a table of their own, so the two sequences
 * never interleave. The audit chain (../audit) goes into every service's schema the same way, beside
 * the tables whose movements it records, so a movement and its audit record share one transaction.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { runner } from 'node-pg-migrate';
import { sha256Hex } from '../canonical';
import type { Queryable } from './pool';
import { assertIdentifier } from './pool';

export const SHARED_MIGRATIONS_DIR = path.resolve(__dirname, '../../migrations');
/** The audit chain's table (../audit/chain.ts), in every service's schema. */
export const AUDIT_CHAIN_MIGRATIONS_DIR = path.resolve(__dirname, '../audit/migrations');
const SHARED_TABLE = 'shared_migrations';
const SERVICE_TABLE = 'service_migrations';
const AUDIT_TABLE = 'audit_migrations';

export interface MigrationTarget {
  databaseUrl: string;
  schema: string;
  /** The service's own migrations folder. */
  dir: string;
  log?: (message: string) => void;
  /** Also put the audit chain into the schema (default true; never twice when `dir` is the chain's own). */
  auditChain?: boolean;
}

/** The migration folders of a schema and the tables that track them, in the order they are applied. */
function migrationSets(dir: string, auditChain = true): Array<readonly [string, string]> {
  // The chain before the service's own: a service's migrations bind its money tables to the chain
  // (`audit_bind_table`, audit migration 00004), so the chain's functions must exist by then.
  const sets: Array<readonly [string, string]> = [[SHARED_MIGRATIONS_DIR, SHARED_TABLE]];
  if (auditChain && path.resolve(dir) !== AUDIT_CHAIN_MIGRATIONS_DIR)
    sets.push([AUDIT_CHAIN_MIGRATIONS_DIR, AUDIT_TABLE]);
  sets.push([dir, SERVICE_TABLE]);
  return sets;
}

export async function migrate({
  databaseUrl,
  schema,
  dir,
  log = () => undefined,
  auditChain,
}: MigrationTarget): Promise<string[]> {
  assertIdentifier(schema);
  const applied: string[] = [];
  for (const [migrationsDir, migrationsTable] of migrationSets(dir, auditChain)) {
    const ran = await runner({
      databaseUrl,
      dir: migrationsDir,
      direction: 'up',
      migrationsTable,
      schema,
      createSchema: true,
      checkOrder: true,
      advisoryLockMode: 'wait',
      lockValue: lockValueFor(schema),
      log,
      logger: { debug: () => undefined, info: log, warn: log, error: log },
    });
    applied.push(...ran.map((m) => m.name));
  }
  return applied;
}

/** A stable advisory-lock key per schema (48 bits of a hash: a safe integer for pg's bigint). */
function lockValueFor(schema: string): number {
  return Number.parseInt(sha256Hex(`vcdc-migrations:${schema}`).slice(0, 12), 16);
}

function migrationNames(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .map((f) => f.replace(/\.sql$/, ''))
    .sort();
}

/** Names of migrations present on disk but not applied: empty when the schema is current. */
export async function pendingMigrations(db: Queryable, dir: string, auditChain = true): Promise<string[]> {
  const pending: string[] = [];
  for (const [migrationsDir, table] of migrationSets(dir, auditChain)) {
    const { rows } = await db.query<{ name: string }>(`SELECT name FROM ${table}`).catch(() => ({ rows: [] }));
    const applied = new Set(rows.map((r) => r.name));
    pending.push(...migrationNames(migrationsDir).filter((n) => !applied.has(n)));
  }
  return pending;
}

/** For `/readyz`: throws, naming them, while any migration on disk is not applied yet. */
export async function assertSchemaCurrent(db: Queryable, dir: string): Promise<void> {
  const pending = await pendingMigrations(db, dir);
  if (pending.length) throw new Error(`pending migrations: ${pending.join(', ')}`);
}
