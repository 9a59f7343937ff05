/**
 * Correcting a wrong entry without editing it: a REVERSAL line takes the wrong amount back out and a
 * CORRECTION line books what it should have been (none when that is zero), both tied to a correction
 * record with the reason, who wrote it and who approved it (two different people). Only money that came
 * in can be corrected here (a credit, or an earlier correction of one): money paid out went to someone
 * who holds a receipt, and is put right by a new payment, not by a ledger line. A line is reversed once.
 */
import { randomUUID } from 'node:crypto';
import { Decimal, formatAmount, problems, type Queryable } from '@vcdc/shared';
import type { treasury } from '@vcdc/shared/contracts';
import { appendLine, lockAccount } from './case-ledger';

export async function correctEntry(
  tx: Queryable,
  input: treasury.CorrectEntry,
  now: Date,
): Promise<treasury.Correction> {
  if (input.author === input.approver) {
    throw problems.refused(
      'four-eyes',
      'Author cannot approve their own correction',
      `${input.author} wrote the correction`,
      {
        errors: [{ field: 'approver', message: 'must be someone other than the author' }],
      },
    );
  }
  let account = await lockAccount(tx, input.caseId);
  const { rows } = await tx.query<{ kind: treasury.LedgerKind; amount: string; reference: string }>(
    'SELECT kind, amount, reference FROM ledger_entries WHERE case_id = $1 AND line = $2',
    [input.caseId, input.line],
  );
  const wrong = rows[0];
  if (!account || !wrong) throw problems.notFound('ledger line', `${input.caseId}#${input.line}`);
  if (wrong.kind !== 'CREDIT' && wrong.kind !== 'CORRECTION') {
    throw problems.refused(
      'entry-not-correctable',
      'Only credits can be corrected',
      `line ${input.line} of case ${input.caseId} is a ${wrong.kind}; only CREDIT and CORRECTION lines are corrected here`,
      { caseId: input.caseId, line: input.line, kind: wrong.kind },
    );
  }
  const earlier = await tx.query<{ correction_id: string }>(
    'SELECT correction_id FROM corrections WHERE case_id = $1 AND reversed_line = $2',
    [input.caseId, input.line],
  );
  if (earlier.rows[0]) {
    throw problems.conflict(
      'entry-already-reversed',
      'Entry already reversed',
      `line ${input.line} of case ${input.caseId} was already reversed by correction ${earlier.rows[0].correction_id}; correct its correction line instead`,
      { caseId: input.caseId, line: input.line, correctionId: earlier.rows[0].correction_id },
    );
  }
  const corrected = new Decimal(input.correctedAmount);
  const wrongAmount = new Decimal(wrong.amount);
  // Taking a credit back must not overdraw the case: the money may already have been paid out.
  if (account.balance.minus(wrongAmount).plus(corrected).lt(0)) {
    throw problems.refused(
      'insufficient-case-balance',
      'Correction would overdraw the case',
      `case ${input.caseId} holds ${formatAmount(account.balance, 'CNY')} CNY; correcting line ${input.line} from ${formatAmount(wrongAmount, 'CNY')} to ${formatAmount(corrected, 'CNY')} would leave it negative`,
      { caseId: input.caseId, balance: formatAmount(account.balance, 'CNY') },
    );
  }
  const correctionId = randomUUID();
  await tx.query(
    `INSERT INTO corrections (correction_id, case_id, reversed_line, corrected_amount, reason, author, approver, corrected_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [correctionId, input.caseId, input.line, corrected.toFixed(2), input.reason, input.author, input.approver, now],
  );
  // Both lines carry the wrong line's reference (the FX settlement), so the statement reads as a pair.
  // The new entry goes in first when it is larger, so the running balance never dips below zero between them.
  const reversal = {
    kind: 'REVERSAL' as const,
    correctionId,
    reversesLine: input.line,
    reference: wrong.reference,
    amount: wrongAmount.negated(),
    at: now,
  };
  const replacement = { ...reversal, kind: 'CORRECTION' as const, amount: corrected };
  let reversalLine: number;
  let correctionLine: number | undefined;
  if (corrected.gte(wrongAmount)) {
    account = await appendLine(tx, account, replacement);
    correctionLine = account.lastLine;
    account = await appendLine(tx, account, reversal);
    reversalLine = account.lastLine;
  } else {
    account = await appendLine(tx, account, reversal);
    reversalLine = account.lastLine;
    if (corrected.gt(0)) {
      account = await appendLine(tx, account, replacement);
      correctionLine = account.lastLine;
    }
  }
  return {
    ...input,
    correctedAmount: formatAmount(corrected, 'CNY'),
    correctionId,
    reversalLine,
    ...(correctionLine ? { correctionLine } : {}),
    correctedAt: now.toISOString(),
  };
}
