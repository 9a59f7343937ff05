/**
 * Custody service contract (services/custody). Base path /v1. Every POST needs an Idempotency-Key.
 * A person's act (attest, classify, countersign, correct evidence, whitelist request/approve/revoke) needs
 * the control API's signed act in the VCDC-Act header (acts/http.ts): the person is the act's; a body
 * naming one (attestedBy, classifiedBy, signedBy, recordedBy, requestedBy, approvedBy, revokedBy…) is 400
 * naming the field; no act is 403 act-missing. Records keep those fields, filled from the acts.
 *
 *   POST /v1/accounts                 OpenCustodyAccount   -> 201 CustodyAccount (200 with the same account if it exists)
 *   GET  /v1/accounts/:caseId/:asset                       -> CustodyAccount
 *   POST /v1/intakes                  RecordIntake         -> 201 Intake   (409 not-yet while confirmations are pending)
 *   GET  /v1/intakes?differenceStatus=CLASSIFIED[&caseId=]  -> { intakes: Intake[] } (classified, awaiting a countersignature;
 *                                                             each with `countersigners`: who the evidence in force names)
 *   GET  /v1/intakes/:intakeId                             -> Intake (with its difference classification,
 *                                                             countersignatures and `final`)
 *   POST /v1/intakes/:intakeId/difference ClassifyIntakeDifference -> 201 Intake (a DISCREPANCY only: 409 no-difference
 *                                                             otherwise; amount must be declared - received: 422 naming it;
 *                                                             409 difference-already-classified unless `corrects` names
 *                                                             the current classification; 409 difference-countersigned)
 *   POST /v1/intakes/:intakeId/difference/countersignatures CountersignIntakeDifference -> 201 Intake (one handing-officer
 *                                                             and one custodian, two distinct people; both: COUNTERSIGNED,
 *                                                             final; 409 difference-not-classified, same-countersigner,
 *                                                             role-already-countersigned, classification-not-current)
 *   POST /v1/attestations             AttestIntake         -> 201 AttestedIntake (chains the system does not watch: the
 *                                                             first custodian's attestation waits for a second, distinct one;
 *                                                             a match is an intake, a mismatch a DISCREPANCY; 409 same-attester)
 *   GET  /v1/attestations/:caseId/:lotId                   -> AttestedIntake
 *   GET  /v1/intakes/:intakeId/evidence                    -> HandoverEvidenceTrail (append-only: original + corrections)
 *   POST /v1/intakes/:intakeId/evidence CorrectHandoverEvidence -> 201 HandoverEvidenceRecord (a new record naming the
 *                                                             one it corrects; 409 when that one is already corrected)
 *   POST /v1/whitelist                AddWhitelistEntry    -> 201 WhitelistEntry PENDING_APPROVAL (200 with the existing entry
 *                                                             if the address is listed). A change is a new entry with
 *                                                             `replaces`: the old one stays usable until the new one is
 *                                                             ACTIVE, then it is SUPERSEDED.
 *   POST /v1/whitelist/:entryId/approvals ApproveWhitelistEntry -> 201 WhitelistEntry (two distinct approvers, not the
 *                                                             requester; then COOLING_OFF until activeFrom, then ACTIVE)
 *   POST /v1/whitelist/:entryId/revocation RevokeWhitelistEntry -> 201 WhitelistEntry REVOKED (at once, by one person, with
 *                                                             the reason; 409 whitelist-entry-revoked / -superseded)
 *   GET  /v1/whitelist/:entryId                            -> WhitelistEntry
 *   GET  /v1/whitelist?status=&chain=&address=            -> { entries: WhitelistEntry[] } (each filter optional)
 *   (a transfer to a listed entry that is not ACTIVE yet: 409 not-yet; to an unlisted address: 422
 *    destination-not-whitelisted; to a revoked or superseded one: 422 destination-revoked / destination-superseded)
 *   GET  /v1/test-deposits/requirement?chain=&address=&asset= -> TestDepositRequirement
 *   GET  /v1/network-fees?chain=&asset=                  -> NetworkFee (what one transfer of the asset costs now)
 *   (the first transfer of an asset to an address that never received a CONFIRMED transfer must be a TEST_DEPOSIT of
 *    at most maxAmount; a VENUE_DEPOSIT before that is refused: 409 test-deposit-required; 422 test-deposit-too-large)
 *   POST /v1/transfers                RequestTransfer      -> 201 Transfer   (403 transfer-unauthorised, transfer-quorum-not-met,
 *                                                             transfer-asset-not-authorised, transfer-above-authorisation,
 *                                                             destination-not-authorised: see RequestTransfer.approvals;
 *                                                             503 broadcast-outcome-unknown: retry with the
 *                                                             same Idempotency-Key; the coins are sent at most once)
 *   GET  /v1/transfers/:transferId                         -> Transfer (status refreshed from the chain; 409 not-yet while
 *                                                             the broadcast outcome is unknown)
 *   GET  /v1/cases/:caseId/ledger                          -> CustodyLedger
 *   POST /v1/returns                  RecordVenueReturn    -> 201 VenueReturn (coins sent back by the venue into the same
 *                                                             case wallet, verified on chain; 409 not-yet while confirming)
 */
