/**
 * The control API's OpenAPI document against the routes it mounts (every optional part on: codec,
 * console with dev sign-in, JWKS). The Temporal client never connects: nothing here reaches a case.
 */
import { Client, Connection } from '@temporalio/client';
import { openApiPath, type Pool, silentLogger } from '@vcdc/shared';
import type { Express } from 'express';
import { createLocalJWKSet } from 'jose';
import request from 'supertest';
import { bodySchemaOf, expectDocumentOfMountedRoutes, fetchDocument } from '../../test/support/openapi';
import { AesGcmPayloadCodec, CodecKeyList, codecKeys, newCodecKey } from '../../workflows/src/codec/payload-codec';
import { TEST_CONTROL_API_ENV, testAuditChain } from '../../workflows/test/audit-support';
import { ENDPOINT_ROLES } from '../src/access';
import { createControlApi } from '../src/app';
import { jwtAuthenticator } from '../src/auth';
import { ControlApiConfig, registrationDefaults } from '../src/config';
import { CONTROL_API_AUDIENCE, createDevIssuer, type DevIssuer } from '../src/dev-issuer';

let app: Express;
let issuer: DevIssuer;
let connection: Connection;
let pool: Pool;

beforeAll(async () => {
  issuer = await createDevIssuer();
  connection = Connection.lazy({ address: '127.0.0.1:1' });
  const chain = await testAuditChain('control_api_openapi');
  pool = chain.pool;
  const config = ControlApiConfig.parse(TEST_CONTROL_API_ENV);
  app = createControlApi({
    audit: chain.audit,
    client: new Client({ connection }),
    taskQueue: 'unused',
    logger: silentLogger(),
    defaults: registrationDefaults(config),
    decisionSigningKey: config.DECISION_SIGNING_KEY,
    authenticator: jwtAuthenticator({
      issuer: issuer.issuer,
      audience: CONTROL_API_AUDIENCE,
      keys: createLocalJWKSet(issuer.jwks),
    }),
    publicJwks: issuer.jwks,
    codecEndpoint: {
      codec: new AesGcmPayloadCodec(codecKeys(CodecKeyList.parse(newCodecKey('k-openapi')))),
      allowedOrigins: ['http://127.0.0.1:8233'],
    },
    console: { signIn: { mode: 'dev', issuer } },
  });
});
afterAll(async () => {
  await connection.close();
  await pool?.end();
});

test('GET /openapi.json documents exactly the routes the control API mounts, and every entry of its access matrix', async () => {
  const doc = await fetchDocument(app);
  // The codec's CORS is a plain function under /codec; its two routes are on the stack.
  expectDocumentOfMountedRoutes(app, doc, { prefixes: ['/codec'] });
  const documented = new Set(
    Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`)),
  );
  for (const endpoint of Object.keys(ENDPOINT_ROLES)) {
    const [method, path] = endpoint.split(' ') as [string, string];
    expect({ endpoint, documented: documented.has(`${method} ${openApiPath(path)}`) }).toEqual({
      endpoint,
      documented: true,
    });
  }
});

test("the document's decision body refuses what the route refuses: a decision without its outcome", async () => {
  const schema = bodySchemaOf(await fetchDocument(app), 'post', '/v1/cases/{caseId}/decisions');
  expect(schema.required).toContain('outcome');
  const token = await issuer.mint('supervisor.li');
  const refused = await request(app)
    .post('/v1/cases/CASE-OA-1/decisions')
    .set('authorization', `Bearer ${token}`)
    .send({ stage: 'DISPOSAL_PLAN' });
  expect(refused.status).toBe(400);
  expect(refused.body.errors.map((e: { field: string }) => e.field)).toContain('outcome');
});

test('the registration body documented leaves out who requests it: the caller is', async () => {
  const schema = bodySchemaOf(await fetchDocument(app), 'post', '/v1/cases');
  expect(schema.required).toEqual(expect.arrayContaining(['caseId', 'agency']));
  expect(schema.required).not.toContain('requestedBy');
  expect(Object.keys(schema.properties ?? {})).not.toContain('requestedBy');
});
