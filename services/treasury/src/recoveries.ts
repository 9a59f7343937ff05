/**
 * Money paid out that the case never had (issue 13, part 2). A correction taking a credit back after
 * the money left is not refused: what the account no longer holds is booked as a RECOVERY RECEIVABLE,
 * a ledger line of its own (the account's balance is what it holds plus what it is owed back), owed by
 * the payee of the case's last pay-out. It stays OPEN until a treasury officer books its recovery with
 * the refund's receipt; the recovery turns the claim into money without changing the balance, so it
 * is its own record (`recoveries`, bound to the audit chain), not a ledger line.
 */
import { randomUUID } from 'node:crypto';
import { Decimal, formatAmount, problems, type Queryable } from '@vcdc/shared';
import type { treasury } from '@vcdc/shared/contracts';
import { appendLine, type LockedAccount } from './case-ledger';

const DEBTOR_OF: Record<string, string> = { REMITTANCE: 'TREASURY', RESTITUTION: 'VICTIMS', OWNER_RETURN: 'OWNER' };

/** Book the receivable line on the locked account (before the reversal it makes room for). */
export async function bookReceivable(
  tx: Queryable,
  account: LockedAccount,
  r: { correctionId: string; amount: Decimal; reference: string; at: Date },
): Promise<{ account: LockedAccount; receivable: treasury.RecoveryReceivable }> {
  const { rows } = await tx.query<{ kind: string }>(
    `SELECT kind FROM ledger_entries WHERE case_id = $1 AND kind IN ('REMITTANCE', 'RESTITUTION', 'OWNER_RETURN')
      ORDER BY line DESC LIMIT 1`,
    [account.caseId],
  );
  const debtor = DEBTOR_OF[rows[0]?.kind ?? 'REMITTANCE'] ?? 'TREASURY';
  const next = await appendLine(tx, account, {
    kind: 'RECOVERY_RECEIVABLE',
    correctionId: r.correctionId,
    reference: r.reference,
    amount: r.amount,
    at: r.at,
  });
  const receivableId = randomUUID();
  await tx.query(
    `INSERT INTO recovery_receivables (receivable_id, case_id, correction_id, amount, debtor, line, booked_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [receivableId, account.caseId, r.correctionId, r.amount.toFixed(2), debtor, next.lastLine, r.at],
  );
  return {
    account: next,
    receivable: {
      receivableId,
      caseId: account.caseId,
      correctionId: r.correctionId,
      amount: formatAmount(r.amount, 'CNY'),
      debtor,
      line: next.lastLine,
      bookedAt: r.at.toISOString(),
      status: 'OPEN',
    },
  };
}

interface ReceivableRow {
  receivable_id: string;
  case_id: string;
  correction_id: string;
  amount: string;
  debtor: string;
  line: number;
  booked_at: Date;
  receipt_no: string | null;
  recorded_by: string | null;
  recovered_at: Date | null;
}

function toReceivable(row: ReceivableRow): treasury.RecoveryReceivable {
  const amount = formatAmount(row.amount, 'CNY');
  return {
    receivableId: row.receivable_id,
    caseId: row.case_id,
    correctionId: row.correction_id,
    amount,
    debtor: row.debtor,
    line: row.line,
    bookedAt: row.booked_at.toISOString(),
    status: row.receipt_no ? 'RECOVERED' : 'OPEN',
    ...(row.receipt_no
      ? {
          recovery: {
            receivableId: row.receivable_id,
            caseId: row.case_id,
            amount,
            receiptNo: row.receipt_no,
            recordedBy: row.recorded_by!,
            recoveredAt: row.recovered_at!.toISOString(),
          },
        }
      : {}),
  };
}

const RECEIVABLES = `SELECT r.*, c.receipt_no, c.recorded_by, c.recovered_at
  FROM recovery_receivables r LEFT JOIN recoveries c USING (receivable_id)`;

export async function caseReceivables(db: Queryable, caseId: string): Promise<treasury.RecoveryReceivable[]> {
  const { rows } = await db.query<ReceivableRow>(`${RECEIVABLES} WHERE r.case_id = $1 ORDER BY r.line`, [caseId]);
  return rows.map(toReceivable);
}

/** A treasury officer books that the money came back: once per receivable, with the refund's receipt. */
export async function recordRecovery(
  tx: Queryable,
  receivableId: string,
  input: treasury.RecordRecovery,
  by: { recordedBy: string; actId: string; now: Date },
): Promise<treasury.Recovery> {
  const found = await tx.query<ReceivableRow>(`${RECEIVABLES} WHERE r.receivable_id = $1`, [receivableId]);
  if (!found.rows[0]) throw problems.notFound('recovery receivable', receivableId);
  // The case's account is the lock: two recoveries of one receivable are decided one after the other.
  await tx.query('SELECT 1 FROM case_accounts WHERE case_id = $1 FOR UPDATE', [found.rows[0].case_id]);
  const { rows } = await tx.query<ReceivableRow>(`${RECEIVABLES} WHERE r.receivable_id = $1`, [receivableId]);
  const row = rows[0]!;
  if (row.receipt_no) {
    throw problems.conflict(
      'receivable-already-recovered',
      'Receivable already recovered',
      `receivable ${receivableId} was recovered already (receipt ${row.receipt_no})`,
      { receivableId, receiptNo: row.receipt_no },
    );
  }
  const seen = await tx.query<{ receivable_id: string }>('SELECT receivable_id FROM recoveries WHERE receipt_no = $1', [
    input.receiptNo,
  ]);
  if (seen.rows[0]) {
    // One refund, one receipt: the same receipt again is the same money reported twice.
    throw problems.conflict(
      'receipt-already-recorded',
      'Receipt already recorded',
      `receipt ${input.receiptNo} already recovered receivable ${seen.rows[0].receivable_id}`,
      {
        receiptNo: input.receiptNo,
        errors: [{ field: 'receiptNo', message: 'already recorded for another receivable' }],
      },
    );
  }
  await tx.query(
    `INSERT INTO recoveries (receivable_id, case_id, amount, receipt_no, recorded_by, act_id, recovered_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [receivableId, row.case_id, new Decimal(row.amount).toFixed(2), input.receiptNo, by.recordedBy, by.actId, by.now],
  );
  return {
    receivableId,
    caseId: row.case_id,
    amount: formatAmount(row.amount, 'CNY'),
    receiptNo: input.receiptNo,
    recordedBy: by.recordedBy,
    recoveredAt: by.now.toISOString(),
  };
}