import { z } from 'zod';
// Type only: decisions.ts imports this file (TransferAuthorisation), so a value import would be a cycle.
import type { CarriedDecision } from '../acts/decision-schema';
import { CryptoAsset, DecimalString, PositiveDecimalString, SignedDecimalString } from '../money';

import { ActorId, CaseId, Chain, DocumentRef, IsoTimestamp, LotId, Sha256Hex } from './common';

export const OpenCustodyAccount = z.object({ caseId: CaseId, asset: CryptoAsset, chain: Chain });
export type OpenCustodyAccount = z.infer<typeof OpenCustodyAccount>;

export const CustodyAccount = z.object({
  caseId: CaseId,
  asset: CryptoAsset,
  chain: Chain,
  /** The segregated custody address for this case and asset. */
  address: z.string(),
  balance: DecimalString,
  openedAt: IsoTimestamp,
});
export type CustodyAccount = z.infer<typeof CustodyAccount>;

export const HandoverEvidence = z.object({
  handoverFormNo: z.string().min(1).max(100),
  handedOverBy: ActorId,
  receivedBy: ActorId,
  videoSha256: Sha256Hex.optional(),
  documents: z.array(DocumentRef).max(50).default([]),
  /** When the handover took place (the form's date and time). */
  handedOverAt: IsoTimestamp.optional(),
});
export type HandoverEvidence = z.infer<typeof HandoverEvidence>;

/** One append-only evidence record: the original made at intake, or a correction of an earlier one. */
export const HandoverEvidenceRecord = HandoverEvidence.extend({
  evidenceId: z.string(),
  intakeId: z.string(),
  /** The record this one corrects (absent for the original). */
  corrects: z.string().optional(),
  reason: z.string().optional(),
  recordedBy: ActorId,
  recordedAt: IsoTimestamp,
});
export type HandoverEvidenceRecord = z.infer<typeof HandoverEvidenceRecord>;

export const HandoverEvidenceTrail = z.object({
  intakeId: z.string(),
  /** Oldest first; the last one is in force. */
  records: z.array(HandoverEvidenceRecord),
  currentEvidenceId: z.string(),
});
export type HandoverEvidenceTrail = z.infer<typeof HandoverEvidenceTrail>;

export const CorrectHandoverEvidence = z.object({
  /** The record being corrected: it must be the one in force (the latest). */
  corrects: z.string().min(1).max(200),
  reason: z.string().min(1).max(1000),
  evidence: HandoverEvidence,
});
export type CorrectHandoverEvidence = z.infer<typeof CorrectHandoverEvidence>;

