/**
 * Returns: coins sent back from the venue to the case's custody wallet, a compensation when a case
 * stops after its coins reached the venue. One ccxt `withdraw` per return, never two:
 *
 *  - the return's id is derived from the request's Idempotency-Key and is also the venue's client
 *    reference for the withdrawal, so a retry finds at the venue what an earlier attempt made;
 *  - the row is written (committed on its own) BEFORE the venue is asked, so a lost answer leaves a
 *    PENDING return that the statement shows and that the next attempt completes instead of repeating.
 *
 * Before anything is written, the amount is checked against what the venue publishes (fee, minimum)
 * and its free balance, so a bad request is refused with 422 naming the field and changes nothing.
 * A refusal the venue makes itself after the row was written marks the return FAILED (nothing left).
 */
import {
  appendAuditRecord,
  inTransaction,
  type Pool,
  Problem,
  problems,
  type Queryable,
  sha256Hex,
} from '@vcdc/shared';
import type { exchange } from '@vcdc/shared/contracts';
import { Decimal, scaleRefusal } from '@vcdc/shared/money';
import { returnRecorded } from './audit-records';
import type { CryptoWithdrawalSnapshot, Venue } from './venue';
import { VenueCallError } from './venue';
import { atVenue, venueProblem } from './venue-problems';

type Request = exchange.RequestVenueReturn;
type Return = exchange.VenueReturnWithdrawal;

interface ReturnRow {
  return_id: string;
  venue: string;
  case_id: string;
  asset: Return['asset'];
  chain: Return['chain'];
  amount: string;
  fee: string;
  net_amount: string;
  to_address: string;
  transfer_id: string;
  venue_withdrawal_id: string | null;
  tx_hash: string | null;
  status: Return['status'];
  failure: string | null;
  requested_at: Date;
}

/** The return's id, and the venue's client reference for its withdrawal, from the request's Idempotency-Key. */
export function returnIdFor(idempotencyKey: string): string {
  return `ret-${sha256Hex(idempotencyKey).slice(0, 32)}`;
}

/** A refusal about one field of the request: 422 problem+json whose `errors` name it. */
function refusedField(
  slug: string,
  title: string,
  field: keyof Request,
  message: string,
  ext: Record<string, unknown> = {},
): Problem {
  return new Problem(422, slug, title, `${field}: ${message}`, { errors: [{ field, message }], ...ext });
}

/** The venue's own refusals of a withdrawal, each naming the field it is about. */
function venueRefusal(error: unknown): unknown {
  if (!(error instanceof VenueCallError) || error.kind !== 'refused') return venueProblem(error);
  switch (error.reason) {
    case 'insufficient-funds':
      return refusedField('insufficient-funds', 'Refused by the venue', 'amount', error.message);
    case 'invalid-address':
      return refusedField('invalid-address', 'Refused by the venue', 'toAddress', error.message);
    case 'not-permitted':
      return refusedField('address-not-registered', 'Refused by the venue', 'toAddress', error.message);
    default:
      return refusedField('withdrawal-refused', 'Refused by the venue', 'amount', error.message);
  }
}

/**
 * Checks that need no venue: the amount fits the asset's precision; an ethereum address is 20 hex
 * bytes (bitcoin address forms are many: the venue judges those, and refuses with invalid-address).
 */
function checkRequest(input: Request): void {
  if (input.chain === 'ethereum' && !/^0x[0-9a-fA-F]{40}$/.test(input.toAddress)) {
    throw refusedField('invalid-address', 'Not an address of the chain', 'toAddress', 'must be 0x and 40 hex digits');
  }
  const finer = scaleRefusal(input.amount, input.asset);
  if (finer) throw refusedField('amount-precision', 'Amount finer than the asset allows', 'amount', finer);
}

