/**
 * What the FX service appends to its audit chain (packages/shared/src/audit), on the transaction of
 * the change: every declaration transition (filed, submitted, approved, rejected, settled) and every
 * settlement tranche (foreign amount, deductions, rate, CNY credited, rounding remainder).
 */
import type { AuditEntry, contracts } from '@vcdc/shared';

type Declaration = contracts.fx.Declaration;
type Settlement = contracts.fx.Settlement;

/** The declaration's latest transition. */
export function declarationTransition(d: Declaration): AuditEntry {
  const last = d.transitions[d.transitions.length - 1];
  return {
    kind: `fx.declaration.${d.status.toLowerCase()}`,
    actor: last?.by ?? 'service:fx',
    caseId: d.caseId,
    data: {
      declarationId: d.declarationId,
      declarationNo: d.declarationNo,
      currency: d.currency,
      amount: d.amount,
      settledAmount: d.settledAmount,
      from: last?.from ?? null,
      to: d.status,
      note: last?.note ?? null,
    },
  };
}

export function settlementTranche(s: Settlement): AuditEntry {
  return {
    kind: 'fx.settlement.tranche',
    actor: s.recordedBy ?? 'bank',
    caseId: s.caseId,
    data: {
      settlementId: s.settlementId,
      declarationId: s.declarationId,
      currency: s.currency,
      foreignAmount: s.foreignAmount,
      bankCharges: s.bankCharges ?? '0',
      correspondentFees: s.correspondentFees ?? '0',
      netForeignAmount: s.netForeignAmount ?? s.foreignAmount,
      rate: s.rate,
      rateSource: s.rateSource,
      cnyAmount: s.cnyAmount,
      roundingRemainder: s.roundingRemainder,
      bankReference: s.bankReference,
    },
  };
}

type SettlementCorrection = contracts.fx.SettlementCorrection;

/** A settlement correction requested (its author) or booked (its approver), with both versions. */
export function settlementCorrection(c: SettlementCorrection): AuditEntry {
  return {
    kind: c.status === 'APPLIED' ? 'fx.settlement.corrected' : 'fx.settlement.correction-requested',
    actor: c.approver ?? c.author,
    caseId: c.caseId,
    data: {
      correctionId: c.correctionId,
      settlementId: c.settlementId,
      declarationId: c.declarationId,
      corrects: c.corrects,
      before: c.before,
      after: c.after,
      cnyDifference: c.cnyDifference,
      reason: c.reason,
      author: c.author,
      approver: c.approver ?? null,
    },
  };
}
