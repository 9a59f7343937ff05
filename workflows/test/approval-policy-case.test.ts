/**
 * The approval policy on a case, through the control API: judged on what custody received, not on
 * the declaration. A case declared as 1 ETH whose sweep brought 200 ETH (CNY 4.28 million at the
 * reference price) needs two approvers from two units; one supervisor alone no longer moves it.
 */
import { randomUUID } from 'node:crypto';
import type { AuditChain, Pool } from '@vcdc/shared';
import type { Express } from 'express';
import { createControlApi } from '../../control-api/src/app';
import { createDevIssuer, type DevIssuer } from '../../control-api/src/dev-issuer';
import {
  type CaseTemporal,
  requestsAs,
  startCaseTemporal,
  testControlApiDeps,
} from '../../test/support/control-api-harness';
import type { CaseProgress } from '../src/workflow/case-state';
import { testAuditChain } from './audit-support';
import { createFakeActivities, sampleRegistration } from './fake-services';

let temporal: CaseTemporal;
let app: Express;
let issuer: DevIssuer;
let audit: AuditChain;
let pool: Pool;
const fake = createFakeActivities({ received: { L2: '200' } });
const taskQueue = `policy-${randomUUID()}`;

beforeAll(async () => {
  temporal = await startCaseTemporal(taskQueue, fake);
  issuer = await createDevIssuer();
  ({ audit, pool } = await testAuditChain('approval_policy_case'));
  app = createControlApi(testControlApiDeps({ audit, issuer, client: temporal.env.client, taskQueue }));
}, 180_000);

afterAll(async () => {
  await temporal?.teardown();
  await pool?.end();
});

const as = async (person: string, roles?: string[], unit?: string) => {
  const token = roles
    ? await issuer.sign({ sub: person, roles, ...(unit ? { unit } : {}) })
    : await issuer.mint(person);
  return requestsAs(app, token);
};

async function progress(caseId: string, test: (p: CaseProgress) => boolean): Promise<CaseProgress> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await (await as('auditor.qian')).get(`/v1/cases/${caseId}`);
    if (res.status === 200 && test(res.body)) return res.body;
    if (Date.now() > deadline) throw new Error(`timed out waiting for case ${caseId}: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('declared 1 ETH, received 200: two approvers from two units, judged on what was received', async () => {
  const caseId = `POL-${randomUUID().slice(0, 8)}`;
  const base = sampleRegistration(caseId);
  const ethLot = { ...(base.lots as Array<Record<string, unknown>>)[1], declaredAmount: '1' };
  const registered = await (await as('officer.zhang')).post('/v1/cases').send({ ...base, lots: [ethLot] });
  expect(registered.status).toBe(201);
  const waiting = await progress(caseId, (p) => p.awaiting?.stage === 'DISPOSAL_PLAN');

  // 200 ETH at the reference price 3011.17 USD and 7.1 CNY a dollar: the second tier.
  expect(waiting.valuation).toMatchObject({ valueCny: '4275861.40', usdCny: '7.1' });
  expect(waiting.authorisationRequested).toMatchObject({
    caseId,
    venue: 'hashkey',
    assets: [{ asset: 'ETH', maxAmount: '200' }],
    policy: { approvals: 2, units: 2, senior: false, valueCny: '4275861.40' },
  });

  const approve = { stage: 'DISPOSAL_PLAN', outcome: 'APPROVE', reason: 'plan checked' };
  const first = await (await as('supervisor.li')).post(`/v1/cases/${caseId}/decisions`).send(approve);
  expect(first.status).toBe(200);
  expect(first.body).toMatchObject({
    movesTo: { stage: 'AUTHORISATION', status: 'AWAITING_DECISION' },
    approvals: { given: 1, required: 2 },
  });
  // The approver signed exactly what the case asked for.
  expect(first.body.decision.authorisation).toEqual(waiting.authorisationRequested);

  // A second supervisor of the same unit makes two people, not two units: the case still waits.
  const sameUnit = await (await as('supervisor.wen', ['supervisor'], 'case-handling'))
    .post(`/v1/cases/${caseId}/decisions`)
    .send(approve);
  expect(sameUnit.status).toBe(200);
  expect(sameUnit.body.movesTo).toEqual({ stage: 'AUTHORISATION', status: 'AWAITING_DECISION' });
  expect((await progress(caseId, () => true)).details).toContain('approvers from 1 more unit(s)');

  // A supervisor of the finance unit completes the quorum; the coins move under all three approvals.
  const finance = await (await as('supervisor.zhou')).post(`/v1/cases/${caseId}/decisions`).send(approve);
  expect(finance.status).toBe(200);
  expect(finance.body.movesTo.stage).toBe('TRANSFER');
  await progress(caseId, (p) => (p.transfers[0]?.transfer ?? p.transfers[0]?.testTransfer) !== undefined);
  const transfer = fake.requestTransfer.mock.calls.find(([body]) => body.caseId === caseId)?.[0];
  expect(transfer?.approvals?.map((d) => [d.decidedBy, d.unit])).toEqual([
    ['supervisor.li', 'case-handling'],
    ['supervisor.wen', 'case-handling'],
    ['supervisor.zhou', 'finance'],
  ]);
});
