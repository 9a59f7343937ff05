/**
 * Residuals: amounts a case cannot sell or take out of the venue, booked as their own lines in the
 * case's name (issue 13, part 5: nothing is silently left at the venue). Dust under a market's lot
 * step or minimum order, a remainder under the smallest unit of the currency, fiat under the minimum
 * wire, coins under the minimum send: each is one row, append-only and bound to the audit chain, with
 * the venue's withdrawal terms at that moment as the evidence that it could not leave.
 *
 * Two rules are the service's, not the caller's, because only it holds the records they need:
 *  - what the venue would pay out is not a residual (it goes back to custody, or out by wire): refused
 *    with 422 `residual-could-be-withdrawn` naming `amount`;
 *  - a case cannot book more than its own records say it holds at the venue of that asset (deposits
 *    credited + sale proceeds − what it sold, withdrew, sent back and booked already): 422
 *    `residual-exceeds-case-balance`. Two bookings of one case are serialised, so both cannot pass.
 */
import { appendAuditRecord, type PoolClient, Problem, type Queryable, sha256Hex } from '@vcdc/shared';
import { common, exchange } from '@vcdc/shared/contracts';
import { Decimal, sum } from '@vcdc/shared/money';
import { caseDeposits } from './deposits';
import { caseOrders } from './orders';
import { caseReturns } from './returns';
import type { Venue, WithdrawalTerms } from './venue';
import { atVenue } from './venue-problems';
import { caseWithdrawals } from './withdrawals';

type Residual = exchange.Residual;

interface ResidualRow {
  residual_id: string;
  venue: string;
  case_id: string;
  asset: string;
  amount: string;
  reason: Residual['reason'];
  detail: string;
  withdrawal_minimum: string;
  withdrawal_fee: string;
  withdrawal_allowed: boolean;
  recorded_at: Date;
}

/** The residual's id, from the request's Idempotency-Key (a retry finds the line it booked). */
export function residualIdFor(idempotencyKey: string): string {
  return `res-${sha256Hex(idempotencyKey).slice(0, 32)}`;
}

function refusedAmount(slug: string, title: string, message: string, ext: Record<string, unknown>): Problem {
  return new Problem(422, slug, title, `amount: ${message}`, { errors: [{ field: 'amount', message }], ...ext });
}

/** What the venue asks of taking the asset out: a bank wire for fiat, a send on its chain for a coin. */
async function withdrawalTermsOf(venue: Venue, asset: string): Promise<WithdrawalTerms> {
  const chain = common.CHAIN_OF_ASSET[asset as keyof typeof common.CHAIN_OF_ASSET];
  return atVenue(() => (chain ? venue.withdrawalTerms(asset, chain) : venue.fiatWithdrawalTerms(asset)));
}

/**
 * What the case holds of `asset` at the venue by the service's own records: credited deposits, plus
 * what its sales brought in that currency (cost less a fee charged in it), less what it sold (an open
 * order's whole amount: the unfilled part is reserved), fees charged in it on other markets, what it
 * withdrew or sent back (unless FAILED: nothing left), and the residuals booked already.
 */
export async function heldAtVenue(db: Queryable, caseId: string, asset: string): Promise<Decimal> {
  // One after the other: `db` may be the booking's transaction, one connection.
  const deposits = await caseDeposits(db, caseId);
  const orders = await caseOrders(db, caseId);
  const withdrawals = await caseWithdrawals(db, caseId);
  const returns = await caseReturns(db, caseId);
  const residuals = await caseResiduals(db, caseId);
  const of = <T extends { amount: string }>(rows: T[], pick: (r: T) => boolean) =>
    sum(rows.filter(pick).map((r) => r.amount));
  let held = of(deposits, (d) => d.asset === asset && d.status === 'CREDITED');
  for (const o of orders) {
    const [base, quote] = o.symbol.split('/');
    if (quote === asset) held = held.plus(o.cost);
    if (o.feeCurrency === asset) held = held.minus(o.fee);
    if (base === asset) held = held.minus(o.status === 'open' ? o.amount : o.filled);
  }
  held = held.minus(of(withdrawals, (w) => w.currency === asset && w.status !== 'FAILED'));
  held = held.minus(of(returns, (r) => r.asset === asset && r.status !== 'FAILED'));
  return held.minus(of(residuals, (r) => r.asset === asset));
}

export async function recordResidual(
  tx: PoolClient,
  venue: Venue,
  input: exchange.RecordResidual,
  residualId: string,
): Promise<Residual> {
  // One booking of a case at a time: the balance checked below is the balance the row is booked against.
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('exchange-residual:' || $1))`, [input.caseId]);
  const found = (await tx.query<ResidualRow>('SELECT * FROM residuals WHERE residual_id = $1', [residualId])).rows[0];
  if (found) return view(found);
  const amount = new Decimal(input.amount);
  const terms = await withdrawalTermsOf(venue, input.asset);
  if (exchange.venueWouldPayOut(amount, terms)) {
    throw refusedAmount(
      'residual-could-be-withdrawn',
      'The venue would pay this out',
      `${venue.id} pays out ${input.asset} from ${terms.minAmount} (fee ${terms.fee}): ${amount.toFixed()} must be sent back or withdrawn, not left at the venue`,
      { minAmount: terms.minAmount, fee: terms.fee },
    );
  }
  const held = await heldAtVenue(tx, input.caseId, input.asset);
  if (amount.gt(held)) {
    throw refusedAmount(
      'residual-exceeds-case-balance',
      'More than the case holds at the venue',
      `case ${input.caseId} holds ${Decimal.max(held, 0).toFixed()} ${input.asset} at the venue by the service's records; ${amount.toFixed()} asked`,
      { held: held.toFixed() },
    );
  }
  const { rows } = await tx.query<ResidualRow>(
    `INSERT INTO residuals (residual_id, venue, case_id, asset, amount, reason, detail,
                            withdrawal_minimum, withdrawal_fee, withdrawal_allowed)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
    [
      residualId,
      venue.id,
      input.caseId,
      input.asset,
      amount.toFixed(),
      input.reason,
      input.detail,
      terms.minAmount,
      terms.fee,
      terms.allowed,
    ],
  );
  const residual = view(rows[0] as ResidualRow);
  const { caseId, ...data } = residual;
  await appendAuditRecord(tx, { kind: 'exchange.residual.booked', actor: 'service:exchange', caseId, data });
  return residual;
}

export async function caseResiduals(db: Queryable, caseId: string): Promise<Residual[]> {
  const { rows } = await db.query<ResidualRow>(
    'SELECT * FROM residuals WHERE case_id = $1 ORDER BY recorded_at, residual_id',
    [caseId],
  );
  return rows.map(view);
}

function view(row: ResidualRow): Residual {
  return {
    residualId: row.residual_id,
    caseId: row.case_id,
    venue: row.venue,
    asset: row.asset,
    amount: new Decimal(row.amount).toFixed(),
    reason: row.reason,
    detail: row.detail,
    withdrawalMinimum: new Decimal(row.withdrawal_minimum).toFixed(),
    withdrawalFee: new Decimal(row.withdrawal_fee).toFixed(),
    withdrawalAllowed: row.withdrawal_allowed,
    recordedAt: row.recorded_at.toISOString(),
  };
}
