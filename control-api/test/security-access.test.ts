/**
 * Authentication and the access matrix of the control API, as tables: who is refused, with which
 * status and reason, before anything reaches Temporal (the client here never connects: a request
 * that got past the guard would fail with 5xx, not 401/403).
 */
import { Client, Connection } from '@temporalio/client';
import { type AuditChain, type AuditRecord, type Pool, silentLogger } from '@vcdc/shared';
import type { Express } from 'express';
import { createLocalJWKSet } from 'jose';
import request from 'supertest';
import { DecisionStage, Role } from '../../workflows/src/workflow/decision';
import { TEST_CONTROL_API_ENV, testAuditChain } from '../../workflows/test/audit-support';
import { ALL_ROLES, decidingRole, ENDPOINT_ROLES, mayCall } from '../src/access';
import { createControlApi } from '../src/app';
import { jwtAuthenticator } from '../src/auth';
import { ControlApiConfig, registrationDefaults } from '../src/config';
import { CONTROL_API_AUDIENCE, createDevIssuer, type DevIssuer } from '../src/dev-issuer';
import { endpointOf, GUARDED_ROUTES, type GuardedRoute } from '../src/mount';

let app: Express;
let issuer: DevIssuer;
let stranger: DevIssuer;
let connection: Connection;
let audit: AuditChain;
let pool: Pool;

/** The audit records appended since `seq`. */
async function recordedSince(seq: number): Promise<AuditRecord[]> {
  return audit.list({ afterSeq: seq });
}
async function headSeq(): Promise<number> {
  let seq = 0;
  for (let page = await audit.list(); page.length > 0; page = await audit.list({ afterSeq: seq })) {
    seq = page.at(-1)?.seq ?? seq;
  }
  return seq;
}

