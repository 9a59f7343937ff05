/**
 * Treasury service contract (services/treasury): the agency's special case-property account and
 * remittance to the state treasury. Base path /v1. Every POST needs an Idempotency-Key.
 *
 *   POST /v1/credits                 RecordCredit      -> 201 Credit
 *   POST /v1/remittances             RequestRemittance -> 201 Remittance (422 when it exceeds the case balance)
 *   POST /v1/restitution-orders      RegisterRestitutionOrder -> 201 RestitutionOrder (409 same court order ref again)
 *   POST /v1/restitution-distributions DistributeRestitution -> 201 RestitutionDistribution (409 order already
 *                                    distributed, 422 amount above the balance, 409 funds in escrow / judgment forbids)
 *   GET  /v1/restitution-orders/:restitutionOrderId/victims/:victimId/statement -> VictimStatement
 *   POST /v1/escrows                 OpenEscrow   -> 201 Escrow (409 escrow already open)
 *   POST /v1/judgments               RecordJudgment -> 201 Escrow (released; 409 no escrow / already released)
 *   POST /v1/owner-returns           ReturnToOwner -> 201 OwnerReturn (only after an acquittal)
 *   POST /v1/corrections             CorrectEntry  -> 201 CorrectionRequest (PENDING_APPROVAL; 409 line already reversed)
 *   POST /v1/corrections/:correctionId/approval ApproveCorrection -> 201 Correction (reversal + new entry; 422 four-eyes)
 *   GET  /v1/corrections/:correctionId               -> CorrectionRequest (PENDING_APPROVAL | APPLIED)
 *   GET  /v1/corrections?status=PENDING_APPROVAL[&caseId=] -> { corrections: CorrectionRequest[] } (waiting for approval, oldest first)
 *   GET  /v1/cases/:caseId/statement                   -> CaseStatement (running balance)
 *   POST /v1/corrections/:correctionId/follow-up-remittance {} -> 201 Remittance (the difference an upward
 *        correction after the pay-out left in the account; a supervisor's 'treasury.follow-up.approve' act)
 *   POST /v1/recovery-receivables/:receivableId/recovery RecordRecovery -> 201 Recovery (a treasury officer's
 *        'treasury.recovery.record' act; 409 already recovered)
 *
 * A correction after the money left is never refused for the balance: a downward one books the part the
 * account no longer holds as a RECOVERY_RECEIVABLE line (open until its recovery is booked), an upward one
 * leaves the difference in the account as a follow-up remittance due (`followUpsDue` in the statement).
 *
 * Escrow: while a case's escrow is held, no money leaves its account (409 `funds-in-escrow`). The judgment
 * releases it: CONFISCATION → remittance only; RESTITUTION → restitution and remittance of the rest;
 * ACQUITTAL → return to the owner only (otherwise 409 `judgment-forbids`).
 *
 * Who acts (issue #11): a remittance, a restitution distribution and a return to the owner carry a
 * supervisor's signed REMITTANCE APPROVE decision on the case, the judgment a signed JUDGMENT decision
 * (`decision`, a CarriedDecision the workflow carries; the judgment recorded is the decision's); the
 * person booked is the decision's. Opening the escrow and registering a restitution order are the case
 * workflow's steps (`workflowId`, booked as `workflow:<workflowId>`). A correction is requested by one
 * treasury officer and approved by another, each with a signed act forwarded by the control API in the
 * `VCDC-Act` header ('treasury.correction.request' on {type 'credit', id '<caseId>#<line>', caseId};
 * 'treasury.correction.approve' on {type 'correction', id <correctionId>, caseId}). A body naming a
 * person is a 400; a missing or bad decision or act a 403.
 */
import { z } from 'zod';
import { DecimalString, PositiveDecimalString } from '../money';
import { ActorId, CaseId, IsoTimestamp, Sha256Hex } from './common';
import { CarriedDecisionField, WorkflowId } from './fx';

export const RecordCredit = z.object({
  caseId: CaseId,
  agency: z.string().min(1).max(200),
  /** CNY, to the fen. */
  amount: PositiveDecimalString,
  /** The FX settlement that produced these funds. */
  fxSettlementId: z.string().min(1).max(100),
  bankReference: z.string().min(1).max(100),
});
export type RecordCredit = z.infer<typeof RecordCredit>;

export const Credit = z.object({
  creditId: z.string(),
  caseId: CaseId,
  agency: z.string(),
  amount: DecimalString,
  fxSettlementId: z.string(),
  bankReference: z.string(),
  creditedAt: IsoTimestamp,
});
export type Credit = z.infer<typeof Credit>;

