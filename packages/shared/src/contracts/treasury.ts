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
 *   POST /v1/corrections             CorrectEntry  -> 201 Correction (reversal + new entry; 409 line already reversed)
 *   GET  /v1/cases/:caseId/statement                   -> CaseStatement (running balance)
 *
 * Escrow: while a case's escrow is held, no money leaves its account (409 `funds-in-escrow`). The judgment
 * releases it: CONFISCATION → remittance only; RESTITUTION → restitution and remittance of the rest;
 * ACQUITTAL → return to the owner only (otherwise 409 `judgment-forbids`).
 */
import { z } from 'zod';
import { DecimalString, PositiveDecimalString } from '../money';
import { ActorId, CaseId, IsoTimestamp, Sha256Hex } from './common';

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
  approvedBy: ActorId,
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
});
export type Remittance = z.infer<typeof Remittance>;

export const LedgerKind = z.enum(['CREDIT', 'REMITTANCE', 'RESTITUTION', 'OWNER_RETURN', 'REVERSAL', 'CORRECTION']);
export type LedgerKind = z.infer<typeof LedgerKind>;

export const StatementLine = z.object({
  /** The line number in the case's ledger (1, 2, …): what a correction names. The service always sets it
   *  (as it does the totals below); optional so that records made before it existed still parse. */
  line: z.number().int().positive().optional(),
  kind: LedgerKind,
  reference: z.string(),
  /** Signed CNY: credits positive, remittances and payments negative. */
  amount: z.string(),
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
  registeredBy: ActorId,
});
export type RegisterRestitutionOrder = z.infer<typeof RegisterRestitutionOrder>;

export const RestitutionOrder = RegisterRestitutionOrder.extend({
  restitutionOrderId: z.string(),
  registeredAt: IsoTimestamp,
});
export type RestitutionOrder = z.infer<typeof RestitutionOrder>;

export const DistributeRestitution = z.object({
  caseId: CaseId,
  restitutionOrderId: z.string().min(1).max(100),
  /** The CNY to share among the victims (what is left over stays on the case for the treasury). */
  amount: Cny,
  approvedBy: ActorId,
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
  openedBy: ActorId,
});
export type OpenEscrow = z.infer<typeof OpenEscrow>;

export const RecordJudgment = z.object({
  caseId: CaseId,
  judgmentRef: z.string().min(1).max(100),
  documentHash: Sha256Hex,
  outcome: JudgmentOutcome,
  recordedBy: ActorId,
});
export type RecordJudgment = z.infer<typeof RecordJudgment>;

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
  approvedBy: ActorId,
});
export type ReturnToOwner = z.infer<typeof ReturnToOwner>;

export const OwnerReturn = ReturnToOwner.extend({
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
  author: ActorId,
  approver: ActorId,
});
export type CorrectEntry = z.infer<typeof CorrectEntry>;

export const Correction = CorrectEntry.extend({
  correctionId: z.string(),
  reversalLine: z.number().int().positive(),
  /** Absent when the corrected amount is zero (nothing to book again). */
  correctionLine: z.number().int().positive().optional(),
  correctedAt: IsoTimestamp,
});
export type Correction = z.infer<typeof Correction>;
