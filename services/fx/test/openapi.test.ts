import path from 'node:path';
import { createPool, migrate, type Pool, silentLogger } from '@vcdc/shared';
import type { Express } from 'express';
import request from 'supertest';
import { type RunningFxRateSimulator, startFxRateSimulator } from '../../../simulators/src/fx-rates';
import { testActKeys } from '../../../test/support/acts';
import { createTestDatabase } from '../../../test/support/database';
import { bodySchemaOf, expectDocumentOfMountedRoutes, fetchDocument } from '../../../test/support/openapi';
import { settlementBankInGoodStanding } from '../../../test/support/provider-register';
import { createApp } from '../src/app';
import { HttpRateSource } from '../src/rate-source';

let pool: Pool;
let sim: RunningFxRateSimulator;
let app: Express;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('fx_openapi');
  await migrate({ databaseUrl, schema: 'fx', dir: path.join(__dirname, '../migrations') });
  pool = createPool(databaseUrl, 'fx');
  sim = await startFxRateSimulator({ port: 0, seed: 'fx-openapi' });
  app = createApp({
    pool,
    logger: silentLogger(),
    rateSource: new HttpRateSource(sim.url),
    actVerifyKeys: testActKeys().verifyKeys,
    settlementBank: settlementBankInGoodStanding(),
  });
});
afterAll(async () => {
  await sim.close();
  await pool.end();
});

test('GET /openapi.json documents exactly the routes fx mounts, each body with the schema the route parses', async () => {
  const doc = await fetchDocument(app);
  expectDocumentOfMountedRoutes(app, doc);
  expect(Object.keys(doc.paths)).toContain('/v1/declarations/{id}/settlements');
});

test("the document's declaration body refuses what the route refuses: a declaration without its amount", async () => {
  const schema = bodySchemaOf(await fetchDocument(app), 'post', '/v1/declarations');
  expect(schema.required).toContain('amount');
  const body = {
    caseId: 'CASE-OA-1',
    currency: 'USD',
    transactionCode: '622011',
    purpose: 'Proceeds of the court-ordered disposal of seized virtual currency',
    remitter: { name: 'VCDC Trust HK', account: 'HK-001-2345', bank: 'Bank of China (Hong Kong)' },
    beneficiary: { name: 'City Public Security Bureau', account: '1100-2200-3300', bank: 'Bank of China Beijing' },
    workflowId: 'case-CASE-OA-1',
  };
  const refused = await request(app).post('/v1/declarations').set('Idempotency-Key', 'oa-1').send(body);
  expect(refused.status).toBe(400);
  expect(refused.body.errors.map((e: { field: string }) => e.field)).toEqual(['amount']);
  const accepted = await request(app)
    .post('/v1/declarations')
    .set('Idempotency-Key', 'oa-2')
    .send({ ...body, amount: '10.00' });
  expect(accepted.status).toBe(201);
});
