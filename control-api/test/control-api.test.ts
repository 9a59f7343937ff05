/**
 * The control API against a real Temporal dev server (Temporal CLI), with the case worker running
 * on activities that behave like the services. Real HTTP through supertest on the express app.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { type AuditChain, createPool, type Pool } from '@vcdc/shared';
import type { Express } from 'express';
import request from 'supertest';
import {
  type CaseTemporal,
  eventually,
  requestsAs,
  startCaseTemporal,
  testControlApiDeps,
  tokensFor,
} from '../../test/support/control-api-harness';
import type { CaseProgress } from '../../workflows/src/workflow/case-state';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/src/workflow/shared';
import { TEST_CONTROL_API_ENV, testAuditChain } from '../../workflows/test/audit-support';
import { createFakeActivities, sampleRegistration } from '../../workflows/test/fake-services';
import { createControlApi } from '../src/app';
import { ControlApiConfig, registrationDefaults } from '../src/config';
import { createDevIssuer } from '../src/dev-issuer';

let temporal: CaseTemporal;
let env: TestWorkflowEnvironment;
let app: Express;
/** The people of these tests and their roles; officer.li is also a supervisor (to meet the four-eyes rule). */
const PEOPLE = {
  'officer.li': ['case-officer', 'supervisor'],
  'officer.wu': ['case-officer'],
  'supervisor.zhang': ['supervisor'],
  'fx.chen': ['fx-officer'],
} as const;
type Person = keyof typeof PEOPLE;
let tokens: Record<Person, string>;
/** Requests to the control API as one person (their bearer token). */
const as = (person: Person) => requestsAs(app, tokens[person]);
const fake = createFakeActivities();
const taskQueue = `control-api-${randomUUID()}`;
/** The control API's clock, fixed for the test (a decision's act is valid from it, so it is today). */
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const defaults = registrationDefaults(
  ControlApiConfig.parse({ ...TEST_CONTROL_API_ENV, DEFAULT_OFFSHORE_BANK_ACCOUNT_ID: 'HK-DEFAULT-9' }),
);
let auditPool: Pool;
let audit: AuditChain;
let idempotencyPool: Pool;

beforeAll(async () => {
  temporal = await startCaseTemporal(taskQueue, fake);
  env = temporal.env;
  const issuer = await createDevIssuer();
  tokens = await tokensFor(issuer, PEOPLE);
  const chain = await testAuditChain('control_api');
  auditPool = chain.pool;
  audit = chain.audit;
  idempotencyPool = createPool(chain.databaseUrl, 'audit', 4);
  app = createControlApi({
    ...testControlApiDeps({ audit, issuer, client: env.client, taskQueue }),
    idempotency: idempotencyPool,
    defaults,
    now: () => NOW,
  });
}, 180_000);

afterAll(async () => {
  await temporal?.teardown();
  await auditPool?.end();
  await idempotencyPool?.end();
});

function minimal(caseId: string): Record<string, unknown> {
  const { disposal: _d, fx: _f, treasury: _t, ...rest } = sampleRegistration(caseId);
  return rest;
}
const newCaseId = () => `CA-${randomUUID().slice(0, 8)}`;

async function progress(caseId: string, test: (p: CaseProgress) => boolean): Promise<CaseProgress> {
  return eventually(
    async () => {
      const res = await as('officer.li').get(`/v1/cases/${caseId}`);
      return res.status === 200 && test(res.body) ? (res.body as CaseProgress) : undefined;
    },
    `case ${caseId} progress`,
    20_000,
  );
}

/** How many runs the case's workflow has, once visibility lists one (it may lag the start). */
const caseRuns = (caseId: string): Promise<number> =>
  eventually(
    async () => {
      const n = await env.client.workflow.count(`WorkflowId = 'case-${caseId}'`);
      return n.count > 0 ? n.count : undefined;
    },
    'visibility',
    20_000,
  );

const supervisor = { stage: 'DISPOSAL_PLAN', outcome: 'APPROVE', decidedBy: 'supervisor.zhang', role: 'supervisor' };

