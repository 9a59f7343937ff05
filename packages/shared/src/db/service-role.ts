/**
 * The restricted database role a service works as: `<schema>_service`, never the owner of the tables.
 * Migrations run as the owner (DATABASE_URL); the service's pool works as the role, which may read and
 * add rows, update rows that carry progress, and never UPDATE, DELETE or TRUNCATE an audit record or
 * any other append-only record. Not
 * being the owner, it cannot ALTER the tables or DISABLE their append-only triggers either.
 *
 * How the pool becomes the role, strongest first:
 *  - DB_SERVICE_URL: a login role a DBA created (its user is the role);
 *  - DB_SERVICE_PASSWORD: at start-up the owner gives `<schema>_service` LOGIN with that password
 *    (the owner needs CREATEROLE) and the pool logs in as it;
 *  - neither (development only): the owner's connections SET ROLE to it. An owner session can RESET
 *    ROLE, so this does not hold against code that runs SQL of its own choosing: production sets one
 *    of the two above.
 */
import pg from 'pg';
import type { Logger } from '../logger';
import { assertIdentifier, createPool, type Pool, type Queryable } from './pool';

export type ServiceRoleMode = 'login' | 'set-role';

export interface ServiceDatabase {
  /** A URL that logs in as the restricted role (DB_SERVICE_URL). */
  url?: string;
  /** The restricted role's password, set by the owner at start-up (DB_SERVICE_PASSWORD). */
  password?: string;
}

/** DB_SERVICE_URL / DB_SERVICE_PASSWORD from the environment (read like SERVICE_TOKEN, by every service). */
export function serviceDatabaseFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceDatabase {
  const url = env.DB_SERVICE_URL || undefined;
  const password = env.DB_SERVICE_PASSWORD || undefined;
  if (url !== undefined && !/^postgres(ql)?:\/\//.test(url))
    throw new Error('DB_SERVICE_URL must be a postgres:// URL');
  if (password !== undefined && password.length < 16)
    throw new Error('DB_SERVICE_PASSWORD must be at least 16 characters');
  return { ...(url ? { url } : {}), ...(password ? { password } : {}) };
}

export function serviceRoleName(schema: string): string {
  const role = `${schema}_service`;
  assertIdentifier(role);
  return role;
}

/** The role a DB_SERVICE_URL logs in as. */
export function roleOfUrl(url: string): string {
  const role = decodeURIComponent(new URL(url).username);
  assertIdentifier(role);
  return role;
}

export interface ServiceRoleSpec {
  schema: string;
  role: string;
  /**
   * `dml` (default): SELECT, INSERT and UPDATE on every table of the schema, except SELECT and INSERT
   * on the append-only ones (those whose rows a `refuse_change()` trigger guards, which the role cannot
   * disable either), SELECT on the migration records. `none`: the
   * service's own migrations grant what it needs (custody). Either way the audit chain is SELECT only,
   * appended to through EXECUTE on `audit_append` (which assigns seq, link and hash), and nothing is
   * ever DELETE or TRUNCATE.
   */
  tables?: 'dml' | 'none';
}

/**
 * The schema's append-only tables: those whose rows a trigger refuses to change (a row-level BEFORE
 * UPDATE trigger calling the migrations' `refuse_change()`). Their role grant is SELECT and INSERT.
 */
async function appendOnlyTables(client: pg.Client, schema: string): Promise<Set<string>> {
  const { rows } = await client.query<{ table: string }>(
    `SELECT DISTINCT c.relname AS table
       FROM pg_trigger t
       JOIN pg_class c ON c.oid = t.tgrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_proc f ON f.oid = t.tgfoid
      WHERE n.nspname = $1 AND NOT t.tgisinternal AND f.proname = 'refuse_change'
        AND (t.tgtype & 1) = 1 AND (t.tgtype & 2) = 2 AND (t.tgtype & 16) = 16`,
    [schema],
  );
  return new Set(rows.map((r) => r.table));
}

/** Errors of two processes (or two databases of one cluster) creating or granting the same role at once. */
const RACES = new Set(['42710', '23505', 'XX000', '40001', '40P01']);

async function withRetries<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= 6 || !RACES.has((error as { code?: string }).code ?? '')) throw error;
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
  }
}

/**
 * As the owner: create the role if it is missing (NOLOGIN), let the owner SET ROLE to it, and grant
 * it what `spec` says. Idempotent, run at every start (tables added by later migrations are covered).
 */
