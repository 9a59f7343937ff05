/**
 * Issue #11 in the treasury: no pay-out and no judgment without a person's signed decision, which the
 * workflow carries and this service verifies again; the person booked is the decision's. The escrow and
 * a restitution order are the workflow's steps. A correction is two different people's forwarded acts.
 * Every refusal is a problem answer and a record in the audit chain.
 */
import type { Actor, Pool } from '@vcdc/shared';
import type { treasury } from '@vcdc/shared/contracts';
import type { Express } from 'express';
import request from 'supertest';
import { actHeader, PEOPLE, signedDecision, testActKeys } from '../../../test/support/acts';
import { type StartedService, startTreasury } from '../../../test/support/fx-treasury';
import { TREASURY_ROUTES } from '../src/api';

const HASH = 'cd'.repeat(32);
const acts = testActKeys();
/** Another key than the control API's: what a forger signs with. */
const forger = testActKeys();
let started: StartedService;
let pool: Pool;
let app: Express;
let keys = 0;

beforeAll(async () => {
  started = await startTreasury({ database: 'treasury_acts', verifyKeys: acts.verifyKeys, connections: 3 });
  ({ pool, app } = started);
});
afterAll(() => started?.close());

const post = (route: string, body: object, headers: Record<string, string> = {}) =>
  request(app).post(route).set('Idempotency-Key', `acts-${++keys}`).set(headers).send(body);
const credit = (caseId: string, amount = '100.00') =>
  post('/v1/credits', { caseId, agency: 'Agency', amount, fxSettlementId: `fxs-${++keys}`, bankReference: 'b' }).expect(
    201,
  );
const escrow = (caseId: string) =>
  post('/v1/escrows', { caseId, agency: 'Agency', reason: 'pre-trial sale', workflowId: `case-${caseId}` });
const statement = async (caseId: string) => (await request(app).get(`/v1/cases/${caseId}/statement`).expect(200)).body;

/** A supervisor's REMITTANCE approval naming its pay-out (by default: to the treasury, a generous cap). */
const remittanceApproval = (
  caseId: string,
  by: Actor = PEOPLE.supervisor,
  payout: Partial<treasury.PayoutAuthorisation> = {},
) =>
  signedDecision(acts.signingKey, caseId, by, {
    stage: 'REMITTANCE',
    outcome: 'APPROVE',
    payout: { caseId, kind: 'TREASURY', amount: '1000000000.00', ...payout },
  });
const judgmentDecision = (
  caseId: string,
  outcome: 'CONFISCATION' | 'RESTITUTION' | 'ACQUITTAL',
  by: Actor = PEOPLE.supervisor,
) =>
  signedDecision(acts.signingKey, caseId, by, {
    stage: 'JUDGMENT',
    outcome: 'APPROVE',
    judgment: { judgmentRef: `J-${caseId}`, documentHash: HASH, outcome },
  });

type AuditRecord = { kind: string; actor: string; data: Record<string, unknown> };
async function chainOf(caseId: string): Promise<AuditRecord[]> {
  return (await request(app).get(`/v1/audit/records?view=acts&caseId=${caseId}&limit=1000`).expect(200)).body.records;
}
const refusalsOf = async (caseId: string) => (await chainOf(caseId)).filter((r) => r.kind === 'request.refused');

/** Each step a decision authorises: how to bring a case to it, and the request given a decision. */
interface Step {
  stage: 'REMITTANCE' | 'JUDGMENT';
  prepare: (caseId: string) => Promise<Record<string, unknown>>;
  send: (caseId: string, decision: unknown, ctx: Record<string, unknown>) => request.Test;
  /** What must not have changed when refused. */
  untouched: (caseId: string) => Promise<void>;
}

