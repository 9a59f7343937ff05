/**
 * Treasury service contract (services/treasury): the agency's special case-property account and
 * remittance to the state treasury. Base path /v1. Every POST needs an Idempotency-Key.
 *
 *   POST /v1/credits                 RecordCredit      -> 201 Credit
 *   POST /v1/remittances             RequestRemittance -> 201 Remittance (422 when it exceeds the case balance)
 *   GET  /v1/cases/:caseId/statement                   -> CaseStatement (running balance)
 */
import { z } from 'zod';
import { DecimalString, PositiveDecimalString } from '../money';
import { ActorId, CaseId, IsoTimestamp } from './common';

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

export const StatementLine = z.object({
  kind: z.enum(['CREDIT', 'REMITTANCE']),
  reference: z.string(),
  /** Signed CNY: credits positive, remittances negative. */
  amount: z.string(),
  balanceAfter: DecimalString,
  at: IsoTimestamp,
});
export const CaseStatement = z.object({
  caseId: CaseId,
  currency: z.literal('CNY'),
  lines: z.array(StatementLine),
  totalCredited: DecimalString,
  totalRemitted: DecimalString,
  balance: DecimalString,
});
export type CaseStatement = z.infer<typeof CaseStatement>;
