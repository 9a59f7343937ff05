/**
 * Issue #11 in the FX service: the regulator's decision and each settlement are people's signed
 * decisions, which the workflow carries and this service verifies again; filing and submitting are
 * the workflow's own steps. Refused: a missing, forged, altered, other-case, wrong-outcome, wrong-stage
 * or wrong-role decision (403, in the audit chain), a body naming a person (400 naming the field).
 */
import type { Actor, Pool } from '@vcdc/shared';
import type { Express } from 'express';
import request from 'supertest';
import { PEOPLE, signedDecision, testActKeys } from '../../../test/support/acts';
import { type StartedService, startFx } from '../../../test/support/fx-treasury';

const acts = testActKeys();
/** Another key than the control API's: what a forger signs with. */
const forger = testActKeys();
let started: StartedService;
let pool: Pool;
let app: Express;
let keys = 0;

beforeAll(async () => {
  started = await startFx({ database: 'fx_acts', verifyKeys: acts.verifyKeys, connections: 3 });
  ({ pool, app } = started);
});
afterAll(() => started?.close());

const post = (route: string, body: object) =>
  request(app).post(route).set('Idempotency-Key', `acts-${++keys}`).send(body);

const party = { name: 'n', account: 'a', bank: 'b' };
async function declaration(caseId: string, status: 'DRAFT' | 'SUBMITTED' | 'APPROVED') {
  const created = await post('/v1/declarations', {
    caseId,
    currency: 'USD',
    amount: '100.00',
    transactionCode: '622011',
    purpose: 'disposal proceeds',
    remitter: party,
    beneficiary: party,
    workflowId: `case-${caseId}`,
  }).expect(201);
  const id = created.body.declarationId as string;
  if (status !== 'DRAFT') await post(`/v1/declarations/${id}/submit`, { workflowId: `case-${caseId}` }).expect(200);
  if (status === 'APPROVED') {
    await post(`/v1/declarations/${id}/decision`, { decision: regulator(caseId, 'APPROVE') }).expect(200);
  }
  return id;
}

const regulator = (caseId: string, outcome: 'APPROVE' | 'REJECT', by: Actor = PEOPLE.fxOfficer) =>
  signedDecision(acts.signingKey, caseId, by, { stage: 'FX_DECLARATION', outcome, reference: 'SAFE-9', reason: 'ok' });
const settlement = (caseId: string, amount = '40.00', bankReference = `BANK-${++keys}`) =>
  signedDecision(acts.signingKey, caseId, PEOPLE.fxOfficer, {
    stage: 'FX_SETTLEMENT',
    outcome: 'APPROVE',
    settlement: { amount, bankReference },
  });

type AuditRecord = { seq: number; kind: string; actor: string; caseId?: string; data: Record<string, unknown> };

/** The chain's refusals of requests on `declarationId` (its path) or on `caseId` (its body). */
async function refusalsOf(subject: string) {
  const all: AuditRecord[] = [];
  for (let afterSeq = 0; ; ) {
    const { records } = (
      await request(app).get(`/v1/audit/records?view=acts&afterSeq=${afterSeq}&limit=1000`).expect(200)
    ).body;
    all.push(...records);
    if (records.length < 1000) break;
    afterSeq = records.at(-1).seq;
  }
  return all.filter(
    (r) =>
      r.kind === 'request.refused' &&
      (r.caseId === subject || String(r.data.path).startsWith(`/v1/declarations/${subject}/`)),
  );
}

async function settlementsOf(id: string) {
  return (await request(app).get(`/v1/declarations/${id}`).expect(200)).body.settlements as unknown[];
}

