/**
 * Fiat withdrawals to the case's registered bank account. The venue gets a client reference derived
 * from the request's Idempotency-Key, so a retry after a lost answer finds the withdrawal it already
 * made instead of making a second one.
 */
import {
  appendAuditRecord,
  assertScales,
  type PoolClient,
  Problem,
  problems,
  type Queryable,
  sha256Hex,
} from '@vcdc/shared';
import type { exchange } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import { withdrawalRecorded } from './audit-records';
import type { Venue, WithdrawalSnapshot } from './venue';
import { atVenue, venueProblem } from './venue-problems';

interface WithdrawalRow {
  withdrawal_id: string;
  venue: string;
  case_id: string;
  currency: exchange.VenueWithdrawal['currency'];
  amount: string;
  fee: string;
  net_amount: string;
  bank_account_id: string;
  status: exchange.VenueWithdrawal['status'];
  created_at: Date;
}

const WITHDRAWAL_REFUSALS = { 'not-permitted': 'bank-account-not-registered', 'venue-refused': 'withdrawal-refused' };

/** The venue's client reference for a withdrawal, derived from the request's Idempotency-Key. */
export function withdrawalClientRef(idempotencyKey: string): string {
  return `wd-${sha256Hex(idempotencyKey).slice(0, 32)}`;
}

export async function requestWithdrawal(
  tx: PoolClient,
  venue: Venue,
  input: exchange.RequestWithdrawal,
  clientRef: string,
): Promise<exchange.VenueWithdrawal> {
  assertScales([{ field: 'amount', value: input.amount, asset: input.currency }]);
  const recorded = (await tx.query<WithdrawalRow>('SELECT * FROM withdrawals WHERE client_ref = $1', [clientRef]))
    .rows[0];
  if (recorded) return view(recorded);

  let snapshot = await atVenue(() => venue.findWithdrawal(input.currency, { clientRef }));
  if (!snapshot) {
    let withdrawalId: string | undefined;
    try {
      withdrawalId = (
        await venue.withdraw({
          currency: input.currency,
          amount: input.amount,
          bankAccountId: input.bankAccountId,
          clientRef,
        })
      ).withdrawalId;
    } catch (error) {
      // A previous attempt may have been made and its answer lost: look once more before giving up.
      const made = await atVenue(() => venue.findWithdrawal(input.currency, { clientRef }));
      if (!made) throw venueProblem(error, WITHDRAWAL_REFUSALS);
      withdrawalId = made.withdrawalId;
    }
    const id = withdrawalId;
    snapshot = await atVenue(() => venue.findWithdrawal(input.currency, { withdrawalId: id }));
    if (!snapshot) throw new Problem(502, 'venue-error', 'Venue error', `venue does not list withdrawal ${id}`);
  }
  if (!new Decimal(snapshot.amount).eq(input.amount) || snapshot.bankAccountId !== input.bankAccountId) {
    throw problems.conflict(
      'withdrawal-conflict',
      'Venue holds another withdrawal under this reference',
      `withdrawal ${snapshot.withdrawalId} is ${snapshot.amount} to ${snapshot.bankAccountId}`,
    );
  }
  await insert(tx, venue.id, input.caseId, clientRef, snapshot);
  const made = await withdrawalView(tx, snapshot.withdrawalId);
  await appendAuditRecord(tx, withdrawalRecorded(made, null));
  return made;
}

async function insert(tx: PoolClient, venueId: string, caseId: string, clientRef: string, w: WithdrawalSnapshot) {
  await tx.query(
    `INSERT INTO withdrawals (withdrawal_id, venue, case_id, client_ref, currency, amount, fee, net_amount, bank_account_id, status, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      w.withdrawalId,
      venueId,
      caseId,
      clientRef,
      w.currency,
      w.amount,
      w.fee,
      w.netAmount,
      w.bankAccountId,
      w.status,
      w.createdAt,
    ],
  );
}

/** The withdrawal's status as the venue has it now. */
export async function refreshWithdrawal(
  tx: PoolClient,
  venue: Venue,
  withdrawalId: string,
): Promise<exchange.VenueWithdrawal> {
  const row = (
    await tx.query<WithdrawalRow>('SELECT * FROM withdrawals WHERE withdrawal_id = $1 FOR UPDATE', [withdrawalId])
  ).rows[0];
  if (!row || row.venue !== venue.id) throw problems.notFound('Withdrawal', `${withdrawalId} at ${venue.id}`);
  const snapshot = await atVenue(() => venue.findWithdrawal(row.currency, { withdrawalId }));
  if (!snapshot)
    throw new Problem(502, 'venue-error', 'Venue error', `venue no longer lists withdrawal ${withdrawalId}`);
  if (snapshot.status !== row.status) {
    await tx.query('UPDATE withdrawals SET status = $2, status_checked_at = now() WHERE withdrawal_id = $1', [
      withdrawalId,
      snapshot.status,
    ]);
    const changed = await withdrawalView(tx, withdrawalId);
    await appendAuditRecord(tx, withdrawalRecorded(changed, row.status));
    return changed;
  }
  return withdrawalView(tx, withdrawalId);
}

function view(row: WithdrawalRow): exchange.VenueWithdrawal {
  return {
    caseId: row.case_id,
    venue: row.venue,
    withdrawalId: row.withdrawal_id,
    currency: row.currency,
    amount: new Decimal(row.amount).toFixed(),
    fee: new Decimal(row.fee).toFixed(),
    netAmount: new Decimal(row.net_amount).toFixed(),
    bankAccountId: row.bank_account_id,
    status: row.status,
    createdAt: row.created_at.toISOString(),
  };
}

export async function withdrawalView(db: Queryable, withdrawalId: string): Promise<exchange.VenueWithdrawal> {
  const row = (await db.query<WithdrawalRow>('SELECT * FROM withdrawals WHERE withdrawal_id = $1', [withdrawalId]))
    .rows[0];
  if (!row) throw problems.notFound('Withdrawal', withdrawalId);
  return view(row);
}

export async function caseWithdrawals(db: Queryable, caseId: string): Promise<exchange.VenueWithdrawal[]> {
  const { rows } = await db.query<WithdrawalRow>(
    'SELECT * FROM withdrawals WHERE case_id = $1 ORDER BY created_at, withdrawal_id',
    [caseId],
  );
  return rows.map(view);
}
