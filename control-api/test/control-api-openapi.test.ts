/**
 * The control API's OpenAPI document against the routes it mounts (every optional part on: codec,
 * console with dev sign-in, JWKS). The Temporal client never connects: nothing here reaches a case.
 */
import { Client, Connection } from '@temporalio/client';
import { mountedRoutes, openApiPath, type Pool, routePath, silentLogger } from '@vcdc/shared';
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
import { endpointOf, GUARDED_ROUTES, type GuardedRoute } from '../src/mount';

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
  for (const route of Object.keys(ENDPOINT_ROLES) as GuardedRoute[]) {
    const { method, path } = GUARDED_ROUTES[route];
    expect({ route, documented: documented.has(`${method.toUpperCase()} ${openApiPath(path)}`) }).toEqual({
      route,
      documented: true,
    });
  }
});

const guardedNames = Object.keys(GUARDED_ROUTES) as GuardedRoute[];

test('what is mounted under /v1 and /codec is exactly the guarded routes of the table, each once, each in the access matrix', () => {
  const mounted = mountedRoutes(app)
    .routes.map((r) => `${r.method.toUpperCase()} ${r.path}`)
    .filter((endpoint) => / \/(v1|codec)\//.test(endpoint))
    .sort();
  // A mount at a path the table does not hold, or a table route left unmounted, breaks this.
  expect(mounted).toEqual(guardedNames.map(endpointOf).sort());
  expect(Object.keys(ENDPOINT_ROLES).sort()).toEqual([...guardedNames].sort());
});

test.each(guardedNames)(
  '%s is mounted behind the guard: without a token, 401 and nothing behind it runs',
  async (route) => {
    const { method, path } = GUARDED_ROUTES[route];
    const params = Object.fromEntries([...path.matchAll(/:(\w+)/g)].map((m) => [m[1] as string, 'X-1']));
    const url = routePath({ method, path }, params);
    const res = method === 'get' ? await request(app).get(url) : await request(app).post(url).send({});
    expect({ route, status: res.status, type: res.body.type }).toEqual({
      route,
      status: 401,
      type: expect.stringMatching(/^urn:vcdc:problem:/),
    });
  },
);

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