export const RequestRemittance = z.object({
  caseId: CaseId,
  amount: PositiveDecimalString,
  /** Budget classification code of the revenue (e.g. confiscation income). */
  budgetClassificationCode: z
    .string()
    .regex(/^[0-9]{7,10}$/, { message: 'must be a 7-10 digit budget classification code' }),
  /** A supervisor's signed REMITTANCE APPROVE decision on the case: the approver is its person. */
  decision: CarriedDecisionField,
});
export type RequestRemittance = z.infer<typeof RequestRemittance>;

export const Remittance = z.object({
  remittanceId: z.string(),
  caseId: CaseId,
  amount: DecimalString,
  budgetClassificationCode: z.string(),
  /** Payment voucher number issued for the remittance. */
  voucherNo: z.string(),
  /** The treasury's receipt number. */
  receiptNo: z.string(),
  approvedBy: ActorId,
  remittedAt: IsoTimestamp,
  /** A follow-up remittance: the correction whose difference it pays. */
  followUpOf: z.string().optional(),
});
export type Remittance = z.infer<typeof Remittance>;

export const LedgerKind = z.enum([
  'CREDIT',
  'REMITTANCE',
  'RESTITUTION',
  'OWNER_RETURN',
  'REVERSAL',
  'CORRECTION',
  'RECOVERY_RECEIVABLE',
]);
export type LedgerKind = z.infer<typeof LedgerKind>;

export const StatementLine = z.object({
  /** The line number in the case's ledger (1, 2, …): what a correction names. The service always sets it
   *  (as it does the totals below); optional so that records made before it existed still parse. */
  line: z.number().int().positive().optional(),
  kind: LedgerKind,
  reference: z.string(),
  /** Signed CNY: credits positive, remittances and payments negative. */
  amount: z.string(),
  /** The amount in fen (signed digits). The service always sets it; optional for earlier answers. */
  baseUnits: z.string().optional(),
  balanceAfter: DecimalString,
  at: IsoTimestamp,
  /** REVERSAL / CORRECTION: the line it replaces. */
  reversesLine: z.number().int().positive().optional(),
});
export const CaseStatement = z.object({
  caseId: CaseId,
  currency: z.literal('CNY'),
  lines: z.array(StatementLine),
  /** Credits net of their corrections. */
  totalCredited: DecimalString,
  totalRemitted: DecimalString,
  totalToVictims: DecimalString.optional(),
  totalReturnedToOwner: DecimalString.optional(),
  balance: DecimalString,
  /**
   * Paid out too much and owed back (RECOVERY_RECEIVABLE lines): counted in the balance, which is what
   * the account holds plus what it is owed. Always set by the service; optional for earlier answers.
   */
  totalRecoverable: DecimalString.optional(),
  /** The receivables, each OPEN until its recovery is booked. */
  receivables: z.lazy(() => z.array(RecoveryReceivable)).optional(),
  /** Upward corrections after the pay-out whose difference still waits for its follow-up remittance. */
  followUpsDue: z.array(z.object({ correctionId: z.string(), amount: DecimalString })).optional(),
  /** The totals and the balance in fen (digit strings), beside the yuan. */
  baseUnits: z
    .object({
      unit: z.literal('fen'),
      totalCredited: z.string(),
      totalRemitted: z.string(),
      totalToVictims: z.string(),
      totalReturnedToOwner: z.string(),
      balance: z.string(),
    })
    .optional(),
});
export type CaseStatement = z.infer<typeof CaseStatement>;

const Cny = PositiveDecimalString;
const CnyOrZero = DecimalString;
const Party = z.string().min(1).max(200);
const VictimId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { message: 'must be 1-64 letters, digits, ".", "_" or "-"' });

export const AllocationMethod = z.enum(['CLAIM_ORDER', 'PRO_RATA']);
export type AllocationMethod = z.infer<typeof AllocationMethod>;

export const VictimClaim = z.object({
  victimId: VictimId,
  name: Party,
  /** 1 = paid first under CLAIM_ORDER; unique within the order. */
  claimOrder: z.number().int().positive(),
  /** The loss the court found, CNY. */
  loss: CnyOrZero,
  /** What the victim has already recovered, CNY. */
  recovered: CnyOrZero,
  payeeAccount: z.string().min(1).max(100),
});
export type VictimClaim = z.infer<typeof VictimClaim>;

export const RegisterRestitutionOrder = z.object({
  caseId: CaseId,
  courtOrderRef: z.string().min(1).max(100),
  documentHash: Sha256Hex,
  method: AllocationMethod,
  victims: z.array(VictimClaim).min(1).max(1000),
  /** The case workflow registering the court's order (booked as `workflow:<workflowId>`). */
  workflowId: WorkflowId,
});
export type RegisterRestitutionOrder = z.infer<typeof RegisterRestitutionOrder>;

