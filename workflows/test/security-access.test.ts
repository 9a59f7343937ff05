/**
 * Authentication and the access matrix of the control API, as tables: who is refused, with which
 * status and reason, before anything reaches Temporal (the client here never connects: a request
 * that got past the guard would fail with 5xx, not 401/403).
 */
import { Client, Connection } from '@temporalio/client';
import { silentLogger } from '@vcdc/shared';
import type { Express } from 'express';
import { createLocalJWKSet } from 'jose';
import request from 'supertest';
import { ALL_ROLES, decidingRole, ENDPOINT_ROLES, type Endpoint, mayCall } from '../src/control-api/access';
import { createControlApi } from '../src/control-api/app';
import { jwtAuthenticator } from '../src/control-api/auth';
import { ControlApiConfig, registrationDefaults } from '../src/control-api/config';
import { CONTROL_API_AUDIENCE, createDevIssuer, type DevIssuer } from '../src/control-api/dev-issuer';
import type { Role } from '../src/decision';

let app: Express;
let issuer: DevIssuer;
let stranger: DevIssuer;
let connection: Connection;

beforeAll(async () => {
  issuer = await createDevIssuer();
  stranger = await createDevIssuer('https://other-issuer.example');
  connection = Connection.lazy({ address: '127.0.0.1:1' });
  app = createControlApi({
    client: new Client({ connection }),
    taskQueue: 'unused',
    logger: silentLogger(),
    defaults: registrationDefaults(ControlApiConfig.parse({})),
    authenticator: jwtAuthenticator({
      issuer: issuer.issuer,
      audience: CONTROL_API_AUDIENCE,
      keys: createLocalJWKSet(issuer.jwks),
    }),
    publicJwks: issuer.jwks,
  });
});

afterAll(async () => {
  await connection.close();
});

/** The matrix as the issue states it: who may call what. A change to access.ts must change this table. */
const EXPECTED: Record<Endpoint, Role[]> = {
  'POST /v1/cases': ['case-officer'],
  'GET /v1/cases': [...ALL_ROLES],
  'GET /v1/cases/:caseId': [...ALL_ROLES],
  'POST /v1/cases/:caseId/decisions': ['supervisor', 'fx-officer'],
  'GET /v1/audit/records': ['auditor'],
  'GET /v1/audit/verify': ['auditor'],
  'POST /codec/decode': ['operator', 'auditor'],
  'POST /codec/encode': ['operator'],
};

describe('the access matrix', () => {
  const rows = Object.keys(ENDPOINT_ROLES).flatMap((endpoint) =>
    ALL_ROLES.map((role) => [endpoint as Endpoint, role, EXPECTED[endpoint as Endpoint].includes(role)] as const),
  );
  test.each(rows)('%s as %s: allowed = %s', (endpoint, role, allowed) => {
    expect(mayCall(endpoint, [role])).toBe(allowed);
  });

  test.each([
    ['DISPOSAL_PLAN', ['supervisor'], 'supervisor'],
    ['DISPOSAL_PLAN', ['senior-supervisor', 'supervisor'], 'supervisor'],
    ['DISPOSAL_PLAN', ['fx-officer', 'case-officer', 'auditor', 'operator'], undefined],
    ['FX_DECLARATION', ['fx-officer'], 'fx-officer'],
    ['FX_DECLARATION', ['supervisor', 'treasury-officer'], undefined],
  ] as const)('a %s decision by a holder of %j is taken as %s', (stage, roles, expected) => {
    expect(decidingRole(stage, roles)).toBe(expected);
  });
});