/** Before the row is written: the venue's terms and balance allow this amount. */
async function checkAtVenue(venue: Venue, input: Request): Promise<{ fee: Decimal }> {
  const terms = await atVenue(() => venue.withdrawalTerms(input.asset, input.chain));
  if (!terms.allowed) {
    throw refusedField(
      'withdrawal-not-permitted',
      'Venue does not pay out this asset',
      'asset',
      `${venue.id} does not allow ${input.asset} withdrawals on ${input.chain}`,
    );
  }
  const amount = new Decimal(input.amount);
  const fee = new Decimal(terms.fee);
  if (amount.lte(fee) || amount.lt(terms.minAmount)) {
    throw refusedField(
      'below-minimum-withdrawal',
      'Amount below what the venue pays out',
      'amount',
      `must be at least ${terms.minAmount} ${input.asset} and more than the venue's fee of ${terms.fee}`,
      { fee: terms.fee, minAmount: terms.minAmount },
    );
  }
  const free = new Decimal(await atVenue(() => venue.freeBalance(input.asset)));
  if (amount.gt(free)) {
    throw refusedField(
      'insufficient-funds',
      'More than the venue balance',
      'amount',
      `the venue holds ${free.toFixed()} ${input.asset} free; ${amount.toFixed()} asked`,
      { available: free.toFixed() },
    );
  }
  return { fee };
}

export async function requestVenueReturn(pool: Pool, venue: Venue, input: Request, returnId: string): Promise<Return> {
  checkRequest(input);
  let row = await findRow(pool, returnId);
  if (row && !sameRequest(row, input)) {
    throw problems.conflict(
      'return-conflict',
      'Return id already used for another return',
      `return ${returnId} is ${row.amount} ${row.asset} to ${row.to_address} for transfer ${row.transfer_id}`,
    );
  }
  if (!row) {
    const { fee } = await checkAtVenue(venue, input);
    row = await insertRow(pool, venue.id, returnId, input, fee);
  }
  if (row.venue_withdrawal_id === null && row.status === 'PENDING') row = await placeAtVenue(pool, venue, row);
  return view(row);
}

/** The one ccxt withdraw of a return, unless the venue already has it under the return's reference. */
async function placeAtVenue(pool: Pool, venue: Venue, row: ReturnRow): Promise<ReturnRow> {
  const clientRef = row.return_id;
  let snapshot = await atVenue(() => venue.findCryptoWithdrawal(row.asset, { clientRef }));
  if (!snapshot) {
    let withdrawalId: string;
    try {
      withdrawalId = (
        await venue.withdrawCrypto({
          asset: row.asset,
          chain: row.chain,
          amount: new Decimal(row.amount).toFixed(),
          address: row.to_address,
          clientRef,
        })
      ).withdrawalId;
    } catch (error) {
      // The venue may have made it and the answer been lost: look once more before giving up.
      const made = await atVenue(() => venue.findCryptoWithdrawal(row.asset, { clientRef }));
      if (!made) {
        const problem = venueRefusal(error);
        if (problem instanceof Problem && problem.status === 422) {
          await markFailed(pool, row.return_id, problem.detail ?? problem.title);
        }
        throw problem;
      }
      withdrawalId = made.withdrawalId;
    }
    const id = withdrawalId;
    snapshot = await atVenue(() => venue.findCryptoWithdrawal(row.asset, { withdrawalId: id }));
    if (!snapshot) throw new Problem(502, 'venue-error', 'Venue error', `venue does not list withdrawal ${id}`);
  }
  if (!new Decimal(snapshot.amount).eq(row.amount) || snapshot.address.toLowerCase() !== row.to_address.toLowerCase()) {
    throw problems.conflict(
      'return-conflict',
      'Venue holds another withdrawal under this reference',
      `withdrawal ${snapshot.withdrawalId} is ${snapshot.amount} to ${snapshot.address}`,
    );
  }
  return applySnapshot(pool, row.return_id, snapshot);
}

/** The return as the venue has it now (a PENDING one without a venue withdrawal is looked for by its reference). */
export async function refreshVenueReturn(pool: Pool, venue: Venue, returnId: string): Promise<Return> {
  const row = await findRow(pool, returnId);
  if (!row || row.venue !== venue.id) throw problems.notFound('Return', `${returnId} at ${venue.id}`);
  if (row.status === 'FAILED') return view(row);
  const by = row.venue_withdrawal_id ? { withdrawalId: row.venue_withdrawal_id } : { clientRef: row.return_id };
  const snapshot = await atVenue(() => venue.findCryptoWithdrawal(row.asset, by));
  if (!snapshot) {
    // Not made yet (the request's answer was lost before the venue got it): the request's retry makes it.
    if (!row.venue_withdrawal_id) return view(row);
    throw new Problem(502, 'venue-error', 'Venue error', `venue no longer lists withdrawal ${row.venue_withdrawal_id}`);
  }
  return view(await applySnapshot(pool, returnId, snapshot));
}