/** The custody key's signature, at receipt, over a message naming the case, lot, asset and amount. */
export const ControlProof = z.object({
  address: z.string(),
  message: z.string(),
  /** EIP-191 personal-message signature by the case wallet's key (verifiable with the address). */
  signature: z.string(),
});
export type ControlProof = z.infer<typeof ControlProof>;

/** The seizure the lot comes from (e.g. the seizure list number), as the case file names it. */
const SeizureReference = z.string().min(1).max(200);
/** The suspect's wallet addresses the lot was seized from. */
const SourceAddresses = z.array(z.string().min(1).max(200)).max(50);

export const RecordIntake = z.object({
  caseId: CaseId,
  lotId: LotId,
  asset: CryptoAsset,
  chain: Chain,
  declaredAmount: PositiveDecimalString,
  /** The sweep transaction that moved the seized coins into the case's custody address. */
  txHash: z.string().min(1).max(200),
  evidence: HandoverEvidence,
  seizureReference: SeizureReference.optional(),
  sourceAddresses: SourceAddresses.optional(),
});
export type RecordIntake = z.infer<typeof RecordIntake>;

export const IntakeStatus = z.enum(['RECEIVED', 'DISCREPANCY']);

export const DifferenceClassification = z.enum(['NETWORK_FEE', 'SHORT_DELIVERY', 'EXCESS_DELIVERY', 'OTHER']);
export type DifferenceClassification = z.infer<typeof DifferenceClassification>;

/** Why a received amount differs from the declared one. */
export const ClassifyIntakeDifference = z
  .object({
    classification: DifferenceClassification,
    explanation: z.string().min(1).max(2000),
    /** The transaction whose network fee explains the difference (required for NETWORK_FEE). */
    feeTxHash: z.string().min(1).max(200).optional(),
    /** declared - received, sign-aware: positive for a short receipt, negative for an excess. */
    amount: SignedDecimalString,
    /** The classification this one replaces (required when the intake is classified already, not yet countersigned). */
    corrects: z.string().min(1).max(200).optional(),
  })
  .superRefine((value, ctx) => {
    if (value.classification === 'NETWORK_FEE' && !value.feeTxHash) {
      ctx.addIssue({ code: 'custom', path: ['feeTxHash'], message: 'is required for a NETWORK_FEE classification' });
    }
  });
export type ClassifyIntakeDifference = z.infer<typeof ClassifyIntakeDifference>;

export const CountersignRole = z.enum(['handing-officer', 'custodian']);
/**
 * The person countersigning is the signed act's (custody.intake.countersign); they must be the one the
 * handover evidence in force names for the role: `handing-officer` = evidence.handedOverBy, `custodian` =
 * evidence.receivedBy (403 countersigner-not-named otherwise).
 */
export const CountersignIntakeDifference = z.object({
  role: CountersignRole,
  /** The classification being signed; when given it must be the current one (else 409 classification-not-current). */
  classificationId: z.string().min(1).max(200).optional(),
  /**
   * The fee transaction as this custodian read it on the chain: required of the receiving custodian of an
   * ATTESTED intake's NETWORK_FEE (a second custodian's attestation of the classification's txid; 422
   * fee-attestation-required / -mismatch), refused on any other countersignature.
   */
  feeTxHash: z.string().min(1).max(200).optional(),
});
export type CountersignIntakeDifference = z.infer<typeof CountersignIntakeDifference>;

export const IntakeDifferenceRecord = z.object({
  classificationId: z.string(),
  classification: DifferenceClassification,
  explanation: z.string(),
  feeTxHash: z.string().optional(),
  amount: z.string(),
  classifiedBy: ActorId.optional(),
  corrects: z.string().optional(),
  classifiedAt: IsoTimestamp,
});
export type IntakeDifferenceRecord = z.infer<typeof IntakeDifferenceRecord>;

