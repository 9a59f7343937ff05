/**
 * What the treasury service appends to its audit chain (packages/shared/src/audit), on the
 * transaction that books the ledger lines: a credit from FX, a remittance to the state treasury, each
 * restitution payment to a victim (one record per distribution, naming every payment), a return to
 * the owner, a correction (reversal and re-booking). Amounts are CNY decimal strings.
 */
import type { AuditEntry, contracts } from '@vcdc/shared';

type Credit = contracts.treasury.Credit;
type Remittance = contracts.treasury.Remittance;
type Distribution = contracts.treasury.RestitutionDistribution;
type OwnerReturn = contracts.treasury.OwnerReturn;
type Correction = contracts.treasury.Correction;
type CorrectionRequest = contracts.treasury.CorrectionRequest;
type RestitutionOrder = contracts.treasury.RestitutionOrder;
type Escrow = contracts.treasury.Escrow;

export function creditBooked(c: Credit): AuditEntry {
  return {
    kind: 'treasury.credit.booked',
    actor: 'service:treasury',
    caseId: c.caseId,
    data: {
      creditId: c.creditId,
      agency: c.agency,
      amount: c.amount,
      fxSettlementId: c.fxSettlementId,
      bankReference: c.bankReference,
    },
  };
}

export function remittanceMade(r: Remittance): AuditEntry {
  return {
    kind: 'treasury.remittance.made',
    actor: r.approvedBy,
    caseId: r.caseId,
    data: {
      remittanceId: r.remittanceId,
      amount: r.amount,
      budgetClassificationCode: r.budgetClassificationCode,
      voucherNo: r.voucherNo,
      receiptNo: r.receiptNo,
      ...(r.followUpOf ? { followUpOf: r.followUpOf } : {}),
    },
  };
}

export function restitutionPaid(d: Distribution): AuditEntry {
  return {
    kind: 'treasury.restitution.paid',
    actor: d.approvedBy,
    caseId: d.caseId,
    data: {
      distributionId: d.distributionId,
      restitutionOrderId: d.restitutionOrderId,
      method: d.method,
      available: d.available,
      payments: d.payments.map((p) => ({
        paymentId: p.paymentId,
        victimId: p.victimId,
        amount: p.amount,
        paymentNo: p.paymentNo,
        receiptNo: p.receiptNo,
      })),
      totalToVictims: d.totalToVictims,
      toTreasury: d.toTreasury,
    },
  };
}

export function ownerReturned(r: OwnerReturn): AuditEntry {
  return {
    kind: 'treasury.owner-return.paid',
    actor: r.approvedBy,
    caseId: r.caseId,
    data: {
      ownerReturnId: r.ownerReturnId,
      payeeAccount: r.payeeAccount,
      amount: r.amount,
      paymentNo: r.paymentNo,
      receiptNo: r.receiptNo,
    },
  };
}

/** A correction requested: nothing is booked until another person approves it. */
export function correctionRequested(r: CorrectionRequest): AuditEntry {
  return {
    kind: 'treasury.correction.requested',
    actor: r.author,
    caseId: r.caseId,
    data: { correctionId: r.correctionId, line: r.line, correctedAmount: r.correctedAmount, reason: r.reason },
  };
}

/** The escrow opened by the case workflow. */
export function escrowOpened(e: Escrow): AuditEntry {
  return { kind: 'treasury.escrow.opened', actor: e.openedBy, caseId: e.caseId, data: { reason: e.reason } };
}

/** The judgment recorded (from the supervisor's signed JUDGMENT decision), releasing the escrow. */
export function judgmentRecorded(e: Escrow): AuditEntry {
  return {
    kind: 'treasury.judgment.recorded',
    actor: e.judgment?.recordedBy ?? 'unknown',
    caseId: e.caseId,
    data: {
      judgmentRef: e.judgment?.judgmentRef ?? null,
      documentHash: e.judgment?.documentHash ?? null,
      outcome: e.judgment?.outcome ?? null,
    },
  };
}

/** A court's restitution order registered by the case workflow. */
export function restitutionOrderRegistered(o: RestitutionOrder): AuditEntry {
  return {
    kind: 'treasury.restitution-order.registered',
    actor: o.registeredBy,
    caseId: o.caseId,
    data: {
      restitutionOrderId: o.restitutionOrderId,
      courtOrderRef: o.courtOrderRef,
      documentHash: o.documentHash,
      method: o.method,
      victims: o.victims.length,
    },
  };
}

/** A correction booked on its approval: the approver's act booked it; the author wrote it. */
export function correctionBooked(c: Correction): AuditEntry {
  return {
    kind: 'treasury.correction.booked',
    actor: c.approver,
    caseId: c.caseId,
    data: {
      correctionId: c.correctionId,
      line: c.line,
      correctedAmount: c.correctedAmount,
      reversalLine: c.reversalLine,
      correctionLine: c.correctionLine ?? null,
      reason: c.reason,
      author: c.author,
      approver: c.approver,
      fxCorrectionId: c.fxCorrectionId ?? null,
      receivable: c.receivable ? { receivableId: c.receivable.receivableId, amount: c.receivable.amount } : null,
      followUpDue: c.followUpDue ?? null,
    },
  };
}

/** A receivable's recovery booked: the money paid out too much came back. */
export function recoveryRecorded(r: contracts.treasury.Recovery): AuditEntry {
  return {
    kind: 'treasury.recovery.recorded',
    actor: r.recordedBy,
    caseId: r.caseId,
    data: { receivableId: r.receivableId, amount: r.amount, receiptNo: r.receiptNo },
  };
}