export async function caseReturns(db: Queryable, caseId: string): Promise<Return[]> {
  const { rows } = await db.query<ReturnRow>(
    'SELECT * FROM venue_returns WHERE case_id = $1 ORDER BY requested_at, return_id',
    [caseId],
  );
  return rows.map(view);
}

function sameRequest(row: ReturnRow, input: Request): boolean {
  return (
    row.case_id === input.caseId &&
    row.asset === input.asset &&
    row.chain === input.chain &&
    new Decimal(row.amount).eq(input.amount) &&
    row.to_address === input.toAddress &&
    row.transfer_id === input.transferId
  );
}

async function findRow(db: Queryable, returnId: string): Promise<ReturnRow | undefined> {
  return (await db.query<ReturnRow>('SELECT * FROM venue_returns WHERE return_id = $1', [returnId])).rows[0];
}

async function insertRow(pool: Pool, venueId: string, returnId: string, input: Request, fee: Decimal) {
  const { rows } = await pool.query<ReturnRow>(
    `INSERT INTO venue_returns (return_id, venue, case_id, asset, chain, amount, fee, net_amount, to_address, transfer_id, status)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'PENDING') RETURNING *`,
    [
      returnId,
      venueId,
      input.caseId,
      input.asset,
      input.chain,
      input.amount,
      fee.toFixed(),
      new Decimal(input.amount).minus(fee).toFixed(),
      input.toAddress,
      input.transferId,
    ],
  );
  return rows[0] as ReturnRow;
}

async function markFailed(pool: Pool, returnId: string, failure: string): Promise<void> {
  await pool.query(
    "UPDATE venue_returns SET status = 'FAILED', failure = $2, status_checked_at = now() WHERE return_id = $1 AND status = 'PENDING'",
    [returnId, failure],
  );
}

/**
 * The venue's record is the authority for the fee, the transaction and the status. The venue accepting
 * the return, and each change of its status, is appended to the audit chain in the same transaction.
 */
async function applySnapshot(pool: Pool, returnId: string, w: CryptoWithdrawalSnapshot): Promise<ReturnRow> {
  return inTransaction(pool, async (tx) => {
    const before = (
      await tx.query<Pick<ReturnRow, 'status' | 'venue_withdrawal_id'>>(
        'SELECT status, venue_withdrawal_id FROM venue_returns WHERE return_id = $1 FOR UPDATE',
        [returnId],
      )
    ).rows[0];
    const { rows } = await tx.query<ReturnRow>(
      `UPDATE venue_returns
       SET venue_withdrawal_id = $2, fee = $3, net_amount = $4, tx_hash = COALESCE($5, tx_hash),
           status = $6, failure = $7, status_checked_at = now()
       WHERE return_id = $1 RETURNING *`,
      [returnId, w.withdrawalId, w.fee, w.netAmount, w.txHash, w.status, w.failure],
    );
    const row = rows[0] as ReturnRow;
    if (before && (before.venue_withdrawal_id === null || before.status !== row.status)) {
      await appendAuditRecord(
        tx,
        returnRecorded(view(row), { status: before.status, venueWithdrawalId: before.venue_withdrawal_id }),
      );
    }
    return row;
  });
}

function view(row: ReturnRow): Return {
  return {
    returnId: row.return_id,
    caseId: row.case_id,
    venue: row.venue,
    asset: row.asset,
    chain: row.chain,
    amount: new Decimal(row.amount).toFixed(),
    fee: new Decimal(row.fee).toFixed(),
    netAmount: new Decimal(row.net_amount).toFixed(),
    toAddress: row.to_address,
    transferId: row.transfer_id,
    ...(row.venue_withdrawal_id ? { venueWithdrawalId: row.venue_withdrawal_id } : {}),
    ...(row.tx_hash ? { txHash: row.tx_hash } : {}),
    status: row.status,
    ...(row.failure ? { failure: row.failure } : {}),
    requestedAt: row.requested_at.toISOString(),
  };
}
