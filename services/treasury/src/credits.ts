/**
 * Crediting the case's account with the CNY of an FX settlement. A settlement is credited once: a
 * second credit for it is refused with 409 `settlement-already-credited`, whatever its Idempotency-Key.
 */
import { randomUUID } from 'node:crypto';
import { Decimal, formatAmount, type Problem, problems, type Queryable } from '@vcdc/shared';
import type { treasury } from '@vcdc/shared/contracts';
import { appendLine, openOrLockAccount } from './case-ledger';

function alreadyCredited(fxSettlementId: string, existing?: { credit_id: string; case_id: string }): Problem {
  return problems.conflict(
    'settlement-already-credited',
    'Settlement already credited',
    `FX settlement ${fxSettlementId} has already been credited${existing ? ` (credit ${existing.credit_id} to case ${existing.case_id})` : ''}`,
    { fxSettlementId, ...(existing ? { creditId: existing.credit_id, caseId: existing.case_id } : {}) },
  );
}

export async function recordCredit(tx: Queryable, input: treasury.RecordCredit, now: Date): Promise<treasury.Credit> {
  const account = await openOrLockAccount(tx, input.caseId, input.agency, now);
  const existing = await tx.query<{ credit_id: string; case_id: string }>(
    'SELECT credit_id, case_id FROM credits WHERE fx_settlement_id = $1',
    [input.fxSettlementId],
  );
  if (existing.rows[0]) throw alreadyCredited(input.fxSettlementId, existing.rows[0]);

  const creditId = randomUUID();
  const amount = new Decimal(input.amount);
  try {
    await tx.query(
      `INSERT INTO credits (credit_id, case_id, agency, amount, fx_settlement_id, bank_reference, credited_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [creditId, input.caseId, input.agency, amount.toFixed(2), input.fxSettlementId, input.bankReference, now],
    );
  } catch (error) {
    // Another case credited the same settlement at the same moment and committed first.
    if ((error as { code?: string }).code === '23505') throw alreadyCredited(input.fxSettlementId);
    throw error;
  }
  await appendLine(tx, account, { kind: 'CREDIT', creditId, reference: input.fxSettlementId, amount, at: now });
  return {
    creditId,
    caseId: input.caseId,
    agency: input.agency,
    amount: formatAmount(amount, 'CNY'),
    fxSettlementId: input.fxSettlementId,
    bankReference: input.bankReference,
    creditedAt: now.toISOString(),
  };
}
