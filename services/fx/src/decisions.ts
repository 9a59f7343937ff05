/**
 * A person's decision the workflow carries to this service (packages/shared/src/acts/decisions.ts):
 * verified here again, against the control API's act keys, for the case the step is on. A request
 * without one, or with a forged, altered, other-case, other-stage or wrong-outcome one, is a 403 that
 * the audit chain records (with what the decision claimed); once verified, the decision's act is the
 * request's act, so a later refusal names its person.
 */
import type { KeyObject } from 'node:crypto';
import {
  actProblem,
  type CarriedDecision,
  type DecisionExpectation,
  type SignedAct,
  verifyCarriedDecision,
} from '@vcdc/shared';
import type { Request } from 'express';

export type VerifiedDecision = CarriedDecision & { act: SignedAct; unit: string };

export function acceptDecision(
  keys: readonly KeyObject[],
  req: Request,
  presented: unknown,
  expect: DecisionExpectation,
): VerifiedDecision {
  const res = req.res;
  const claimed = (presented as { act?: unknown } | undefined)?.act;
  if (res && claimed !== undefined) res.locals.claimedAct = claimed;
  if (presented === undefined || presented === null) {
    throw actProblem(
      {
        code: 'act-missing',
        message: `decision: a signed ${expect.stage} decision on case ${expect.caseId} is required`,
      },
      { decision: expect.stage },
    );
  }
  const checked = verifyCarriedDecision(keys, presented, expect);
  if (!checked.ok) throw actProblem(checked.refusal, { decision: expect.stage });
  if (res) {
    res.locals.act = checked.decision.act.act;
    res.locals.signedAct = checked.decision.act;
  }
  return checked.decision;
}
