/**
 * The shapes of a decision as the case workflow validates it, frozen: copies of the decision pieces of
 * @vcdc/shared/acts (decision-schema.ts, act-schema.ts, act-kinds.ts) as they stood when issue 17 froze
 * them. Every decision is validated again when the case's history is replayed, so a change to the
 * shared shapes (which are built from the services' contracts) must not change what a running case
 * admits; contracts.ts says why in full. The control API signs, and the services verify, with the
 * shared shapes; the workflow only carries the act and has an activity verify its signature.
 */
import { CryptoAsset, PositiveDecimalString } from '@vcdc/shared/money';
import { z } from 'zod';
import { ActorId, CaseId, IsoTimestamp, Sha256Hex } from './contracts';

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

export const PersonRole = z.enum([
  'case-officer',
  'supervisor',
  'senior-supervisor',
  'custodian',
  'fx-officer',
  'treasury-officer',
  'auditor',
  'operator',
]);

/** A person's organisational unit, from their token. */
export const Unit = z.string().min(1).max(100);

const ActKind = z.enum([
  'custody.intake.attest',
  'custody.intake.classify',
  'custody.intake.countersign',
  'custody.evidence.correct',
  'custody.whitelist.request',
  'custody.whitelist.approve',
  'custody.whitelist.revoke',
  'case.decision',
  'fx.settlement.correct',
  'fx.correction.approve',
  'treasury.correction.request',
  'treasury.correction.approve',
  'treasury.follow-up.approve',
  'treasury.recovery.record',
  'register.provider.propose',
  'register.provider.approve',
]);

/** The control API's signed act a decision carries (its signature is the verifyDecision activity's to check). */
export const SignedAct = z.object({
  act: z.object({
    v: z.literal(1),
    actId: z.uuid(),
    kind: ActKind,
    actor: z.object({ id: ActorId, role: PersonRole, unit: Unit }),
    object: z.object({
      type: z.string().min(1).max(40),
      id: z.string().min(1).max(200),
      caseId: CaseId.optional(),
    }),
    contentSha256: Sha256Hex,
    issuedAt: IsoTimestamp,
    expiresAt: IsoTimestamp,
  }),
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  signature: z.string().min(1).max(200),
});

export const ReconciliationDifference = z.object({
  check: z.string().min(1).max(300),
  difference: z.string().regex(/^-?\d+(\.\d+)?$/, 'a decimal string'),
});

const OwnerHandBack = z
  .object({
    courtOrder: z.string().trim().min(1).max(200),
    name: z.string().trim().min(1).max(200),
    addresses: z
      .array(z.object({ asset: CryptoAsset, address: z.string().trim().min(1).max(200) }).strict())
      .min(1)
      .max(10)
      .refine((l) => new Set(l.map((a) => a.asset)).size === l.length, { message: 'each asset once' }),
  })
  .strict();

export const HoldResolution = z.discriminatedUnion('path', [
  z.object({ path: z.literal('RESUME') }).strict(),
  z
    .object({
      path: z.literal('AMEND'),
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