describe("a settlement needs the FX officer's signed FX_SETTLEMENT APPROVE decision on the declaration's case", () => {
  const CASES: Array<[string, string, (caseId: string) => unknown]> = [
    ['without a decision', 'act-missing', () => undefined],
    [
      'with a forged decision (signed with another key)',
      'act-signature',
      (caseId) =>
        signedDecision(forger.signingKey, caseId, PEOPLE.fxOfficer, {
          stage: 'FX_SETTLEMENT',
          outcome: 'APPROVE',
          settlement: { amount: '40.00', bankReference: 'BANK-FORGED' },
        }),
    ],
    [
      'with an altered decision (the amount raised after signing)',
      'act-content',
      (caseId) => {
        const d = settlement(caseId, '40.00');
        return { ...d, settlement: { ...d.settlement, amount: '99.00' } };
      },
    ],
    ['with a decision on another case', 'act-content', () => settlement('CASE-OTHER')],
    [
      'with a REJECT decision',
      'act-kind',
      (caseId) =>
        signedDecision(acts.signingKey, caseId, PEOPLE.fxOfficer, {
          stage: 'FX_SETTLEMENT',
          outcome: 'REJECT',
          settlement: { amount: '40.00', bankReference: 'BANK-REJ' },
        }),
    ],
    [
      'with a decision of another stage (the FX_DECLARATION approval)',
      'act-kind',
      (caseId) => regulator(caseId, 'APPROVE'),
    ],
    [
      'with a decision by a role that cannot settle (a supervisor)',
      'act-role',
      (caseId) =>
        signedDecision(acts.signingKey, caseId, PEOPLE.supervisor, {
          stage: 'FX_SETTLEMENT',
          outcome: 'APPROVE',
          settlement: { amount: '40.00', bankReference: 'BANK-SUP' },
        }),
    ],
  ];

  test.each(CASES)(
    'refused %s: 403 %s, nothing settled, the refusal in the audit chain',
    async (_words, type, make) => {
      const caseId = `CASE-ST-${++keys}`;
      const id = await declaration(caseId, 'APPROVED');
      const res = await post(`/v1/declarations/${id}/settlements`, { decision: make(caseId) });
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.type).toBe(`urn:vcdc:problem:${type}`);
      expect(await settlementsOf(id)).toEqual([]);
      const refused = await refusalsOf(id);
      expect(refused).toHaveLength(1);
      // Who tried: the machine when no decision came, else what the unverified decision's act claimed.
      expect(refused[0]!.actor).toBe(type === 'act-missing' ? 'machine' : 'unverified');
      expect(refused[0]!.data).toMatchObject({
        status: 403,
        type: `urn:vcdc:problem:${type}`,
        path: `/v1/declarations/${id}/settlements`,
      });
    },
  );

  test("the tranche recorded is the decision's, by the decision's person; the act is kept with it", async () => {
    const caseId = 'CASE-ST-OK';
    const id = await declaration(caseId, 'APPROVED');
    const decision = signedDecision(acts.signingKey, caseId, PEOPLE.secondFxOfficer, {
      stage: 'FX_SETTLEMENT',
      outcome: 'APPROVE',
      settlement: { amount: '40.00', bankReference: 'BANK-OK', bankCharges: '1.00', correspondentFees: '0.50' },
    });
    const res = await post(`/v1/declarations/${id}/settlements`, { decision }).expect(201);
    expect(res.body).toMatchObject({
      foreignAmount: '40.00',
      bankReference: 'BANK-OK',
      bankCharges: '1.00',
      correspondentFees: '0.50',
      netForeignAmount: '38.50',
      recordedBy: PEOPLE.secondFxOfficer.id,
    });
    const { rows } = await pool.query('SELECT recorded_by, decision_act_id FROM settlements WHERE settlement_id = $1', [
      res.body.settlementId,
    ]);
    expect(rows[0]).toEqual({ recorded_by: PEOPLE.secondFxOfficer.id, decision_act_id: decision.act!.act.actId });
    const acted = await pool.query('SELECT kind, actor_id, case_id FROM signed_acts WHERE act_id = $1', [
      decision.act!.act.actId,
    ]);
    expect(acted.rows).toEqual([{ kind: 'case.decision', actor_id: PEOPLE.secondFxOfficer.id, case_id: caseId }]);
    const { records } = (await request(app).get(`/v1/audit/records?view=acts&caseId=${caseId}`).expect(200)).body;
    expect(records.at(-1)).toMatchObject({ kind: 'fx.settlement.tranche', actor: PEOPLE.secondFxOfficer.id });
  });

  test('a body carrying the tranche or naming a person besides the decision is refused 400 naming the field', async () => {
    const caseId = 'CASE-ST-BODY';
    const id = await declaration(caseId, 'APPROVED');
    const named = await post(`/v1/declarations/${id}/settlements`, {
      decision: settlement(caseId),
      recordedBy: PEOPLE.fxOfficer.id,
    }).expect(400);
    expect(named.body.errors).toEqual([expect.objectContaining({ field: 'recordedBy' })]);
    // The amount is the decision's: a body saying another one is not silently ignored.
    const extra = await post(`/v1/declarations/${id}/settlements`, {
      decision: settlement(caseId),
      amount: '60.00',
    }).expect(400);
    expect(extra.body.detail).toMatch(/amount/);
    expect(await settlementsOf(id)).toEqual([]);
    expect((await refusalsOf(id)).map((r) => r.data.status)).toEqual([400, 400]);
  });
});

