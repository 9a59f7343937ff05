/**
 * The restricted database role a process works as: `<schema>_service`, never the owner of the tables.
 * Two steps, two credentials:
 *  - provisioning (./provision.ts, `npm run db:provision`), with the owner's credentials: migrates the
 *    schema, creates the role with LOGIN and its password, and grants it what `ensureServiceRole` says;
 *  - running (services, worker, control API), with the role's own URL only: the process never sees the
 *    owner's URL, does not migrate, and refuses to start (`openRolePool`) when the URL it was given is
 *    the owner of its schema or tables, a superuser, or may create roles or bypass row security: any
 *    of those could switch off the append-only triggers and rewrite the chain.
 * The role may read and add rows, update rows that carry progress, and never UPDATE, DELETE or
 * TRUNCATE an audit record or any other append-only record; not being the owner, it cannot ALTER the
 * tables or DISABLE their triggers either.
 */
import pg from 'pg';
import { pendingMigrations } from './migrate';
import { assertIdentifier, createPool, type Pool, type Queryable } from './pool';

export function serviceRoleName(schema: string): string {
  const role = `${schema}_service`;
  assertIdentifier(role);
  return role;
}

/** The role a URL logs in as. */
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
 * As the owner (provisioning): create the role if it is missing (NOLOGIN until `setRolePassword`), and
 * grant it what `spec` says. Idempotent: provisioning runs it after every migration, so tables added by
 * later migrations are covered, and grants made by hand since are put right.
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
 * As the owner (provisioning): let `role` log in with `password` (the owner needs CREATEROLE and, from
 * PostgreSQL 16, ADMIN on the role, which it has for roles it created). Two provisioning runs at once
 * may both set it: the later one wins.
 */
export async function setRolePassword(ownerUrl: string, role: string, password: string): Promise<void> {
  assertIdentifier(role);
  if (password.length < 16) throw new Error(`the password of ${role} must be at least 16 characters`);
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
}

/** `url` (the owner's, for its host, port and database) with `role` and `password` as its credentials. */
export function roleUrl(url: string, role: string, password: string): string {
  assertIdentifier(role);
  const u = new URL(url);
  u.username = encodeURIComponent(role);
  u.password = encodeURIComponent(password);
  return u.toString();
}

/** The URL a process was given holds more than its service role (see assertNotOwner). */
export class OwnerCredentialsRefused extends Error {
  override name = 'OwnerCredentialsRefused';
}

/**
 * The one check that a running process does not hold more than its service role: throws, naming why,
 * when the session's role is a superuser, may create roles (CREATEROLE: it could grant itself the owner)
 * or bypass row security, or is (or may become) the owner of `schema` or of any table in it, all of
 * which could switch off the append-only triggers or rewrite the chain.
 */
export async function assertNotOwner(db: Queryable, schema: string): Promise<void> {
  assertIdentifier(schema);
  const { rows } = await db.query<{
    role: string;
    superuser: boolean;
    createrole: boolean;
    bypassrls: boolean;
    schema_owner: string | null;
    owns_schema: boolean;
    owned: string | null;
  }>(
    `SELECT current_user AS role, r.rolsuper AS superuser, r.rolcreaterole AS createrole, r.rolbypassrls AS bypassrls,
            pg_get_userbyid(n.nspowner) AS schema_owner,
            coalesce(pg_has_role(current_user, n.nspowner, 'MEMBER'), false) AS owns_schema,
            (SELECT string_agg(c.relname, ', ' ORDER BY c.relname) FROM pg_class c
              WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
                AND pg_has_role(current_user, c.relowner, 'MEMBER')) AS owned
       FROM pg_roles r LEFT JOIN pg_namespace n ON n.nspname = $1
      WHERE r.rolname = current_user`,
    [schema],
  );
  const r = rows[0];
  if (!r) throw new Error('could not read the session role');
  const why: string[] = [];
  if (r.superuser) why.push('is a superuser');
  if (r.createrole) why.push('has CREATEROLE');
  if (r.bypassrls) why.push('has BYPASSRLS');
  if (r.owns_schema)
    why.push(
      r.schema_owner === r.role
        ? `owns schema ${schema}`
        : `is a member of ${r.schema_owner}, which owns schema ${schema}`,
    );
  else if (r.owned) why.push(`owns (or is a member of the owner of) ${schema}.{${r.owned}}`);
  if (why.length)
    throw new OwnerCredentialsRefused(
      `database role ${r.role} ${why.join(', ')}: a running process works as its service role only. ` +
        "Run the provision step with the owner's credentials (npm run db:provision) and give this process its role's URL",
    );
}

/**
 * How every running process opens its database: a pool on `schema` with the URL it was given (its
 * service role's), refused at once when that URL holds more than the role (assertNotOwner), or when
 * the schema is not current (the provision step has not run since the code changed). `source` names
 * the setting the URL came from, for the message. Returns the pool and the role it works as.
 */
export async function openRolePool(options: {
  url: string;
  schema: string;
  /** The schema's own migrations folder (with `auditChain`, as `migrate` was given them). */
  migrationsDir: string;
  auditChain?: boolean;
  max?: number;
  source?: string;
}): Promise<{ pool: Pool; role: string }> {
  const { url, schema, migrationsDir, auditChain = true, max, source = 'DATABASE_URL' } = options;
  const pool = createPool(url, schema, max);
  try {
    await assertNotOwner(pool, schema).catch((error: unknown) => {
      throw error instanceof OwnerCredentialsRefused
        ? new OwnerCredentialsRefused(`${source}: ${error.message}`)
        : error;
    });
    const pending = await pendingMigrations(pool, migrationsDir, auditChain);
    if (pending.length)
      throw new Error(
        `${source}: schema ${schema} is not current (pending migrations: ${pending.join(', ')}); run the provision step (npm run db:provision)`,
      );
    const { rows } = await pool.query<{ role: string }>('SELECT current_user AS role');
    return { pool, role: rows[0]!.role };
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
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
