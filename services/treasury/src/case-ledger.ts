/**
 * The case-property ledger: per case, numbered CNY lines, each with the balance after it. A change
 * locks the case's account row first, so the lines of one case are appended one at a time.
 */
import { Decimal, formatAmount, problems, type Queryable, toBaseUnits } from '@vcdc/shared';
import type { treasury } from '@vcdc/shared/contracts';
import { followUpsDue } from './follow-up-remittances';
import { caseReceivables } from './recoveries';

export interface LockedAccount {
  caseId: string;
  agency: string;
  lastLine: number;
  balance: Decimal;
}

async function lastEntry(tx: Queryable, caseId: string): Promise<{ lastLine: number; balance: Decimal }> {
  const { rows } = await tx.query<{ line: number; balance_after: string }>(
    'SELECT line, balance_after FROM ledger_entries WHERE case_id = $1 ORDER BY line DESC LIMIT 1',
    [caseId],
  );
  const last = rows[0];
  return { lastLine: last?.line ?? 0, balance: new Decimal(last?.balance_after ?? 0) };
}

/** Lock the case's account; undefined when the case has never been credited. */
export async function lockAccount(tx: Queryable, caseId: string): Promise<LockedAccount | undefined> {
  const { rows } = await tx.query<{ agency: string }>(
    'SELECT agency FROM case_accounts WHERE case_id = $1 FOR UPDATE',
    [caseId],
  );
  if (!rows[0]) return undefined;
  return { caseId, agency: rows[0].agency, ...(await lastEntry(tx, caseId)) };
}

/** Open the case's account for `agency` if it has none yet, then lock it. A case belongs to one agency. */
export async function openOrLockAccount(tx: Queryable, caseId: string, agency: string, now: Date) {
  await tx.query(
    'INSERT INTO case_accounts (case_id, agency, opened_at) VALUES ($1, $2, $3) ON CONFLICT (case_id) DO NOTHING',
    [caseId, agency, now],
  );
  const account = (await lockAccount(tx, caseId))!;
  if (account.agency !== agency) {
    throw problems.refused(
      'agency-mismatch',
      'Case belongs to another agency',
      `case ${caseId} is held in the account of ${account.agency}, not ${agency}`,
      { caseId, accountAgency: account.agency },
    );
  }
  return account;
}

export interface LedgerLine {
  kind: treasury.LedgerKind;
  creditId?: string;
  remittanceId?: string;
  restitutionPaymentId?: string;
  ownerReturnId?: string;
  correctionId?: string;
  /** REVERSAL / CORRECTION: the line replaced. */
  reversesLine?: number;
  reference: string;
  /** Signed: credits positive, remittances and payments negative. */
  amount: Decimal;
  at: Date;
}

/** Append a line to the locked account; the balance after it must not go below zero. */
export async function appendLine(tx: Queryable, account: LockedAccount, line: LedgerLine): Promise<LockedAccount> {
  const balance = account.balance.plus(line.amount);
  if (balance.lt(0)) throw new Error(`ledger line would overdraw case ${account.caseId}`);
  await tx.query(
    `INSERT INTO ledger_entries (case_id, line, kind, credit_id, remittance_id, reference, amount, balance_after, at,
       restitution_payment_id, owner_return_id, correction_id, reverses_line)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      account.caseId,
      account.lastLine + 1,
      line.kind,
      line.creditId ?? null,
      line.remittanceId ?? null,
      line.reference,
      line.amount.toFixed(2),
      balance.toFixed(2),
      line.at,
      line.restitutionPaymentId ?? null,
      line.ownerReturnId ?? null,
      line.correctionId ?? null,
      line.reversesLine ?? null,
    ],
  );
  return { ...account, lastLine: account.lastLine + 1, balance };
}

/**
 * What each kind of line counts towards in the statement's totals (corrections only touch credits; a
 * receivable is what was paid out too much and is owed back).
 */
const TOTAL_OF: Record<treasury.LedgerKind, 'credited' | 'remitted' | 'toVictims' | 'toOwner' | 'recoverable'> = {
  CREDIT: 'credited',
  REVERSAL: 'credited',
  CORRECTION: 'credited',
  REMITTANCE: 'remitted',
  RESTITUTION: 'toVictims',
  OWNER_RETURN: 'toOwner',
  RECOVERY_RECEIVABLE: 'recoverable',
};

/**
 * The case's statement: every line in order with its running balance, and the totals (credits net of
 * their corrections; money out as positive totals). A case with no lines (never credited, or unknown
 * here) has an empty statement with a zero balance.
 */
export async function caseStatement(db: Queryable, caseId: string): Promise<treasury.CaseStatement> {
  const { rows } = await db.query<{
    line: number;
    kind: treasury.LedgerKind;
    reference: string;
    amount: string;
    balance_after: string;
    at: Date;
    reverses_line: number | null;
  }>(
    `SELECT line, kind, reference, amount, balance_after, at, reverses_line
       FROM ledger_entries WHERE case_id = $1 ORDER BY line`,
    [caseId],
  );
  const totals = {
    credited: new Decimal(0),
    remitted: new Decimal(0),
    toVictims: new Decimal(0),
    toOwner: new Decimal(0),
    recoverable: new Decimal(0),
  };
  for (const row of rows) {
    const total = TOTAL_OF[row.kind];
    // Credits count as they are signed; money out is negative on the ledger and positive in its total.
    const signed = total === 'credited' || total === 'recoverable';
    totals[total] = signed ? totals[total].plus(row.amount) : totals[total].minus(row.amount);
  }
  const balance = rows.at(-1)?.balance_after ?? '0';
  const fen = (amount: Decimal | string) => toBaseUnits(amount, 'CNY').toString();
  return {
    caseId,
    currency: 'CNY',
    lines: rows.map((row) => ({
      line: row.line,
      kind: row.kind,
      reference: row.reference,
      amount: formatAmount(row.amount, 'CNY'),
      baseUnits: fen(row.amount),
      balanceAfter: formatAmount(row.balance_after, 'CNY'),
      at: row.at.toISOString(),
      ...(row.reverses_line ? { reversesLine: row.reverses_line } : {}),
    })),
    totalCredited: formatAmount(totals.credited, 'CNY'),
    totalRemitted: formatAmount(totals.remitted, 'CNY'),
    totalToVictims: formatAmount(totals.toVictims, 'CNY'),
    totalReturnedToOwner: formatAmount(totals.toOwner, 'CNY'),
    balance: formatAmount(balance, 'CNY'),
    totalRecoverable: formatAmount(totals.recoverable, 'CNY'),
    receivables: await caseReceivables(db, caseId),
    followUpsDue: await followUpsDue(db, caseId),
    baseUnits: {
      unit: 'fen',
      totalCredited: fen(totals.credited),
      totalRemitted: fen(totals.remitted),
      totalToVictims: fen(totals.toVictims),
      totalReturnedToOwner: fen(totals.toOwner),
      balance: fen(balance),
    },
  };
}
