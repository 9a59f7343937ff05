/**
 * Correcting a wrong entry without editing it: a REVERSAL line takes the wrong amount back out and a
 * CORRECTION line books what it should have been (none when that is zero), both tied to a correction
 * record with the reason, who wrote it and who approved it. Only money that came in can be corrected
 * here (a credit, or an earlier correction of one): money paid out went to someone who holds a receipt,
 * and is put right by a new payment, not by a ledger line. A line is reversed once.
 *
 * After the money left (issue 13, part 2) a correction is never refused for the balance, which would
 * leave the books wrong: taking back more than the account holds books the shortfall as a recovery
 * receivable (recoveries.ts); adding money to a case that was paid out leaves the difference due to a
 * follow-up remittance (follow-up-remittances.ts), recorded on the correction.
 *
 * Two people, two signed acts (issue #11): a treasury officer requests the correction (its author is
 * the request's act's person) and it waits, PENDING_APPROVAL, for another person's approval (the
 * approval's act's person, never the author: 422 four-eyes); only the approval books the lines. Nobody
 * names an author or approver in a body.
 */
import { randomUUID } from 'node:crypto';
import { Decimal, formatAmount, problems, type Queryable } from '@vcdc/shared';
import type { treasury } from '@vcdc/shared/contracts';
import { appendLine, lockAccount } from './case-ledger';
import { bookReceivable } from './recoveries';

interface RequestRow {
  correction_id: string;
  case_id: string;
  line: number;
  corrected_amount: string;
  reason: string;
  author: string;
  requested_at: Date;
  fx_correction_id: string | null;
  applied: boolean;
}

function toRequest(row: RequestRow): treasury.CorrectionRequest {
  return {
    correctionId: row.correction_id,
    caseId: row.case_id,
    line: row.line,
    correctedAmount: formatAmount(row.corrected_amount, 'CNY'),
    reason: row.reason,
    author: row.author,
    status: row.applied ? 'APPLIED' : 'PENDING_APPROVAL',
    requestedAt: row.requested_at.toISOString(),
    ...(row.fx_correction_id ? { fxCorrectionId: row.fx_correction_id } : {}),
  };
}

async function requestRow(db: Queryable, correctionId: string): Promise<RequestRow> {
  const { rows } = await db.query<RequestRow>(
    `SELECT r.*, EXISTS (SELECT 1 FROM corrections c WHERE c.correction_id = r.correction_id) AS applied
       FROM correction_requests r WHERE r.correction_id = $1`,
    [correctionId],
  );
  if (!rows[0]) throw problems.notFound('correction', correctionId);
  return rows[0];
}

export async function loadCorrectionRequest(db: Queryable, correctionId: string): Promise<treasury.CorrectionRequest> {
  return toRequest(await requestRow(db, correctionId));
}

/**
 * The corrections waiting for another person's approval (oldest first, at most `limit`), optionally of
 * one case: what an approver's inbox lists.
 */
export async function pendingCorrections(
  db: Queryable,
  filter: { caseId?: string; limit?: number } = {},
): Promise<treasury.CorrectionRequest[]> {
  const { rows } = await db.query<RequestRow>(
    `SELECT r.*, false AS applied FROM correction_requests r
      WHERE NOT EXISTS (SELECT 1 FROM corrections c WHERE c.correction_id = r.correction_id)
        AND ($1::text IS NULL OR r.case_id = $1)
      ORDER BY r.requested_at, r.correction_id LIMIT $2`,
    [filter.caseId ?? null, filter.limit ?? 200],
  );
  return rows.map(toRequest);
}

/** The wrong line, checked to be correctable and not yet reversed; the account locked. */
async function correctableLine(tx: Queryable, caseId: string, line: number) {
  const account = await lockAccount(tx, caseId);
  const { rows } = await tx.query<{ kind: treasury.LedgerKind; amount: string; reference: string }>(
    'SELECT kind, amount, reference FROM ledger_entries WHERE case_id = $1 AND line = $2',
    [caseId, line],
  );
  const wrong = rows[0];
  if (!account || !wrong) throw problems.notFound('ledger line', `${caseId}#${line}`);
  if (wrong.kind !== 'CREDIT' && wrong.kind !== 'CORRECTION') {
    throw problems.refused(
      'entry-not-correctable',
      'Only credits can be corrected',
      `line ${line} of case ${caseId} is a ${wrong.kind}; only CREDIT and CORRECTION lines are corrected here`,
      { caseId, line, kind: wrong.kind },
    );
  }
  const earlier = await tx.query<{ correction_id: string }>(
    'SELECT correction_id FROM corrections WHERE case_id = $1 AND reversed_line = $2',
    [caseId, line],
  );
  if (earlier.rows[0]) {
    throw problems.conflict(
      'entry-already-reversed',
      'Entry already reversed',
      `line ${line} of case ${caseId} was already reversed by correction ${earlier.rows[0].correction_id}; correct its correction line instead`,
      { caseId, line, correctionId: earlier.rows[0].correction_id },
    );
  }
  return { account, wrong };
}

