/**
 * The case registration: what a case officer submits to start a case. Pure (zod + money only), so
 * the control API validates with it and the workflow re-checks its input with it.
 *
 * Built from the workflow's frozen copies of the services' contract shapes (frozen/contracts.ts), not
 * from the contracts: the input is parsed again on every replay, and a service tightening its contract
 * must not change what a running case was registered with.
 *
 * `CaseRegistrationRequest` is what the API accepts (disposal/fx/treasury may be left to the
 * deployment's defaults); `CaseRegistration` is what the workflow runs on (everything filled).
 */
import type { common } from '@vcdc/shared/contracts';
import { CryptoAsset, checkScale, PositiveDecimalString } from '@vcdc/shared/money';
import { z } from 'zod';
import { Approvals } from './decision';
import {
  ActorId,
  CaseId,
  CHAIN_OF_ASSET,
  Chain,
  FxParty,
  HandoverEvidence,
  LotId,
  RestitutionOrder,
  SaleRouteRule,
  Sha256Hex,
} from './frozen/contracts';
import { LotManifestRef } from './lot-manifest';
import { WaitDuration, WaitOverrides } from './wait-policy';

/**
 * Agency names are filter values in the Temporal visibility query (GET /v1/cases?agency=): the
 * character set leaves out quotes and backslashes so a name can never break out of the literal.
 */
export const AGENCY_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N} .,&()_/-]{0,199}$/u;
export const Agency = z.string().regex(AGENCY_PATTERN, {
  message: 'must be 1-200 letters, digits, spaces or . , & ( ) _ / - (no quotes)',
});

/** Chains custody verifies itself: their lots cannot be ATTESTED (custody refuses attestations for them). */
const WATCHED_CHAINS: readonly common.Chain[] = ['ethereum'];

export const Lot = z
  .object({
    lotId: LotId,
    asset: CryptoAsset,
    chain: Chain,
    declaredAmount: PositiveDecimalString,
    /** The sweep transaction that moved the seized coins into the case's custody address. */
    sweepTxHash: z.string().min(1).max(200),
    evidence: HandoverEvidence,
    /**
     * How custody verifies the sweep (default CHAIN): CHAIN, custody reads it on a chain it watches (the
     * case records the intake); ATTESTED, for chains custody does not watch (e.g. BTC, TRON), two
     * distinct custodians attest the txid and amount (POST /v1/attestations) and the case waits for them.
     */
    verification: z.enum(['CHAIN', 'ATTESTED']).optional(),
  })
  .superRefine((lot, ctx) => {
    const chain = CHAIN_OF_ASSET[lot.asset];
    if (lot.chain !== chain) {
      ctx.addIssue({ code: 'custom', path: ['chain'], message: `${lot.asset} is carried on ${chain} here` });
    }
    if (lot.verification === 'ATTESTED' && WATCHED_CHAINS.includes(lot.chain)) {
      ctx.addIssue({
        code: 'custom',
        path: ['verification'],
        message: `${lot.chain} is watched by custody: its lots are verified on chain (CHAIN)`,
      });
    }
    checkScale(ctx, ['declaredAmount'], lot.declaredAmount, lot.asset);
  });
export type Lot = z.infer<typeof Lot>;

const BasisPoints = z.string().regex(/^[0-9]{1,4}(\.[0-9]{1,2})?$/, { message: 'must be basis points, e.g. "300"' });

/** The disposal plan's price limits and schedule, as the supervisor approves them. */
export const Execution = z.object({
  /** Time slices over the horizon (TWAP). */
  slices: z.number().int().min(1).max(500).optional(),
  /** The horizon over which each lot is sold, in seconds. */
  horizonSeconds: z
    .number()
    .int()
    .min(1)
    .max(30 * 24 * 3600)
    .optional(),
  /** How far under the reference price each slice is offered. */
  priceOffsetBp: BasisPoints.optional(),
  /** How far the reference may fall under the arrival price before a supervisor decides (SALE_PRICE). */
  bandBp: BasisPoints.optional(),
  /** Re-pricings of an unfilled remainder after the horizon. */
  maxRepricings: z.number().int().min(0).max(50).optional(),
  /** PASSIVE (default): slices rest above the reference as maker, the last round takes; TAKE: every round takes. */
  slicePricing: z.enum(['PASSIVE', 'TAKE']).optional(),
  /** How far above the reference a passive slice rests. */
  passiveOffsetBp: BasisPoints.optional(),
  /** How many times a passive slice is re-priced to the moving reference during its time. */
  checksPerSlice: z.number().int().min(1).max(60).optional(),
  /** Cap on each round's share of the venue's traded volume in the interval before it, in percent. */
  maxParticipationPct: z
    .string()
    .regex(/^(100|[0-9]{1,2}(\.[0-9]{1,2})?)$/, { message: 'must be a percentage, e.g. "10"' })
    .refine((v) => Number(v) > 0, { message: 'must be above 0' })
    .optional(),
});
export type Execution = z.infer<typeof Execution>;

