/**
 * Service-to-service authentication through the shared start-up: a service started with its
 * credential refuses every call without it (or with another service's), over real HTTP, and appends
 * each refusal to its audit chain (never the presented secret).
 */
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { createTestDatabase } from '../../../test/support/database';
import { provisionForTest } from '../../../test/support/provision';
import {
  createServiceApp,
  type RunningService,
  secretsEqual,
  serviceTokenFromEnv,
  silentLogger,
  startService,
} from '../src';

const CUSTODY_TOKEN = 'c'.repeat(40);
const TREASURY_TOKEN = 't'.repeat(40);
const CONTROL_API_TOKEN = 'a'.repeat(40);
const READER_TOKEN = 'r'.repeat(40);
let service: RunningService;
let databaseUrl: string;
/** What the service logged, as parsed JSON lines. */
const logged: Array<Record<string, unknown>> = [];
const logger = pino({ level: 'warn' }, { write: (line: string) => logged.push(JSON.parse(line)) });

beforeAll(async () => {
  databaseUrl = await createTestDatabase('credential');
  const migrationsDir = path.join(__dirname, 'fixtures/migrations');
  const roleUrl = await provisionForTest(databaseUrl, { schema: 'things', dir: migrationsDir });
  service = await startService({
    name: 'custody',
    config: { PORT: 0, HOST: '127.0.0.1', DATABASE_URL: roleUrl, DB_SCHEMA: 'things' },
    migrationsDir,
    logger,
    serviceToken: CUSTODY_TOKEN,
    controlApiToken: CONTROL_API_TOKEN,
    actRoutes: [/^\/v1\/whitelist$/],
    readers: [{ name: 'register-reader', token: READER_TOKEN, routes: [], reads: [/^\/v1\/providers(\/|$)/] }],
    buildApp: () =>
      createServiceApp({
        service: 'custody',
        logger: silentLogger(),
        readiness: async () => undefined,
        routes: (app) => {
          app.get('/v1/accounts', (_req, res) => {
            res.json({ accounts: [] });
          });
          app.post('/v1/accounts', (_req, res) => {
            res.status(201).json({});
          });
          app.post('/v1/whitelist', (_req, res) => {
            res.status(201).json({});
          });
          app.get('/v1/providers/:providerId', (req, res) => {
            res.json({ providerId: req.params.providerId });
          });
        },
      }),
  });
});

afterAll(async () => {
  await service?.close();
});

const call = (method: 'GET' | 'POST', route: string, authorization?: string) =>
  fetch(`${service.url}${route}`, {
    method,
    headers: { ...(authorization ? { authorization } : {}), 'content-type': 'application/json' },
    ...(method === 'POST' ? { body: '{}' } : {}),
  });

test.each([
  ['no credential', undefined],
  ['another service’s credential', `Bearer ${TREASURY_TOKEN}`],
  ['a credential one character short', `Bearer ${CUSTODY_TOKEN.slice(1)}`],
  ['the secret without the Bearer scheme', CUSTODY_TOKEN],
])('a call with %s is refused with 401 problem+json, and logged without the secret', async (_what, authorization) => {
  for (const method of ['GET', 'POST'] as const) {
    logged.length = 0;
    const res = await call(method, '/v1/accounts', authorization);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await res.json()).toMatchObject({ type: 'urn:vcdc:problem:service-credential', status: 401 });
    expect(logged).toEqual([
      expect.objectContaining({ msg: 'call refused: no valid service credential', method, path: '/v1/accounts' }),
    ]);
    expect(JSON.stringify(logged)).not.toContain(authorization ?? '!');
  }
});

test('every refused call is in the service’s audit chain: what was tried, never the secret', async () => {
  const owner = new pg.Client({ connectionString: databaseUrl });
  await owner.connect();
  try {
    const before = Number((await owner.query('SELECT count(*) FROM things.audit_records')).rows[0].count);
    await call('POST', '/v1/accounts?caseId=CASE-1', `Bearer ${TREASURY_TOKEN}`);
    await call('GET', '/v1/accounts');
    const { rows } = await owner.query('SELECT kind, actor, data FROM things.audit_records ORDER BY seq OFFSET $1', [
      before,
    ]);
    expect(rows).toEqual([
      {
        kind: 'access.refused',
        actor: 'anonymous',
        data: expect.objectContaining({
          service: 'custody',
          method: 'POST',
          path: '/v1/accounts?caseId=CASE-1',
          presented: true,
        }),
      },
      {
        kind: 'access.refused',
        actor: 'anonymous',
        data: expect.objectContaining({ method: 'GET', path: '/v1/accounts', presented: false }),
      },
    ]);
    const all = JSON.stringify((await owner.query('SELECT * FROM things.audit_records')).rows);
    expect(all).not.toContain(TREASURY_TOKEN);
    expect(all).not.toContain(CUSTODY_TOKEN);
  } finally {
    await owner.end();
  }
});

