/**
 * Remitting a case's money to the state treasury: a payment voucher is issued, the treasury gateway
 * pays and returns its receipt, and the ledger gets the negative line. A remittance larger than the
 * case's balance is refused with 422 `insufficient-case-balance` and changes nothing; one the case's
 * escrow or judgment does not allow is refused with 409 (see escrow.ts).
 */
import { randomUUID } from 'node:crypto';
import { Decimal, formatAmount, problems, type Queryable } from '@vcdc/shared';
import type { treasury } from '@vcdc/shared/contracts';
import { appendLine, lockAccount } from './case-ledger';
import { nextDocumentNo } from './document-numbers';
import { assertMayPayOut } from './escrow';
import type { TreasuryGateway } from './treasury-gateway';

export async function requestRemittance(
  tx: Queryable,
  input: Omit<treasury.RequestRemittance, 'decision'> & {
    approvedBy: string;
    /** A follow-up remittance: the correction whose difference it pays, and the approver's act. */
    followUpOf?: string;
    approverActId?: string;
  },
  deps: { gateway: TreasuryGateway; now: Date },
): Promise<treasury.Remittance> {
  const amount = new Decimal(input.amount);
  const account = await lockAccount(tx, input.caseId);
  const balance = account?.balance ?? new Decimal(0);
  if (account) await assertMayPayOut(tx, input.caseId, 'REMITTANCE');
  if (!account || amount.gt(balance)) {
    throw problems.refused(
      'insufficient-case-balance',
      'Remittance exceeds the case balance',
      `case ${input.caseId} holds ${formatAmount(balance, 'CNY')} CNY; a remittance of ${formatAmount(amount, 'CNY')} was asked`,
      { caseId: input.caseId, balance: formatAmount(balance, 'CNY'), requested: formatAmount(amount, 'CNY') },
    );
  }

  const remittanceId = randomUUID();
  const voucherNo = await nextDocumentNo(tx, 'VCH', deps.now);
  const { receiptNo } = await deps.gateway.remit({
    remittanceId,
    caseId: input.caseId,
    amount: formatAmount(amount, 'CNY'),
    budgetClassificationCode: input.budgetClassificationCode,
    voucherNo,
  });
  await tx.query(
    `INSERT INTO remittances (remittance_id, case_id, amount, budget_classification_code, voucher_no, receipt_no,
       approved_by, remitted_at, follow_up_of, approver_act_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      remittanceId,
      input.caseId,
      amount.toFixed(2),
      input.budgetClassificationCode,
      voucherNo,
      receiptNo,
      input.approvedBy,
      deps.now,
      input.followUpOf ?? null,
      input.approverActId ?? null,
    ],
  );
  await appendLine(tx, account, {
    kind: 'REMITTANCE',
    remittanceId,
    reference: voucherNo,
    amount: amount.negated(),
    at: deps.now,
  });
  return {
    remittanceId,
    caseId: input.caseId,
    amount: formatAmount(amount, 'CNY'),
    budgetClassificationCode: input.budgetClassificationCode,
    voucherNo,
    receiptNo,
    approvedBy: input.approvedBy,
    remittedAt: deps.now.toISOString(),
    ...(input.followUpOf ? { followUpOf: input.followUpOf } : {}),
  };
}