export const DifferenceCountersignature = z.object({
  classificationId: z.string(),
  signedBy: ActorId,
  role: CountersignRole,
  /** The fee transaction this countersignature attests (an attested intake's NETWORK_FEE). */
  feeTxHash: z.string().optional(),
  signedAt: IsoTimestamp,
});
export type DifferenceCountersignature = z.infer<typeof DifferenceCountersignature>;

/** NONE: received = declared; UNCLASSIFIED -> CLASSIFIED -> COUNTERSIGNED for a DISCREPANCY. */
export const DifferenceStatus = z.enum(['NONE', 'UNCLASSIFIED', 'CLASSIFIED', 'COUNTERSIGNED']);
export const Intake = z.object({
  intakeId: z.string(),
  caseId: CaseId,
  lotId: LotId,
  asset: CryptoAsset,
  chain: Chain,
  declaredAmount: DecimalString,
  /** What the chain shows arrived at the custody address. */
  receivedAmount: DecimalString,
  /** receivedAmount - declaredAmount (negative: short receipt). */
  difference: z.string(),
  status: IntakeStatus,
  txHash: z.string(),
  confirmations: z.number().int(),
  evidence: HandoverEvidence,
  /** Proof of exclusive control, signed at receipt. */
  controlProof: ControlProof.optional(),
  /** CHAIN: verified on chain by custody; ATTESTED: two custodians attested it (confirmations 0). */
  verification: z.enum(['CHAIN', 'ATTESTED']).optional(),
  seizureReference: z.string().optional(),
  sourceAddresses: z.array(z.string()).optional(),
  /** Where the difference stands (always present in answers of this version). */
  differenceStatus: DifferenceStatus.optional(),
  /** The classification in force (the latest), once there is one. */
  differenceClassification: IntakeDifferenceRecord.optional(),
  /** The countersignatures of the classification in force. */
  countersignatures: z.array(DifferenceCountersignature).optional(),
  /** The receipt is final: no difference, or the difference is classified and countersigned. */
  final: z.boolean().optional(),
  recordedAt: IsoTimestamp,
});
export type Intake = z.infer<typeof Intake>;

/**
 * An intake awaiting a countersignature (custody's list of them), with who may give each: those the
 * handover evidence in force names, which a correction of the evidence may have changed.
 */
export const IntakeAwaitingCountersignature = Intake.extend({
  countersigners: z.object({ 'handing-officer': ActorId, custodian: ActorId }),
});
export type IntakeAwaitingCountersignature = z.infer<typeof IntakeAwaitingCountersignature>;

export const AttestIntake = z.object({
  caseId: CaseId,
  lotId: LotId,
  asset: CryptoAsset,
  chain: Chain,
  declaredAmount: PositiveDecimalString,
  /** The sweep transaction, as this custodian read it on the chain. */
  txHash: z.string().min(1).max(200),
  /** What this custodian saw arrive at the custody address. */
  amount: DecimalString,
  evidence: HandoverEvidence,
  seizureReference: SeizureReference.optional(),
  sourceAddresses: SourceAddresses.optional(),
});
export type AttestIntake = z.infer<typeof AttestIntake>;

export const IntakeAttestation = z.object({
  attestationId: z.string(),
  round: z.number().int(),
  attestedBy: ActorId,
  txHash: z.string(),
  amount: DecimalString,
  attestedAt: IsoTimestamp,
});
export type IntakeAttestation = z.infer<typeof IntakeAttestation>;

export const AttestedIntake = z.object({
  caseId: CaseId,
  lotId: LotId,
  asset: CryptoAsset,
  chain: Chain,
  declaredAmount: DecimalString,
  /** DISCREPANCY: the attestations disagree (see mismatch; nothing credited), or agree on another amount than declared (see intake). */
  status: z.enum(['AWAITING_SECOND_ATTESTATION', 'RECEIVED', 'DISCREPANCY']),
  attestations: z.array(IntakeAttestation),
  /** Present when the second attestation does not match the first. */
  mismatch: z.object({ txHash: z.boolean(), amount: z.boolean() }).optional(),
  /** The intake, once two attestations agree. */
  intake: Intake.optional(),
});
export type AttestedIntake = z.infer<typeof AttestedIntake>;

