/**
 * Decisions as signed acts: their shape, who may take each, and what the act is signed over.
 * Pure: the workflow and the control API import it; decisions.ts verifies.
 */
import { z } from 'zod';
import { ActorId, IsoTimestamp } from '../contracts/common';
import { TransferAuthorisation } from '../contracts/custody';
import { SettleDeclaration } from '../contracts/fx';
import { PayoutAuthorisation, RecordJudgment } from '../contracts/treasury';
import { CryptoAsset, PositiveDecimalString } from '../money';
import { PersonRole } from './act-kinds';
import { SignedAct, Unit } from './act-schema';

export const DECISION_ACT = 'case.decision' as const;

export const DecisionStage = z.enum([
  'INTAKE_DISCREPANCY',
  'DISPOSAL_PLAN',
  'SALE_PRICE',
  'FX_DECLARATION',
  'FX_RESUBMISSION',
  'FX_SETTLEMENT',
  'JUDGMENT',
  'REMITTANCE',
  'RECONCILIATION',
  'CANCELLATION',
  'HOLD_RESOLUTION',
]);
export type DecisionStage = z.infer<typeof DecisionStage>;

/** Who may take each decision: the one table the control API, the workflow and the services check. */
export const DECISION_ROLES: Record<DecisionStage, readonly PersonRole[]> = {
  INTAKE_DISCREPANCY: ['supervisor'],
  // A senior supervisor approves as one (the approval policy may ask for one).
  DISPOSAL_PLAN: ['senior-supervisor', 'supervisor'],
  SALE_PRICE: ['supervisor'],
  FX_DECLARATION: ['fx-officer'],
  FX_RESUBMISSION: ['supervisor'],
  FX_SETTLEMENT: ['fx-officer'],
  JUDGMENT: ['supervisor'],
  REMITTANCE: ['supervisor'],
  // Differences found before the pay-out: explained (each booked as its own line) or the case held.
  RECONCILIATION: ['supervisor'],
  CANCELLATION: ['supervisor'],
  // A held case goes on, is amended or is closed only on two supervisors' word (four eyes, each with a reason).
  HOLD_RESOLUTION: ['supervisor'],
};

/**
 * To whom, on whose order and where a case's coins go back on acquittal (HOLD_RESOLUTION CLOSE to the
 * OWNER): both supervisors sign it, and custody sends each asset only to the address named here for it.
 */
export const OwnerHandBack = z
  .object({
    /** The court's order to hand the property back (acquittal, 发还), as it is referenced. */
    courtOrder: z.string().trim().min(1).max(200),
    /** Who receives it, as the order names them. */
    name: z.string().trim().min(1).max(200),
    /** The owner's address per asset: every asset the case holds in custody, once. */
    addresses: z
      .array(z.object({ asset: CryptoAsset, address: z.string().trim().min(1).max(200) }).strict())
      .min(1)
      .max(10)
      .refine((l) => new Set(l.map((a) => a.asset)).size === l.length, { message: 'each asset once' }),
  })
  .strict();
export type OwnerHandBack = z.infer<typeof OwnerHandBack>;

/**
 * How a held case is resolved (HOLD_RESOLUTION): RESUME at the stage where it stopped; AMEND the
 * disposal plan for the coins back in custody (which assets, how much of each: a new plan, approved
 * again at DISPOSAL_PLAN); or CLOSE with the assets handed back, to custody (they stay in the case
 * wallet) or to the owner (acquittal: to the owner's address per asset, on the court's order).
 */
export const HoldResolution = z.discriminatedUnion('path', [
  z.object({ path: z.literal('RESUME') }).strict(),
  z
    .object({
      path: z.literal('AMEND'),
      /** The amended plan: what of each asset in custody is to be disposed of (the rest stays in custody). */
      dispose: z
        .array(z.object({ asset: CryptoAsset, amount: PositiveDecimalString }))
        .min(1)
        .max(10)
        .refine((l) => new Set(l.map((a) => a.asset)).size === l.length, { message: 'each asset once' }),
    })
    .strict(),
  z.discriminatedUnion('handBackTo', [
    z.object({ path: z.literal('CLOSE'), handBackTo: z.literal('CUSTODY') }).strict(),
    z.object({ path: z.literal('CLOSE'), handBackTo: z.literal('OWNER'), owner: OwnerHandBack }).strict(),
  ]),
]);
export type HoldResolution = z.infer<typeof HoldResolution>;

/** A check that did not add up before the pay-out, and by how much (left − right). */
export const ReconciliationDifference = z.object({
  check: z.string().min(1).max(300),
  difference: z.string().regex(/^-?\d+(\.\d+)?$/, 'a decimal string'),
});
export type ReconciliationDifference = z.infer<typeof ReconciliationDifference>;

/** The judgment as a decision carries it (the case and who recorded it are the decision's). */
export const DecisionJudgment = RecordJudgment.omit({ caseId: true, recordedBy: true });

/** A decision as the workflow holds it and carries it to a service. */
export const CarriedDecision = z.object({
  stage: DecisionStage,
  outcome: z.enum(['APPROVE', 'REJECT']),
  decidedBy: ActorId,
  role: PersonRole,
  unit: Unit.optional(),
  reason: z.string().max(1000).optional(),
  reference: z.string().max(100).optional(),
  decidedAt: IsoTimestamp,
  judgment: DecisionJudgment.optional(),
  settlement: SettleDeclaration.optional(),
  authorisation: TransferAuthorisation.optional(),
  /** For a REMITTANCE approval: the pay-out it allows (kind, most CNY, payees). */
  payout: PayoutAuthorisation.optional(),
  /** For a RECONCILIATION approval: the differences it explains, each check and its difference, as asked. */
  differences: z.array(ReconciliationDifference).max(100).optional(),
  /** For a HOLD_RESOLUTION: the path the supervisors chose (both approvals carry the same). */
  resolution: HoldResolution.optional(),
  nonce: z.string().min(1).max(64).optional(),
  act: SignedAct.optional(),
});
export type CarriedDecision = z.infer<typeof CarriedDecision>;

/** What a decision's act is signed over: everything the person decided, on which case, when. */
export function decisionContent(
  caseId: string,
  d: Omit<CarriedDecision, 'act' | 'decidedBy' | 'role' | 'unit' | 'nonce'>,
): unknown {
  return {
    caseId,
    stage: d.stage,
    outcome: d.outcome,
    reason: d.reason ?? null,
    reference: d.reference ?? null,
    decidedAt: d.decidedAt,
    judgment: d.judgment ?? null,
    settlement: d.settlement ?? null,
    authorisation: d.authorisation ?? null,
    payout: d.payout ?? null,
    // Only when present: acts signed before RECONCILIATION existed verify as they were signed.
    ...(d.differences ? { differences: d.differences } : {}),
    ...(d.resolution ? { resolution: d.resolution } : {}),
  };
}
