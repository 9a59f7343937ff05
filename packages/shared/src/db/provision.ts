/**
 * The provision step: the only code that holds the database owner's credentials. For each schema it
 * applies the migrations (`migrate`), creates the schema's service role with LOGIN and its password (or
 * takes a login role a DBA made), grants it what `ensureServiceRole` says, and checks the result the
 * way the running process will (`openRolePool`: not the owner, schema current). The running processes
 * then get the role URLs only and never the owner's (service-role.ts).
 *
 * Idempotent and safe to run twice, or from two processes at once: migrations wait on a per-schema
 * advisory lock and find nothing left to do, role creation and grants retry the races of two sessions
 * (and take a per-schema lock), and setting the same password twice is the same password.
 */
import type { MigrationTarget } from './migrate';
import { migrate } from './migrate';
import { assertIdentifier } from './pool';
import { ensureServiceRole, openRolePool, roleOfUrl, roleUrl, serviceRoleName, setRolePassword } from './service-role';

/** How a schema's role logs in: a password provisioning sets on `<schema>_service`, or a DBA-made login's URL. */
export type RoleCredential = { password: string } | { loginUrl: string };

export interface SchemaToProvision {
  schema: string;
  /** The schema's own migrations folder, and whether it also gets the audit chain (as `migrate`). */
  dir: string;
  auditChain?: boolean;
  /** What `ensureServiceRole` grants (custody's migrations grant its role themselves: `none`). */
  tables?: 'dml' | 'none';
  credential: RoleCredential;
}

export interface ProvisionedSchema {
  schema: string;
  role: string;
  /** The URL the running process is given: it logs in as `role`, never as the owner. */
  url: string;
  /** Migrations applied by this run (none when the schema was already current). */
  applied: string[];
}

export async function provisionSchema(
  ownerUrl: string,
  target: SchemaToProvision,
  log: (line: string) => void = () => undefined,
): Promise<ProvisionedSchema> {
  const { schema, dir, auditChain, tables, credential } = target;
  assertIdentifier(schema);
  const owner = roleOfUrl(ownerUrl);
  const role = 'loginUrl' in credential ? roleOfUrl(credential.loginUrl) : serviceRoleName(schema);
  if (role === owner)
    throw new Error(`schema ${schema}: the service role must not be the owner (${owner}) that provisions it`);
  const migration: MigrationTarget = { databaseUrl: ownerUrl, schema, dir, log };
  if (auditChain !== undefined) migration.auditChain = auditChain;
  const applied = await migrate(migration);
  await ensureServiceRole(ownerUrl, { schema, role, ...(tables ? { tables } : {}) });
  if ('password' in credential) await setRolePassword(ownerUrl, role, credential.password);
  const url = 'loginUrl' in credential ? credential.loginUrl : roleUrl(ownerUrl, role, credential.password);
  // The check the running process makes at start: fail here, with the owner at hand to fix it, not there.
  const { pool } = await openRolePool({
    url,
    schema,
    migrationsDir: dir,
    ...(auditChain !== undefined ? { auditChain } : {}),
    max: 1,
    source: `schema ${schema}`,
  });
  await pool.end();
  log(`${schema}: ${applied.length ? `applied ${applied.join(', ')}` : 'current'}; works as ${role}`);
  return { schema, role, url, applied };
}

/** Every schema in `targets`, one after the other (roles are cluster-wide: no gain in racing ourselves). */
export async function provision(
  ownerUrl: string,
  targets: readonly SchemaToProvision[],
  log?: (line: string) => void,
): Promise<ProvisionedSchema[]> {
  const done: ProvisionedSchema[] = [];
  for (const target of targets) done.push(await provisionSchema(ownerUrl, target, log));
  return done;
}
