/**
 * The follow-up remittance (issue 13, part 2): a correction that added money to a case after its
 * pay-out left the difference in the special account (`corrections.follow_up_due`). It goes to the
 * treasury as a remittance like the first (a voucher, the treasury's receipt, a REMITTANCE line), under
 * the same two-person rule as the first pay-out: a supervisor approves it, never the person who asked
 * for the money (the correction's author). Once per correction (409 when it was remitted already).
 */
import { Decimal, formatAmount, problems, type Queryable } from '@vcdc/shared';
import type { treasury } from '@vcdc/shared/contracts';
import { requestRemittance } from './remittances';
import type { TreasuryGateway } from './treasury-gateway';

export async function followUpsDue(db: Queryable, caseId: string): Promise<{ correctionId: string; amount: string }[]> {
  const { rows } = await db.query<{ correction_id: string; follow_up_due: string }>(
    `SELECT c.correction_id, c.follow_up_due FROM corrections c
      WHERE c.case_id = $1 AND c.follow_up_due IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM remittances r WHERE r.follow_up_of = c.correction_id)
      ORDER BY c.corrected_at, c.correction_id`,
    [caseId],
  );
  return rows.map((r) => ({ correctionId: r.correction_id, amount: formatAmount(r.follow_up_due, 'CNY') }));
}

export async function remitFollowUp(
  tx: Queryable,
  correctionId: string,
  by: { approver: string; actId: string },
  deps: { gateway: TreasuryGateway; now: Date },
): Promise<treasury.Remittance> {
  const { rows } = await tx.query<{ case_id: string; author: string; follow_up_due: string | null }>(
    'SELECT case_id, author, follow_up_due FROM corrections WHERE correction_id = $1',
    [correctionId],
  );
  const correction = rows[0];
  if (!correction) throw problems.notFound('correction', correctionId);
  const caseId = correction.case_id;
  await tx.query('SELECT 1 FROM case_accounts WHERE case_id = $1 FOR UPDATE', [caseId]);
  if (correction.follow_up_due === null) {
    throw problems.conflict(
      'no-follow-up-due',
      'No follow-up remittance is due',
      `correction ${correctionId} did not add money to case ${caseId} after its pay-out`,
      { correctionId },
    );
  }
  const done = await tx.query<{ voucher_no: string }>('SELECT voucher_no FROM remittances WHERE follow_up_of = $1', [
    correctionId,
  ]);
  if (done.rows[0]) {
    throw problems.conflict(
      'follow-up-already-remitted',
      'Follow-up already remitted',
      `the difference of correction ${correctionId} was remitted already (voucher ${done.rows[0].voucher_no})`,
      { correctionId, voucherNo: done.rows[0].voucher_no },
    );
  }
  if (correction.author === by.approver) {
    throw problems.refused(
      'four-eyes',
      'The correction’s author cannot approve its pay-out',
      `${correction.author} asked for correction ${correctionId}; another person must approve its follow-up remittance`,
      { correctionId, errors: [{ field: 'approver', message: 'must be someone other than the correction’s author' }] },
    );
  }
  // Paid as the case's first remittance was: to the same budget classification.
  const first = await tx.query<{ budget_classification_code: string }>(
    'SELECT budget_classification_code FROM remittances WHERE case_id = $1 ORDER BY remitted_at, voucher_no LIMIT 1',
    [caseId],
  );
  if (!first.rows[0]) {
    throw problems.conflict(
      'no-remittance-to-follow',
      'The case was not remitted to the treasury',
      `case ${caseId} paid out otherwise than by remittance; its correction's difference is paid by that pay-out's own route`,
      { correctionId },
    );
  }
  return requestRemittance(
    tx,
    {
      caseId,
      amount: new Decimal(correction.follow_up_due).toFixed(2),
      budgetClassificationCode: first.rows[0].budget_classification_code,
      approvedBy: by.approver,
      approverActId: by.actId,
      followUpOf: correctionId,
    },
    deps,
  );
}
