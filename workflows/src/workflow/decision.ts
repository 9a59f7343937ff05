/**
 * Human decisions that move a case: the payload, who may take each, and why one is refused. Whether a
 * decision is admitted is decision-admission.ts's one function. Pure: imported by the workflow and by
 * the control API.
 *
 * The workflow validates decisions (on every replay, too) with its own frozen shapes (frozen/), not with
 * the services' contracts: a service tightening its contract must not change what a running case admits.
 */
import { DECISION_ROLES, PersonRole } from '@vcdc/shared/acts/pure';
import { z } from 'zod';
import {
  PersonRole as DeciderRole,
  DecisionStage as FrozenDecisionStage,
  HoldResolution,
  ReconciliationDifference,
  SignedAct,
  Unit,
} from './frozen/acts';
import {
  ActorId,
  DecisionJudgment,
  IsoTimestamp,
  PayoutAuthorisation,
  SettleDeclaration,
  TransferAuthorisation,
} from './frozen/contracts';

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
export const DecisionStage = FrozenDecisionStage;
export type DecisionStage = z.infer<typeof DecisionStage>;
/** The stages a case waits for (a cancellation is never awaited: it may come at any time). */
export type WaitStage = Exclude<DecisionStage, 'CANCELLATION'>;

/** The roles people hold, as the control API reads them from tokens (a decision's `role` is parsed with the frozen copy). */
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
  role: DeciderRole,
  /** The decider's unit (case handling, custody, finance…), from their token: the approval policy counts distinct units. */
  unit: Unit.optional(),
  reason: z.string().min(1).max(1000).optional(),
  /** An outside reference for the decision; for FX_DECLARATION the regulator's reference (required). */
  reference: z.string().min(1).max(100).optional(),
  decidedAt: IsoTimestamp,
  /** For JUDGMENT: the court's judgment that releases the escrow and says where the money goes. */
  judgment: DecisionJudgment.optional(),
  /** For FX_SETTLEMENT: the tranche the bank settled, as its FX officer records it. */
  settlement: SettleDeclaration.optional(),
  /** Set by the control API: unique per decision (a replay is refused) and covered by `signature`. */
  nonce: z.string().min(1).max(64).optional(),
  /**
   * For a DISPOSAL_PLAN approval: what may leave the case's wallets, as the case asked for it
   * (`authorisationRequested` in its status); custody checks every transfer against it.
   */
  authorisation: TransferAuthorisation.optional(),
  /**
   * For a REMITTANCE approval: the pay-out it allows, as the case asked for it (`payoutRequested`);
   * the treasury pays nothing under it that differs.
   */
  payout: PayoutAuthorisation.optional(),
  /**
   * For a RECONCILIATION approval: the differences it explains, as the case asked about them
   * (`reconciliationAsked`); each is booked as its own line in the reconciliation.
   */
  differences: z.array(ReconciliationDifference).max(100).optional(),
  /** For a HOLD_RESOLUTION: RESUME, AMEND (with the amended plan) or CLOSE (handing the assets back). */
  resolution: HoldResolution.optional(),
  /** Before decisions became acts: the control API's Ed25519 signature over the case and the decision (kept for old histories). */
  signature: z.string().min(1).max(200).optional(),
  /** The control API's signed act for the decider (kind case.decision), which the services it authorises verify too. */
  act: SignedAct.optional(),
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
