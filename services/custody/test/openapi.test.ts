import request from 'supertest';
import { bodySchemaOf, expectDocumentOfMountedRoutes, fetchDocument } from '../../../test/support/openapi';
import { type Harness, startHarness } from './harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness('custody_openapi');
});
afterAll(async () => {
  await h.close();
});

test('GET /openapi.json documents exactly the routes custody mounts, each body with the schema the route parses', async () => {
  const doc = await fetchDocument(h.app);
  expectDocumentOfMountedRoutes(h.app, doc);
  expect(Object.keys(doc.paths)).toContain('/v1/intakes/{intakeId}/difference/countersignatures');
});

test("the document's account body refuses what the route refuses: an account without its chain", async () => {
  const schema = bodySchemaOf(await fetchDocument(h.app), 'post', '/v1/accounts');
  expect(schema.required).toContain('chain');
  const body = { caseId: 'CASE-OA-1', asset: 'BTC' };
  const refused = await request(h.app).post('/v1/accounts').set('Idempotency-Key', 'oa-1').send(body);
  expect(refused.status).toBe(400);
  expect(refused.body.errors.map((e: { field: string }) => e.field)).toEqual(['chain']);
  const opened = await request(h.app)
    .post('/v1/accounts')
    .set('Idempotency-Key', 'oa-2')
    .send({ ...body, chain: 'bitcoin' });
  expect(opened.status).toBe(201);
});
