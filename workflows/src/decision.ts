/**
 * Human decisions that move a case: the payload, and the one validator that both the `decide`
 * Update (as its validator, so a refused decision never reaches history) and the `decision` signal
 * go through. Pure: imported by the workflow and by the control API.
 */
import {
  CarriedDecision,
  DECISION_ROLES,
  PersonRole,
  type ReconciliationDifference,
  DecisionStage as SharedDecisionStage,
} from '@vcdc/shared/acts/pure';
import { canonicalJson } from '@vcdc/shared/canonical-json';
import { common, custody, fx, type treasury } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import { z } from 'zod';
import { type HoldOptions, refuseResolution } from './hold-resolution';

const { ActorId, IsoTimestamp } = common;

/**
 * The points where a case waits for a person.
 * - INTAKE_DISCREPANCY: custody received another amount than declared; APPROVE goes on with what was
 *   received, REJECT holds the case (the coins stay in custody).
 * - DISPOSAL_PLAN: the plan (venue, route, price limits); REJECT ends the case with the assets in custody.
 * - SALE_PRICE: the market left the price band (or fell under the legal floor) during the sale; APPROVE
 *   goes on from a new arrival price, REJECT stops and returns the unsold coins to custody.
 * - FX_DECLARATION: the regulator's decision, recorded by an FX officer.
 * - FX_RESUBMISSION: after the regulator rejected the declaration, resubmit it (APPROVE) or hold (REJECT).
 * - FX_SETTLEMENT: the bank settled a tranche into CNY; an FX officer records it (`settlement`: the
 *   foreign amount, the bank's reference, its charges and correspondent fees). Asked again until the
 *   whole approved amount is settled; REJECT (the bank will not settle) holds the money offshore.
 * - JUDGMENT: the proceeds of a pre-trial sale wait in escrow until the court rules; a supervisor records
 *   the judgment (`judgment`: reference, document hash, CONFISCATION / RESTITUTION / ACQUITTAL). Only APPROVE.
 * - REMITTANCE: before any money leaves the special case-property account (to victims by court
 *   order, the rest to the treasury).
 * - HOLD_RESOLUTION: a held case waits (it never ends on its own) until two supervisors approve the
 *   same `resolution` with a reason: RESUME, AMEND the disposal plan, or CLOSE handing the assets back.
 *   Only APPROVE.
 * - CANCELLATION: not waited on; taken at any time while the case runs (e.g. the legal basis was
 *   revoked): the case unwinds to the safe state for its stage and ends CANCELLED. Only APPROVE.
 */
export const DecisionStage = SharedDecisionStage;
export type DecisionStage = z.infer<typeof DecisionStage>;

export const Role = PersonRole;
export type Role = z.infer<typeof Role>;

/** Who may take each decision: the shared table the control API, the workflow and the services check. */
export { DECISION_ROLES };

/** The role asked first for each decision (notifications go to it); DECISION_ROLES lists every role that may decide. */
export const ROLE_FOR_STAGE: Record<DecisionStage, Role> = {
  INTAKE_DISCREPANCY: 'supervisor',
  DISPOSAL_PLAN: 'supervisor',
  SALE_PRICE: 'supervisor',
  FX_DECLARATION: 'fx-officer',
  FX_RESUBMISSION: 'supervisor',
  FX_SETTLEMENT: 'fx-officer',
  JUDGMENT: 'supervisor',
  REMITTANCE: 'supervisor',
  RECONCILIATION: 'supervisor',
  CANCELLATION: 'supervisor',
  HOLD_RESOLUTION: 'supervisor',
};

/** Who is told when a wait is escalated: the next role up from the one that decides. */
export const ESCALATION_ROLE: Record<Role, Role> = {
  'case-officer': 'supervisor',
  supervisor: 'senior-supervisor',
  'senior-supervisor': 'senior-supervisor',
  custodian: 'supervisor',
  'fx-officer': 'supervisor',
  'treasury-officer': 'supervisor',
  auditor: 'senior-supervisor',
  operator: 'supervisor',
};

/**
 * How many distinct people must approve: set by the control API at registration from the case's
 * value (never by the requester's body); absent means one.
 */
export const Approvals = z.object({ disposalPlan: z.number().int().min(1).max(3) });
export type Approvals = z.infer<typeof Approvals>;

