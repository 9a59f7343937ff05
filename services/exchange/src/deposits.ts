/**
 * Deposits at the venue, observed for a case. The workflow polls with the chain transaction hash; each
 * change of the deposit's status (or of the venue's reason for holding it) is recorded (append-only),
 * and a transaction is tied to the first case that asked about it: another case claiming it is refused.
 * A deposit the venue holds for review is HELD with the venue's reason until it is credited.
 */
import { inTransaction, type Pool, Problem, problems, type Queryable } from '@vcdc/shared';
import type { exchange } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import type { Venue } from './venue';
import { atVenue } from './venue-problems';

interface DepositRow {
  case_id: string;
  venue: string;
  asset: exchange.VenueDeposit['asset'];
  tx_hash: string;
  amount: string;
  venue_deposit_id: string;
  status: exchange.VenueDeposit['status'];
  hold_reason: string | null;
  observed_at: Date;
}

const LATEST = `
  SELECT d.case_id, d.venue, d.asset, d.tx_hash, d.amount, d.venue_deposit_id, o.status, o.hold_reason, o.observed_at
  FROM deposits d
  JOIN LATERAL (
    SELECT status, hold_reason, observed_at FROM deposit_observations o
    WHERE o.venue = d.venue AND o.tx_hash = d.tx_hash ORDER BY id DESC LIMIT 1
  ) o ON true`;

function view(row: DepositRow): exchange.VenueDeposit {
  return {
    caseId: row.case_id,
    venue: row.venue,
    asset: row.asset,
    txHash: row.tx_hash,
    amount: new Decimal(row.amount).toFixed(),
    status: row.status,
    ...(row.status === 'HELD' && row.hold_reason !== null ? { holdReason: row.hold_reason } : {}),
    venueDepositId: row.venue_deposit_id,
    observedAt: row.observed_at.toISOString(),
  };
}

export async function observeDeposit(
  pool: Pool,
  venue: Venue,
  query: { caseId: string; asset: exchange.VenueDeposit['asset']; txHash: string },
): Promise<exchange.VenueDeposit> {
  const snapshot = await atVenue(() => venue.findDeposit(query.asset, query.txHash));
  return inTransaction(pool, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 2))', [`deposit:${query.txHash}`]);
    const known = (
      await tx.query<DepositRow>(`${LATEST} WHERE d.venue = $1 AND d.tx_hash = $2`, [venue.id, query.txHash])
    ).rows[0];
    if (known && (known.case_id !== query.caseId || known.asset !== query.asset)) {
      throw problems.conflict(
        'deposit-claimed',
        'Deposit belongs to another case',
        `transaction ${query.txHash} was recorded as a ${known.asset} deposit of case ${known.case_id}`,
      );
    }
    if (!snapshot) {
      if (known) return view(known);
      throw new Problem(
        404,
        'deposit-not-seen',
        'Deposit not seen by the venue yet',
        `${venue.id} has no ${query.asset} deposit with transaction ${query.txHash} yet; ask again later`,
      );
    }
    if (!known) {
      await tx.query(
        'INSERT INTO deposits (venue, tx_hash, case_id, asset, amount, venue_deposit_id) VALUES ($1, $2, $3, $4, $5, $6)',
        [venue.id, query.txHash, query.caseId, query.asset, snapshot.amount, snapshot.venueDepositId],
      );
    }
    const holdReason = snapshot.status === 'HELD' ? (snapshot.holdReason ?? null) : null;
    if (known?.status !== snapshot.status || (known?.hold_reason ?? null) !== holdReason) {
      await tx.query('INSERT INTO deposit_observations (venue, tx_hash, status, hold_reason) VALUES ($1, $2, $3, $4)', [
        venue.id,
        query.txHash,
        snapshot.status,
        holdReason,
      ]);
    }
    const row = (
      await tx.query<DepositRow>(`${LATEST} WHERE d.venue = $1 AND d.tx_hash = $2`, [venue.id, query.txHash])
    ).rows[0] as DepositRow;
    return view(row);
  });
}

export async function caseDeposits(db: Queryable, caseId: string): Promise<exchange.VenueDeposit[]> {
  const { rows } = await db.query<DepositRow>(`${LATEST} WHERE d.case_id = $1 ORDER BY d.first_seen_at, d.tx_hash`, [
    caseId,
  ]);
  return rows.map(view);
}