export const AddWhitelistEntry = z.object({
  chain: Chain,
  address: z.string().min(1).max(200),
  /** Whose address this is, e.g. "hashkey deposit address for BTC". */
  label: z.string().min(1).max(200),
  /** The venue the address belongs to (e.g. "hashkey"): a transfer authorisation names the venue it may go to. */
  venue: z.string().min(1).max(50),
  /**
   * The entry this one changes (same chain). The new entry needs the same two approvals and cooling-off;
   * the old one stays usable until the new one is ACTIVE, then it is SUPERSEDED.
   */
  replaces: z.string().min(1).max(200).optional(),
});
export type AddWhitelistEntry = z.infer<typeof AddWhitelistEntry>;

/**
 * PENDING_APPROVAL: fewer than two approvals; COOLING_OFF: approved, not before activeFrom; ACTIVE: usable;
 * REVOKED: revoked (at once); SUPERSEDED: its replacement became ACTIVE. Only ACTIVE entries receive coins.
 */
export const WhitelistStatus = z.enum(['PENDING_APPROVAL', 'COOLING_OFF', 'ACTIVE', 'REVOKED', 'SUPERSEDED']);
export type WhitelistStatus = z.infer<typeof WhitelistStatus>;

export const WhitelistEntry = z.object({
  entryId: z.string(),
  chain: Chain,
  address: z.string(),
  label: z.string(),
  venue: z.string(),
  requestedBy: ActorId.optional(),
  status: WhitelistStatus,
  approvals: z.array(z.object({ approvedBy: ActorId, approvedAt: IsoTimestamp })).optional(),
  activeFrom: IsoTimestamp.optional(),
  /** The entry this one replaces. */
  replaces: z.string().optional(),
  /** The entry that replaces (or is set to replace) this one. */
  replacedBy: z.string().optional(),
  /** When this entry stopped being usable because its replacement became ACTIVE. */
  supersededAt: IsoTimestamp.optional(),
  revocation: z.object({ revokedBy: ActorId, reason: z.string(), revokedAt: IsoTimestamp }).optional(),
  createdAt: IsoTimestamp,
});
export type WhitelistEntry = z.infer<typeof WhitelistEntry>;

/**
 * One of the two approvals a whitelist entry needs, by a custodian other than the requester (the person is
 * the signed act's: custody.whitelist.approve). The body carries nothing else.
 */
export const ApproveWhitelistEntry = z.object({});
export type ApproveWhitelistEntry = z.infer<typeof ApproveWhitelistEntry>;

/** Revoking is safe: it takes effect at once, by one person, and says why. */
export const RevokeWhitelistEntry = z.object({ reason: z.string().min(1).max(1000) });
export type RevokeWhitelistEntry = z.infer<typeof RevokeWhitelistEntry>;

/**
 * TEST_DEPOSIT: a small first transfer (at most the configured maximum for the asset) that proves a new
 * destination; VENUE_DEPOSIT: the bulk transfer, allowed only once a transfer of that asset to that
 * address is CONFIRMED. OWNER_RETURN: a held case closed on acquittal hands everything the case wallet
 * holds of the asset back to the owner's address, on two supervisors' signed HOLD_RESOLUTION (CLOSE to
 * the OWNER, naming the court's order and that address): not a venue, so not on the whitelist.
 */
export const TransferPurpose = z.enum(['VENUE_DEPOSIT', 'TEST_DEPOSIT', 'OWNER_RETURN']);
export type TransferPurpose = z.infer<typeof TransferPurpose>;