beforeAll(async () => {
  issuer = await createDevIssuer();
  stranger = await createDevIssuer('https://other-issuer.example');
  connection = Connection.lazy({ address: '127.0.0.1:1' });
  ({ audit, pool } = await testAuditChain('security_access'));
  app = createControlApi({
    audit,
    client: new Client({ connection }),
    taskQueue: 'unused',
    logger: silentLogger(),
    defaults: registrationDefaults(ControlApiConfig.parse(TEST_CONTROL_API_ENV)),
    decisionSigningKey: ControlApiConfig.parse(TEST_CONTROL_API_ENV).DECISION_SIGNING_KEY,
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
  await pool?.end();
});

/**
 * The matrix as the issue states it: who may call what, by method and path as the refusals name them
 * (the matrix is keyed by route name; this table holds each name to its path). A change to access.ts
 * or to a route's path must change this table.
 */
const EXPECTED: Record<string, Role[]> = {
  'POST /v1/cases': ['case-officer'],
  // A large case's lot manifest: chunks and seal by the case officer, its pages read by everyone who follows cases.
  'POST /v1/cases/:caseId/lots': ['case-officer'],
  'POST /v1/cases/:caseId/lots/seal': ['case-officer'],
  'GET /v1/cases/:caseId/lots': [...ALL_ROLES],
  'GET /v1/cases': [...ALL_ROLES],
  'GET /v1/cases/:caseId': [...ALL_ROLES],
  // The case statement (its three values, amounts in base units): for everyone who follows cases.
  'GET /v1/cases/:caseId/statement': [...ALL_ROLES],
  // A senior supervisor decides DISPOSAL_PLAN (the approval policy may ask for one).
  'POST /v1/cases/:caseId/decisions': ['supervisor', 'senior-supervisor', 'fx-officer'],
  // Every role, each seeing what is addressed to a role it holds (auditor and operator: all); see notifications.test.ts.
  'GET /v1/notifications': [...ALL_ROLES],
  'GET /v1/cases/:caseId/notifications': [...ALL_ROLES],
  'GET /v1/audit/records': ['auditor'],
  'GET /v1/audit/verify': ['auditor'],
  'POST /codec/decode': ['operator', 'auditor'],
  'POST /codec/encode': ['operator'],
  // People's acts, forwarded signed (acts.ts): exactly the roles of the act kind; the whitelist is read by
  // those who act on it, supervise, audit or run the system.
  'GET /v1/custody/whitelist': ['custodian', 'supervisor', 'auditor', 'operator'],
  'GET /v1/custody/whitelist/:entryId': ['custodian', 'supervisor', 'auditor', 'operator'],
  // The acts waiting for a person (issue 15's inbox): those who countersign or approve a correction.
  'GET /v1/acts/pending': ['custodian', 'case-officer', 'fx-officer', 'supervisor', 'treasury-officer'],
  'POST /v1/custody/whitelist': ['custodian'],
  'POST /v1/custody/whitelist/:entryId/approvals': ['custodian'],
  'POST /v1/custody/whitelist/:entryId/revocation': ['custodian', 'supervisor'],
  // The register of licensed providers (issue 16): proposed and approved by two different supervisors
  // (the exchange refuses the proposer); read by them, custodians, FX officers, auditors and operators.
  'GET /v1/providers': ['supervisor', 'senior-supervisor', 'custodian', 'fx-officer', 'auditor', 'operator'],
  'GET /v1/providers/changes': ['supervisor', 'senior-supervisor', 'custodian', 'fx-officer', 'auditor', 'operator'],
  'GET /v1/providers/:providerId': [
    'supervisor',
    'senior-supervisor',
    'custodian',
    'fx-officer',
    'auditor',
    'operator',
  ],
  'POST /v1/providers/changes': ['supervisor', 'senior-supervisor'],
  'POST /v1/providers/changes/:changeId/approval': ['senior-supervisor', 'supervisor'],
  'POST /v1/custody/attestations': ['custodian'],
  'POST /v1/custody/intakes/:intakeId/difference': ['custodian'],
  'POST /v1/custody/intakes/:intakeId/difference/countersignatures': ['custodian', 'case-officer'],
  'POST /v1/custody/intakes/:intakeId/evidence': ['custodian'],
  'POST /v1/treasury/corrections': ['treasury-officer'],
  'POST /v1/treasury/corrections/:correctionId/approval': ['treasury-officer', 'supervisor'],
  // After the money left (issue 13): a follow-up remittance is a supervisor's, as the first pay-out was;
  // a recovery is booked by a treasury officer; a settlement is corrected by an FX officer and approved
  // by another FX officer or a supervisor. The books recomputed are read by everyone who follows cases.
  'POST /v1/treasury/corrections/:correctionId/follow-up-remittance': ['supervisor'],
  'POST /v1/treasury/recovery-receivables/:receivableId/recovery': ['treasury-officer'],
  'POST /v1/fx/settlements/:settlementId/corrections': ['fx-officer'],
  'POST /v1/fx/settlement-corrections/:correctionId/approval': ['fx-officer', 'supervisor'],
  'GET /v1/cases/:caseId/reconciliation': [...ALL_ROLES],
  // The services' reports (issue 15), read through the control API: as open as the statement and books.
  'GET /v1/cases/:caseId/best-execution': [...ALL_ROLES],
  'GET /v1/cases/:caseId/fx-waterfalls': [...ALL_ROLES],
  'GET /v1/cases/:caseId/fx-declarations': [...ALL_ROLES],
  'GET /v1/cases/:caseId/treasury-statement': [...ALL_ROLES],
  // The case file with its confidential annex: auditors, and the supervisors who decided the case.
  'GET /v1/cases/:caseId/dossier': ['auditor', 'supervisor'],
};

describe('the access matrix', () => {
  test('names every guarded route (the table’s and the codec’s) and no other, each at the path stated above', () => {
    expect(Object.keys(ENDPOINT_ROLES).sort()).toEqual(Object.keys(GUARDED_ROUTES).sort());
    const names = Object.keys(GUARDED_ROUTES) as GuardedRoute[];
    expect(names.map(endpointOf).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  const rows = (Object.keys(ENDPOINT_ROLES) as GuardedRoute[]).flatMap((route) =>
    ALL_ROLES.map((role) => [route, role, (EXPECTED[endpointOf(route)] ?? []).includes(role)] as const),
  );
  test.each(rows)('%s as %s: allowed = %s', (route, role, allowed) => {
    expect(mayCall(route, [role])).toBe(allowed);
  });

  test('a route the matrix does not name is refused to every role', () => {
    expect(ALL_ROLES.some((role) => mayCall('noSuchRoute' as GuardedRoute, [role]))).toBe(false);
  });

  test.each([
    ['DISPOSAL_PLAN', ['supervisor'], 'supervisor'],
    // Taken as the senior supervisor: the approval policy counts one above its top tier.
    ['DISPOSAL_PLAN', ['senior-supervisor', 'supervisor'], 'senior-supervisor'],
    ['DISPOSAL_PLAN', ['fx-officer', 'case-officer', 'auditor', 'operator'], undefined],
    ['FX_DECLARATION', ['fx-officer'], 'fx-officer'],
    ['FX_DECLARATION', ['supervisor', 'treasury-officer'], undefined],
  ] as const)('a %s decision by a holder of %j is taken as %s', (stage, roles, expected) => {
    expect(decidingRole(stage, roles)).toBe(expected);
  });

  // Every decision type against every role: exactly the roles the matrix names may take it.
  const EXPECTED_ROLES: Record<DecisionStage, readonly Role[]> = {
    INTAKE_DISCREPANCY: ['supervisor'],
    DISPOSAL_PLAN: ['supervisor', 'senior-supervisor'],
    SALE_PRICE: ['supervisor'],
    FX_DECLARATION: ['fx-officer'],
    FX_RESUBMISSION: ['supervisor'],
    RECONCILIATION: ['supervisor'],
    FX_SETTLEMENT: ['fx-officer'],
    JUDGMENT: ['supervisor'],
    REMITTANCE: ['supervisor'],
    CANCELLATION: ['supervisor'],
    HOLD_RESOLUTION: ['supervisor'],
  };
  const everyDecision = DecisionStage.options.flatMap((stage) =>
    Role.options.map((role) => [stage, role, EXPECTED_ROLES[stage].includes(role)] as const),
  );
  test.each(everyDecision)('%s by a %s: allowed = %s', (stage, role, allowed) => {
    expect(decidingRole(stage, [role])).toBe(allowed ? role : undefined);
  });
});

/** The routes with a sample request each (paths with a valid case id, bodies that parse). */
const ROUTES: Record<string, { method: 'get' | 'post'; path: string; body?: object }> = {
  'POST /v1/cases': { method: 'post', path: '/v1/cases', body: {} },
  'GET /v1/cases': { method: 'get', path: '/v1/cases' },
  'GET /v1/cases/:caseId': { method: 'get', path: '/v1/cases/CASE-1' },
  'GET /v1/cases/:caseId/statement': { method: 'get', path: '/v1/cases/CASE-1/statement' },
  'POST /v1/cases/:caseId/decisions': {
    method: 'post',
    path: '/v1/cases/CASE-1/decisions',
    body: { stage: 'DISPOSAL_PLAN', outcome: 'APPROVE' },
  },
  'GET /v1/notifications': { method: 'get', path: '/v1/notifications' },
  'GET /v1/cases/:caseId/notifications': { method: 'get', path: '/v1/cases/CASE-1/notifications' },
  'GET /v1/cases/:caseId/dossier': { method: 'get', path: '/v1/cases/CASE-1/dossier' },
  // People's acts (acts.ts): refused at the same door, before anything is signed or forwarded.
  'GET /v1/custody/whitelist': { method: 'get', path: '/v1/custody/whitelist' },
  'POST /v1/custody/whitelist/:entryId/approvals': {
    method: 'post',
    path: '/v1/custody/whitelist/WL-1/approvals',
    body: {},
  },
  'POST /v1/custody/intakes/:intakeId/difference/countersignatures': {
    method: 'post',
    path: '/v1/custody/intakes/INT-1/difference/countersignatures',
    body: { role: 'custodian' },
  },
  'POST /v1/treasury/corrections/:correctionId/approval': {
    method: 'post',
    path: '/v1/treasury/corrections/COR-1/approval',
    body: {},
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
  test.each(cases)('%s (and recorded in the audit chain)', async (_what, header, reason) => {
    const before = await headSeq();
    for (const route of Object.keys(ROUTES)) {
      const res = await call(route, await header());
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({ type: 'urn:vcdc:problem:unauthenticated', reason });
    }
    const recorded = await recordedSince(before);
    expect(recorded.map((r) => [r.kind, r.actor, r.data.endpoint, r.data.status, r.data.reason])).toEqual(
      Object.keys(ROUTES).map((route) => ['access.refused', 'anonymous', route, 401, reason]),
    );
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
    ALL_ROLES.filter((role) => !EXPECTED[route]?.includes(role)).map((role) => [route, role] as const),
  );
  test.each(rows)('%s as %s (and recorded)', async (route, role) => {
    const before = await headSeq();
    const token = await issuer.sign({ sub: `someone.${role}`, roles: [role] });
    const res = await call(route, `Bearer ${token}`);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ type: 'urn:vcdc:problem:forbidden', endpoint: route });
    const [record, ...more] = await recordedSince(before);
    expect(more).toEqual([]);
    expect(record).toMatchObject({
      kind: 'access.refused',
      actor: `someone.${role}`,
      data: { endpoint: route, status: 403, roles: [role] },
    });
  });

  test('an FX officer may post decisions but not a disposal-plan decision: 403 decision-role', async () => {
    const res = await call('POST /v1/cases/:caseId/decisions', `Bearer ${await issuer.mint('fx.officer.wang')}`);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ type: 'urn:vcdc:problem:decision-role', stage: 'DISPOSAL_PLAN' });
    expect((await audit.list({ caseId: 'CASE-1' })).at(-1)).toMatchObject({
      kind: 'decision.refused',
      actor: 'fx.officer.wang',
      data: { stage: 'DISPOSAL_PLAN', status: 403, refusal: 'urn:vcdc:problem:decision-role' },
    });
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

describe('hardening', () => {
  test('answers carry security headers', async () => {
    const res = await call('GET /v1/cases');
    expect(res.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    });
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  test('a client over the rate limit gets 429 with Retry-After, and nothing behind it runs', async () => {
    const limited = createControlApi({
      audit,
      client: new Client({ connection }),
      taskQueue: 'unused',
      logger: silentLogger(),
      defaults: registrationDefaults(ControlApiConfig.parse(TEST_CONTROL_API_ENV)),
      decisionSigningKey: ControlApiConfig.parse(TEST_CONTROL_API_ENV).DECISION_SIGNING_KEY,
      authenticator: jwtAuthenticator({
        issuer: issuer.issuer,
        audience: CONTROL_API_AUDIENCE,
        keys: createLocalJWKSet(issuer.jwks),
      }),
      rateLimitPerMinute: 3,
    });
    const before = await headSeq();
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await request(limited).get('/v1/cases')).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    const res = await request(limited).get('/v1/cases');
    expect(res.body).toMatchObject({ type: 'urn:vcdc:problem:rate-limited' });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    // Only the three that got through were authenticated (and their refusals recorded).
    expect(await recordedSince(before)).toHaveLength(3);
  });

  test('a body over 1 MB is refused before it is parsed', async () => {
    const token = await issuer.mint('officer.zhang');
    const res = await request(app)
      .post('/v1/cases')
      .set('authorization', `Bearer ${token}`)
      .set('content-type', 'application/json')
      .send(`{"caseId":"${'x'.repeat(1_100_000)}"}`);
    expect(res.status).toBe(413);
  });
});
