/**
 * Returning the case's money to its owner after an acquittal (the only pay-out an acquittal allows;
 * see escrow.ts). Paid with a receipt like a restitution payment.
 */
import { randomUUID } from 'node:crypto';
import { Decimal, formatAmount, problems, type Queryable } from '@vcdc/shared';
import type { treasury } from '@vcdc/shared/contracts';
import { appendLine, lockAccount } from './case-ledger';
import { assertMayPayOut } from './escrow';
import { issuePayment } from './payouts';

export async function returnToOwner(
  tx: Queryable,
  input: Omit<treasury.ReturnToOwner, 'decision'> & { approvedBy: string },
  now: Date,
): Promise<treasury.OwnerReturn> {
  const account = await lockAccount(tx, input.caseId);
  await assertMayPayOut(tx, input.caseId, 'OWNER_RETURN');
  const amount = new Decimal(input.amount);
  const balance = account?.balance ?? new Decimal(0);
  if (!account || amount.gt(balance)) {
    throw problems.refused(
      'insufficient-case-balance',
      'Return exceeds the case balance',
      `case ${input.caseId} holds ${formatAmount(balance, 'CNY')} CNY; ${formatAmount(amount, 'CNY')} was to be returned`,
      { caseId: input.caseId, balance: formatAmount(balance, 'CNY'), requested: formatAmount(amount, 'CNY') },
    );
  }
  const ownerReturnId = randomUUID();
  const { paymentNo, receiptNo } = await issuePayment(tx, now);
  await tx.query(
    `INSERT INTO owner_returns (owner_return_id, case_id, owner_name, payee_account, amount, payment_no, receipt_no,
       approved_by, returned_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      ownerReturnId,
      input.caseId,
      input.ownerName,
      input.payeeAccount,
      amount.toFixed(2),
      paymentNo,
      receiptNo,
      input.approvedBy,
      now,
    ],
  );
  await appendLine(tx, account, {
    kind: 'OWNER_RETURN',
    ownerReturnId,
    reference: paymentNo,
    amount: amount.negated(),
    at: now,
  });
  return {
    ...input,
    amount: formatAmount(amount, 'CNY'),
    ownerReturnId,
    paymentNo,
    receiptNo,
    returnedAt: now.toISOString(),
  };
}