export const TestDepositRequirement = z.object({
  chain: Chain,
  address: z.string(),
  asset: CryptoAsset,
  /** True while no transfer of this asset to this address is CONFIRMED: a VENUE_DEPOSIT would be refused. */
  required: z.boolean(),
  /** The largest TEST_DEPOSIT allowed for this asset. */
  maxAmount: DecimalString,
  /** The confirmed transfer that proved the address. */
  provenBy: z.string().optional(),
  /** Transfers to the address still waiting for confirmations. */
  pendingTransferIds: z.array(z.string()),
});
export type TestDepositRequirement = z.infer<typeof TestDepositRequirement>;

/**
 * The network fee one transfer of an asset costs now, as custody budgets it (the chain's quote): the
 * destination receives the amount sent less this. A case planning a sale before its coins move keeps
 * room for its transfers' fees with it.
 */
export const NetworkFee = z.object({
  chain: Chain,
  asset: CryptoAsset,
  fee: DecimalString,
  at: IsoTimestamp,
});
export type NetworkFee = z.infer<typeof NetworkFee>;

export const RequestTransfer = z.object({
  caseId: CaseId,
  asset: CryptoAsset,
  chain: Chain,
  toAddress: z.string().min(1).max(200),
  /** Amount debited from the custody account; the network fee is taken out of it, the rest arrives. */
  amount: PositiveDecimalString,
  purpose: TransferPurpose,
  /**
   * The case's signed DISPOSAL_PLAN APPROVE decisions (1..5, as the workflow holds them: CarriedDecision,
   * acts/decisions.ts), each carrying the same TransferAuthorisation. Required for every transfer out of a
   * case wallet: absent or empty is 403 transfer-unauthorised. Checked by custody itself
   * (transfer-authorisation.ts): the control API's signatures, this case, the policy's quorum of distinct
   * people and units (and a senior supervisor when it asks), the asset and its maximum (cumulative over
   * the case's transfers), the destination's venue. An OWNER_RETURN carries instead the case's signed
   * HOLD_RESOLUTION APPROVE decisions (two distinct supervisors, the same CLOSE to the OWNER resolution):
   * the destination must be the owner's address the resolution names for the asset, and the amount all
   * the case wallet holds of it.
   */
  approvals: z
    .array(z.custom<CarriedDecision>((value) => typeof value === 'object' && value !== null, 'must be a decision'))
    .max(5)
    .optional(),
});
export type RequestTransfer = z.infer<typeof RequestTransfer>;

export const TransferStatus = z.enum(['BROADCAST', 'CONFIRMED', 'FAILED']);
export const Transfer = z.object({
  transferId: z.string(),
  caseId: CaseId,
  asset: CryptoAsset,
  chain: Chain,
  toAddress: z.string(),
  /** Debited from custody. */
  amount: DecimalString,
  /** Network fee, paid out of `amount`. */
  fee: DecimalString,
  /** amount - fee: what the destination receives. */
  netAmount: DecimalString,
  /** Empty for a FAILED transfer (the chain refused it: nothing was sent). */
  txHash: z.string(),
  confirmations: z.number().int(),
  status: TransferStatus,
  purpose: TransferPurpose.optional(),
  /** SHA-256 of the canonical JSON of the TransferAuthorisation the transfer was made under. */
  authorisationSha256: Sha256Hex.optional(),
  createdAt: IsoTimestamp,
});
export type Transfer = z.infer<typeof Transfer>;