describe("the regulator's decision is the FX officer's signed FX_DECLARATION decision", () => {
  test('APPROVE and REJECT are booked as the decision says, by its person, with its reference', async () => {
    const approved = await declaration('CASE-RD-A', 'SUBMITTED');
    const a = await post(`/v1/declarations/${approved}/decision`, {
      decision: regulator('CASE-RD-A', 'APPROVE', PEOPLE.secondFxOfficer),
    }).expect(200);
    expect(a.body.status).toBe('APPROVED');
    expect(a.body.transitions.at(-1)).toMatchObject({
      to: 'APPROVED',
      by: PEOPLE.secondFxOfficer.id,
      note: 'regulator reference SAFE-9: ok',
    });
    const rejected = await declaration('CASE-RD-R', 'SUBMITTED');
    const r = await post(`/v1/declarations/${rejected}/decision`, {
      decision: regulator('CASE-RD-R', 'REJECT'),
    }).expect(200);
    expect(r.body.transitions.at(-1)).toMatchObject({ to: 'REJECTED', by: PEOPLE.fxOfficer.id });
  });

  test.each([
    ['without a decision', 'act-missing', (_c: string) => undefined],
    ['for another case', 'act-content', (_c: string) => regulator('CASE-ELSEWHERE', 'APPROVE')],
    ['by a supervisor', 'act-role', (c: string) => regulator(c, 'APPROVE', PEOPLE.supervisor)],
    [
      'of another stage',
      'act-kind',
      (c: string) =>
        signedDecision(acts.signingKey, c, PEOPLE.fxOfficer, { stage: 'FX_SETTLEMENT', outcome: 'APPROVE' }),
    ],
    [
      'altered from REJECT to APPROVE',
      'act-content',
      (c: string) => ({ ...regulator(c, 'REJECT'), outcome: 'APPROVE' }),
    ],
  ])('refused %s: 403 %s, still SUBMITTED, in the chain', async (_words, type, make) => {
    const caseId = `CASE-RD-${++keys}`;
    const id = await declaration(caseId, 'SUBMITTED');
    const res = await post(`/v1/declarations/${id}/decision`, { decision: make(caseId) }).expect(403);
    expect(res.body.type).toBe(`urn:vcdc:problem:${type}`);
    expect((await request(app).get(`/v1/declarations/${id}`)).body.status).toBe('SUBMITTED');
    expect((await refusalsOf(id)).map((r) => r.data.type)).toEqual([`urn:vcdc:problem:${type}`]);
  });

  test('a body naming who decided (decidedBy) is refused 400 naming it', async () => {
    const id = await declaration('CASE-RD-NAMED', 'SUBMITTED');
    const res = await post(`/v1/declarations/${id}/decision`, {
      decision: regulator('CASE-RD-NAMED', 'APPROVE'),
      decidedBy: PEOPLE.fxOfficer.id,
    }).expect(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'decidedBy' })]);
  });

  test("a decision without the regulator's reference is a 400 naming decision.reference", async () => {
    const caseId = 'CASE-RD-NOREF';
    const id = await declaration(caseId, 'SUBMITTED');
    const decision = signedDecision(acts.signingKey, caseId, PEOPLE.fxOfficer, {
      stage: 'FX_DECLARATION',
      outcome: 'APPROVE',
    });
    const res = await post(`/v1/declarations/${id}/decision`, { decision }).expect(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'decision.reference' })]);
  });
});

describe("filing and submitting are the workflow's steps, booked as the workflow", () => {
  test('DRAFT and SUBMITTED are booked as workflow:<workflowId>, in the declaration and the chain', async () => {
    const id = await declaration('CASE-WF-SYS', 'SUBMITTED');
    const d = (await request(app).get(`/v1/declarations/${id}`).expect(200)).body;
    expect(d.transitions.map((t: { to: string; by: string }) => [t.to, t.by])).toEqual([
      ['DRAFT', 'workflow:case-CASE-WF-SYS'],
      ['SUBMITTED', 'workflow:case-CASE-WF-SYS'],
    ]);
    const { records } = (await request(app).get('/v1/audit/records?view=acts&caseId=CASE-WF-SYS').expect(200)).body;
    expect(records.map((r: { kind: string; actor: string }) => [r.kind, r.actor])).toEqual([
      ['fx.declaration.draft', 'workflow:case-CASE-WF-SYS'],
      ['fx.declaration.submitted', 'workflow:case-CASE-WF-SYS'],
    ]);
  });

  test('a person named for them (preparedBy, submittedBy) is refused 400 naming the field, and recorded', async () => {
    const named = await post('/v1/declarations', {
      caseId: 'CASE-WF-NAMED',
      currency: 'USD',
      amount: '100.00',
      transactionCode: '622011',
      purpose: 'disposal proceeds',
      remitter: party,
      beneficiary: party,
      workflowId: 'case-CASE-WF-NAMED',
      preparedBy: PEOPLE.caseOfficer.id,
    }).expect(400);
    expect(named.body.errors).toEqual([expect.objectContaining({ field: 'preparedBy' })]);
    expect((await refusalsOf('CASE-WF-NAMED')).map((r) => r.data.status)).toEqual([400]);
    const id = await declaration('CASE-WF-NAMED2', 'DRAFT');
    const submitted = await post(`/v1/declarations/${id}/submit`, {
      workflowId: 'case-CASE-WF-NAMED2',
      submittedBy: PEOPLE.caseOfficer.id,
    }).expect(400);
    expect(submitted.body.errors).toEqual([expect.objectContaining({ field: 'submittedBy' })]);
    // The old form, a person instead of the workflow, is refused the same way.
    const old = await post(`/v1/declarations/${id}/submit`, { submittedBy: PEOPLE.caseOfficer.id }).expect(400);
    expect(old.body.errors).toEqual([expect.objectContaining({ field: 'submittedBy' })]);
    expect((await request(app).get(`/v1/declarations/${id}`)).body.status).toBe('DRAFT');
  });
});
