/**
 * What custody appends to its audit chain (packages/shared/src/audit), one record per movement of
 * value, on the transaction that books it: an intake credited, a transfer out with its network fee (a
 * hand-back to the owner with the court's order), a return from the venue credited, each custodian
 * attestation (and whether the second matched the first). Amounts are decimal strings, as in the ledger.
 */
import type { AuditEntry, contracts } from '@vcdc/shared';

type Intake = contracts.custody.Intake;
type AttestedIntake = contracts.custody.AttestedIntake;
type VenueReturn = contracts.custody.VenueReturn;
type AttestIntake = contracts.custody.AttestIntake & { attestedBy: string };

export const CUSTODY_ACTOR = 'service:custody';

export function intakeCredited(intake: Intake): AuditEntry {
  return {
    kind: 'custody.intake.credited',
    actor: intake.evidence.receivedBy,
    caseId: intake.caseId,
    data: {
      intakeId: intake.intakeId,
      lotId: intake.lotId,
      asset: intake.asset,
      chain: intake.chain,
      declaredAmount: intake.declaredAmount,
      credited: intake.receivedAmount,
      difference: intake.difference,
      txHash: intake.txHash,
      verification: intake.verification ?? 'CHAIN',
    },
  };
}

export function attestationRecorded(input: AttestIntake, attested: AttestedIntake): AuditEntry {
  const kind = attested.intake
    ? 'custody.attestation.matched'
    : attested.mismatch
      ? 'custody.attestation.mismatched'
      : 'custody.attestation.recorded';
  return {
    kind,
    actor: input.attestedBy,
    caseId: attested.caseId,
    data: {
      lotId: attested.lotId,
      asset: attested.asset,
      chain: attested.chain,
      declaredAmount: attested.declaredAmount,
      attested: { txHash: input.txHash, amount: input.amount, round: attested.attestations.length },
      status: attested.status,
      ...(attested.mismatch ? { mismatch: attested.mismatch } : {}),
      ...(attested.intake ? { intakeId: attested.intake.intakeId, credited: attested.intake.receivedAmount } : {}),
    },
  };
}

export function transferSent(t: {
  transferId: string;
  caseId: string;
  asset: string;
  chain: string;
  toAddress: string;
  purpose: string;
  sent: string;
  fee: string;
  txHash: string;
  authorisationSha256?: string;
}): AuditEntry {
  const { caseId, ...data } = t;
  return { kind: 'custody.transfer.sent', actor: CUSTODY_ACTOR, caseId, data };
}

/** A held case's coins handed back to the owner on acquittal: on whose order, to whom, under which signed resolution. */
export function ownerReturnSent(t: {
  transferId: string;
  caseId: string;
  asset: string;
  chain: string;
  toAddress: string;
  sent: string;
  fee: string;
  txHash: string;
  courtOrder: string;
  owner: string;
  resolutionSha256: string;
}): AuditEntry {
  const { caseId, ...data } = t;
  return { kind: 'custody.owner-return.sent', actor: CUSTODY_ACTOR, caseId, data };
}

export function returnCredited(r: VenueReturn): AuditEntry {
  return {
    kind: 'custody.return.credited',
    actor: CUSTODY_ACTOR,
    caseId: r.caseId,
    data: {
      returnId: r.returnId,
      transferId: r.transferId,
      asset: r.asset,
      chain: r.chain,
      credited: r.amount,
      txHash: r.txHash,
    },
  };
}