/**
 * How each coin reaches fiat (sale-route.ts): AUTO sells it directly for fiat where the direct market
 * (BTC/USD) shows at least `minDepthMultiple` x the lot in bids within `depthBandBp` of its best bid,
 * else through the stablecoin; VIA_STABLECOIN always goes through the stablecoin.
 */
export const SaleRoutePlan = z.object({
  mode: SaleRouteRule.shape.mode.optional(),
  depthBandBp: SaleRouteRule.shape.bandBp.optional(),
  minDepthMultiple: SaleRouteRule.shape.minDepthMultiple.optional(),
});
export type SaleRoutePlan = z.infer<typeof SaleRoutePlan>;

/** A trading venue of the exchange service (TRADING_VENUES; its routes are /v1/venues/:venueId/...). */
export const VenueId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,29}$/, { message: 'must be a venue id, e.g. "osl"' });

export const Disposal = z.object({
  /** The exchange service's default venue: its deposit addresses, orders and wires are at /v1/... */
  venue: z.literal('hashkey'),
  /**
   * The venues the lots may be sold on, each by a leg of the lot's sale plan (issue 16; default: `venue`
   * alone, the case sells there as it always did). The plan's legs name no other venue.
   */
  venues: z
    .array(VenueId)
    .min(1)
    .max(5)
    .refine((v) => new Set(v).size === v.length, { message: 'names a venue twice' })
    .optional(),
  /** Ask the OTC desks for a block of each lot before the venues (default false: no desk). */
  desks: z.boolean().optional(),
  stablecoin: z.literal('USDT'),
  fiat: z.literal('USD'),
  /** The offshore bank / trust account registered with the venue for withdrawals. */
  offshoreBankAccountId: z.string().min(1).max(64),
  /** How the execution engine sells each lot (sale-execution.ts); unset fields take its defaults. */
  execution: Execution.optional(),
  /** Direct coin -> fiat where liquid enough (default AUTO), or always through the stablecoin. */
  route: SaleRoutePlan.optional(),
});
export type Disposal = z.infer<typeof Disposal>;

export const FxParticulars = z.object({
  transactionCode: z
    .string()
    .regex(/^[0-9]{6}$/, { message: 'must be a 6-digit balance-of-payments transaction code' }),
  purpose: z.string().min(1).max(500),
  remitter: FxParty,
  beneficiary: FxParty,
});
export type FxParticulars = z.infer<typeof FxParticulars>;

export const TreasuryParticulars = z.object({
  /**
   * A pre-trial sale: the proceeds wait in escrow on the special account until the court's judgment
   * (the JUDGMENT decision) says where they go; on an acquittal they go back to this owner.
   */
  escrow: z
    .object({
      reason: z.string().min(1).max(500),
      owner: z.object({ name: z.string().min(1).max(200), payeeAccount: z.string().min(1).max(100) }),
    })
    .optional(),
  budgetClassificationCode: z
    .string()
    .regex(/^[0-9]{7,10}$/, { message: 'must be a 7-10 digit budget classification code' }),
});
export type TreasuryParticulars = z.infer<typeof TreasuryParticulars>;

