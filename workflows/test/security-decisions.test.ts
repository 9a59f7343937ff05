/**
 * Four-eyes, quorum, the audit chain and encrypted payloads, end to end through the control API on
 * a real Temporal dev server: the people come from their tokens; the workflow counts approvals and
 * refuses repeats; what Temporal stores is ciphertext that the codec endpoint decodes.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client, WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { type AuditChain, createServiceApp, Decimal, type Pool, silentLogger, startService } from '@vcdc/shared';
import type { Express } from 'express';
import { createLocalJWKSet } from 'jose';
import pino from 'pino';
import request from 'supertest';
import { createControlApi } from '../../control-api/src/app';
import { jwtAuthenticator } from '../../control-api/src/auth';
import { ControlApiConfig, registrationDefaults } from '../../control-api/src/config';
import { CONTROL_API_AUDIENCE, createDevIssuer, type DevIssuer } from '../../control-api/src/dev-issuer';
import { provisionForTest } from '../../test/support/provision';
import { startDevServer } from '../../test/support/temporal';
import {
  createDecisionActivities,
  DecisionSigningKey,
  newDecisionKeyPair,
  signDecision,
} from '../src/activities/decision-signature';
import { AesGcmPayloadCodec, CodecKeyList, codecKeys, newCodecKey } from '../src/codec/payload-codec';
import { workflowsPath } from '../src/worker/worker';
import type { CaseProgress } from '../src/workflow/case-state';
import type { Decision } from '../src/workflow/decision';
import { decide, decision as decisionSignal } from '../src/workflow/shared';
import { TEST_CONTROL_API_ENV, testAuditChain, testDecisionVerifyKeys } from './audit-support';
import { callsInHistory } from './case-support';
import { createFakeActivities, sampleRegistration } from './fake-services';

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let app: Express;
let issuer: DevIssuer;
let audit: AuditChain;
let pool: Pool;
let databaseUrl: string;
const taskQueue = `security-${randomUUID()}`;
const UI_ORIGIN = 'http://127.0.0.1:8233';
const codec = new AesGcmPayloadCodec(codecKeys(CodecKeyList.parse(newCodecKey('k-2026'))));

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  env = await startDevServer();
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('ERROR') }),
    activities: { ...createFakeActivities(), ...createDecisionActivities(testDecisionVerifyKeys()) },
    dataConverter: { payloadCodecs: [codec] },
  });
  running = worker.run();
  issuer = await createDevIssuer();
  ({ audit, pool, databaseUrl } = await testAuditChain('security_decisions'));
  app = createControlApi({
    audit,
    client: new Client({ connection: env.connection, dataConverter: { payloadCodecs: [codec] } }),
    codecEndpoint: { codec, allowedOrigins: [UI_ORIGIN] },
    taskQueue,
    logger: silentLogger(),
    defaults: registrationDefaults(ControlApiConfig.parse(TEST_CONTROL_API_ENV)),
    decisionSigningKey: ControlApiConfig.parse(TEST_CONTROL_API_ENV).DECISION_SIGNING_KEY,
    authenticator: jwtAuthenticator({
      issuer: issuer.issuer,
      audience: CONTROL_API_AUDIENCE,
      keys: createLocalJWKSet(issuer.jwks),
    }),
    // The sample case declares 1.25 BTC: above 1 BTC two supervisors must approve.
    quorumThresholds: { BTC: new Decimal('1') },
  });
}, 180_000);

afterAll(async () => {
  if (worker) {
    worker.shutdown();
    await running;
  }
  await env?.teardown();
  await pool?.end();
});

async function as(person: string, roles?: string[]) {
  const token = roles ? await issuer.sign({ sub: person, roles }) : await issuer.mint(person);
  const auth = `Bearer ${token}`;
  return {
    get: (url: string) => request(app).get(url).set('authorization', auth),
    post: (url: string) => request(app).post(url).set('authorization', auth),
  };
}

async function progress(caseId: string, test: (p: CaseProgress) => boolean): Promise<CaseProgress> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await (await as('auditor.qian')).get(`/v1/cases/${caseId}`);
    if (res.status === 200 && test(res.body)) return res.body;
    if (Date.now() > deadline) throw new Error(`timed out waiting for case ${caseId}: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const approve = { stage: 'DISPOSAL_PLAN', outcome: 'APPROVE' };

async function registered(lots?: unknown[]): Promise<string> {
  const caseId = `SEC-${randomUUID().slice(0, 8)}`;
  const body = sampleRegistration(caseId, lots ? { lots } : {});
  // A requester cannot lower the quorum: `approvals` is not part of what they may send.
  const res = await (await as('officer.zhang')).post('/v1/cases').send({ ...body, approvals: { disposalPlan: 1 } });
  expect(res.status).toBe(201);
  await progress(caseId, (p) => p.status === 'AWAITING_DECISION');
  return caseId;
}

test('the requester is the token’s person: even holding the supervisor role they may not approve their own case', async () => {
  const caseId = `SEC-${randomUUID().slice(0, 8)}`;
  const both = await as('officer.dual', ['case-officer', 'supervisor']);
  // The body names someone else as requester; the token wins.
  expect((await both.post('/v1/cases').send(sampleRegistration(caseId, { requestedBy: 'officer.other' }))).status).toBe(
    201,
  );
  const p = await progress(caseId, (x) => x.status === 'AWAITING_DECISION');
  expect(p.requestedBy).toBe('officer.dual');
  const own = await both.post(`/v1/cases/${caseId}/decisions`).send({ ...approve, decidedBy: 'supervisor.li' });
  expect(own.status).toBe(422);
  expect(own.body).toMatchObject({ type: 'urn:vcdc:problem:four-eyes' });
  expect(own.body.detail).toContain('officer.dual');
  expect((await audit.list({ caseId })).map((r) => [r.kind, r.actor, r.data.refusal])).toEqual([
    ['case.registered', 'officer.dual', undefined],
    // The intent is recorded before the case hears of it; the refusal after.
    ['decision.requested', 'officer.dual', undefined],
    ['decision.refused', 'officer.dual', 'urn:vcdc:problem:four-eyes'],
  ]);
});

test('above the threshold one approval is not enough; the same supervisor twice is refused; a second one moves the case', async () => {
  const caseId = await registered();
  const li = await as('supervisor.li');
  const first = await li.post(`/v1/cases/${caseId}/decisions`).send(approve);
  expect(first.status).toBe(200);
  expect(first.body).toMatchObject({
    decision: { decidedBy: 'supervisor.li', role: 'supervisor' },
    movesTo: { stage: 'AUTHORISATION', status: 'AWAITING_DECISION' },
    approvals: { given: 1, required: 2 },
  });
  const waiting = await progress(caseId, (p) => p.decisions.accepted.length === 1);
  expect(waiting).toMatchObject({ stage: 'AUTHORISATION', status: 'AWAITING_DECISION' });

  const again = await li.post(`/v1/cases/${caseId}/decisions`).send(approve);
  expect(again.status).toBe(422);
  expect(again.body.type).toBe('urn:vcdc:problem:quorum-same-person');

  const second = await (await as('supervisor.zhou')).post(`/v1/cases/${caseId}/decisions`).send(approve);
  expect(second.status).toBe(200);
  expect(second.body).toMatchObject({
    movesTo: { stage: 'TRANSFER', status: 'RUNNING' },
    approvals: { given: 2, required: 2 },
  });
  const moved = await progress(caseId, (p) => p.stage !== 'AUTHORISATION');
  expect(moved.decisions.accepted.map((d) => d.decidedBy)).toEqual(['supervisor.li', 'supervisor.zhou']);

  // A replay of the approval that completed the quorum is refused: the case no longer waits for it.
  const replay = await (await as('supervisor.zhou')).post(`/v1/cases/${caseId}/decisions`).send(approve);
  expect(replay.status).toBe(409);
  expect(replay.body.type).toBe('urn:vcdc:problem:decision-not-awaited');

  // Every step is in the audit chain, in order, and an auditor reads and verifies it through the API.
  const auditor = await as('auditor.qian');
  const records = (await auditor.get(`/v1/audit/records?caseId=${caseId}`)).body.records;
  expect(
    records.map((r: { kind: string; actor: string; data: { refusal?: string } }) => [r.kind, r.actor, r.data.refusal]),
  ).toEqual([
    ['case.registered', 'officer.zhang', undefined],
    ['decision.requested', 'supervisor.li', undefined],
    ['decision.accepted', 'supervisor.li', undefined],
    ['decision.requested', 'supervisor.li', undefined],
    ['decision.refused', 'supervisor.li', 'urn:vcdc:problem:quorum-same-person'],
    ['decision.requested', 'supervisor.zhou', undefined],
    ['decision.accepted', 'supervisor.zhou', undefined],
    ['decision.requested', 'supervisor.zhou', undefined],
    ['decision.refused', 'supervisor.zhou', 'urn:vcdc:problem:decision-not-awaited'],
  ]);
  expect(records[0].data.approvals).toEqual({ disposalPlan: 2 });
  expect((await auditor.get('/v1/audit/verify')).body).toMatchObject({ ok: true });
  expect((await li.get('/v1/audit/verify')).status).toBe(403);
});

test('an auditor asking the API to verify the chain is told which record was edited', async () => {
  const caseId = await registered();
  await (await as('supervisor.li')).post(`/v1/cases/${caseId}/decisions`).send(approve);
  const accepted = (await audit.list({ caseId })).find((r) => r.kind === 'decision.accepted');
  expect(accepted?.actor).toBe('supervisor.li');
  // A superuser rewrites who approved.
  await pool.query('ALTER TABLE audit_records DISABLE TRIGGER USER');
  await pool.query(`UPDATE audit_records SET actor = 'supervisor.mallory' WHERE seq = $1`, [accepted?.seq]);
  await pool.query('ALTER TABLE audit_records ENABLE TRIGGER USER');
  const res = await (await as('auditor.qian')).get('/v1/audit/verify');
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ ok: false, brokenAt: { seq: accepted?.seq, problem: 'edited' } });
});

test('below the threshold one supervisor approves alone', async () => {
  const small = sampleRegistration('x').lots.map((l) => ({ ...l, declaredAmount: '0.5' }));
  const caseId = await registered(small);
  const res = await (await as('supervisor.li')).post(`/v1/cases/${caseId}/decisions`).send(approve);
  expect(res.status).toBe(200);
  expect(res.body.movesTo).toEqual({ stage: 'TRANSFER', status: 'RUNNING' });
  expect(res.body.approvals).toBeUndefined();
  // Its signature checked by a local activity (issue 18): no activity task went through the server for it.
  const inHistory = await callsInHistory(env.client.workflow.getHandle(`case-${caseId}`));
  expect(inHistory.patches).toContain('verify-decision-local');
  expect(inHistory.local).toContain('verifyDecision');
  expect(inHistory.tasks).not.toContain('verifyDecision');
});

test('a rejection by one supervisor ends a quorum case at once', async () => {
  const caseId = await registered();
  const res = await (await as('supervisor.zhou'))
    .post(`/v1/cases/${caseId}/decisions`)
    .send({ stage: 'DISPOSAL_PLAN', outcome: 'REJECT', reason: 'price band too wide' });
  expect(res.status).toBe(200);
  expect(res.body.movesTo).toEqual({ stage: 'AUTHORISATION', status: 'REJECTED' });
  await progress(caseId, (p) => p.status === 'REJECTED');
});

describe('encrypted payloads', () => {
  const b64 = (bytes?: Uint8Array | null) => Buffer.from(bytes ?? []).toString('base64');

  test('a case input read straight from Temporal history is ciphertext; through the codec endpoint it decodes', async () => {
    const caseId = await registered();
    // env.client has no codec: it sees what Temporal stores.
    const history = await env.client.workflow.getHandle(`case-${caseId}`).fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    const input = started?.input?.payloads?.[0];
    expect(Buffer.from(input?.metadata?.encoding ?? []).toString()).toBe('binary/encrypted');
    expect(Buffer.from(input?.metadata?.['encryption-key-id'] ?? []).toString()).toBe('k-2026');
    const stored = Buffer.from(input?.data ?? []);
    expect(stored.includes(Buffer.from(caseId))).toBe(false);
    expect(stored.includes(Buffer.from('Beijing Public Security Bureau'))).toBe(false);
    // The memo (registration hash) is encrypted too.
    const memo = started?.memo?.fields?.registrationSha256;
    expect(Buffer.from(memo?.metadata?.encoding ?? []).toString()).toBe('binary/encrypted');

    const wire = {
      payloads: [
        {
          metadata: Object.fromEntries(Object.entries(input?.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
          data: b64(input?.data),
        },
      ],
    };
    const operator = await as('operator.he');
    const decoded = await operator
      .post('/codec/decode')
      .set('origin', UI_ORIGIN)
      .set('x-namespace', 'default')
      .send(wire);
    expect(decoded.status).toBe(200);
    expect(decoded.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
    const [plain] = decoded.body.payloads;
    expect(Buffer.from(plain.metadata.encoding, 'base64').toString()).toBe('json/plain');
    const registration = JSON.parse(Buffer.from(plain.data, 'base64').toString());
    expect(registration).toMatchObject({ caseId, requestedBy: 'officer.zhang', approvals: { disposalPlan: 2 } });

    // Refused: no token, a role the matrix does not allow, an altered ciphertext.
    expect((await request(app).post('/codec/decode').send(wire)).status).toBe(401);
    expect((await (await as('supervisor.li')).post('/codec/decode').send(wire)).status).toBe(403);
    const altered = Buffer.from(input?.data ?? []);
    altered[20] = (altered[20] ?? 0) ^ 1;
    const tampered = await operator
      .post('/codec/decode')
      .send({ payloads: [{ ...wire.payloads[0], data: altered.toString('base64') }] });
    expect(tampered.status).toBe(422);
    expect(tampered.body.type).toBe('urn:vcdc:problem:payload-undecodable');
  });

  test('the Web UI origin gets a CORS preflight answer without a token; another origin gets no CORS grant', async () => {
    const preflight = await request(app)
      .options('/codec/decode')
      .set('origin', UI_ORIGIN)
      .set('access-control-request-method', 'POST')
      .set('access-control-request-headers', 'content-type,x-namespace,authorization');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
    expect(preflight.headers['access-control-allow-headers']).toContain('authorization');
    const other = await request(app).options('/codec/decode').set('origin', 'https://evil.example');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('decisions sent straight to Temporal (Web UI, CLI, a bare client)', () => {
  test('change nothing and are recorded as refused: unsigned, forged, altered or replayed', async () => {
    const caseId = await registered();
    // Someone with Temporal access and the payload key, but not the control API's signing key.
    const raw = new Client({
      connection: env.connection,
      dataConverter: { payloadCodecs: [codec] },
    }).workflow.getHandle(`case-${caseId}`);
    const bare: Decision = {
      stage: 'DISPOSAL_PLAN',
      outcome: 'APPROVE',
      decidedBy: 'supervisor.li',
      role: 'supervisor',
      decidedAt: new Date().toISOString(),
    };

    const unsigned = await raw.executeUpdate(decide, { args: [bare] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(unsigned).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((unsigned as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'decision-unsigned' });

    const otherKey = DecisionSigningKey.parse(newDecisionKeyPair().signingKey);
    // Forged as well as one can: the authorisation the case asks for, signed with another key.
    const { authorisationRequested } = await progress(caseId, (x) => x.authorisationRequested !== undefined);
    const forged = { ...bare, unit: 'case-handling', nonce: randomUUID(), authorisation: authorisationRequested };
    await raw.signal(decisionSignal, { ...forged, act: signDecision(otherKey, `case-${caseId}`, forged) });

    // A real approval through the control API (1 of 2), then tampering with it.
    const real = (await (await as('supervisor.li')).post(`/v1/cases/${caseId}/decisions`).send(approve)).body
      .decision as Decision;
    await raw.signal(decisionSignal, { ...real, decidedBy: 'supervisor.zhou', nonce: 'altered-1' });
    // The altered one is refused after its signature check (an activity); wait for it, then replay the real one.
    await progress(caseId, (x) => x.decisions.refused.length === 3);
    await raw.signal(decisionSignal, real);

    const p = await progress(caseId, (x) => x.decisions.refused.length === 4);
    expect(p.decisions.refused.map((r) => [r.via, r.code])).toEqual([
      ['update', 'decision-unsigned'],
      ['signal', 'decision-signature'],
      ['signal', 'decision-signature'],
      ['signal', 'decision-replayed'],
    ]);
    expect(p.decisions.accepted.map((d) => d.decidedBy)).toEqual(['supervisor.li']);
    expect(p).toMatchObject({ stage: 'AUTHORISATION', status: 'AWAITING_DECISION' });
    // A signature for another case does not approve this one either.
    const elsewhere = { ...real, unit: 'finance', nonce: randomUUID(), decidedBy: 'supervisor.zhou' };
    const signedForOther = {
      ...elsewhere,
      act: signDecision(DecisionSigningKey.parse(TEST_CONTROL_API_ENV.DECISION_SIGNING_KEY), 'case-OTHER', elsewhere),
    };
    await raw.signal(decisionSignal, signedForOther);
    const after = await progress(caseId, (x) => x.decisions.refused.length === 5);
    expect(after.decisions.refused[4]).toMatchObject({ via: 'signal', code: 'decision-signature' });
    expect(after.status).toBe('AWAITING_DECISION');
  });
});

describe('refused attempts, as a table: each refused with the right answer and recorded', () => {
  const stranger = createDevIssuer('https://other-issuer.example');
  const lastAudit = async (caseId: string) => (await audit.list({ caseId })).at(-1);
  const rawHandle = (caseId: string) =>
    new Client({ connection: env.connection, dataConverter: { payloadCodecs: [codec] } }).workflow.getHandle(
      `case-${caseId}`,
    );
  const lastRefusedInStatus = async (caseId: string, count: number) =>
    (await progress(caseId, (p) => p.decisions.refused.length === count)).decisions.refused.at(-1);

  /** Each row: what is tried, and what it answers and records. */
  const rows: Array<[string, () => Promise<{ answer: number | string; recorded: unknown }>, number | string, object]> =
    [
      [
        'no token',
        async () => {
          const caseId = await registered();
          const res = await request(app).get(`/v1/cases/${caseId}`);
          return { answer: res.status, recorded: await lastAudit(caseId) };
        },
        401,
        { kind: 'access.refused', actor: 'anonymous', data: { reason: 'no-token' } },
      ],
      [
        'an expired token',
        async () => {
          const caseId = await registered();
          const old = Math.floor(Date.now() / 1000) - 7200;
          const token = await issuer.sign({
            sub: 'supervisor.li',
            roles: ['supervisor'],
            issuedAt: old,
            expiresIn: 3600,
          });
          const res = await request(app)
            .post(`/v1/cases/${caseId}/decisions`)
            .set('authorization', `Bearer ${token}`)
            .send(approve);
          return { answer: res.status, recorded: await lastAudit(caseId) };
        },
        401,
        { kind: 'access.refused', data: { reason: 'token-expired' } },
      ],
      [
        'a token from another issuer',
        async () => {
          const caseId = await registered();
          const token = await (await stranger).sign({ sub: 'supervisor.li', roles: ['supervisor'] });
          const res = await request(app)
            .post(`/v1/cases/${caseId}/decisions`)
            .set('authorization', `Bearer ${token}`)
            .send(approve);
          return { answer: res.status, recorded: await lastAudit(caseId) };
        },
        401,
        { kind: 'access.refused', data: { reason: 'unknown-key' } },
      ],
      [
        'the wrong role (an FX officer approving the disposal plan)',
        async () => {
          const caseId = await registered();
          const res = await (await as('fx.officer.wang')).post(`/v1/cases/${caseId}/decisions`).send(approve);
          return { answer: res.status, recorded: await lastAudit(caseId) };
        },
        403,
        { kind: 'decision.refused', actor: 'fx.officer.wang', data: { refusal: 'urn:vcdc:problem:decision-role' } },
      ],
      [
        'the requester approving their own case',
        async () => {
          const caseId = await registered();
          const requesterAsSupervisor = await as('officer.zhang', ['supervisor']);
          const res = await requesterAsSupervisor.post(`/v1/cases/${caseId}/decisions`).send(approve);
          return { answer: res.status, recorded: await lastAudit(caseId) };
        },
        422,
        { kind: 'decision.refused', actor: 'officer.zhang', data: { refusal: 'urn:vcdc:problem:four-eyes' } },
      ],
      [
        'one supervisor (approving twice) above the quorum threshold',
        async () => {
          const caseId = await registered();
          const li = await as('supervisor.li');
          await li.post(`/v1/cases/${caseId}/decisions`).send(approve);
          const res = await li.post(`/v1/cases/${caseId}/decisions`).send(approve);
          expect((await progress(caseId, () => true)).status).toBe('AWAITING_DECISION');
          return { answer: res.status, recorded: await lastAudit(caseId) };
        },
        422,
        { kind: 'decision.refused', actor: 'supervisor.li', data: { refusal: 'urn:vcdc:problem:quorum-same-person' } },
      ],
      [
        'a replayed decision (a signed approval sent again, straight to Temporal)',
        async () => {
          const caseId = await registered();
          const res = await (await as('supervisor.li')).post(`/v1/cases/${caseId}/decisions`).send(approve);
          await rawHandle(caseId).signal(decisionSignal, res.body.decision);
          const refused = await lastRefusedInStatus(caseId, 1);
          return { answer: refused?.code ?? 'none', recorded: refused };
        },
        'decision-replayed',
        { via: 'signal', code: 'decision-replayed' },
      ],
      [
        'an unsigned Update sent with the Temporal client',
        async () => {
          const caseId = await registered();
          const bare = { stage: 'DISPOSAL_PLAN', outcome: 'APPROVE', decidedBy: 'supervisor.li', role: 'supervisor' };
          const error = await rawHandle(caseId)
            .executeUpdate(decide, { args: [{ ...bare, decidedAt: new Date().toISOString() } as Decision] })
            .then(
              () => undefined,
              (e: WorkflowUpdateFailedError) => e,
            );
          return {
            answer: (error?.cause as { type?: string } | undefined)?.type ?? 'accepted',
            recorded: await lastRefusedInStatus(caseId, 1),
          };
        },
        'decision-unsigned',
        { via: 'update', code: 'decision-unsigned' },
      ],
      [
        'a service called without its credential',
        async () => {
          const lines: Array<Record<string, unknown>> = [];
          const logger = pino({ level: 'warn' }, { write: (l: string) => lines.push(JSON.parse(l)) });
          const migrationsDir = path.join(__dirname, '../../packages/shared/test/fixtures/migrations');
          const serviceUrl = await provisionForTest(databaseUrl, { schema: 'credential_check', dir: migrationsDir });
          const service = await startService({
            name: 'treasury',
            config: { PORT: 0, HOST: '127.0.0.1', DATABASE_URL: serviceUrl, DB_SCHEMA: 'credential_check' },
            migrationsDir,
            logger,
            serviceToken: 'k'.repeat(40),
            buildApp: () =>
              createServiceApp({
                service: 'treasury',
                logger,
                readiness: async () => undefined,
                routes: () => undefined,
              }),
          });
          try {
            const res = await fetch(`${service.url}/v1/cases/X/statement`);
            return { answer: res.status, recorded: lines.at(-1) };
          } finally {
            await service.close();
          }
        },
        401,
        { msg: 'call refused: no valid service credential', path: '/v1/cases/X/statement' },
      ],
    ];

  test.each(rows)('%s', async (_what, attempt, answer, recorded) => {
    const result = await attempt();
    expect(result.answer).toBe(answer);
    expect(result.recorded).toMatchObject(recorded);
  });
});