/** The routes with a sample request each (paths with a valid case id, bodies that parse). */
const ROUTES: Record<string, { method: 'get' | 'post'; path: string; body?: object }> = {
  'POST /v1/cases': { method: 'post', path: '/v1/cases', body: {} },
  'GET /v1/cases': { method: 'get', path: '/v1/cases' },
  'GET /v1/cases/:caseId': { method: 'get', path: '/v1/cases/CASE-1' },
  'POST /v1/cases/:caseId/decisions': {
    method: 'post',
    path: '/v1/cases/CASE-1/decisions',
    body: { stage: 'DISPOSAL_PLAN', outcome: 'APPROVE' },
  },
};

function call(route: keyof typeof ROUTES, authorization?: string) {
  const r = ROUTES[route]!;
  let req = r.method === 'get' ? request(app).get(r.path) : request(app).post(r.path).send(r.body);
  if (authorization) req = req.set('authorization', authorization);
  return req;
}

describe('authentication: refused with 401 and the reason', () => {
  const now = Math.floor(Date.now() / 1000);
  const cases: Array<[string, () => Promise<string | undefined>, string]> = [
    ['no token', async () => undefined, 'no-token'],
    ['not a bearer token', async () => 'Basic c3VwZXJ2aXNvcjpwYXNz', 'no-token'],
    [
      'an expired token',
      async () =>
        `Bearer ${await issuer.sign({ sub: 'supervisor.li', roles: ['supervisor'], issuedAt: now - 7200, expiresIn: 3600 })}`,
      'token-expired',
    ],
    [
      'a token from another issuer',
      async () => `Bearer ${await stranger.sign({ sub: 'supervisor.li', roles: ['supervisor'] })}`,
      'unknown-key',
    ],
    [
      'a token for another audience',
      async () => `Bearer ${await issuer.sign({ sub: 'supervisor.li', roles: ['supervisor'], audience: 'custody' })}`,
      'token-invalid',
    ],
    [
      'a token whose signature was altered',
      async () => `Bearer ${(await issuer.mint('supervisor.li')).replace(/.....$/, 'AAAAA')}`,
      'token-invalid',
    ],
  ];
  test.each(cases)('%s', async (_what, header, reason) => {
    for (const route of Object.keys(ROUTES)) {
      const res = await call(route, await header());
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({ type: 'urn:vcdc:problem:unauthenticated', reason });
    }
  });

  test('a token signed by another issuer with our issuer name is still refused (the key decides)', async () => {
    const impostor = await createDevIssuer(issuer.issuer);
    const res = await call(
      'GET /v1/cases',
      `Bearer ${await impostor.sign({ sub: 'auditor.qian', roles: ['auditor'] })}`,
    );
    expect(res.status).toBe(401);
  });
});

describe('authorisation: a valid token without the role is refused with 403', () => {
  const rows = Object.keys(ROUTES).flatMap((route) =>
    ALL_ROLES.filter((role) => !EXPECTED[route as Endpoint].includes(role)).map((role) => [route, role] as const),
  );
  test.each(rows)('%s as %s', async (route, role) => {
    const token = await issuer.sign({ sub: `someone.${role}`, roles: [role] });
    const res = await call(route, `Bearer ${token}`);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ type: 'urn:vcdc:problem:forbidden', endpoint: route });
  });

  test('an FX officer may post decisions but not a disposal-plan decision: 403 decision-role', async () => {
    const res = await call('POST /v1/cases/:caseId/decisions', `Bearer ${await issuer.mint('fx.officer.wang')}`);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ type: 'urn:vcdc:problem:decision-role', stage: 'DISPOSAL_PLAN' });
  });

  test('roles this system does not know give no access', async () => {
    const token = await issuer.sign({ sub: 'root', roles: ['admin', 'superuser'] });
    expect((await call('GET /v1/cases', `Bearer ${token}`)).status).toBe(403);
  });
});

test('the dev issuer publishes its public key set, without private parts', async () => {
  const res = await request(app).get('/.well-known/jwks.json');
  expect(res.status).toBe(200);
  expect(res.body.keys).toHaveLength(1);
  expect(res.body.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
  expect(res.body.keys[0].d).toBeUndefined();
});