describe('control API', () => {
  test('a minimal registration starts the case with the configured defaults and answers 201', async () => {
    const caseId = newCaseId();
    const res = await as('officer.li').post('/v1/cases').send(minimal(caseId));
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/v1/cases/${caseId}`);
    expect(res.body).toMatchObject({
      caseId,
      workflowId: `case-${caseId}`,
      registrationSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });

    const p = await progress(caseId, (x) => x.status === 'AWAITING_DECISION');
    expect(p).toMatchObject({ caseId, stage: 'AUTHORISATION', agency: 'Beijing Public Security Bureau' });
    const description = await env.client.workflow.getHandle(`case-${caseId}`).describe();
    expect(description.memo).toEqual({ registrationSha256: res.body.registrationSha256 });
    expect(description.typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS[0]!)).toBe(caseId);
    const [registration] =
      (await env.client.workflow.getHandle(`case-${caseId}`).fetchHistory()).events?.[0]
        ?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
    const input = JSON.parse(Buffer.from(registration?.data ?? []).toString());
    expect(input.disposal).toEqual({
      venue: 'hashkey',
      stablecoin: 'USDT',
      fiat: 'USD',
      offshoreBankAccountId: 'HK-DEFAULT-9',
      // DEFAULT_SALE_SLICES / DEFAULT_SALE_HORIZON_SECONDS of the test environment.
      execution: { slices: 2, horizonSeconds: 2 },
    });
    expect(input.treasury).toEqual({ budgetClassificationCode: '1030501' });
  });

  test('the same registration posted twice starts one workflow and gets the same answer (200 the second time)', async () => {
    const caseId = newCaseId();
    const body = sampleRegistration(caseId);
    const first = await as('officer.li').post('/v1/cases').set('Idempotency-Key', 'k1').send(body);
    const second = await as('officer.li').post('/v1/cases').send(body);
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(await caseRuns(caseId)).toBe(1);
  });

  test('a registration posted again after its case has ended answers the same and does not start it again', async () => {
    const caseId = newCaseId();
    const first = await as('officer.li').post('/v1/cases').send(minimal(caseId));
    await progress(caseId, (p) => p.status === 'AWAITING_DECISION');
    await as('supervisor.zhang')
      .post(`/v1/cases/${caseId}/decisions`)
      .send({ ...supervisor, outcome: 'REJECT', reason: 'no' });
    await progress(caseId, (p) => p.status === 'REJECTED');
    const again = await as('officer.li').post('/v1/cases').send(minimal(caseId));
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect((await as('officer.li').get(`/v1/cases/${caseId}`)).body.status).toBe('REJECTED');
  });

  test('the same case id with another registration is refused with 409 case-conflict and the case is unchanged', async () => {
    const caseId = newCaseId();
    expect((await as('officer.li').post('/v1/cases').send(minimal(caseId))).status).toBe(201);
    // The same body from another case officer is another registration: requestedBy comes from the token.
    const res = await as('officer.wu').post('/v1/cases').send(minimal(caseId));
    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ type: 'urn:vcdc:problem:case-conflict', caseId });
    const p = await progress(caseId, () => true);
    expect(p.requestedBy).toBe('officer.li');
  });

  test('an invalid registration is refused with 400 naming the field, and nothing is started', async () => {
    const caseId = newCaseId();
    const body = sampleRegistration(caseId);
    (body.lots[0] as { chain: string }).chain = 'ethereum';
    (body.lots[1] as { declaredAmount: string }).declaredAmount = '-1';
    (body.disposal as Record<string, unknown>).route = { mode: 'SOMETIMES', minDepthMultiple: '0.5' };
    const res = await as('officer.li').post('/v1/cases').send(body);
    expect(res.status).toBe(400);
    expect(res.body.type).toBe('urn:vcdc:problem:validation');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'lots[0].chain',
      'lots[1].declaredAmount',
      'disposal.route.mode',
      'disposal.route.minDepthMultiple',
    ]);
    expect((await as('officer.li').get(`/v1/cases/${caseId}`)).status).toBe(404);
  });

  test('an unknown case is 404 for its status and for a decision; a malformed case id is 400', async () => {
    const status = await as('officer.li').get('/v1/cases/NOPE-1');
    expect(status.status).toBe(404);
    expect(status.body.type).toBe('urn:vcdc:problem:not-found');
    const decision = await as('supervisor.zhang').post('/v1/cases/NOPE-1/decisions').send(supervisor);
    expect(decision.status).toBe(404);
    expect((await as('officer.li').get('/v1/cases/bad%20id')).status).toBe(400);
  });

  test('decisions through the API: refused ones answer the reason and leave history untouched; an approval moves the case', async () => {
    const caseId = newCaseId();
    await as('officer.li').post('/v1/cases').send(minimal(caseId));
    await progress(caseId, (p) => p.status === 'AWAITING_DECISION');
    const handle = env.client.workflow.getHandle(`case-${caseId}`);
    const before = (await handle.fetchHistory()).events?.length;

    const own = await as('officer.li')
      .post(`/v1/cases/${caseId}/decisions`)
      .send({ ...supervisor, decidedBy: 'officer.li' });
    expect(own.status).toBe(422);
    expect(own.body).toMatchObject({ type: 'urn:vcdc:problem:four-eyes' });
    expect(own.body.detail).toContain('four-eyes');
    const early = await as('fx.chen').post(`/v1/cases/${caseId}/decisions`).send({
      stage: 'FX_DECLARATION',
      outcome: 'APPROVE',
      decidedBy: 'fx.chen',
      role: 'fx-officer',
      reference: 'R-1',
    });
    expect(early.status).toBe(409);
    expect(early.body.type).toBe('urn:vcdc:problem:decision-not-awaited');
    const malformed = await as('supervisor.zhang')
      .post(`/v1/cases/${caseId}/decisions`)
      .send({ ...supervisor, outcome: 'MAYBE' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0].field).toBe('outcome');
    // A real server drops the speculative task that ran a refused Update's validator: nothing was written.
    expect((await handle.fetchHistory()).events?.length).toBe(before);

    const ok = await as('supervisor.zhang').post(`/v1/cases/${caseId}/decisions`).send(supervisor);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({
      decision: {
        ...supervisor,
        decidedAt: NOW.toISOString(),
        nonce: expect.any(String),
        unit: 'unassigned',
        // What the supervisor approved: the case's assets at most as received, under the policy's first tier.
        authorisation: expect.objectContaining({
          caseId,
          assets: [
            { asset: 'BTC', maxAmount: '1.25' },
            { asset: 'ETH', maxAmount: '10.5' },
          ],
          policy: expect.objectContaining({ approvals: 1, units: 1, senior: false }),
        }),
        act: {
          act: expect.objectContaining({
            kind: 'case.decision',
            actor: { id: 'supervisor.zhang', role: 'supervisor', unit: 'unassigned' },
          }),
          keyId: expect.stringMatching(/^[0-9a-f]{16}$/),
          signature: expect.any(String),
        },
      },
      movesTo: { stage: 'TRANSFER', status: 'RUNNING' },
    });
    const fx = await progress(caseId, (p) => p.awaiting?.stage === 'FX_DECLARATION');
    expect(fx.stage).toBe('FX');
    expect(fx.withdrawal?.bankAccountId).toBe('HK-DEFAULT-9');

    const approved = await as('fx.chen').post(`/v1/cases/${caseId}/decisions`).send({
      stage: 'FX_DECLARATION',
      outcome: 'APPROVE',
      decidedBy: 'fx.chen',
      role: 'fx-officer',
      reference: 'SAFE-7',
    });
    expect(approved.status).toBe(200);
    // The bank's FX officer records the settlement; a tranche above what is left is refused, naming the field.
    const settling = await progress(caseId, (p) => p.awaiting?.stage === 'FX_SETTLEMENT');
    const remaining = settling.fxSettlement?.remaining ?? '';
    const tooMuch = await as('fx.chen')
      .post(`/v1/cases/${caseId}/decisions`)
      .send({
        stage: 'FX_SETTLEMENT',
        outcome: 'APPROVE',
        settlement: { amount: `${remaining}1`, bankReference: 'B-1' },
      });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.detail).toContain('settlement.amount');
    const settled = await as('fx.chen')
      .post(`/v1/cases/${caseId}/decisions`)
      .send({ stage: 'FX_SETTLEMENT', outcome: 'APPROVE', settlement: { amount: remaining, bankReference: 'B-1' } });
    expect(settled.status).toBe(200);
    // Before money leaves the special account, a supervisor approves the pay-out.
    const payOut = await progress(caseId, (p) => p.awaiting?.stage === 'REMITTANCE');
    expect(payOut.stage).toBe('TREASURY');
    const remit = await as('supervisor.zhang')
      .post(`/v1/cases/${caseId}/decisions`)
      .send({ stage: 'REMITTANCE', outcome: 'APPROVE', decidedBy: 'supervisor.zhang', role: 'supervisor' });
    expect(remit.status).toBe(200);
    const done = await progress(caseId, (p) => p.status === 'COMPLETED');
    expect(done.reconciliation?.ok).toBe(true);

    const late = await as('supervisor.zhang').post(`/v1/cases/${caseId}/decisions`).send(supervisor);
    expect(late.status).toBe(409);
    expect(late.body.type).toBe('urn:vcdc:problem:case-closed');
  });

  test('Idempotency-Key on a decision: the same key and body answer the same 200 and move the case once; another body is 409', async () => {
    const caseId = newCaseId();
    await as('officer.li').post('/v1/cases').send(minimal(caseId));
    await progress(caseId, (p) => p.status === 'AWAITING_DECISION');
    const decide = (person: Person, body: Record<string, unknown>, key?: string) => {
      const req = as(person).post(`/v1/cases/${caseId}/decisions`);
      return (key ? req.set('Idempotency-Key', key) : req).send(body);
    };

    const first = await decide('supervisor.zhang', supervisor, 'approve-1');
    expect(first.status).toBe(200);
    expect(first.body.movesTo).toEqual({ stage: 'TRANSFER', status: 'RUNNING' });
    // The client lost that answer and retries: it gets the same answer, not 409 decision-not-awaited.
    const retry = await decide('supervisor.zhang', supervisor, 'approve-1');
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers['idempotent-replayed']).toBe('true');

    const otherBody = await decide('supervisor.zhang', { ...supervisor, outcome: 'REJECT', reason: 'no' }, 'approve-1');
    expect(otherBody.status).toBe(409);
    expect(otherBody.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(otherBody.body.type).toBe('urn:vcdc:problem:idempotency-key-reused');
    // Keys are per person: the same key and body from another caller is their own request (refused:
    // the decision is no longer awaited), never zhang's stored answer.
    const otherPerson = await decide('officer.li', supervisor, 'approve-1');
    expect(otherPerson.status).toBe(409);
    expect(otherPerson.body.type).toBe('urn:vcdc:problem:decision-not-awaited');
    expect(otherPerson.headers['idempotent-replayed']).toBeUndefined();
    // Without a key a repeat is still safe: the workflow refuses it.
    const keyless = await decide('supervisor.zhang', supervisor);
    expect(keyless.status).toBe(409);
    expect(keyless.body.type).toBe('urn:vcdc:problem:decision-not-awaited');

    // The case moved once: one accepted decision, one accepted Update in its history, one audit record.
    const p = await progress(caseId, (x) => x.stage !== 'AUTHORISATION');
    expect(p.decisions.accepted).toHaveLength(1);
    expect(p.decisions.accepted[0]?.nonce).toBe(first.body.decision.nonce);
    const history = await env.client.workflow.getHandle(`case-${caseId}`).fetchHistory();
    expect(history.events?.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toHaveLength(1);
    const records = await audit.list({ caseId, limit: 1000 });
    expect(records.filter((r) => r.kind === 'decision.accepted')).toHaveLength(1);
  });

  test('a registration is keyed by its case id alone: concurrent and repeated posts start one case, whatever Idempotency-Key they carry', async () => {
    const caseId = newCaseId();
    // Three at once, two with a key and one without: one start, the others answer the same case.
    const posts = await Promise.all(
      [`reg-${caseId}`, `other-${caseId}`, undefined].map((key) => {
        const req = as('officer.li').post('/v1/cases');
        return (key ? req.set('Idempotency-Key', key) : req).send(minimal(caseId));
      }),
    );
    expect(posts.map((r) => r.status).sort()).toEqual([200, 200, 201]);
    const first = posts.find((r) => r.status === 201)!;
    for (const r of posts) expect(r.body).toEqual(first.body);
    // The key that went with the case is no key of its own: another body under it is the case's conflict.
    const other = await as('officer.li')
      .post('/v1/cases')
      .set('Idempotency-Key', `reg-${caseId}`)
      .send({ ...minimal(caseId), agency: 'Shanghai Court No. 2' });
    expect(other.status).toBe(409);
    expect(other.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(other.body.type).toBe('urn:vcdc:problem:case-conflict');
    expect(await caseRuns(caseId)).toBe(1);
    expect((await audit.list({ caseId, limit: 100 })).filter((r) => r.kind === 'case.registered')).toHaveLength(1);
  });

  test('cases are listed from Temporal visibility, filtered by status, stage and agency; filters are validated', async () => {
    const waiting = newCaseId();
    const rejected = newCaseId();
    await as('officer.li').post('/v1/cases').send(minimal(waiting));
    await as('officer.li')
      .post('/v1/cases')
      .send({ ...minimal(rejected), agency: 'Shanghai Court No. 2' });
    await progress(rejected, (p) => p.status === 'AWAITING_DECISION');
    await as('supervisor.zhang')
      .post(`/v1/cases/${rejected}/decisions`)
      .send({ ...supervisor, outcome: 'REJECT', reason: 'wrong venue' });

    const listed = (query: string) =>
      eventually(
        async () => {
          const res = await as('officer.li').get(`/v1/cases?${query}`);
          expect(res.status).toBe(200);
          const ids = res.body.cases.map((c: { caseId: string }) => c.caseId);
          return ids.includes(rejected) || ids.includes(waiting) ? res.body.cases : undefined;
        },
        query,
        20_000,
      );

    const rejectedOnes = await listed('status=REJECTED');
    expect(rejectedOnes.every((c: { status: string }) => c.status === 'REJECTED')).toBe(true);
    expect(rejectedOnes.find((c: { caseId: string }) => c.caseId === rejected)).toMatchObject({
      workflowId: `case-${rejected}`,
      agency: 'Shanghai Court No. 2',
      stage: 'AUTHORISATION',
      execution: 'COMPLETED',
      startTime: expect.any(String),
    });
    const awaitingOnes = await listed('status=AWAITING_DECISION&stage=AUTHORISATION');
    expect(awaitingOnes.map((c: { caseId: string }) => c.caseId)).toContain(waiting);
    expect(awaitingOnes.map((c: { caseId: string }) => c.caseId)).not.toContain(rejected);
    const byAgency = await listed(`agency=${encodeURIComponent('Shanghai Court No. 2')}`);
    expect(byAgency.map((c: { caseId: string }) => c.caseId)).toEqual([rejected]);

    const injection = await as('officer.li').get(`/v1/cases?agency=${encodeURIComponent("x' OR CaseId != '")}`);
    expect(injection.status).toBe(400);
    expect(injection.body.errors[0].field).toBe('agency');
    expect((await as('officer.li').get('/v1/cases?status=DONE')).status).toBe(400);
  });

  test('readiness reports Temporal reachable', async () => {
    const res = await request(app).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready', service: 'control-api' });
  });
});
