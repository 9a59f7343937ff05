/**
 * FX service contract (services/fx): balance-of-payments declarations and settlement into CNY.
 * Base path /v1. Every POST needs an Idempotency-Key. Transitions out of order are 409 problems.
 *
 *   POST /v1/declarations                       CreateDeclaration  -> 201 Declaration (DRAFT)
 *   POST /v1/declarations/:id/submit            SubmitDeclaration  -> 200 Declaration (SUBMITTED)
 *   POST /v1/declarations/:id/decision          RecordFxDecision   -> 200 Declaration (APPROVED | REJECTED)
 *   POST /v1/declarations/:id/settlements       SettleDeclaration  -> 201 Settlement (declaration SETTLED when fully settled)
 *   GET  /v1/declarations/:id                                      -> Declaration (with transitions and settlements)
 *   GET  /v1/cases/:caseId/declarations                            -> Declaration[]
 */
import { z } from 'zod';
import { DecimalString, FiatCurrency, PositiveDecimalString } from '../money';
import { ActorId, CaseId, DocumentRef, IsoTimestamp } from './common';

export const Party = z.object({
  name: z.string().min(1).max(200),
  account: z.string().min(1).max(64),
  bank: z.string().min(1).max(200),
});

export const CreateDeclaration = z.object({
  caseId: CaseId,
  currency: FiatCurrency.exclude(['CNY']),
  amount: PositiveDecimalString,
  /** Balance-of-payments transaction code. */
  transactionCode: z
    .string()
    .regex(/^[0-9]{6}$/, { message: 'must be a 6-digit balance-of-payments transaction code' }),
  purpose: z.string().min(1).max(500),
  remitter: Party,
  beneficiary: Party,
  documents: z.array(DocumentRef).max(50).default([]),
  preparedBy: ActorId,
});
export type CreateDeclaration = z.infer<typeof CreateDeclaration>;

export const SubmitDeclaration = z.object({ submittedBy: ActorId });
export type SubmitDeclaration = z.infer<typeof SubmitDeclaration>;

export const RecordFxDecision = z.object({
  decision: z.enum(['APPROVED', 'REJECTED']),
  decidedBy: ActorId,
  /** The regulator's reference for the decision. */
  regulatorReference: z.string().min(1).max(100),
  reason: z.string().max(1000).optional(),
});
export type RecordFxDecision = z.infer<typeof RecordFxDecision>;

export const SettleDeclaration = z.object({
  /** Foreign amount settled in this tranche. */
  amount: PositiveDecimalString,
  bankReference: z.string().min(1).max(100),
});
export type SettleDeclaration = z.infer<typeof SettleDeclaration>;

export const Settlement = z.object({
  settlementId: z.string(),
  declarationId: z.string(),
  caseId: CaseId,
  currency: z.string(),
  foreignAmount: DecimalString,
  /** CNY per unit of foreign currency, as published by the rate source. */
  rate: DecimalString,
  rateSource: z.string(),
  rateAsOf: IsoTimestamp,
  /** foreignAmount × rate rounded toward zero to the fen. */
  cnyAmount: DecimalString,
  /** What rounding cut off (below one fen), booked as its own line. */
  roundingRemainder: DecimalString,
  bankReference: z.string(),
  settledAt: IsoTimestamp,
});
export type Settlement = z.infer<typeof Settlement>;

export const DeclarationStatus = z.enum(['DRAFT', 'SUBMITTED', 'APPROVED', 'REJECTED', 'SETTLED']);
export const Declaration = z.object({
  declarationId: z.string(),
  declarationNo: z.string(),
  caseId: CaseId,
  currency: z.string(),
  amount: DecimalString,
  settledAmount: DecimalString,
  transactionCode: z.string(),
  purpose: z.string(),
  status: DeclarationStatus,
  transitions: z.array(
    z.object({
      from: z.string().nullable(),
      to: DeclarationStatus,
      by: ActorId,
      at: IsoTimestamp,
      note: z.string().nullable(),
    }),
  ),
  settlements: z.array(Settlement),
  createdAt: IsoTimestamp,
});
export type Declaration = z.infer<typeof Declaration>;