export async function ensureServiceRole(ownerUrl: string, spec: ServiceRoleSpec): Promise<void> {
  assertIdentifier(spec.schema);
  assertIdentifier(spec.role);
  const { schema, role } = spec;
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await withRetries(async () => {
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      if (exists.rowCount === 0) await client.query(`CREATE ROLE ${role} NOLOGIN`);
    });
    await withRetries(async () => {
      const member = await client.query<{ member: boolean }>(
        `SELECT pg_has_role(current_user, $1, 'MEMBER') AS member`,
        [role],
      );
      if (!member.rows[0]?.member) await client.query(`GRANT ${role} TO CURRENT_USER`);
    });
    await withRetries(async () => {
      await client.query('BEGIN');
      try {
        // Two instances of one service starting together take turns (grants on one object would collide).
        await client.query(`SELECT pg_advisory_xact_lock(hashtext('vcdc-service-role:' || $1))`, [schema]);
        await client.query(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`);
        const { rows } = await client.query<{ table: string }>(
          'SELECT tablename AS table FROM pg_tables WHERE schemaname = $1 ORDER BY tablename',
          [schema],
        );
        const appendOnly = await appendOnlyTables(client, schema);
        for (const { table } of rows) {
          assertIdentifier(table);
          const qualified = `${schema}.${table}`;
          if (table === 'audit_records') {
            // The chain: read it, append only through audit_append (which assigns seq, link and hash).
            await client.query(`REVOKE ALL ON ${qualified} FROM ${role}`);
            await client.query(`GRANT SELECT ON ${qualified} TO ${role}`);
          } else if (table === 'signed_acts' || (spec.tables !== 'none' && appendOnly.has(table))) {
            // Records that never change: the role may add and read them, not even try to rewrite one.
            await client.query(`REVOKE ALL ON ${qualified} FROM ${role}`);
            await client.query(`GRANT SELECT, INSERT ON ${qualified} TO ${role}`);
          } else if (spec.tables !== 'none') {
            const privileges = table.endsWith('_migrations') ? 'SELECT' : 'SELECT, INSERT, UPDATE';
            await client.query(`GRANT ${privileges} ON ${qualified} TO ${role}`);
          }
        }
        if (spec.tables !== 'none')
          await client.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${schema} TO ${role}`);
        const append = await client.query(`SELECT to_regprocedure($1) IS NOT NULL AS present`, [
          `${schema}.audit_append(text, text, text, jsonb)`,
        ]);
        if (append.rows[0]?.present)
          await client.query(`GRANT EXECUTE ON FUNCTION ${schema}.audit_append(text, text, text, jsonb) TO ${role}`);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  } finally {
    await client.end();
  }
}

/**
 * A pool on `schema` working as the restricted role: logged in as it (`url`, or `password` set by the
 * owner now), or else the owner's connections SET ROLE to it (development).
 */
export async function openServicePool(options: {
  ownerUrl: string;
  schema: string;
  role: string;
  database?: ServiceDatabase;
  max?: number;
  logger?: Logger;
}): Promise<{ pool: Pool; mode: ServiceRoleMode }> {
  const { ownerUrl, schema, role, database = {}, max, logger } = options;
  assertIdentifier(role);
  if (database.url) return { pool: createPool(database.url, schema, max), mode: 'login' };
  if (database.password) {
    const password = database.password;
    const client = new pg.Client({ connectionString: ownerUrl });
    await client.connect();
    try {
      await withRetries(async () => {
        // The statement is built by the server (format %L quotes the password), never by string pasting.
        const { rows } = await client.query<{ sql: string }>(
          `SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', $1::text, $2::text) AS sql`,
          [role, password],
        );
        await client.query(rows[0]!.sql);
      });
    } finally {
      await client.end();
    }
    const url = new URL(ownerUrl);
    url.username = encodeURIComponent(role);
    url.password = encodeURIComponent(password);
    return { pool: createPool(url.toString(), schema, max), mode: 'login' };
  }
  const pool = createPool(ownerUrl, schema, max);
  pool.on('connect', (client) => {
    // Queued ahead of whatever query made the pool open this connection.
    client.query(`SET ROLE ${role}`).catch((error: unknown) => {
      logger?.error({ err: error, role }, 'could not switch to the service role');
    });
  });
  logger?.warn(
    { role },
    'working as the service role by SET ROLE on the owner session (development): set DB_SERVICE_PASSWORD or DB_SERVICE_URL in production',
  );
  return { pool, mode: 'set-role' };
}

/**
 * For /readyz: the pool works as `role`, which does not own the audit chain, can append to it only
 * through `audit_append` (no INSERT of its own), and cannot change it. Throws with the reason otherwise.
 */
export async function assertServiceRole(db: Queryable, role: string): Promise<void> {
  const { rows } = await db.query<{
    role: string;
    owns: boolean;
    rewrites: boolean;
    inserts: boolean;
    appends: boolean;
  }>(
    `SELECT current_user AS role,
            EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'audit_records'
                    AND tableowner = current_user) AS owns,
            has_table_privilege('audit_records', 'UPDATE') OR has_table_privilege('audit_records', 'DELETE')
              OR has_table_privilege('audit_records', 'TRUNCATE') AS rewrites,
            has_table_privilege('audit_records', 'INSERT') AS inserts,
            coalesce(has_function_privilege(to_regprocedure('audit_append(text, text, text, jsonb)'), 'EXECUTE'), false)
              AS appends`,
  );
  const r = rows[0];
  if (r?.role !== role) throw new Error(`working as database role ${r?.role}, not ${role}`);
  if (r.owns) throw new Error(`database role ${role} owns audit_records: it must not`);
  if (r.rewrites) throw new Error(`database role ${role} may UPDATE, DELETE or TRUNCATE audit_records`);
  if (r.inserts)
    throw new Error(
      `database role ${role} may INSERT into audit_records directly: it must append through audit_append`,
    );
  if (!r.appends) throw new Error(`database role ${role} may not append to audit_records (EXECUTE on audit_append)`);
}