/** A treasury officer's request: checked now (the line exists, may be corrected, is not reversed), booked on approval. */
export async function requestCorrection(
  tx: Queryable,
  input: treasury.CorrectEntry,
  by: { author: string; actId: string; now: Date },
): Promise<treasury.CorrectionRequest> {
  await correctableLine(tx, input.caseId, input.line);
  const correctionId = randomUUID();
  await tx.query(
    `INSERT INTO correction_requests (correction_id, case_id, line, corrected_amount, reason, author, author_act_id,
       requested_at, fx_correction_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      correctionId,
      input.caseId,
      input.line,
      new Decimal(input.correctedAmount).toFixed(2),
      input.reason,
      by.author,
      by.actId,
      by.now,
      input.fxCorrectionId ?? null,
    ],
  );
  return loadCorrectionRequest(tx, correctionId);
}

/** Another person's approval: books the reversal and the new entry. */
export async function approveCorrection(
  tx: Queryable,
  correctionId: string,
  by: { approver: string; actId: string; now: Date },
): Promise<treasury.Correction> {
  // The case's account is locked first (the role may not lock the append-only request row): two
  // approvals of one request are decided one after the other, and the second finds it applied.
  const found = await requestRow(tx, correctionId);
  await lockAccount(tx, found.case_id);
  const request = await requestRow(tx, correctionId);
  if (request.applied) {
    throw problems.conflict(
      'correction-already-applied',
      'Correction already applied',
      `correction ${correctionId} was approved and booked already`,
      {
        correctionId,
      },
    );
  }
  if (request.author === by.approver) {
    throw problems.refused(
      'four-eyes',
      'Author cannot approve their own correction',
      `${request.author} wrote correction ${correctionId}; another person must approve it`,
      { correctionId, errors: [{ field: 'approver', message: 'must be someone other than the author' }] },
    );
  }
  const { case_id: caseId, line } = request;
  const checked = await correctableLine(tx, caseId, line);
  const { wrong } = checked;
  let { account } = checked;
  const corrected = new Decimal(request.corrected_amount);
  const wrongAmount = new Decimal(wrong.amount);
  // What the account would hold after the correction; below zero, the money had already left.
  const shortfall = account.balance.minus(wrongAmount).plus(corrected).negated();
  const { rows: paidOut } = await tx.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ledger_entries
      WHERE case_id = $1 AND kind IN ('REMITTANCE', 'RESTITUTION', 'OWNER_RETURN')`,
    [caseId],
  );
  const followUpDue = corrected.gt(wrongAmount) && paidOut[0]!.n > 0 ? corrected.minus(wrongAmount) : undefined;
  await tx.query(
    `INSERT INTO corrections (correction_id, case_id, reversed_line, corrected_amount, reason, author, approver,
       corrected_at, approver_act_id, follow_up_due) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      correctionId,
      caseId,
      line,
      corrected.toFixed(2),
      request.reason,
      request.author,
      by.approver,
      by.now,
      by.actId,
      followUpDue?.toFixed(2) ?? null,
    ],
  );
  // Both lines carry the wrong line's reference (the FX settlement), so the statement reads as a pair.
  // The lines that add go in first when the account could not otherwise bear the reversal, so the running
  // balance never dips below zero between them.
  const reversal = {
    kind: 'REVERSAL' as const,
    correctionId,
    reversesLine: line,
    reference: wrong.reference,
    amount: wrongAmount.negated(),
    at: by.now,
  };
  const replacement = { ...reversal, kind: 'CORRECTION' as const, amount: corrected };
  let reversalLine: number;
  let correctionLine: number | undefined;
  let receivable: treasury.RecoveryReceivable | undefined;
  if (shortfall.gt(0)) {
    ({ account, receivable } = await bookReceivable(tx, account, {
      correctionId,
      amount: shortfall,
      reference: wrong.reference,
      at: by.now,
    }));
  }
  if (corrected.gte(wrongAmount) || shortfall.gt(0)) {
    if (corrected.gt(0)) {
      account = await appendLine(tx, account, replacement);
      correctionLine = account.lastLine;
    }
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
    caseId,
    line,
    correctedAmount: formatAmount(corrected, 'CNY'),
    reason: request.reason,
    author: request.author,
    approver: by.approver,
    correctionId,
    reversalLine,
    ...(correctionLine ? { correctionLine } : {}),
    correctedAt: by.now.toISOString(),
    ...(request.fx_correction_id ? { fxCorrectionId: request.fx_correction_id } : {}),
    ...(receivable ? { receivable } : {}),
    ...(followUpDue ? { followUpDue: formatAmount(followUpDue, 'CNY') } : {}),
  };
}