export const CustodyLedgerEntry = z.object({
  entryId: z.string(),
  caseId: CaseId,
  asset: CryptoAsset,
  /** OWNER_RETURN: coins handed back to the owner on acquittal (net of the network fee, its own line). */
  kind: z.enum(['INTAKE', 'TRANSFER_OUT', 'NETWORK_FEE', 'RETURN', 'OWNER_RETURN']),
  /** Signed: credits positive, debits negative. */
  amount: z.string(),
  /** The amount in the asset's smallest unit (satoshi, wei, micro-USDT), signed digits. */
  baseUnits: z.string().optional(),
  reference: z.string(),
  createdAt: IsoTimestamp,
});
/** A decimal amount and, beside it, the same in the asset's smallest unit (a digit string, signed where the amount is). */
export const AmountWithBaseUnits = z.object({ amount: z.string(), baseUnits: z.string() });
/** What the case's lots of one asset declared and delivered, summed across the lots. */
export const IntakeTotal = z.object({
  asset: CryptoAsset,
  /** The name of the smallest unit, e.g. "satoshi". */
  unit: z.string(),
  lots: z.number().int(),
  declared: AmountWithBaseUnits,
  received: AmountWithBaseUnits,
  /** received - declared (negative: short), as each intake's `difference`. */
  difference: AmountWithBaseUnits,
});
export type IntakeTotal = z.infer<typeof IntakeTotal>;
/**
 * The service always sets the base-unit fields; they are optional so that answers of earlier versions
 * still parse.
 */
export const CustodyLedger = z.object({
  caseId: CaseId,
  entries: z.array(CustodyLedgerEntry),
  balances: z.record(z.string(), DecimalString),
  balancesBaseUnits: z.record(z.string(), z.string()).optional(),
  intakeTotals: z.array(IntakeTotal).optional(),
});
export type CustodyLedger = z.infer<typeof CustodyLedger>;

export const RecordVenueReturn = z.object({
  caseId: CaseId,
  /** The transfer to the venue this return undoes. */
  transferId: z.string().min(1).max(200),
  /** The venue's transaction back into the case wallet. */
  txHash: z.string().min(1).max(200),
});
export type RecordVenueReturn = z.infer<typeof RecordVenueReturn>;

export const VenueReturn = z.object({
  returnId: z.string(),
  caseId: CaseId,
  asset: CryptoAsset,
  chain: Chain,
  transferId: z.string(),
  txHash: z.string(),
  amount: DecimalString,
  confirmations: z.number().int(),
  recordedAt: IsoTimestamp,
});
export type VenueReturn = z.infer<typeof VenueReturn>;

/**
 * What a DISPOSAL_PLAN approval lets leave a case's wallets, as the control API builds it from the
 * case's verified intake when a supervisor approves (and signs it inside the decision): which assets,
 * at most how much of each, to which venue's whitelisted addresses, and the approval policy's verdict
 * (version, the value it was judged on, how many distinct people and units it asked for). Custody
 * checks every transfer of the case against it (transfer-authorisation.ts); each approving supervisor
 * signs the same authorisation.
 */
export const TransferAuthorisation = z.object({
  caseId: CaseId,
  /** The venue whose ACTIVE whitelist entries may receive the coins (the whitelist entry's `venue`). */
  venue: z.string().min(1).max(50),
  /**
   * The other venues and OTC desks a case sold by sale plans may deliver to (issue 16; each the `venue`
   * of its whitelist entries, a provider id of the register). Absent: `venue` alone.
   */
  venues: z.array(z.string().min(1).max(50)).max(10).optional(),
  assets: z
    .array(z.object({ asset: CryptoAsset, maxAmount: PositiveDecimalString }))
    .min(1)
    .max(10),
  policy: z.object({
    /** The approval policy document's version. */
    version: z.string().min(1).max(50),
    /** The value the policy was evaluated on: the verified intake at the recorded reference prices, in CNY. */
    valueCny: DecimalString,
    tier: z.string().min(1).max(50),
    /** Distinct people who must approve. */
    approvals: z.number().int().min(1).max(5),
    /** Distinct units those people must come from. */
    units: z.number().int().min(1).max(5),
    /** One of them must be a senior supervisor. */
    senior: z.boolean(),
  }),
});
export type TransferAuthorisation = z.infer<typeof TransferAuthorisation>;
