import path from 'node:path';
import { createPool, migrate, type Pool, silentLogger } from '@vcdc/shared';
import type { Express } from 'express';
import request from 'supertest';
import { testActKeys } from '../../../test/support/acts';
import { createTestDatabase } from '../../../test/support/database';
import { bodySchemaOf, expectDocumentOfMountedRoutes, fetchDocument } from '../../../test/support/openapi';
import { createApp } from '../src/app';
import { LocalReceiptTreasuryGateway } from '../src/treasury-gateway';

let pool: Pool;
let app: Express;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('treasury_openapi');
  await migrate({ databaseUrl, schema: 'treasury', dir: path.join(__dirname, '../migrations') });
  pool = createPool(databaseUrl, 'treasury');
  app = createApp({
    pool,
    logger: silentLogger(),
    gateway: new LocalReceiptTreasuryGateway(),
    actVerifyKeys: testActKeys().verifyKeys,
  });
});
afterAll(async () => {
  await pool.end();
});

test('GET /openapi.json documents exactly the routes treasury mounts, each body with the schema the route parses', async () => {
  const doc = await fetchDocument(app);
  expectDocumentOfMountedRoutes(app, doc);
  expect(Object.keys(doc.paths)).toContain('/v1/corrections/{correctionId}/follow-up-remittance');
});

test("the document's credit body refuses what the route refuses: a credit without its bank reference", async () => {
  const schema = bodySchemaOf(await fetchDocument(app), 'post', '/v1/credits');
  expect(schema.required).toContain('bankReference');
  const body = { caseId: 'CASE-OA-1', agency: 'City Public Security Bureau', amount: '10.00', fxSettlementId: 'fxs-1' };
  const refused = await request(app).post('/v1/credits').set('Idempotency-Key', 'oa-1').send(body);
  expect(refused.status).toBe(400);
  expect(refused.body.errors.map((e: { field: string }) => e.field)).toEqual(['bankReference']);
  const accepted = await request(app)
    .post('/v1/credits')
    .set('Idempotency-Key', 'oa-2')
    .send({ ...body, bankReference: 'BOC-1' });
  expect(accepted.status).toBe(201);
});