const STEPS: Record<string, Step> = {
  remittance: {
    stage: 'REMITTANCE',
    prepare: async (caseId) => {
      await credit(caseId);
      return {};
    },
    send: (caseId, decision) =>
      post('/v1/remittances', { caseId, amount: '100.00', budgetClassificationCode: '1030501', decision }),
    untouched: async (caseId) => expect((await statement(caseId)).balance).toBe('100.00'),
  },
  'restitution distribution': {
    stage: 'REMITTANCE',
    prepare: async (caseId) => {
      await credit(caseId);
      const order = await post('/v1/restitution-orders', {
        caseId,
        courtOrderRef: `ORDER-${caseId}`,
        documentHash: HASH,
        method: 'PRO_RATA',
        victims: [{ victimId: 'V1', name: 'Wang', claimOrder: 1, loss: '50.00', recovered: '0.00', payeeAccount: 'a' }],
        workflowId: `case-${caseId}`,
      }).expect(201);
      return { restitutionOrderId: order.body.restitutionOrderId };
    },
    send: (caseId, decision, ctx) =>
      post('/v1/restitution-distributions', {
        caseId,
        restitutionOrderId: ctx.restitutionOrderId,
        amount: '100.00',
        decision,
      }),
    untouched: async (caseId) => expect((await statement(caseId)).balance).toBe('100.00'),
  },
  'return to the owner': {
    stage: 'REMITTANCE',
    prepare: async (caseId) => {
      await escrow(caseId).expect(201);
      await credit(caseId);
      await post('/v1/judgments', { caseId, decision: judgmentDecision(caseId, 'ACQUITTAL') }).expect(201);
      return {};
    },
    send: (caseId, decision) =>
      post('/v1/owner-returns', { caseId, ownerName: 'Zhao Lei', payeeAccount: '6222', amount: '100.00', decision }),
    untouched: async (caseId) => expect((await statement(caseId)).balance).toBe('100.00'),
  },
  judgment: {
    stage: 'JUDGMENT',
    prepare: async (caseId) => {
      await escrow(caseId).expect(201);
      return {};
    },
    send: (caseId, decision) => post('/v1/judgments', { caseId, decision }),
    untouched: async (caseId) => {
      const { rows } = await pool.query('SELECT released_at FROM escrows WHERE case_id = $1', [caseId]);
      expect(rows).toEqual([{ released_at: null }]);
    },
  },
};

/** A decision of the step's stage, with everything else as given. */
function decisionFor(
  step: Step,
  caseId: string,
  over: { key?: typeof acts; by?: Actor; outcome?: 'APPROVE' | 'REJECT' } = {},
) {
  return signedDecision((over.key ?? acts).signingKey, caseId, over.by ?? PEOPLE.supervisor, {
    stage: step.stage,
    outcome: over.outcome ?? 'APPROVE',
    ...(step.stage === 'JUDGMENT'
      ? { judgment: { judgmentRef: `J-${caseId}`, documentHash: HASH, outcome: 'CONFISCATION' as const } }
      : {}),
  });
}

const BAD: Array<[string, string, (step: Step, caseId: string) => unknown]> = [
  ['without a decision', 'act-missing', () => undefined],
  ['with a forged decision', 'act-signature', (step, caseId) => decisionFor(step, caseId, { key: forger })],
  [
    'with an altered decision',
    'act-content',
    (step, caseId) => {
      const d = decisionFor(step, caseId);
      return step.stage === 'JUDGMENT'
        ? { ...d, judgment: { ...d.judgment!, outcome: 'ACQUITTAL' } }
        : { ...d, reason: 'approved for twice the amount' };
    },
  ],
  ['with a decision on another case', 'act-content', (step) => decisionFor(step, 'CASE-ELSEWHERE')],
  ['with a REJECT decision', 'act-kind', (step, caseId) => decisionFor(step, caseId, { outcome: 'REJECT' })],
  [
    'with a decision of another stage',
    'act-kind',
    (step, caseId) =>
      step.stage === 'JUDGMENT'
        ? remittanceApproval(caseId)
        : signedDecision(acts.signingKey, caseId, PEOPLE.supervisor, { stage: 'SALE_PRICE', outcome: 'APPROVE' }),
  ],
  [
    'with a decision by a role that may not take it',
    'act-role',
    (step, caseId) => decisionFor(step, caseId, { by: PEOPLE.fxOfficer }),
  ],
];

