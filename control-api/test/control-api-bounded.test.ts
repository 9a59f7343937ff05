/**
 * Issue 14: the control API bounds every call to Temporal. With the case worker paused, a status read
 * and a decision used to hang for as long as the gRPC channel allowed (30-44 s were seen); now they
 * answer 503 temporal-not-answering with Retry-After, holding no database connection while they wait,
 * and a keyed decision retried once the worker is back is applied once. Real Temporal dev server,
 * real PostgreSQL, real HTTP through supertest.
 */
import { randomUUID } from 'node:crypto';
import { createPool, type Pool } from '@vcdc/shared';
import type { Express } from 'express';
import {
  type CaseTemporal,
  eventually,
  requestsAs,
  startCaseTemporal,
  testControlApiDeps,
  tokensFor,
} from '../../test/support/control-api-harness';
import { testAuditChain } from '../../workflows/test/audit-support';
import { createFakeActivities, sampleRegistration } from '../../workflows/test/fake-services';
import { createControlApi } from '../src/app';
import { createDevIssuer } from '../src/dev-issuer';

const PEOPLE = { 'officer.li': ['case-officer'], 'supervisor.zhang': ['supervisor'] } as const;
type Person = keyof typeof PEOPLE;
let tokens: Record<Person, string>;
const taskQueue = `bounded-${randomUUID()}`;
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const TIMEOUT_MS = 1500;

let temporal: CaseTemporal;
let worker: { stop: () => Promise<void> } | undefined;
let app: Express;
let auditPool: Pool;
let idempotencyPool: Pool;
let audit: Awaited<ReturnType<typeof testAuditChain>>['audit'];

const as = (person: Person) => requestsAs(app, tokens[person]);

async function startWorker(): Promise<void> {
  worker = await temporal.startWorker(createFakeActivities());
}

async function stopWorker(): Promise<void> {
  await worker?.stop();
  worker = undefined;
}

beforeAll(async () => {
  temporal = await startCaseTemporal(taskQueue);
  await startWorker();
  const issuer = await createDevIssuer();
  tokens = await tokensFor(issuer, PEOPLE);
  const chain = await testAuditChain('control_api_bounded');
  auditPool = chain.pool;
  audit = chain.audit;
  // One connection: a request that held it while waiting on Temporal would stop every other keyed request.
  idempotencyPool = createPool(chain.databaseUrl, 'audit', 1);
  app = createControlApi({
    ...testControlApiDeps({ audit: chain.audit, issuer, client: temporal.env.client, taskQueue }),
    idempotency: idempotencyPool,
    now: () => NOW,
    temporalCallTimeoutMs: TIMEOUT_MS,
  });
}, 180_000);

afterAll(async () => {
  await temporal?.teardown();
  await auditPool?.end();
  await idempotencyPool?.end();
});

// A cancellation goes straight to the case's Update (no status read first): the Update is what waits.
const cancel = { stage: 'CANCELLATION', outcome: 'APPROVE', reason: 'the court withdrew the confiscation order' };

test('with the worker paused, status and decisions answer 503 with Retry-After, hold no connection, and a keyed retry decides once (one Update)', async () => {
  const caseId = `CA-${randomUUID().slice(0, 8)}`;
  const registered = await as('officer.li').post('/v1/cases').send(sampleRegistration(caseId));
  expect(registered.status).toBe(201);
  await eventually(async () => {
    const res = await as('officer.li').get(`/v1/cases/${caseId}`);
    return res.status === 200 && res.body.awaiting?.stage === 'DISPOSAL_PLAN' ? true : undefined;
  }, 'the case to ask for DISPOSAL_PLAN');

  await stopWorker();

  // A status read needs a worker to answer its query: bounded, 503, told when to come back.
  const status = await as('officer.li').get(`/v1/cases/${caseId}`);
  expect(status.status).toBe(503);
  expect(status.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(status.body.type).toBe('urn:vcdc:problem:temporal-not-answering');
  expect(Number(status.headers['retry-after'])).toBeGreaterThan(0);

  // The decision waits on Temporal holding none of the key store's one connection: a query beside it gets it.
  let settled = false;
  const pendingDecision = as('supervisor.zhang')
    .post(`/v1/cases/${caseId}/decisions`)
    .set('Idempotency-Key', 'cancel-while-paused')
    .send(cancel)
    .then((r) => {
      settled = true;
      return r;
    });
  await eventually(async () => {
    const { rows } = await idempotencyPool.query(
      `SELECT 1 FROM idempotency_keys WHERE key LIKE '% cancel-while-paused'`,
    );
    return rows.length === 1 ? true : undefined;
  }, 'the decision to claim its key');
  expect(settled).toBe(false);
  const decision = await pendingDecision;
  expect(decision.status).toBe(503);
  expect(decision.body.type).toBe('urn:vcdc:problem:temporal-not-answering');
  expect(Number(decision.headers['retry-after'])).toBeGreaterThan(0);
  // The chain says the outcome is unknown, not that the decision was refused.
  const records = await audit.list({ caseId, limit: 1000 });
  expect(records.filter((r) => r.kind === 'decision.outcome-unknown')).toHaveLength(1);
  expect(records.filter((r) => r.kind === 'decision.refused')).toHaveLength(0);

  // The worker is back; the supervisor retries with the same key: one decision, whatever reached the case first.
  await startWorker();
  const retry = await eventually(async () => {
    const res = await as('supervisor.zhang')
      .post(`/v1/cases/${caseId}/decisions`)
      .set('Idempotency-Key', 'cancel-while-paused')
      .send(cancel);
    return res.status === 503 ? undefined : res;
  }, 'the retried decision to be answered');
  expect(retry.status).toBe(200);
  expect(retry.body.movesTo.status).toBe('CANCELLED');
  const progress = await eventually(async () => {
    const res = await as('officer.li').get(`/v1/cases/${caseId}`);
    return res.status === 200 && res.body.status === 'CANCELLED' ? res.body : undefined;
  }, 'the case to be cancelled');
  expect(progress.decisions.accepted.filter((d: { stage: string }) => d.stage === 'CANCELLATION')).toHaveLength(1);
  const history = await temporal.env.client.workflow.getHandle(`case-${caseId}`).fetchHistory();
  expect(history.events?.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toHaveLength(1);
}, 180_000);
