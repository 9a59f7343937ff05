/**
 * FX service contract (services/fx): balance-of-payments declarations and settlement into CNY.
 * Base path /v1. Every POST needs an Idempotency-Key. Transitions out of order are 409 problems.
 *
 * Who acts: filing and submitting are the case workflow's own steps (`workflowId`, booked as
 * `workflow:<workflowId>`); the regulator's decision and each settlement are people's decisions, carried
 * by the workflow as signed `case.decision` acts (`decision`, packages/shared/src/acts/decisions.ts) and
 * verified here: the person booked is the act's. A body naming a person (`preparedBy`, `decidedBy`…) is
 * a 400; a missing, forged, altered, other-case, other-stage or wrong-outcome decision a 403.
 *
 *   POST /v1/declarations                       CreateDeclaration  -> 201 Declaration (DRAFT)
 *   POST /v1/declarations/:id/submit            SubmitDeclaration  -> 200 Declaration (SUBMITTED; from DRAFT, or
 *                                                                     from REJECTED as a resubmission)
 *   POST /v1/declarations/:id/decision          RecordFxDecision   -> 200 Declaration (APPROVED | REJECTED)
 *   POST /v1/declarations/:id/settlements       RecordSettlement   -> 201 Settlement (declaration SETTLED when fully settled)
 *   GET  /v1/declarations/:id                                      -> Declaration (with transitions and settlements)
 *   GET  /v1/declarations/:id/waterfall                            -> Waterfall (venue → fees → spread → CNY)
 *   GET  /v1/cases/:caseId/declarations                            -> Declaration[]
 *   POST /v1/settlements/:settlementId/corrections  RequestSettlementCorrection -> 201 SettlementCorrection
 *        (PENDING_APPROVAL; a forwarded `fx.settlement.correct` act of an FX officer, its author)
 *   POST /v1/settlement-corrections/:correctionId/approval {}      -> 201 SettlementCorrection (APPLIED: a
 *        REVERSAL of the version in force and a CORRECTION booked; `fx.correction.approve` of another person,
 *        422 four-eyes when it is the author)
 *   GET  /v1/settlement-corrections/:correctionId                  -> SettlementCorrection
 *   GET  /v1/settlement-corrections?status=PENDING_APPROVAL[&caseId=] -> { corrections: SettlementCorrection[] } (waiting)
 */
import { z } from 'zod';
import type { CarriedDecision } from '../acts/decision-schema';
import { DecimalString, FiatCurrency, PositiveDecimalString, SignedDecimalString } from '../money';
import { ActorId, CaseId, DocumentRef, IsoTimestamp } from './common';

/**
 * The workflow that takes a step of its own (e.g. `case-CASE-1`); the step is booked as
 * `workflow:<workflowId>`, never as a person.
 */
export const WorkflowId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, { message: 'must be 1-128 letters, digits, ".", "_", ":" or "-"' });

/**
 * A signed decision the workflow carries (acts/decisions.ts CarriedDecision). Checked in full by the
 * service (`verifyCarriedDecision`); this contract module stays free of node-only code, so here it is
 * only required to be an object. Optional so that a request without one is a 403 (act-missing), like
 * a request with a bad one, and not a validation error.
 */
export const CarriedDecisionField = z
  .custom<CarriedDecision>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), {
    message: 'must be a signed decision (CarriedDecision)',
  })
  .optional();

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
  /** The venue withdrawal these funds came from: where the waterfall starts. */
  venueWithdrawal: z
    .object({
      withdrawalId: z.string().min(1).max(100),
      /** What left the venue account, in the declaration's currency. */
      grossAmount: PositiveDecimalString,
      /** The venue's withdrawal fee (gross − fee arrived at the bank = the declared amount). */
      fee: DecimalString,
    })
    .optional(),
  /** The workflow filing the declaration (booked as `workflow:<workflowId>`). */
  workflowId: WorkflowId,
});
export type CreateDeclaration = z.infer<typeof CreateDeclaration>;

export const SubmitDeclaration = z.object({
  /** The workflow submitting (booked as `workflow:<workflowId>`). */
  workflowId: WorkflowId,
  /** On a resubmission: what was changed after the rejection. */
  note: z.string().min(1).max(1000).optional(),
});
export type SubmitDeclaration = z.infer<typeof SubmitDeclaration>;

/**
 * The regulator's decision as an FX officer recorded it: a signed FX_DECLARATION decision on the
 * declaration's case. APPROVE → APPROVED, REJECT → REJECTED; the regulator's reference is the decision's
 * `reference` (required), the reason its `reason`; the person booked is the decision's act's.
 */
export const RecordFxDecision = z.object({
  decision: CarriedDecisionField,
});
export type RecordFxDecision = z.infer<typeof RecordFxDecision>;

/**
 * One settlement tranche as the bank reported it: what an FX_SETTLEMENT decision carries
 * (`decision.settlement`). Not a request body: the settlement route takes it from the signed decision.
 */
export const SettleDeclaration = z.object({
  /** Foreign amount settled in this tranche. */
  amount: PositiveDecimalString,
  bankReference: z.string().min(1).max(100),
  /** The settling bank's charges, deducted from this tranche before conversion (foreign currency). */
  bankCharges: DecimalString.optional(),
  /** Correspondent / intermediary bank fees deducted on the way (foreign currency). */
  correspondentFees: DecimalString.optional(),
});
export type SettleDeclaration = z.infer<typeof SettleDeclaration>;