const ROWS = Object.keys(STEPS).flatMap((name) => BAD.map(([words, type, make]) => [name, words, type, make] as const));

describe('no pay-out and no judgment without the right signed decision', () => {
  test.each(ROWS)('%s %s: 403 %s, nothing moves, the refusal in the audit chain', async (name, _words, type, make) => {
    const step = STEPS[name]!;
    const caseId = `CASE-B-${++keys}`;
    const ctx = await step.prepare(caseId);
    const res = await step.send(caseId, make(step, caseId), ctx);
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.type).toBe(`urn:vcdc:problem:${type}`);
    await step.untouched(caseId);
    const refused = await refusalsOf(caseId);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({
      actor: type === 'act-missing' ? 'machine' : 'unverified',
      data: { status: 403, type: `urn:vcdc:problem:${type}` },
    });
  });
});

describe("the person booked is the decision's, and the act is kept with the pay-out", () => {
  test("a remittance is approved by the decision's person", async () => {
    const caseId = 'CASE-P-REMIT';
    await credit(caseId);
    const decision = remittanceApproval(caseId, PEOPLE.secondSupervisor);
    const res = await post('/v1/remittances', {
      caseId,
      amount: '100.00',
      budgetClassificationCode: '1030501',
      decision,
    }).expect(201);
    expect(res.body.approvedBy).toBe(PEOPLE.secondSupervisor.id);
    const { rows } = await pool.query('SELECT approved_by FROM remittances WHERE remittance_id = $1', [
      res.body.remittanceId,
    ]);
    expect(rows).toEqual([{ approved_by: PEOPLE.secondSupervisor.id }]);
    const acted = await pool.query('SELECT kind, actor_id, case_id FROM signed_acts WHERE act_id = $1', [
      decision.act!.act.actId,
    ]);
    expect(acted.rows).toEqual([{ kind: 'case.decision', actor_id: PEOPLE.secondSupervisor.id, case_id: caseId }]);
    expect((await chainOf(caseId)).at(-1)).toMatchObject({
      kind: 'treasury.remittance.made',
      actor: PEOPLE.secondSupervisor.id,
    });
  });

  test("the judgment recorded is the decision's judgment, recorded by its person; escrow and order are the workflow's", async () => {
    const caseId = 'CASE-P-JUDGE';
    await escrow(caseId).expect(201);
    await credit(caseId);
    const judged = await post('/v1/judgments', {
      caseId,
      decision: judgmentDecision(caseId, 'RESTITUTION', PEOPLE.secondSupervisor),
    }).expect(201);
    expect(judged.body).toMatchObject({
      openedBy: `workflow:case-${caseId}`,
      status: 'RELEASED',
      judgment: {
        judgmentRef: `J-${caseId}`,
        documentHash: HASH,
        outcome: 'RESTITUTION',
        recordedBy: PEOPLE.secondSupervisor.id,
      },
    });
    const order = await post('/v1/restitution-orders', {
      caseId,
      courtOrderRef: 'ORDER-P',
      documentHash: HASH,
      method: 'CLAIM_ORDER',
      victims: [{ victimId: 'V1', name: 'Wang', claimOrder: 1, loss: '60.00', recovered: '0.00', payeeAccount: 'a' }],
      workflowId: `case-${caseId}`,
    }).expect(201);
    expect(order.body.registeredBy).toBe(`workflow:case-${caseId}`);
    const distributed = await post('/v1/restitution-distributions', {
      caseId,
      restitutionOrderId: order.body.restitutionOrderId,
      amount: '60.00',
      decision: remittanceApproval(caseId, PEOPLE.supervisor, {
        kind: 'RESTITUTION',
        restitutionOrderId: order.body.restitutionOrderId,
      }),
    }).expect(201);
    expect(distributed.body.approvedBy).toBe(PEOPLE.supervisor.id);
    expect((await chainOf(caseId)).map((r) => [r.kind, r.actor])).toEqual([
      ['treasury.escrow.opened', `workflow:case-${caseId}`],
      ['treasury.credit.booked', 'service:treasury'],
      ['treasury.judgment.recorded', PEOPLE.secondSupervisor.id],
      ['treasury.restitution-order.registered', `workflow:case-${caseId}`],
      ['treasury.restitution.paid', PEOPLE.supervisor.id],
    ]);
  });

  test.each([
    ['/v1/remittances', 'approvedBy', { amount: '1.00', budgetClassificationCode: '1030501' }],
    ['/v1/restitution-distributions', 'approvedBy', { restitutionOrderId: 'x', amount: '1.00' }],
    ['/v1/owner-returns', 'approvedBy', { ownerName: 'o', payeeAccount: 'p', amount: '1.00' }],
    ['/v1/judgments', 'recordedBy', {}],
    ['/v1/escrows', 'openedBy', { agency: 'Agency', reason: 'r', workflowId: 'case-x' }],
    ['/v1/restitution-orders', 'registeredBy', { workflowId: 'case-x' }],
    ['/v1/corrections', 'author', { line: 1, correctedAmount: '1.00', reason: 'r' }],
  ])('POST %s naming a person (%s) is refused 400 naming the field, and recorded', async (route, field, rest) => {
    const caseId = `CASE-N-${++keys}`;
    const res = await post(route, {
      caseId,
      ...rest,
      decision: remittanceApproval(caseId),
      [field]: PEOPLE.supervisor.id,
    }).expect(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field })]);
    expect((await refusalsOf(caseId)).map((r) => r.data.status)).toEqual([400]);
  });
});