export const RestitutionOrder = RegisterRestitutionOrder.omit({ workflowId: true }).extend({
  /** `workflow:<workflowId>` (a person's name on orders registered before issue #11). */
  registeredBy: ActorId,
  restitutionOrderId: z.string(),
  registeredAt: IsoTimestamp,
});
export type RestitutionOrder = z.infer<typeof RestitutionOrder>;

export const DistributeRestitution = z.object({
  caseId: CaseId,
  restitutionOrderId: z.string().min(1).max(100),
  /** The CNY to share among the victims (what is left over stays on the case for the treasury). */
  amount: Cny,
  /** A supervisor's signed REMITTANCE APPROVE decision on the case: the approver is its person. */
  decision: CarriedDecisionField,
});
export type DistributeRestitution = z.infer<typeof DistributeRestitution>;

export const RoundingStep = z.object({
  victimId: z.string(),
  exactShareFen: z.object({ numerator: z.string(), denominator: z.string() }),
  roundedDown: DecimalString,
  extraFen: z.union([z.literal(0), z.literal(1)]),
});

export const RestitutionPayment = z.object({
  paymentId: z.string(),
  victimId: z.string(),
  amount: DecimalString,
  paymentNo: z.string(),
  receiptNo: z.string(),
  paidAt: IsoTimestamp,
});
export type RestitutionPayment = z.infer<typeof RestitutionPayment>;

export const RestitutionDistribution = z.object({
  distributionId: z.string(),
  restitutionOrderId: z.string(),
  caseId: CaseId,
  method: AllocationMethod,
  available: DecimalString,
  allocations: z.array(
    z.object({ victimId: z.string(), claimOrder: z.number(), netLoss: DecimalString, amount: DecimalString }),
  ),
  rounding: z.array(RoundingStep),
  payments: z.array(RestitutionPayment),
  totalToVictims: DecimalString,
  /** Left on the case's account for remittance to the treasury. */
  toTreasury: DecimalString,
  approvedBy: ActorId,
  distributedAt: IsoTimestamp,
});
export type RestitutionDistribution = z.infer<typeof RestitutionDistribution>;

export const VictimStatement = z.object({
  restitutionOrderId: z.string(),
  courtOrderRef: z.string(),
  caseId: CaseId,
  victimId: z.string(),
  name: z.string(),
  claimOrder: z.number(),
  loss: DecimalString,
  recovered: DecimalString,
  netLoss: DecimalString,
  payments: z.array(RestitutionPayment),
  totalPaid: DecimalString,
  outstanding: DecimalString,
});
export type VictimStatement = z.infer<typeof VictimStatement>;

export const JudgmentOutcome = z.enum(['CONFISCATION', 'RESTITUTION', 'ACQUITTAL']);
export type JudgmentOutcome = z.infer<typeof JudgmentOutcome>;

export const OpenEscrow = z.object({
  caseId: CaseId,
  agency: z.string().min(1).max(200),
  reason: z.string().min(1).max(500),
  /** The case workflow putting the case in escrow (booked as `workflow:<workflowId>`). */
  workflowId: WorkflowId,
});
export type OpenEscrow = z.infer<typeof OpenEscrow>;

/**
 * The judgment as recorded (what a JUDGMENT decision carries is this less `caseId` and `recordedBy`,
 * acts/decisions.ts DecisionJudgment). Not a request body: POST /v1/judgments takes JudgmentRequest.
 */
export const RecordJudgment = z.object({
  caseId: CaseId,
  judgmentRef: z.string().min(1).max(100),
  documentHash: Sha256Hex,
  outcome: JudgmentOutcome,
  recordedBy: ActorId,
});
export type RecordJudgment = z.infer<typeof RecordJudgment>;

/**
 * POST /v1/judgments: a supervisor's signed JUDGMENT APPROVE decision on the case; the judgment
 * recorded is exactly `decision.judgment`, recorded by the decision's person.
 */
export const JudgmentRequest = z.object({
  caseId: CaseId,
  decision: CarriedDecisionField,
});
export type JudgmentRequest = z.infer<typeof JudgmentRequest>;

export const Escrow = z.object({
  caseId: CaseId,
  status: z.enum(['HELD', 'RELEASED']),
  reason: z.string(),
  openedBy: ActorId,
  openedAt: IsoTimestamp,
  judgment: z
    .object({
      judgmentRef: z.string(),
      documentHash: Sha256Hex,
      outcome: JudgmentOutcome,
      recordedBy: ActorId,
      releasedAt: IsoTimestamp,
    })
    .optional(),
});
export type Escrow = z.infer<typeof Escrow>;