/**
 * POST /v1/declarations/:id/settlements: a signed FX_SETTLEMENT APPROVE decision on the declaration's
 * case; the tranche recorded is exactly `decision.settlement`, recorded by the decision's person.
 */
export const RecordSettlement = z.object({
  decision: CarriedDecisionField,
});
export type RecordSettlement = z.infer<typeof RecordSettlement>;

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
  // Always set by the service; optional so that records made before them still parse.
  bankCharges: DecimalString.optional(),
  correspondentFees: DecimalString.optional(),
  /** foreignAmount − bankCharges − correspondentFees: what was converted. */
  netForeignAmount: DecimalString.optional(),
  /** The central parity rate of the day (the bank's rate is this less its spread). */
  centralParity: DecimalString.optional(),
  /** netForeignAmount × (centralParity − rate), CNY: what the bank's spread cost. */
  fxSpread: DecimalString.optional(),
  /** The FX officer whose signed FX_SETTLEMENT decision recorded the tranche (absent on older records). */
  recordedBy: ActorId.optional(),
  /**
   * The tranche's corrections, oldest first (absent when none): the figures above stay as the bank's
   * tranche was first recorded; each correction reversed the version then in force and booked a new one.
   */
  corrections: z.lazy(() => z.array(SettlementCorrection)).optional(),
  /** The version in force when the tranche was corrected (its last correction's figures). */
  inForce: z.lazy(() => SettlementFigures).optional(),
});
export type Settlement = z.infer<typeof Settlement>;

/** A version of a tranche: what was converted, at which rate, into how many CNY (rounding cut off). */
export const SettlementFigures = z.object({
  netForeignAmount: DecimalString,
  rate: DecimalString,
  cnyAmount: DecimalString,
  roundingRemainder: DecimalString,
});
export type SettlementFigures = z.infer<typeof SettlementFigures>;

/**
 * POST /v1/settlements/:settlementId/corrections: what the tranche should have been. A corrected rate
 * converts the net foreign amount again (toward zero to the fen); a corrected CNY amount must follow
 * from the rate (the one corrected, or the one in force) within the fen rounding cuts off.
 */
export const RequestSettlementCorrection = z
  .object({
    rate: PositiveDecimalString.optional(),
    cnyAmount: DecimalString.optional(),
    reason: z.string().min(1).max(1000),
  })
  .strict()
  .refine((c) => c.rate !== undefined || c.cnyAmount !== undefined, {
    message: 'give the corrected rate, the corrected CNY amount, or both',
    path: ['rate'],
  });
export type RequestSettlementCorrection = z.infer<typeof RequestSettlementCorrection>;

export const SettlementCorrection = z.object({
  correctionId: z.string(),
  settlementId: z.string(),
  declarationId: z.string(),
  caseId: CaseId,
  currency: z.string(),
  reason: z.string(),
  author: ActorId,
  status: z.enum(['PENDING_APPROVAL', 'APPLIED']),
  requestedAt: IsoTimestamp,
  /** The version corrected (the original, or the correction in force when it was requested). */
  corrects: z.string().nullable(),
  before: SettlementFigures,
  after: SettlementFigures,
  /** after.cnyAmount − before.cnyAmount: what the treasury credit must be corrected by. */
  cnyDifference: SignedDecimalString,
  approver: ActorId.optional(),
  correctedAt: IsoTimestamp.optional(),
});
export type SettlementCorrection = z.infer<typeof SettlementCorrection>;

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
  // Always set by the service; optional so that records made before them still parse.
  remitter: Party.optional(),
  beneficiary: Party.optional(),
  documents: z.array(DocumentRef).optional(),
  venueWithdrawal: CreateDeclaration.shape.venueWithdrawal,
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

/**
 * Where the money went between the venue and the CNY settled, one line each, in order. Foreign lines
 * are in the declaration's currency, CNY lines in CNY; deductions are negative. Per currency the lines
 * add up: venue gross + venue fee + correspondent + bank charges = converted, and converted at the
 * central parity + spread + rounding = CNY settled; CNY settled + correction reversals + corrections = CNY in force.
 */
export const WaterfallLine = z.object({
  kind: z.enum([
    'WITHDRAWN_AT_VENUE',
    'VENUE_WITHDRAWAL_FEE',
    'ARRIVED_AT_BANK',
    'CORRESPONDENT_FEES',
    'BANK_CHARGES',
    'CONVERTED',
    'CNY_AT_CENTRAL_PARITY',
    'FX_SPREAD',
    'ROUNDING',
    'CNY_SETTLED',
    // After the tranches as settled, their corrections: each reversal and new entry, and the CNY in force.
    'CORRECTION_REVERSAL',
    'CORRECTION',
    'CNY_IN_FORCE',
  ]),
  currency: z.string(),
  amount: z.string(),
  /** Tranches this line sums (settlement ids); empty for the venue lines. */
  settlementIds: z.array(z.string()),
});
export const Waterfall = z.object({
  declarationId: z.string(),
  caseId: CaseId,
  currency: z.string(),
  lines: z.array(WaterfallLine),
  /** Declared but not yet settled, in the declaration's currency. */
  unsettled: DecimalString,
});
export type Waterfall = z.infer<typeof Waterfall>;

/** GET /v1/rates/:currency: the day's bank buying rate, CNY per unit, for valuing a case (settlements use their own). */
export const IndicativeRate = z.object({
  currency: z.string(),
  quote: z.literal('CNY'),
  date: z.string(),
  rate: DecimalString,
  source: z.string(),
});
export type IndicativeRate = z.infer<typeof IndicativeRate>;
