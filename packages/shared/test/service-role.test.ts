/**
 * The restricted role a service works as, on real PostgreSQL: provisioned by the owner, logged in as
 * `<schema>_service` with its own password (not the owner), it appends to the audit chain and reads it,
 * and it is refused UPDATE, DELETE and TRUNCATE of audit records and ALTER TABLE … DISABLE TRIGGER;
 * /readyz checks all that. A pool working as the owner fails the check.
 */
import path from 'node:path';
import pg from 'pg';
import { createTestDatabase } from '../../../test/support/database';
import { provisionForTest } from '../../../test/support/provision';
import {
  AuditChain,
  assertServiceRole,
  createPool,
  createServiceApp,
  ensureServiceRole,
  type Pool,
  type RunningService,
  silentLogger,
  startService,
} from '../src';

const FIXTURES = path.join(__dirname, 'fixtures/migrations');
let databaseUrl: string;
let serviceUrl: string;
let rolePool: Pool;
let owner: pg.Client;

beforeAll(async () => {
  databaseUrl = await createTestDatabase('service_role');
  serviceUrl = await provisionForTest(databaseUrl, { schema: 'ledger', dir: FIXTURES });
  rolePool = createPool(serviceUrl, 'ledger');
  owner = new pg.Client({ connectionString: databaseUrl });
  await owner.connect();
});

afterAll(async () => {
  await rolePool?.end();
  await owner?.end();
});

test('the pool logs in as the role itself (its session is not the owner’s), and appends and reads the chain', async () => {
  const { rows } = await rolePool.query('SELECT current_user, session_user');
  expect(rows[0]).toEqual({ current_user: 'ledger_service', session_user: 'ledger_service' });
  const chain = new AuditChain(rolePool);
  await chain.append({ kind: 'value.moved', actor: 'service:ledger', caseId: 'CASE-1', data: { amount: '1.5' } });
  await chain.append({ kind: 'value.moved', actor: 'service:ledger', caseId: 'CASE-1', data: { amount: '2' } });
  expect(await chain.verify()).toMatchObject({ ok: true, checked: 2 });
  // Its own tables: read, add, update; never delete.
  await rolePool.query(`INSERT INTO things (name, amount) VALUES ('a', 1)`);
  await rolePool.query(`UPDATE things SET amount = 2 WHERE name = 'a'`);
  await expect(rolePool.query('DELETE FROM things')).rejects.toThrow(/permission denied/);
  await expect(assertServiceRole(rolePool, 'ledger_service')).resolves.toBeUndefined();
});

test('an append-only table of its own (a refuse_change() trigger on its rows): the role adds and reads, never updates', async () => {
  await rolePool.query('INSERT INTO observations (value) VALUES (1.5)');
  expect((await rolePool.query('SELECT value FROM observations')).rows).toEqual([{ value: '1.5' }]);
  // refused by the grant itself, before the trigger is reached
  await expect(rolePool.query('UPDATE observations SET value = 2')).rejects.toThrow(/permission denied/);
  await expect(rolePool.query('DELETE FROM observations')).rejects.toThrow(/permission denied/);
  // the tables that carry progress are still updatable
  await rolePool.query(`INSERT INTO things (name, amount) VALUES ('b', 1)`);
  await expect(rolePool.query(`UPDATE things SET amount = 3 WHERE name = 'b'`)).resolves.toBeDefined();
});

test.each([
  ['UPDATE', `UPDATE audit_records SET actor = 'mallory'`, /permission denied/],
  ['DELETE', 'DELETE FROM audit_records', /permission denied/],
  ['TRUNCATE', 'TRUNCATE audit_records', /permission denied/],
  ['DISABLE TRIGGER', 'ALTER TABLE audit_records DISABLE TRIGGER USER', /must be owner/],
  ['DROP TABLE', 'DROP TABLE audit_records', /must be owner/],
  [
    'UPDATE after granting it to itself',
    `GRANT UPDATE ON audit_records TO ledger_service; UPDATE audit_records SET actor = 'mallory'`,
    /permission denied/,
  ],
])('the role is refused %s on the audit chain', async (_what, sql, refusal) => {
  await expect(rolePool.query(sql)).rejects.toThrow(refusal);
});

test('the owner’s pool fails the readiness check; so does a role that could rewrite the chain', async () => {
  const ownerPool = createPool(databaseUrl, 'ledger', 1);
  try {
    await expect(assertServiceRole(ownerPool, 'ledger_service')).rejects.toThrow(/working as database role/);
  } finally {
    await ownerPool.end();
  }
  await owner.query('GRANT UPDATE ON ledger.audit_records TO ledger_service');
  try {
    await expect(assertServiceRole(rolePool, 'ledger_service')).rejects.toThrow(/may UPDATE, DELETE or TRUNCATE/);
  } finally {
    await owner.query('REVOKE UPDATE ON ledger.audit_records FROM ledger_service');
  }
  // Provisioning puts it right again whatever was granted by hand.
  await ensureServiceRole(databaseUrl, { schema: 'ledger', role: 'ledger_service' });
  await expect(assertServiceRole(rolePool, 'ledger_service')).resolves.toBeUndefined();
});

test('a service started with its role’s URL works as that role and /readyz says so', async () => {
  let service: RunningService | undefined;
  try {
    service = await startService({
      name: 'ledger',
      config: { PORT: 0, HOST: '127.0.0.1', DATABASE_URL: serviceUrl, DB_SCHEMA: 'ledger' },
      migrationsDir: FIXTURES,
      logger: silentLogger(),
      buildApp: (pool, { serviceRole }) => {
        expect(serviceRole).toBe('ledger_service');
        return createServiceApp({
          service: 'ledger',
          logger: silentLogger(),
          readiness: async () => undefined,
          routes: () => undefined,
          audit: { pool, role: serviceRole },
        });
      },
    });
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
    const verified = await (await fetch(`${service.url}/v1/audit/verify`)).json();
    expect(verified).toMatchObject({ ok: true });
    const records = (await (await fetch(`${service.url}/v1/audit/records?caseId=CASE-1`)).json()) as {
      records: Array<{ data: { amount: string } }>;
    };
    expect(records.records.map((r) => r.data.amount)).toEqual(['1.5', '2']);
  } finally {
    await service?.close();
  }
});