const DecisionFields = z.object({
  stage: DecisionStage,
  outcome: z.enum(['APPROVE', 'REJECT']),
  decidedBy: ActorId,
  role: Role,
  /** The decider's unit (case handling, custody, finance…), from their token: the approval policy counts distinct units. */
  unit: CarriedDecision.shape.unit,
  reason: z.string().min(1).max(1000).optional(),
  /** An outside reference for the decision; for FX_DECLARATION the regulator's reference (required). */
  reference: z.string().min(1).max(100).optional(),
  decidedAt: IsoTimestamp,
  /** For JUDGMENT: the court's judgment that releases the escrow and says where the money goes. */
  judgment: CarriedDecision.shape.judgment,
  /** For FX_SETTLEMENT: the tranche the bank settled, as its FX officer records it. */
  settlement: fx.SettleDeclaration.optional(),
  /** Set by the control API: unique per decision (a replay is refused) and covered by `signature`. */
  nonce: z.string().min(1).max(64).optional(),
  /**
   * For a DISPOSAL_PLAN approval: what may leave the case's wallets, as the case asked for it
   * (`authorisationRequested` in its status); custody checks every transfer against it.
   */
  authorisation: custody.TransferAuthorisation.optional(),
  /**
   * For a REMITTANCE approval: the pay-out it allows, as the case asked for it (`payoutRequested`);
   * the treasury pays nothing under it that differs.
   */
  payout: CarriedDecision.shape.payout,
  /**
   * For a RECONCILIATION approval: the differences it explains, as the case asked about them
   * (`reconciliationAsked`); each is booked as its own line in the reconciliation.
   */
  differences: CarriedDecision.shape.differences,
  /** For a HOLD_RESOLUTION: RESUME, AMEND (with the amended plan) or CLOSE (handing the assets back). */
  resolution: CarriedDecision.shape.resolution,
  /** Before decisions became acts: the control API's Ed25519 signature over the case and the decision (kept for old histories). */
  signature: z.string().min(1).max(200).optional(),
  /** The control API's signed act for the decider (kind case.decision), which the services it authorises verify too. */
  act: CarriedDecision.shape.act,
});

function decisionRules<
  T extends Pick<
    z.infer<typeof DecisionFields>,
    | 'stage'
    | 'outcome'
    | 'reason'
    | 'reference'
    | 'settlement'
    | 'judgment'
    | 'authorisation'
    | 'payout'
    | 'differences'
    | 'resolution'
  >,
>(d: T, ctx: z.RefinementCtx): void {
  if (d.outcome === 'REJECT' && !d.reason) {
    ctx.addIssue({ code: 'custom', path: ['reason'], message: 'a rejection needs a reason' });
  }
  if (d.stage === 'CANCELLATION' && d.outcome !== 'APPROVE') {
    ctx.addIssue({ code: 'custom', path: ['outcome'], message: 'a cancellation is only ever APPROVE' });
  }
  if (d.stage === 'CANCELLATION' && !d.reason) {
    ctx.addIssue({ code: 'custom', path: ['reason'], message: 'a cancellation needs a reason' });
  }
  if (d.stage === 'FX_SETTLEMENT' && d.outcome === 'APPROVE' && !d.settlement) {
    ctx.addIssue({ code: 'custom', path: ['settlement'], message: "the bank's settlement of the tranche is required" });
  }
  if (d.stage === 'JUDGMENT' && (d.outcome !== 'APPROVE' || !d.judgment)) {
    ctx.addIssue({ code: 'custom', path: ['judgment'], message: 'a JUDGMENT is recorded (APPROVE) with the judgment' });
  }
  if (d.stage !== 'JUDGMENT' && d.judgment) {
    ctx.addIssue({ code: 'custom', path: ['judgment'], message: 'only a JUDGMENT carries a judgment' });
  }
  if (d.stage !== 'FX_SETTLEMENT' && d.settlement) {
    ctx.addIssue({ code: 'custom', path: ['settlement'], message: 'only an FX_SETTLEMENT carries a settlement' });
  }
  if (d.stage !== 'REMITTANCE' && d.payout) {
    ctx.addIssue({ code: 'custom', path: ['payout'], message: 'only a REMITTANCE carries a payout' });
  }
  if (d.stage !== 'RECONCILIATION' && d.differences) {
    ctx.addIssue({ code: 'custom', path: ['differences'], message: 'only a RECONCILIATION carries differences' });
  }
  if (d.stage === 'RECONCILIATION' && d.outcome === 'APPROVE' && !d.reason) {
    // Each approved difference is booked with this reason: an unexplained approval explains nothing.
    ctx.addIssue({ code: 'custom', path: ['reason'], message: 'approving a difference needs a reason' });
  }
  if (d.stage === 'HOLD_RESOLUTION') {
    if (d.outcome !== 'APPROVE' || !d.resolution) {
      ctx.addIssue({
        code: 'custom',
        path: ['resolution'],
        message: 'a HOLD_RESOLUTION is an approval (APPROVE) of a resolution: RESUME, AMEND or CLOSE',
      });
    }
    if (!d.reason) ctx.addIssue({ code: 'custom', path: ['reason'], message: 'resolving a hold needs a reason' });
  } else if (d.resolution) {
    ctx.addIssue({ code: 'custom', path: ['resolution'], message: 'only a HOLD_RESOLUTION carries a resolution' });
  }
  if (d.stage !== 'DISPOSAL_PLAN' && d.authorisation) {
    ctx.addIssue({ code: 'custom', path: ['authorisation'], message: 'only a DISPOSAL_PLAN carries an authorisation' });
  }
  if (d.stage === 'FX_DECLARATION' && !d.reference) {
    ctx.addIssue({ code: 'custom', path: ['reference'], message: "the regulator's reference is required" });
  }
}

