import { createPool, migrate, openApiPath, type Pool, silentLogger } from '@vcdc/shared';
import type { Express } from 'express';
import request from 'supertest';
import { DEV_OSL_API_KEY, DEV_OSL_SECRET } from '../../../simulators/src/osl';
import { DEV_VENUE_API_KEY, DEV_VENUE_SECRET } from '../../../simulators/src/venue';
import { createTestDatabase } from '../../../test/support/database';
import { bodySchemaOf, expectDocumentOfMountedRoutes, fetchDocument } from '../../../test/support/openapi';
import { OTHER_VENUE_PREFIX, VENUE_API } from '../src/api';
import { createApp, EXCHANGE_MIGRATIONS_DIR } from '../src/app';
import { CcxtVenue } from '../src/ccxt-venue';
import { OslVenue } from '../src/osl/osl-venue';

let pool: Pool;
let app: Express;

// No venue is asked here: the document and a body refused before any venue call.
const offline = { apiUrl: 'http://127.0.0.1:9', timeoutMs: 1000, enableRateLimit: false };
const hashkey = new CcxtVenue({ venueId: 'hashkey', apiKey: DEV_VENUE_API_KEY, secret: DEV_VENUE_SECRET, ...offline });
const osl = new OslVenue({ apiKey: DEV_OSL_API_KEY, secret: DEV_OSL_SECRET, ...offline });

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('exchange_openapi');
  await migrate({ databaseUrl, schema: 'exchange', dir: EXCHANGE_MIGRATIONS_DIR });
  pool = createPool(databaseUrl, 'exchange');
  app = createApp({
    pool,
    logger: silentLogger(),
    venue: hashkey,
    otherVenues: [{ venue: osl }],
  });
});
afterAll(async () => {
  await pool.end();
});

test('GET /openapi.json documents exactly the routes the exchange mounts, each body with the schema the route parses', async () => {
  const doc = await fetchDocument(app);
  expectDocumentOfMountedRoutes(app, doc, { prefixes: [OTHER_VENUE_PREFIX], opaque: [OTHER_VENUE_PREFIX] });
  // Another venue's routes are the default venue's, under its prefix (the router behind it is not walkable).
  const atOtherVenue = Object.entries(doc.paths)
    .filter(([path]) => path.startsWith(openApiPath(OTHER_VENUE_PREFIX)))
    .flatMap(([path, item]) => Object.keys(item).map((m) => `${m} ${path.replace('/v1/venues/{venueId}', '/v1')}`))
    .sort();
  expect(atOtherVenue).toEqual(VENUE_API.map((r) => `${r.method} ${openApiPath(r.path)}`).sort());
  const atOsl = await request(app).post('/v1/venues/osl/orders/ORDER-1/cancel').set('Idempotency-Key', 'oa-0').send({});
  expect(atOsl.status).toBe(400);
});

test("the document's cancel body refuses what the route refuses: a cancel without its case", async () => {
  const schema = bodySchemaOf(await fetchDocument(app), 'post', '/v1/orders/{clientOrderId}/cancel');
  expect(schema.required).toEqual(['caseId']);
  const refused = await request(app).post('/v1/orders/ORDER-1/cancel').set('Idempotency-Key', 'oa-1').send({});
  expect(refused.status).toBe(400);
  expect(refused.body.errors.map((e: { field: string }) => e.field)).toEqual(['caseId']);
});