test('a call with the service’s own credential passes; health probes need none', async () => {
  expect((await call('GET', '/v1/accounts', `Bearer ${CUSTODY_TOKEN}`)).status).toBe(200);
  expect((await call('POST', '/v1/accounts', `bearer ${CUSTODY_TOKEN}`)).status).toBe(201);
  expect((await call('GET', '/healthz')).status).toBe(200);
  expect((await call('GET', '/readyz')).status).toBe(200);
});

test('the control API’s credential reads and carries signed acts, but calls no other changing route (refused 403 and recorded)', async () => {
  const owner = new pg.Client({ connectionString: databaseUrl });
  await owner.connect();
  try {
    const before = Number((await owner.query('SELECT count(*) FROM things.audit_records')).rows[0].count);
    expect((await call('GET', '/v1/accounts', `Bearer ${CONTROL_API_TOKEN}`)).status).toBe(200);
    expect((await call('POST', '/v1/whitelist', `Bearer ${CONTROL_API_TOKEN}`)).status).toBe(201);
    const refused = await call('POST', '/v1/accounts', `Bearer ${CONTROL_API_TOKEN}`);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ type: 'urn:vcdc:problem:caller-not-allowed' });
    // The worker's credential reaches every route.
    expect((await call('POST', '/v1/accounts', `Bearer ${CUSTODY_TOKEN}`)).status).toBe(201);
    const { rows } = await owner.query('SELECT kind, data FROM things.audit_records ORDER BY seq OFFSET $1', [before]);
    expect(rows).toEqual([
      {
        kind: 'access.refused',
        data: expect.objectContaining({ method: 'POST', path: '/v1/accounts', caller: 'control-api' }),
      },
    ]);
    expect(JSON.stringify(rows)).not.toContain(CONTROL_API_TOKEN);
  } finally {
    await owner.end();
  }
});

test('a reader’s credential reads only its paths: anything else, read or change, is refused 403 and recorded', async () => {
  const owner = new pg.Client({ connectionString: databaseUrl });
  await owner.connect();
  try {
    const before = Number((await owner.query('SELECT count(*) FROM things.audit_records')).rows[0].count);
    expect((await call('GET', '/v1/providers/hashkey', `Bearer ${READER_TOKEN}`)).status).toBe(200);
    for (const [method, route] of [
      ['GET', '/v1/accounts'],
      ['POST', '/v1/accounts'],
      ['POST', '/v1/whitelist'],
    ] as const) {
      const refused = await call(method, route, `Bearer ${READER_TOKEN}`);
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ type: 'urn:vcdc:problem:caller-not-allowed' });
    }
    const { rows } = await owner.query('SELECT kind, data FROM things.audit_records ORDER BY seq OFFSET $1', [before]);
    expect(rows.map((r) => [r.kind, r.data.method, r.data.path, r.data.caller])).toEqual([
      ['access.refused', 'GET', '/v1/accounts', 'register-reader'],
      ['access.refused', 'POST', '/v1/accounts', 'register-reader'],
      ['access.refused', 'POST', '/v1/whitelist', 'register-reader'],
    ]);
    expect(JSON.stringify(rows)).not.toContain(READER_TOKEN);
  } finally {
    await owner.end();
  }
});

test('secrets compare equal only when identical, whatever their lengths', () => {
  expect(secretsEqual(CUSTODY_TOKEN, CUSTODY_TOKEN)).toBe(true);
  expect(secretsEqual(CUSTODY_TOKEN, `${CUSTODY_TOKEN}x`)).toBe(false);
  expect(secretsEqual(CUSTODY_TOKEN, '')).toBe(false);
});

test('SERVICE_TOKEN from the environment: absent is no check, too short stops start-up with a clear line', () => {
  expect(serviceTokenFromEnv({})).toBeUndefined();
  expect(serviceTokenFromEnv({ SERVICE_TOKEN: CUSTODY_TOKEN })).toBe(CUSTODY_TOKEN);
  expect(() => serviceTokenFromEnv({ SERVICE_TOKEN: 'short' })).toThrow(/SERVICE_TOKEN must be at least 32 characters/);
});