export const Decision = DecisionFields.superRefine(decisionRules);
export type Decision = z.infer<typeof Decision>;

/**
 * What a person sends to the control API: who decides and in which role come from their verified
 * token, never from the body (a `decidedBy` or `role` in the body is dropped); the API stamps `decidedAt`.
 */
export const DecisionInput = DecisionFields.omit({
  decidedBy: true,
  role: true,
  unit: true,
  decidedAt: true,
  nonce: true,
  signature: true,
  act: true,
  // The control API puts in the authorisation (or pay-out) the case asks for; a person does not write it.
  authorisation: true,
  payout: true,
}).superRefine(decisionRules);
export type DecisionInput = z.infer<typeof DecisionInput>;

/** Why a decision was refused; also the ApplicationFailure type the Update validator throws. */
export type DecisionRefusalCode =
  | 'decision-invalid'
  | 'decision-not-awaited'
  | 'four-eyes'
  | 'decision-role'
  | 'quorum-same-person'
  | 'decision-unsigned'
  | 'decision-signature'
  | 'decision-replayed';

export interface DecisionRefusal {
  code: DecisionRefusalCode;
  message: string;
}

export interface DecisionContext {
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

/** Validate a decision against the case's current wait. Returns the parsed decision or why it is refused. */
export function checkDecision(
  raw: unknown,
  ctx: DecisionContext,
): { ok: true; decision: Decision } | { ok: false; refusal: DecisionRefusal } {
  const parsed = Decision.safeParse(raw);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(decision)'}: ${i.message}`).join('; ');
    return { ok: false, refusal: { code: 'decision-invalid', message: `malformed decision: ${detail}` } };
  }
  const decision = parsed.data;
  if (decision.stage === 'CANCELLATION') {
    if (!ctx.cancellable) {
      return {
        ok: false,
        refusal: { code: 'decision-not-awaited', message: 'the case has ended or is already being cancelled' },
      };
    }
  } else if (ctx.awaiting !== decision.stage) {
    const now = ctx.awaiting ? `it is waiting for ${ctx.awaiting}` : 'it is not waiting for any decision';
    return {
      ok: false,
      refusal: { code: 'decision-not-awaited', message: `the case is not waiting for ${decision.stage}: ${now}` },
    };
  }
  if (decision.decidedBy === ctx.requestedBy) {
    return {
      ok: false,
      refusal: {
        code: 'four-eyes',
        message: `${decision.decidedBy} requested this disposal and may not decide on it (four-eyes rule)`,
      },
    };
  }
  if (ctx.approvedBy?.includes(decision.decidedBy)) {
    return {
      ok: false,
      refusal: {
        code: 'quorum-same-person',
        message: `${decision.decidedBy} already approved ${decision.stage}; the quorum needs another person`,
      },
    };
  }
  const tranche = decision.settlement?.amount;
  if (
    decision.stage === 'FX_SETTLEMENT' &&
    tranche &&
    ctx.settlementLimit &&
    new Decimal(tranche).gt(ctx.settlementLimit)
  ) {
    return {
      ok: false,
      refusal: {
        code: 'decision-invalid',
        message: `settlement.amount: the tranche ${tranche} is more than the ${ctx.settlementLimit} left to settle`,
      },
    };
  }
  const roles: readonly Role[] = DECISION_ROLES[decision.stage];
  if (!roles.includes(decision.role)) {
    return {
      ok: false,
      refusal: { code: 'decision-role', message: `a ${decision.stage} decision needs the role ${roles.join(' or ')}` },
    };
  }
  // An approval that moves value carries exactly what the case asked for: the approver signed that.
  const asked: Array<[DecisionStage, 'payout' | 'authorisation' | 'differences', unknown, string]> = [
    ['REMITTANCE', 'payout', ctx.payoutRequested, 'the pay-out the case asks for (payoutRequested)'],
    [
      'RECONCILIATION',
      'differences',
      ctx.reconciliationAsked,
      'the differences the case asks about (reconciliationAsked)',
    ],
    [
      'DISPOSAL_PLAN',
      'authorisation',
      ctx.authorisationRequested,
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
      return {
        ok: false,
        refusal: { code: 'decision-invalid', message: `${field}: a ${stage} approval must carry ${what}` },
      };
    }
  }
  const holdRefusal =
    decision.stage === 'HOLD_RESOLUTION' && ctx.hold ? refuseResolution(decision, ctx.hold) : undefined;
  if (holdRefusal) return { ok: false, refusal: { code: 'decision-invalid', message: holdRefusal } };
  return { ok: true, decision };
}
