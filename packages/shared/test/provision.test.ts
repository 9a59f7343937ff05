/**
 * The provision step and the one check every running process makes, on real PostgreSQL: provisioning
 * (as the owner) migrates a schema and gives its service role a login; run twice, or three times at
 * once, it ends in the same state. A process given a URL that holds more than its role (the owner, a
 * superuser, a role with CREATEROLE or BYPASSRLS, a member of the owner) refuses to start, saying why;
 * so does one whose schema is not current. A non-superuser owner with CREATEROLE (compose's) provisions.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { createTestDatabase } from '../../../test/support/database';
import {
  assertNotOwner,
  assertServiceRole,
  createPool,
  createServiceApp,
  OwnerCredentialsRefused,
  openRolePool,
  provision,
  provisionSchema,
  roleUrl,
  silentLogger,
  startService,
} from '../src';

const FIXTURES = path.join(__dirname, 'fixtures/migrations');
const PASSWORD = 'test-only-service-role-password';
const unique = (prefix: string) => `${prefix}_${randomBytes(3).toString('hex')}`;

async function asAdmin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

let ownerUrl: string;
beforeAll(async () => {
  ownerUrl = await createTestDatabase('provision');
});

test('provisioning twice: the second run applies nothing and the role works as before', async () => {
  const schema = unique('prov_twice');
  const first = await provisionSchema(ownerUrl, { schema, dir: FIXTURES, credential: { password: PASSWORD } });
  expect(first.applied.length).toBeGreaterThan(0);
  expect(first.role).toBe(`${schema}_service`);
  expect(new URL(first.url).username).toBe(`${schema}_service`);
  const second = await provisionSchema(ownerUrl, { schema, dir: FIXTURES, credential: { password: PASSWORD } });
  expect(second).toEqual({ ...first, applied: [] });
  const { pool, role } = await openRolePool({ url: second.url, schema, migrationsDir: FIXTURES });
  try {
    expect(role).toBe(`${schema}_service`);
    await expect(assertServiceRole(pool, role)).resolves.toBeUndefined();
    await pool.query(`INSERT INTO things (name, amount) VALUES ('a', 1)`);
  } finally {
    await pool.end();
  }
});

test('provisioning from three processes at once: each succeeds, every migration is applied once', async () => {
  const url = await createTestDatabase('provision_race');
  const schemas = [unique('prov_race_a'), unique('prov_race_b')];
  const targets = schemas.map((schema) => ({ schema, dir: FIXTURES, credential: { password: PASSWORD } }));
  const runs = await Promise.all([
    provision(url, targets),
    provision(url, targets),
    provision(url, [...targets].reverse()),
  ]);
  for (const schema of schemas) {
    const applied = runs.flatMap((run) => run.filter((p) => p.schema === schema).flatMap((p) => p.applied));
    // shared, the fixture's own, the audit chain: each name once across the three runs
    expect(new Set(applied).size).toBe(applied.length);
    const { rows } = await asAdmin(url, (c) => c.query(`SELECT count(*)::int AS n FROM ${schema}.service_migrations`));
    expect(rows[0]).toEqual({ n: 2 });
    const { pool } = await openRolePool({
      url: runs[0]!.find((p) => p.schema === schema)!.url,
      schema,
      migrationsDir: FIXTURES,
    });
    await pool.end();
  }
});

test('a service given the owner’s URL refuses to start, naming why; given its role’s URL it starts', async () => {
  const schema = unique('prov_service');
  const { url } = await provisionSchema(ownerUrl, { schema, dir: FIXTURES, credential: { password: PASSWORD } });
  const start = (databaseUrl: string) =>
    startService({
      name: 'ledger',
      config: { PORT: 0, HOST: '127.0.0.1', DATABASE_URL: databaseUrl, DB_SCHEMA: schema },
      migrationsDir: FIXTURES,
      logger: silentLogger(),
      buildApp: (pool, { serviceRole }) =>
        createServiceApp({
          service: 'ledger',
          logger: silentLogger(),
          readiness: async () => undefined,
          routes: () => undefined,
          audit: { pool, role: serviceRole },
        }),
    });
  const refusal = await start(ownerUrl).catch((e: unknown) => e);
  expect(refusal).toBeInstanceOf(OwnerCredentialsRefused);
  expect(String((refusal as Error).message)).toMatch(
    new RegExp(`DATABASE_URL: database role vcdc is a superuser, .*owns schema ${schema}.*db:provision`),
  );
  const service = await start(url);
  try {
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
  } finally {
    await service.close();
  }
});

test('a schema that is not current (provisioning has not run since) is refused too', async () => {
  const schema = unique('prov_stale');
  const { url } = await provisionSchema(ownerUrl, { schema, dir: FIXTURES, credential: { password: PASSWORD } });
  await asAdmin(ownerUrl, (c) => c.query(`DELETE FROM ${schema}.service_migrations WHERE name = '00002_observations'`));
  await expect(openRolePool({ url, schema, migrationsDir: FIXTURES })).rejects.toThrow(
    /schema prov_stale_\w+ is not current \(pending migrations: 00002_observations\); run the provision step/,
  );
});

describe('a non-superuser owner with CREATEROLE (as in compose)', () => {
  const owner = unique('prov_owner');
  const ownerPassword = 'test-only-owner-password-0123456789';
  let nonSuperOwnerUrl: string;
  beforeAll(async () => {
    await asAdmin(ownerUrl, async (c) => {
      await c.query(`CREATE ROLE ${owner} LOGIN CREATEROLE PASSWORD '${ownerPassword}'`);
      await c.query(`GRANT CREATE ON DATABASE ${new URL(ownerUrl).pathname.slice(1)} TO ${owner}`);
    });
    nonSuperOwnerUrl = roleUrl(ownerUrl, owner, ownerPassword);
  });

  test('provisions, and its own URL is refused as the owner and for CREATEROLE', async () => {
    const schema = unique('prov_nonsuper');
    const done = await provisionSchema(nonSuperOwnerUrl, { schema, dir: FIXTURES, credential: { password: PASSWORD } });
    const { pool } = await openRolePool({ url: done.url, schema, migrationsDir: FIXTURES });
    await pool.end();
    await expect(openRolePool({ url: nonSuperOwnerUrl, schema, migrationsDir: FIXTURES })).rejects.toThrow(
      new RegExp(`database role ${owner} has CREATEROLE, owns schema ${schema}`),
    );
  });
});

test.each([
  ['BYPASSRLS', 'BYPASSRLS', /has BYPASSRLS/],
  ['CREATEROLE', 'CREATEROLE', /has CREATEROLE/],
  ['membership of the owner', 'IN ROLE vcdc', /is a member of vcdc, which owns schema/],
])('a role with %s is refused', async (_what, option, refusal) => {
  const schema = unique('prov_check');
  await provisionSchema(ownerUrl, { schema, dir: FIXTURES, credential: { password: PASSWORD } });
  const role = unique('prov_strong');
  await asAdmin(ownerUrl, (c) => c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${PASSWORD}' ${option}`));
  const pool = createPool(roleUrl(ownerUrl, role, PASSWORD), schema, 1);
  try {
    await expect(assertNotOwner(pool, schema)).rejects.toThrow(refusal);
  } finally {
    await pool.end();
  }
});

test('a service role may not be the owner that provisions it', async () => {
  await expect(
    provisionSchema(ownerUrl, { schema: unique('prov_self'), dir: FIXTURES, credential: { loginUrl: ownerUrl } }),
  ).rejects.toThrow(/must not be the owner/);
});
