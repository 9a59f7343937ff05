/**
 * Decisions are signed acts (kind `case.decision`): the control API signs, for the deciding person,
 * the decision's content on one case. The workflow verifies it before acting; the workflow then
 * carries the whole decision to each service whose step it authorises, and the service verifies it
 * again (`verifyCarriedDecision`): the control API's signature, the act on this case, the role the
 * stage needs, and that the act's person, role and nonce are the decision's. The service then checks
 * that what the decision says (a settlement's amount, the judgment) is what the request carries.
 */
import type { KeyObject } from 'node:crypto';
import { CarriedDecision, DECISION_ACT, DECISION_ROLES, type DecisionStage, decisionContent } from './decision-schema';
import { type ActRefusal, type SignedAct, verifySignedAct } from './signed-act';

export * from './decision-schema';

export interface DecisionExpectation {
  caseId: string;
  stage: DecisionStage;
  outcome?: 'APPROVE' | 'REJECT';
  now?: Date;
}

/**
 * The signature alone: the control API signed, for this case, a `case.decision` act over exactly this
 * decision's content, naming its person, role, unit and nonce. Not its shape nor its role: the case
 * workflow admitted the decision already (decision-admission.ts) before its activity asks this, and a
 * service asks `verifyCarriedDecision`, which checks those too.
 */
export function verifyDecisionAct(
  keys: readonly KeyObject[],
  d: CarriedDecision,
  caseId: string,
  now?: Date,
): { ok: true; act: SignedAct; unit: string } | { ok: false; refusal: ActRefusal } {
  if (!d.act)
    return { ok: false, refusal: { code: 'act-missing', message: `a signed ${d.stage} decision is required` } };
  const checked = verifySignedAct(keys, d.act, {
    kind: DECISION_ACT,
    content: decisionContent(caseId, d),
    object: { type: 'case', id: caseId, caseId },
    ...(now ? { now } : {}),
  });
  if (!checked.ok) return checked;
  const { actor, actId } = checked.act;
  if (
    actor.id !== d.decidedBy ||
    actor.role !== d.role ||
    (d.unit !== undefined && actor.unit !== d.unit) ||
    (d.nonce !== undefined && actId !== d.nonce)
  ) {
    return {
      ok: false,
      refusal: { code: 'act-content', message: 'the decision names another person, role or nonce than its act' },
    };
  }
  return { ok: true, act: d.act, unit: actor.unit };
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
      refusal: {
        code: 'act-malformed',
        message: `the decision is malformed (${issue?.path.join('.')}: ${issue?.message})`,
      },
    };
  }
  const d = parsed.data;
  if (!d.act)
    return { ok: false, refusal: { code: 'act-missing', message: `a signed ${expect.stage} decision is required` } };
  const signed = verifyDecisionAct(keys, d, expect.caseId, expect.now);
  if (!signed.ok) return signed;
  if (d.stage !== expect.stage || (expect.outcome && d.outcome !== expect.outcome)) {
    return {
      ok: false,
      refusal: {
        code: 'act-kind',
        message: `a ${d.stage} ${d.outcome} decision cannot authorise this step (it needs ${expect.stage}${expect.outcome ? ` ${expect.outcome}` : ''})`,
      },
    };
  }
  const role = signed.act.act.actor.role;
  if (!DECISION_ROLES[d.stage].includes(role)) {
    return {
      ok: false,
      refusal: {
        code: 'act-role',
        message: `a ${d.stage} decision needs the role ${DECISION_ROLES[d.stage].join(' or ')}`,
      },
    };
  }
  return { ok: true, decision: { ...d, act: signed.act, unit: signed.unit } };
}