describe('a correction: one treasury officer requests, another person approves', () => {
  const REASON = 'the bank credited 90.00';
  const requestAct = (caseId: string, body: object, actor: Actor = PEOPLE.treasuryOfficer, line = 1) =>
    actHeader(acts.signingKey, {
      kind: 'treasury.correction.request',
      actor,
      object: { type: 'credit', id: `${caseId}#${line}`, caseId },
      method: 'POST',
      path: '/v1/corrections',
      body,
    });
  const approveAct = (correctionId: string, caseId: string, actor: Actor) =>
    actHeader(acts.signingKey, {
      kind: 'treasury.correction.approve',
      actor,
      object: { type: 'correction', id: correctionId, caseId },
      method: 'POST',
      path: `/v1/corrections/${correctionId}/approval`,
      body: {},
    });
  async function requested(caseId: string) {
    await credit(caseId);
    const body = { caseId, line: 1, correctedAmount: '90.00', reason: REASON };
    const res = await post('/v1/corrections', body, requestAct(caseId, body)).expect(201);
    return res.body as { correctionId: string; author: string; status: string };
  }

  test('requested, it books nothing and waits; approved by another person, it books the reversal and new entry', async () => {
    const caseId = 'CASE-K-OK';
    const r = await requested(caseId);
    expect(r).toMatchObject({ author: PEOPLE.treasuryOfficer.id, status: 'PENDING_APPROVAL' });
    expect((await statement(caseId)).lines).toHaveLength(1);
    const approved = await post(
      `/v1/corrections/${r.correctionId}/approval`,
      {},
      approveAct(r.correctionId, caseId, PEOPLE.secondTreasuryOfficer),
    ).expect(201);
    expect(approved.body).toMatchObject({
      correctionId: r.correctionId,
      author: PEOPLE.treasuryOfficer.id,
      approver: PEOPLE.secondTreasuryOfficer.id,
      reversalLine: 2,
      correctionLine: 3,
    });
    expect((await statement(caseId)).balance).toBe('90.00');
    expect((await request(app).get(`/v1/corrections/${r.correctionId}`).expect(200)).body.status).toBe('APPLIED');
    // Approved once: a second approval is refused.
    const again = await post(
      `/v1/corrections/${r.correctionId}/approval`,
      {},
      approveAct(r.correctionId, caseId, PEOPLE.supervisor),
    ).expect(409);
    expect(again.body.type).toBe('urn:vcdc:problem:correction-already-applied');
  });

  test('the corrections waiting for approval are listed (of one case, or all), and an approved one leaves the list', async () => {
    const a = await requested('CASE-K-LIST-A');
    const b = await requested('CASE-K-LIST-B');
    const pending = async (query: string) =>
      (
        (await request(app).get(`/v1/corrections?${query}`).expect(200)).body.corrections as Array<{
          correctionId: string;
        }>
      ).map((c) => c.correctionId);
    const answer = (await request(app).get('/v1/corrections?status=PENDING_APPROVAL&caseId=CASE-K-LIST-A').expect(200))
      .body;
    // The table's response schema holds the whole answer (the typed client parses it; nothing is dropped).
    expect(TREASURY_ROUTES.listCorrections.response.parse(answer)).toEqual(answer);
    const listed = answer.corrections;
    expect(listed).toEqual([
      expect.objectContaining({
        correctionId: a.correctionId,
        caseId: 'CASE-K-LIST-A',
        line: 1,
        correctedAmount: '90.00',
        author: PEOPLE.treasuryOfficer.id,
        status: 'PENDING_APPROVAL',
      }),
    ]);
    expect(await pending('status=PENDING_APPROVAL')).toEqual(expect.arrayContaining([a.correctionId, b.correctionId]));
    await post(
      `/v1/corrections/${a.correctionId}/approval`,
      {},
      approveAct(a.correctionId, 'CASE-K-LIST-A', PEOPLE.secondTreasuryOfficer),
    ).expect(201);
    const after = await pending('status=PENDING_APPROVAL');
    expect(after).not.toContain(a.correctionId);
    expect(after).toContain(b.correctionId);
    // Only waiting corrections are listed: any other status is refused naming the field.
    const bad = await request(app).get('/v1/corrections?status=APPLIED').expect(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'status' })]);
  });

  test('its author cannot approve it (422 four-eyes), nothing is booked, and the refusal names them in the chain', async () => {
    const caseId = 'CASE-K-SELF';
    const r = await requested(caseId);
    const self = await post(
      `/v1/corrections/${r.correctionId}/approval`,
      {},
      approveAct(r.correctionId, caseId, PEOPLE.treasuryOfficer),
    ).expect(422);
    expect(self.body.type).toBe('urn:vcdc:problem:four-eyes');
    expect((await statement(caseId)).lines).toHaveLength(1);
    expect((await request(app).get(`/v1/corrections/${r.correctionId}`).expect(200)).body.status).toBe(
      'PENDING_APPROVAL',
    );
    const { records } = (await request(app).get('/v1/audit/records?view=acts&limit=1000').expect(200)).body;
    const refusal = (records as AuditRecord[]).find(
      (x) => x.kind === 'request.refused' && x.data.path === `/v1/corrections/${r.correctionId}/approval`,
    );
    expect(refusal).toMatchObject({ actor: PEOPLE.treasuryOfficer.id, data: { status: 422 } });
  });

  test('refused 403 and recorded: no act, a supervisor requesting, an act signed over another body, an approval for another correction', async () => {
    const caseId = 'CASE-K-BAD';
    await credit(caseId);
    const body = { caseId, line: 1, correctedAmount: '90.00', reason: REASON };
    const none = await post('/v1/corrections', body).expect(403);
    expect(none.body.type).toBe('urn:vcdc:problem:act-missing');
    const role = await post('/v1/corrections', body, requestAct(caseId, body, PEOPLE.supervisor)).expect(403);
    expect(role.body.type).toBe('urn:vcdc:problem:act-role');
    const other = await post('/v1/corrections', { ...body, correctedAmount: '10.00' }, requestAct(caseId, body)).expect(
      403,
    );
    expect(other.body.type).toBe('urn:vcdc:problem:act-content');
    expect((await refusalsOf(caseId)).map((r) => r.data.type)).toEqual([
      'urn:vcdc:problem:act-missing',
      'urn:vcdc:problem:act-role',
      'urn:vcdc:problem:act-content',
    ]);

    const a = await requested('CASE-K-A');
    const b = await requested('CASE-K-B');
    // The approval of a's correction, presented for b's.
    const header = approveAct(a.correctionId, 'CASE-K-A', PEOPLE.supervisor);
    const swapped = await post(`/v1/corrections/${b.correctionId}/approval`, {}, header).expect(403);
    expect(['urn:vcdc:problem:act-content', 'urn:vcdc:problem:act-object']).toContain(swapped.body.type);
    expect((await statement('CASE-K-B')).lines).toHaveLength(1);
  });
});