export const ReturnToOwner = z.object({
  caseId: CaseId,
  ownerName: Party,
  payeeAccount: z.string().min(1).max(100),
  amount: Cny,
  /** A supervisor's signed REMITTANCE APPROVE decision on the case: the approver is its person. */
  decision: CarriedDecisionField,
});
export type ReturnToOwner = z.infer<typeof ReturnToOwner>;

export const OwnerReturn = ReturnToOwner.omit({ decision: true }).extend({
  approvedBy: ActorId,
  ownerReturnId: z.string(),
  paymentNo: z.string(),
  receiptNo: z.string(),
  returnedAt: IsoTimestamp,
});
export type OwnerReturn = z.infer<typeof OwnerReturn>;

export const CorrectEntry = z.object({
  caseId: CaseId,
  /** The ledger line that was wrong (a CREDIT or an earlier CORRECTION). */
  line: z.number().int().positive(),
  /** What the line should have been, CNY (0 = it should not have been booked at all). */
  correctedAmount: CnyOrZero,
  reason: z.string().min(1).max(1000),
  /** The FX settlement correction this one carries into the treasury (fx's correctionId), if any. */
  fxCorrectionId: z.string().min(1).max(100).optional(),
});
export type CorrectEntry = z.infer<typeof CorrectEntry>;

/** A correction as requested: its author is the requesting act's person; it waits for another's approval. */
export const CorrectionRequest = CorrectEntry.extend({
  correctionId: z.string(),
  author: ActorId,
  status: z.enum(['PENDING_APPROVAL', 'APPLIED']),
  requestedAt: IsoTimestamp,
});
export type CorrectionRequest = z.infer<typeof CorrectionRequest>;

/** The approval of a pending correction: the approver is the act's person (never its author). */
export const ApproveCorrection = z.strictObject({
  note: z.string().min(1).max(1000).optional(),
});
export type ApproveCorrection = z.infer<typeof ApproveCorrection>;

export const Correction = CorrectEntry.extend({
  author: ActorId,
  approver: ActorId,
  correctionId: z.string(),
  reversalLine: z.number().int().positive(),
  /** Absent when the corrected amount is zero (nothing to book again). */
  correctionLine: z.number().int().positive().optional(),
  correctedAt: IsoTimestamp,
  /** Booked when the account no longer held what the correction took back (the money had left). */
  receivable: z.lazy(() => RecoveryReceivable).optional(),
  /** Set when the correction added money after the pay-out: what its follow-up remittance must pay. */
  followUpDue: DecimalString.optional(),
});
export type Correction = z.infer<typeof Correction>;

/** POST /v1/recovery-receivables/:receivableId/recovery: the money came back, with the refund's receipt. */
export const RecordRecovery = z.strictObject({
  receiptNo: z.string().min(1).max(100),
});
export type RecordRecovery = z.infer<typeof RecordRecovery>;

export const Recovery = z.object({
  receivableId: z.string(),
  caseId: CaseId,
  amount: DecimalString,
  receiptNo: z.string(),
  recordedBy: ActorId,
  recoveredAt: IsoTimestamp,
});
export type Recovery = z.infer<typeof Recovery>;

export const RecoveryReceivable = z.object({
  receivableId: z.string(),
  caseId: CaseId,
  correctionId: z.string(),
  amount: DecimalString,
  /** Who holds the money and is to pay it back: the payee of the case's pay-out (TREASURY, VICTIMS, OWNER). */
  debtor: z.string(),
  line: z.number().int().positive(),
  bookedAt: IsoTimestamp,
  status: z.enum(['OPEN', 'RECOVERED']),
  recovery: Recovery.optional(),
});
export type RecoveryReceivable = z.infer<typeof RecoveryReceivable>;

/**
 * What a REMITTANCE approval lets leave the special case-property account, as the case asks for it
 * (`payoutRequested` in its status) and the supervisor signs it inside the decision: which pay-out,
 * at most how much, to whom (the restitution order's victims, or the acquitted owner's account). The
 * treasury pays nothing under the decision that differs from it.
 */
export const PayoutAuthorisation = z.object({
  caseId: CaseId,
  /** RESTITUTION: victims by the court order, the rest to the treasury; TREASURY: all to the treasury; OWNER_RETURN: back to the acquitted owner. */
  kind: z.enum(['TREASURY', 'RESTITUTION', 'OWNER_RETURN']),
  /** The most CNY that may leave the account under the approval: the case's balance when it was asked. */
  amount: DecimalString,
  restitutionOrderId: z.string().min(1).max(100).optional(),
  ownerPayeeAccount: z.string().min(1).max(100).optional(),
});
export type PayoutAuthorisation = z.infer<typeof PayoutAuthorisation>;
