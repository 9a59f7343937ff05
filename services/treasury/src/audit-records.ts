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

export function correctionBooked(c: Correction): AuditEntry {
  return {
    kind: 'treasury.correction.booked',
    actor: c.author,
    caseId: c.caseId,
    data: {
      correctionId: c.correctionId,
      line: c.line,
      correctedAmount: c.correctedAmount,
      reversalLine: c.reversalLine,
      correctionLine: c.correctionLine ?? null,
      reason: c.reason,
      approver: c.approver,
    },
  };
}