describe('a REMITTANCE approval pays only the pay-out it names', () => {
  async function caseWithOrder(caseId: string) {
    await credit(caseId);
    const order = await post('/v1/restitution-orders', {
      caseId,
      courtOrderRef: `ORDER-${caseId}`,
      documentHash: HASH,
      method: 'PRO_RATA',
      victims: [{ victimId: 'V1', name: 'Wang', claimOrder: 1, loss: '50.00', recovered: '0.00', payeeAccount: 'a' }],
      workflowId: `case-${caseId}`,
    }).expect(201);
    return order.body.restitutionOrderId as string;
  }

  test.each([
    ['without a pay-out', (_c: string, _o: string) => ({ payout: undefined }), 'decision'],
    [
      'for another restitution order',
      (_c: string, _o: string) => ({ payout: { kind: 'RESTITUTION', restitutionOrderId: 'RO-ATTACKER' } }),
      'restitutionOrderId',
    ],
    ['for a pay-out of another kind', (_c: string, _o: string) => ({ payout: { kind: 'OWNER_RETURN' } }), 'decision'],
    [
      'below the amount asked',
      (_c: string, o: string) => ({ payout: { kind: 'RESTITUTION', restitutionOrderId: o, amount: '99.99' } }),
      'amount',
    ],
  ] as const)('a distribution under an approval %s is refused 403 and nothing moves', async (_w, make, field) => {
    const caseId = `CASE-PO-${++keys}`;
    const orderId = await caseWithOrder(caseId);
    const made = make(caseId, orderId) as { payout?: Partial<treasury.PayoutAuthorisation> };
    const decision =
      made.payout === undefined
        ? signedDecision(acts.signingKey, caseId, PEOPLE.supervisor, { stage: 'REMITTANCE', outcome: 'APPROVE' })
        : remittanceApproval(caseId, PEOPLE.supervisor, made.payout);
    const res = await post('/v1/restitution-distributions', {
      caseId,
      restitutionOrderId: orderId,
      amount: '100.00',
      decision,
    });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ type: 'urn:vcdc:problem:payout-not-authorised', errors: [{ field }] });
    expect((await statement(caseId)).balance).toBe('100.00');
    expect((await refusalsOf(caseId)).map((r) => r.data.type)).toEqual(['urn:vcdc:problem:payout-not-authorised']);
  });

  test('the approved amount bounds every pay-out under it together: a second remittance past it is refused', async () => {
    const caseId = `CASE-PO-${++keys}`;
    await credit(caseId);
    const decision = remittanceApproval(caseId, PEOPLE.supervisor, { amount: '60.00' });
    const remit = (amount: string) =>
      post('/v1/remittances', { caseId, amount, budgetClassificationCode: '1030501', decision });
    await remit('60.00').expect(201);
    const again = await remit('40.00');
    expect(again.status).toBe(403);
    expect(again.body).toMatchObject({ type: 'urn:vcdc:problem:payout-not-authorised', errors: [{ field: 'amount' }] });
    expect((await statement(caseId)).balance).toBe('40.00');
  });
});