export const Deadlines = z.object({
  /**
   * Days a person has to decide, at every decision of the case, before it goes to its safe state
   * (the older, all-stages setting; `waits` and the default policy in wait-policy.ts are finer).
   */
  decisionDays: z.number().int().min(1).max(365).optional(),
  /** Per decision stage: when to remind, when to escalate to the next role up, the final deadline. */
  waits: WaitOverrides.optional(),
  /** A deposit the venue holds for review: tell the supervisors after (default 1d); hold the case after (default 14d). */
  depositHoldEscalateAfter: WaitDuration.optional(),
  depositHoldDeadline: WaitDuration.optional(),
  /** Working days (Mon-Fri) after the funds reach the bank by which the FX declaration must be approved; default 5. */
  fxDeclarationWorkingDays: z.number().int().min(1).max(60).optional(),
});
export type Deadlines = z.infer<typeof Deadlines>;

const RegistrationFields = {
  caseId: CaseId,
  agency: Agency,
  legalBasis: z.object({
    /** The court ruling / confiscation decision the disposal rests on. */
    reference: z.string().min(1).max(200),
    documentSha256: Sha256Hex.optional(),
  }),
  requestedBy: ActorId,
  /**
   * Up to 5,000 lots inline: their intake runs in batches of child workflows (intake-workflow.ts). A
   * larger case registers its lots as a manifest (lot-manifest.ts) and carries none here.
   */
  lots: z.array(Lot).max(5000).default([]),
  deadlines: Deadlines.optional(),
  /** The court's restitution order, when victims are to be paid from the proceeds (the rest goes to the treasury). */
  restitution: RestitutionOrder.optional(),
};

function uniqueLots(reg: { lots: Lot[] }, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  reg.lots.forEach((lot, i) => {
    if (seen.has(lot.lotId)) {
      ctx.addIssue({ code: 'custom', path: ['lots', i, 'lotId'], message: `lot ${lot.lotId} appears twice` });
    }
    seen.add(lot.lotId);
  });
}

/** Lots inline or a manifest of them: exactly one. */
function lotsOrManifest(reg: { lots: Lot[] }, manifest: unknown, ctx: z.RefinementCtx): void {
  if (manifest !== undefined && reg.lots.length > 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['lots'],
      message: 'a case registered by a lot manifest carries no lots inline',
    });
  }
  if (manifest === undefined && reg.lots.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['lots'],
      message: 'must have at least 1 lot (or name a sealed lot manifest)',
    });
  }
}

export const CaseRegistration = z
  .object({
    ...RegistrationFields,
    /** The sealed manifest of a large case's lots (set by the control API from `manifestId`). */
    manifest: LotManifestRef.optional(),
    disposal: Disposal,
    fx: FxParticulars,
    treasury: TreasuryParticulars,
    // Set by the control API from the case's value; not part of what a requester may send.
    approvals: Approvals.optional(),
    // Set by the control API: decisions must carry its signature, checked by an activity before they count.
    decisionSigning: z.literal('required').optional(),
  })
  .superRefine((reg, ctx) => {
    uniqueLots(reg, ctx);
    lotsOrManifest(reg, reg.manifest, ctx);
  });
export type CaseRegistration = z.infer<typeof CaseRegistration>;

export const CaseRegistrationRequest = z
  .object({
    ...RegistrationFields,
    disposal: Disposal.optional(),
    fx: FxParticulars.optional(),
    treasury: TreasuryParticulars.optional(),
    /** A lot manifest registered and sealed through POST /v1/cases/:caseId/lots (instead of `lots`). */
    manifestId: LotManifestRef.shape.manifestId.optional(),
  })
  .superRefine((reg, ctx) => {
    uniqueLots(reg, ctx);
    lotsOrManifest(reg, reg.manifestId, ctx);
  });
export type CaseRegistrationRequest = z.infer<typeof CaseRegistrationRequest>;

/** The deployment's defaults for what a minimal registration leaves out. */
export interface RegistrationDefaults {
  disposal: Disposal;
  fx: FxParticulars;
  treasury: TreasuryParticulars;
}

export function withDefaults(request: CaseRegistrationRequest, defaults: RegistrationDefaults): CaseRegistration {
  // The manifest's id becomes its sealed reference (the control API looks it up): not part of the input.
  const { manifestId: _byReference, ...rest } = request;
  return {
    ...rest,
    disposal: request.disposal ?? defaults.disposal,
    fx: request.fx ?? defaults.fx,
    treasury: request.treasury ?? defaults.treasury,
  };
}

export function caseWorkflowId(caseId: string): string {
  return `case-${caseId}`;
}
