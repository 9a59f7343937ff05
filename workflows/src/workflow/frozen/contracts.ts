/**
 * The services' contract shapes as the case workflow validates them in its input and its decisions,
 * frozen: copies of @vcdc/shared/contracts as they stood when issue 17 froze them (common, custody,
 * exchange, fx, treasury), not imports of them.
 *
 * Why copies: a workflow's input and every decision are validated again each time its history is
 * replayed. Were these the services' own schemas, a service tightening its contract (a shorter
 * reference, a new required field) would make a running case refuse on replay what it accepted when
 * it ran: another path, a non-deterministic replay. What a service accepts is still the service's to
 * check when the case calls it; the workflow only holds the case to what it was registered with.
 * Change a shape here only as a workflow change (patched, or unreachable by old histories); the
 * replay tests parse every recorded input with these (frozen-schemas.test.ts). Types may still come
 * from the contracts (`import type`): they are erased and change nothing at run time.
 *
 * Money primitives (CryptoAsset, DecimalString, PositiveDecimalString) are the shared money module's,
 * which is no service's contract.
 */
import { CryptoAsset, DecimalString, PositiveDecimalString } from '@vcdc/shared/money';
import { z } from 'zod';

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ID_MESSAGE = 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit';

/** common.ts */
export const CaseId = z.string().regex(ID, { message: ID_MESSAGE });
export const LotId = z.string().regex(ID, { message: ID_MESSAGE });
export const ActorId = z.string().min(1).max(128);
export const Sha256Hex = z
  .string()
  .regex(/^[0-9a-f]{64}$/, { message: 'must be a lowercase hex SHA-256 digest (64 characters)' });
export const IsoTimestamp = z.iso.datetime({ offset: true });
export const Chain = z.enum(['bitcoin', 'ethereum']);
/** Which chain carries each crypto asset (a lot names its asset's chain). */
export const CHAIN_OF_ASSET = { BTC: 'bitcoin', ETH: 'ethereum', USDT: 'ethereum' } as const satisfies Record<
  z.infer<typeof CryptoAsset>,
  z.infer<typeof Chain>
>;
const DocumentRef = z.object({ name: z.string().min(1).max(200), sha256: Sha256Hex });

/** custody.ts HandoverEvidence: a lot's handover record, as the registration carries it. */
export const HandoverEvidence = z.object({
  handoverFormNo: z.string().min(1).max(100),
  handedOverBy: ActorId,
  receivedBy: ActorId,
  videoSha256: Sha256Hex.optional(),
  documents: z.array(DocumentRef).max(50).default([]),
  handedOverAt: IsoTimestamp.optional(),
});

/** custody.ts TransferAuthorisation: what a DISPOSAL_PLAN approval lets leave the case's wallets. */
export const TransferAuthorisation = z.object({
  caseId: CaseId,
  venue: z.string().min(1).max(50),
  venues: z.array(z.string().min(1).max(50)).max(10).optional(),
  assets: z
    .array(z.object({ asset: CryptoAsset, maxAmount: PositiveDecimalString }))
    .min(1)
    .max(10),
  policy: z.object({
    version: z.string().min(1).max(50),
    valueCny: DecimalString,
    tier: z.string().min(1).max(50),
    approvals: z.number().int().min(1).max(5),
    units: z.number().int().min(1).max(5),
    senior: z.boolean(),
  }),
});

const BAND_BP = /^[0-9]{1,4}(\.[0-9]{1,2})?$/;
const MULTIPLE = /^[0-9]{1,3}(\.[0-9]{1,2})?$/;

/** exchange.ts SaleRouteRule: the disposal plan's route rule. */
export const SaleRouteRule = z.object({
  mode: z.enum(['AUTO', 'VIA_STABLECOIN']),
  bandBp: z
    .string()
    .regex(BAND_BP, { message: 'must be basis points above 0 and under 10000, e.g. "50"' })
    .refine((v) => !BAND_BP.test(v) || Number(v) > 0, { message: 'must be above 0' }),
  minDepthMultiple: z
    .string()
    .regex(MULTIPLE, { message: 'must be a multiple of the lot, e.g. "3"' })
    .refine((v) => !MULTIPLE.test(v) || Number(v) >= 1, { message: 'must be at least 1' }),
});

/** fx.ts Party: the FX declaration's remitter and beneficiary. */
export const FxParty = z.object({
  name: z.string().min(1).max(200),
  account: z.string().min(1).max(64),
  bank: z.string().min(1).max(200),
});

/** fx.ts SettleDeclaration: the tranche an FX_SETTLEMENT decision carries. */
export const SettleDeclaration = z.object({
  amount: PositiveDecimalString,
  bankReference: z.string().min(1).max(100),
  bankCharges: DecimalString.optional(),
  correspondentFees: DecimalString.optional(),
});

const VictimClaim = z.object({
  victimId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { message: 'must be 1-64 letters, digits, ".", "_" or "-"' }),
  name: z.string().min(1).max(200),
  claimOrder: z.number().int().positive(),
  loss: DecimalString,
  recovered: DecimalString,
  payeeAccount: z.string().min(1).max(100),
});

/** treasury.ts RegisterRestitutionOrder less `caseId` and `workflowId`: the court's order as the registration carries it. */
export const RestitutionOrder = z.object({
  courtOrderRef: z.string().min(1).max(100),
  documentHash: Sha256Hex,
  method: z.enum(['CLAIM_ORDER', 'PRO_RATA']),
  victims: z.array(VictimClaim).min(1).max(1000),
});

/** treasury.ts RecordJudgment less `caseId` and `recordedBy`: the judgment a JUDGMENT decision carries. */
export const DecisionJudgment = z.object({
  judgmentRef: z.string().min(1).max(100),
  documentHash: Sha256Hex,
  outcome: z.enum(['CONFISCATION', 'RESTITUTION', 'ACQUITTAL']),
});

/** treasury.ts PayoutAuthorisation: what a REMITTANCE approval lets leave the special account. */
export const PayoutAuthorisation = z.object({
  caseId: CaseId,
  kind: z.enum(['TREASURY', 'RESTITUTION', 'OWNER_RETURN']),
  amount: DecimalString,
  restitutionOrderId: z.string().min(1).max(100).optional(),
  ownerPayeeAccount: z.string().min(1).max(100).optional(),
});
