/**
 * Whether a case admits a decision: the one place that says so. The `decide` Update's validator asks
 * it (a refused decision never reaches history), and its handler (and the `decision` signal's) asks it
 * again, when the decision arrives and once more after the verifyDecision activity checked its
 * signature, since the case may have moved meanwhile. Everything a decision is held to is here: its
 * shape (the workflow's frozen Decision), a used nonce, the control API's act on a signed case, the
 * stage awaited, four eyes, a quorum's distinct people, the stage's roles, the tranche left to settle,
 * what an approval must carry, and how a hold may be resolved. The control API parses what a person
 * sends and authorises the caller; the services the decision authorises verify it again; the decisive
 * check is this one, where the decision takes effect. The signature alone needs the world (an activity).
 * Pure: workflow code.
 */
import type { ReconciliationDifference } from '@vcdc/shared/acts/pure';
import { canonicalJson } from '@vcdc/shared/canonical-json';
import type { custody, treasury } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import { DECISION_ROLES, Decision, type DecisionRefusal, type DecisionStage, type Role } from './decision';
import { type HoldOptions, refuseResolution } from './hold-resolution';

/** What of the case's state a decision is admitted against. */
export interface CaseDecisionState {
  /** Cases registered through the control API take only decisions it signed (an act and a nonce). */
  signaturesRequired?: boolean;
  /**
   * Whether another decision used this nonce already (the one that claimed it while its signature is
   * checked is admitted again after, and is no replay of itself).
   */
  nonceUsed?: (nonce: string) => boolean;
  /** The stage the case is waiting on now, if any. */
  awaiting: DecisionStage | undefined;
  /** Whether the case can still be cancelled (it runs and has not been cancelled yet). */
  cancellable?: boolean;
  /** While FX_SETTLEMENT is awaited: what is left to settle (a tranche may not exceed it). */
  settlementLimit?: string;
  /** Who asked for the disposal: may not decide on it (four-eyes). */
  requestedBy: string;
  /** Who already approved the awaited stage (a quorum needs distinct people). */
  approvedBy?: readonly string[];
  /** While DISPOSAL_PLAN is awaited: the transfer authorisation an approval must carry (when the case asks for one). */
  authorisationRequested?: custody.TransferAuthorisation;
  /** While REMITTANCE is awaited: the pay-out an approval must carry (when the case asks for one). */
  payoutRequested?: treasury.PayoutAuthorisation;
  /** While RECONCILIATION is awaited: the differences an approval must carry. */
  reconciliationAsked?: ReconciliationDifference[];
  /** While HOLD_RESOLUTION is awaited: what the held case allows (hold-resolution.ts). */
  hold?: HoldOptions;
}

export type Admission = { ok: true; decision: Decision } | { ok: false; refusal: DecisionRefusal };

const refused = (code: DecisionRefusal['code'], message: string): Admission => ({
  ok: false,
  refusal: { code, message },
});

/**
 * Whether the case admits `raw` now: the parsed decision, or the first rule it breaks. A replay is
 * said first, then a missing act (before any rule: an unsigned decision reached the case some other
 * way than the control API), then the rules.
 */
export function admitDecision(raw: unknown, state: CaseDecisionState): Admission {
  const claimed = raw as { act?: unknown; nonce?: unknown } | null;
  if (typeof claimed?.nonce === 'string' && state.nonceUsed?.(claimed.nonce)) {
    return refused('decision-replayed', `decision ${claimed.nonce} was already submitted once`);
  }
  if (state.signaturesRequired && (!claimed?.act || !claimed.nonce)) {
    return refused(
      'decision-unsigned',
      'the decision carries no control-API act: decisions reach a case only through the control API',
    );
  }
  const parsed = Decision.safeParse(raw);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(decision)'}: ${i.message}`).join('; ');
    return refused('decision-invalid', `malformed decision: ${detail}`);
  }
  const decision = parsed.data;
  if (decision.stage === 'CANCELLATION') {
    if (!state.cancellable) {
      return refused('decision-not-awaited', 'the case has ended or is already being cancelled');
    }
  } else if (state.awaiting !== decision.stage) {
    const now = state.awaiting ? `it is waiting for ${state.awaiting}` : 'it is not waiting for any decision';
    return refused('decision-not-awaited', `the case is not waiting for ${decision.stage}: ${now}`);
  }
  if (decision.decidedBy === state.requestedBy) {
    return refused(
      'four-eyes',
      `${decision.decidedBy} requested this disposal and may not decide on it (four-eyes rule)`,
    );
  }
  if (state.approvedBy?.includes(decision.decidedBy)) {
    return refused(
      'quorum-same-person',
      `${decision.decidedBy} already approved ${decision.stage}; the quorum needs another person`,
    );
  }
  const tranche = decision.settlement?.amount;
  if (
    decision.stage === 'FX_SETTLEMENT' &&
    tranche &&
    state.settlementLimit &&
    new Decimal(tranche).gt(state.settlementLimit)
  ) {
    return refused(
      'decision-invalid',
      `settlement.amount: the tranche ${tranche} is more than the ${state.settlementLimit} left to settle`,
    );
  }
  const roles: readonly Role[] = DECISION_ROLES[decision.stage];
  if (!roles.includes(decision.role)) {
    return refused('decision-role', `a ${decision.stage} decision needs the role ${roles.join(' or ')}`);
  }
  // An approval that moves value carries exactly what the case asked for: the approver signed that.
  const asked: Array<[DecisionStage, 'payout' | 'authorisation' | 'differences', unknown, string]> = [
    ['REMITTANCE', 'payout', state.payoutRequested, 'the pay-out the case asks for (payoutRequested)'],
    [
      'RECONCILIATION',
      'differences',
      state.reconciliationAsked,
      'the differences the case asks about (reconciliationAsked)',
    ],
    [
      'DISPOSAL_PLAN',
      'authorisation',
      state.authorisationRequested,
      'the authorisation the case asks for (authorisationRequested)',
    ],
  ];
  for (const [stage, field, requested, what] of asked) {
    if (
      decision.stage === stage &&
      decision.outcome === 'APPROVE' &&
      requested &&
      canonicalJson(decision[field]) !== canonicalJson(requested)
    ) {
      return refused('decision-invalid', `${field}: a ${stage} approval must carry ${what}`);
    }
  }
  const holdRefusal =
    decision.stage === 'HOLD_RESOLUTION' && state.hold ? refuseResolution(decision, state.hold) : undefined;
  if (holdRefusal) return refused('decision-invalid', holdRefusal);
  return { ok: true, decision };
}
