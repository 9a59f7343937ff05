/**
 * Decisions are signed acts (kind `case.decision`): the control API signs, for the deciding person,
 * the decision's content on one case. The workflow verifies it before acting; the workflow then
 * carries the whole decision to each service whose step it authorises, and the service verifies it
 * again (`verifyCarriedDecision`): the control API's signature, the act on this case, the role the
 * stage needs, and that the act's person, role and nonce are the decision's. The service then checks
 * that what the decision says (a settlement's amount, the judgment) is what the request carries.
 */
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { ActorId, CaseId, IsoTimestamp } from '../contracts/common';
import { TransferAuthorisation } from '../contracts/custody';
import { SettleDeclaration } from '../contracts/fx';
import { RecordJudgment } from '../contracts/treasury';
import { PersonRole } from './act-kinds';
import { type ActRefusal, SignedAct, Unit, verifySignedAct } from './signed-act';

export const DECISION_ACT = 'case.decision' as const;

export const DecisionStage = z.enum([
  'INTAKE_DISCREPANCY',
  'DISPOSAL_PLAN',
  'SALE_PRICE',
  'FX_DECLARATION',
  'FX_RESUBMISSION',
  'FX_SETTLEMENT',
  'JUDGMENT',
  'REMITTANCE',
  'CANCELLATION',
]);
export type DecisionStage = z.infer<typeof DecisionStage>;

/** Who may take each decision: the one table the control API, the workflow and the services check. */
export const DECISION_ROLES: Record<DecisionStage, readonly PersonRole[]> = {
  INTAKE_DISCREPANCY: ['supervisor'],
  DISPOSAL_PLAN: ['supervisor', 'senior-supervisor'],
  SALE_PRICE: ['supervisor'],
  FX_DECLARATION: ['fx-officer'],
  FX_RESUBMISSION: ['supervisor'],
  FX_SETTLEMENT: ['fx-officer'],
  JUDGMENT: ['supervisor'],
  REMITTANCE: ['supervisor'],
  CANCELLATION: ['supervisor'],
};

/** The judgment as a decision carries it (the case and who recorded it are the decision's). */
export const DecisionJudgment = RecordJudgment.omit({ caseId: true, recordedBy: true });

/** A decision as the workflow holds it and carries it to a service. */
export const CarriedDecision = z.object({
  stage: DecisionStage,
  outcome: z.enum(['APPROVE', 'REJECT']),
  decidedBy: ActorId,
  role: PersonRole,
  unit: Unit.optional(),
  reason: z.string().max(1000).optional(),
  reference: z.string().max(100).optional(),
  decidedAt: IsoTimestamp,
  judgment: DecisionJudgment.optional(),
  settlement: SettleDeclaration.optional(),
  authorisation: TransferAuthorisation.optional(),
  nonce: z.string().min(1).max(64).optional(),
  act: SignedAct.optional(),
});
export type CarriedDecision = z.infer<typeof CarriedDecision>;

/** What a decision's act is signed over: everything the person decided, on which case, when. */
export function decisionContent(caseId: string, d: Omit<CarriedDecision, 'act' | 'decidedBy' | 'role' | 'unit' | 'nonce'>): unknown {
  return {
    caseId,
    stage: d.stage,
    outcome: d.outcome,
    reason: d.reason ?? null,
    reference: d.reference ?? null,
    decidedAt: d.decidedAt,
    judgment: d.judgment ?? null,
    settlement: d.settlement ?? null,
    authorisation: d.authorisation ?? null,
  };
}

export interface DecisionExpectation {
  caseId: string;
  stage: DecisionStage;
  outcome?: 'APPROVE' | 'REJECT';
  now?: Date;
}

/**
 * Checks a decision carried to this step: signed by the control API for this case as a `case.decision`
 * act over exactly its content, by a person holding the stage's role, of the expected stage and outcome.
 */
export function verifyCarriedDecision(
  keys: readonly KeyObject[],
  presented: unknown,
  expect: DecisionExpectation,
): { ok: true; decision: CarriedDecision & { act: SignedAct; unit: string } } | { ok: false; refusal: ActRefusal } {
  const parsed = CarriedDecision.safeParse(presented);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      refusal: { code: 'act-malformed', message: `the decision is malformed (${issue?.path.join('.')}: ${issue?.message})` },
    };
  }
  const d = parsed.data;
  if (!d.act) return { ok: false, refusal: { code: 'act-missing', message: `a signed ${expect.stage} decision is required` } };
  const checked = verifySignedAct(keys, d.act, {
    kind: DECISION_ACT,
    content: decisionContent(expect.caseId, d),
    object: { type: 'case', id: expect.caseId, caseId: expect.caseId },
    ...(expect.now ? { now: expect.now } : {}),
  });
  if (!checked.ok) return checked;
  const { actor, actId } = checked.act;
  if (actor.id !== d.decidedBy || actor.role !== d.role || (d.nonce !== undefined && actId !== d.nonce)) {
    return { ok: false, refusal: { code: 'act-content', message: 'the decision names another person, role or nonce than its act' } };
  }
  if (d.stage !== expect.stage || (expect.outcome && d.outcome !== expect.outcome)) {
    return {
      ok: false,
      refusal: {
        code: 'act-kind',
        message: `a ${d.stage} ${d.outcome} decision cannot authorise this step (it needs ${expect.stage}${expect.outcome ? ` ${expect.outcome}` : ''})`,
      },
    };
  }
  if (!DECISION_ROLES[d.stage].includes(actor.role)) {
    return { ok: false, refusal: { code: 'act-role', message: `a ${d.stage} decision needs the role ${DECISION_ROLES[d.stage].join(' or ')}` } };
  }
  return { ok: true, decision: { ...d, act: d.act, unit: actor.unit } };
}
