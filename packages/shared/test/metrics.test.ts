/**
 * Every service's Prometheus figures, from the shared start-up over real HTTP and a real database:
 * requests counted and timed by route template (never the raw path with its ids), method and status,
 * refusals before routing included; each pool's connections (busy, idle, waiting, max) as they are
 * at the scrape; /metrics open without the service's credential.
 */
import path from 'node:path';
import { createTestDatabase } from '../../../test/support/database';
import { provisionForTest } from '../../../test/support/provision';
import { createServiceApp, type Pool, Problem, type RunningService, silentLogger, startService } from '../src';

const TOKEN = 'm'.repeat(40);
let service: RunningService;
let servicePool: Pool;
/** Lets the test hold a request (and its connection) open while it scrapes. */
let releaseHeld: (() => void) | undefined;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('metrics');
  const migrationsDir = path.join(__dirname, 'fixtures/migrations');
  const roleUrl = await provisionForTest(databaseUrl, { schema: 'things', dir: migrationsDir });
  service = await startService({
    name: 'metered',
    config: { PORT: 0, HOST: '127.0.0.1', DATABASE_URL: roleUrl, DB_SCHEMA: 'things' },
    migrationsDir,
    logger: silentLogger(),
    serviceToken: TOKEN,
    buildApp: (pool) => {
      servicePool = pool;
      return createServiceApp({
        service: 'metered',
        logger: silentLogger(),
        readiness: async () => undefined,
        routes: (app) => {
          app.get('/v1/things/:thingId', async (req, res) => {
            const { rows } = await pool.query<{ id: string }>('SELECT $1::text AS id', [req.params.thingId]);
            res.json(rows[0]);
          });
          app.post('/v1/things/:thingId/holds', async (_req, res) => {
            const client = await pool.connect();
            try {
              await new Promise<void>((resolve) => {
                releaseHeld = resolve;
              });
            } finally {
              client.release();
            }
            res.status(201).json({});
          });
          app.post('/v1/things', () => {
            throw new Problem(400, 'invalid', 'Invalid', 'amount must be a decimal string');
          });
        },
      });
    },
  });
});

afterAll(async () => {
  releaseHeld?.();
  await service?.close();
});

const call = (method: 'GET' | 'POST', route: string, authorized = true) =>
  fetch(`${service.url}${route}`, {
    method,
    headers: { ...(authorized ? { authorization: `Bearer ${TOKEN}` } : {}), 'content-type': 'application/json' },
    ...(method === 'POST' ? { body: '{}' } : {}),
  });

/** The scrape, unauthenticated as Prometheus scrapes. */
async function scrape(): Promise<string> {
  const res = await call('GET', '/metrics', false);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return res.text();
}

/** The value of one series (exact label set, in prom-client's order), 0 when absent. */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

const requests = (route: string, method: string, status: number) =>
  `vcdc_http_requests_total{service="metered",method="${method}",route="${route}",status="${status}"}`;

test('requests are counted and timed by route template, method and status: ids never become series', async () => {
  const before = await scrape();
  for (const id of ['a1', 'b2', 'c3']) expect((await call('GET', `/v1/things/${id}`)).status).toBe(200);
  expect((await call('POST', '/v1/things')).status).toBe(400);
  const after = await scrape();

  expect(
    value(after, requests('/v1/things/:thingId', 'GET', 200)) -
      value(before, requests('/v1/things/:thingId', 'GET', 200)),
  ).toBe(3);
  expect(value(after, requests('/v1/things', 'POST', 400)) - value(before, requests('/v1/things', 'POST', 400))).toBe(
    1,
  );
  const histogramCount = `vcdc_http_request_duration_seconds_count{service="metered",method="GET",route="/v1/things/:thingId",status="200"}`;
  expect(value(after, histogramCount) - value(before, histogramCount)).toBe(3);
  expect(after).toMatch(
    /vcdc_http_request_duration_seconds_bucket\{le="0.005",service="metered",method="GET",route="\/v1\/things\/:thingId",status="200"\}/,
  );
  expect(after).not.toMatch(/route="\/v1\/things\/(a1|b2|c3)"/);
});

test('a call refused before routing (no credential, no such route) is counted as unmatched, with its status', async () => {
  const before = await scrape();
  expect((await call('GET', '/v1/things/x9', false)).status).toBe(401);
  expect((await call('GET', '/v1/nothing-here')).status).toBe(404);
  const after = await scrape();
  expect(value(after, requests('unmatched', 'GET', 401)) - value(before, requests('unmatched', 'GET', 401))).toBe(1);
  expect(value(after, requests('unmatched', 'GET', 404)) - value(before, requests('unmatched', 'GET', 404))).toBe(1);
});

test('each pool’s usage is on /metrics at the scrape: busy while a request holds a connection, idle after', async () => {
  const holding = call('POST', '/v1/things/t1/holds');
  await waitFor(() => releaseHeld !== undefined && servicePool.totalCount - servicePool.idleCount >= 1);
  const during = await scrape();
  expect(value(during, 'vcdc_db_pool_connections{pool="things",state="busy"}')).toBeGreaterThanOrEqual(1);
  expect(value(during, 'vcdc_db_pool_max{pool="things"}')).toBe(10);
  expect(value(during, 'vcdc_db_pool_max{pool="things_records"}')).toBe(2);
  expect(during).toMatch(/vcdc_db_pool_waiting\{pool="things"\} 0/);
  expect(value(during, 'vcdc_http_requests_in_flight{service="metered"}')).toBeGreaterThanOrEqual(1);

  releaseHeld?.();
  expect((await holding).status).toBe(201);
  const after = await scrape();
  expect(value(after, 'vcdc_db_pool_connections{pool="things",state="busy"}')).toBe(0);
  expect(value(after, 'vcdc_db_pool_connections{pool="things",state="idle"}')).toBeGreaterThanOrEqual(1);
  // The process's own figures come along (memory is what the load benchmark reads).
  expect(after).toMatch(/^vcdc_process_resident_memory_bytes \d+/m);
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
