/**
 * Sell orders, placed once and only once. The client order id is derived by the workflow; before
 * placing, the venue is asked whether it already has an order with that id (a previous attempt may
 * have reached the venue and lost its answer), and that order is adopted instead of placing another.
 * Fills are recorded append-only as the venue reports them, and every event of an order (placed, each
 * fill, each cancel request, how it ended) is appended to `order_events` (best-execution records).
 */
import {
  type AuditEntry,
  appendAuditRecords,
  inTransaction,
  type Pool,
  type PoolClient,
  Problem,
  problems,
  type Queryable,
} from '@vcdc/shared';
import type { exchange } from '@vcdc/shared/contracts';
import { Decimal, sum } from '@vcdc/shared/money';
import { fillBooked, orderEnded, orderPlaced } from './audit-records';
import type { FairPriceGuard } from './fair-price';
import { computationWithPrice } from './price-observations';
import { assertProviderInGoodStanding } from './provider-register';
import type { FillSnapshot, OrderSnapshot, Venue } from './venue';
import { VenueCallError } from './venue';
import { atVenue, venueProblem } from './venue-problems';

interface OrderRow {
  client_order_id: string;
  case_id: string;
  venue: string;
  venue_order_id: string;
  symbol: string;
  type: 'market' | 'limit';
  amount: string;
  limit_price: string | null;
  status: exchange.VenueOrder['status'];
  created_at: Date;
  parent_order_id: string | null;
}

interface FillRow {
  trade_id: string;
  price: string;
  amount: string;
  cost: string;
  fee: string;
  fee_currency: string;
  traded_at: Date;
}

/** A fill as the order's view reads it. */
const FILL_COLUMNS = 'trade_id, price, amount, cost, fee, fee_currency, traded_at';

const ORDER_REFUSALS = { 'venue-refused': 'order-refused' };

function sameOrder(snapshot: OrderSnapshot, input: exchange.PlaceSellOrder): boolean {
  return (
    snapshot.side === 'sell' &&
    snapshot.symbol === input.symbol &&
    snapshot.type === input.type &&
    new Decimal(snapshot.amount).eq(input.amount)
  );
}

function conflict(input: exchange.PlaceSellOrder, detail: string): Problem {
  return problems.conflict(
    'client-order-id-conflict',
    'Client order id already used for another order',
    `clientOrderId ${input.clientOrderId}: ${detail}`,
  );
}

/** Whether a recorded order is the one asked for again (same case and terms). */
function sameTerms(recorded: OrderRow, input: exchange.PlaceSellOrder): boolean {
  return (
    recorded.case_id === input.caseId &&
    recorded.symbol === input.symbol &&
    recorded.type === input.type &&
    new Decimal(recorded.amount).eq(input.amount) &&
    (recorded.limit_price === null
      ? input.limitPrice === undefined
      : input.limitPrice !== undefined && new Decimal(recorded.limit_price).eq(input.limitPrice)) &&
    (recorded.parent_order_id === null ||
      input.parentOrderId === undefined ||
      recorded.parent_order_id === input.parentOrderId)
  );
}

/**
 * Stores the request's answer (the order as recorded) on the transaction that records it, before its
 * audit records (the idempotency layer's `KeyClaim.answer`).
 */
export type AnswerOrder = (tx: Queryable, order: exchange.VenueOrder) => Promise<void>;

async function recordedOrder(db: Queryable, clientOrderId: string, lock = ''): Promise<OrderRow | undefined> {
  const { rows } = await db.query<OrderRow>(`SELECT * FROM orders WHERE client_order_id = $1 ${lock}`, [clientOrderId]);
  return rows[0];
}

/**
 * Places the order, or adopts the one the venue already has under its client order id. No transaction
 * is open and no connection held while the venue is asked (issue 19: each order held one of the pool's
 * connections through its whole venue round trip); what the venue answered is recorded afterwards in
 * one short transaction. Two requests for one client order id may both reach the venue: the venue
 * refuses the second as a duplicate and it adopts the first's order; the first to record it wins and
 * the other records nothing twice (the order's row and events are keyed, fills by trade id).
 */
export async function placeSellOrder(
  pool: Pool,
  venue: Venue,
  input: exchange.PlaceSellOrder,
  guard: FairPriceGuard,
  { firstAttempt = false, answer }: { firstAttempt?: boolean; answer?: AnswerOrder } = {},
): Promise<exchange.VenueOrder> {
  const recorded = await recordedOrder(pool, input.clientOrderId);
  if (recorded) {
    if (!sameTerms(recorded, input)) throw conflict(input, 'it was placed with other terms');
    if (recorded.venue !== venue.id) throw conflict(input, `it was placed at ${recorded.venue}`);
    return refreshRecordedOrder(pool, venue, recorded, undefined, answer);
  }

  // The venue must be in good standing in the register of licensed providers today: refused before the
  // venue is asked anything (provider-register.ts).
  await assertProviderInGoodStanding(pool, venue.id, guard.currentTime());
  await guard.checkStatic(input);
  // The computation the caller priced from (the engine read it from GET .../reference-price), found
  // before the check below adds its own.
  const declaredReferenceId =
    input.referencePrice !== undefined
      ? await computationWithPrice(pool, input.symbol, input.referencePrice, guard.currentTime())
      : undefined;
  // Only a new order is held against prices and caps: one already placed is adopted whatever the prices
  // are now. A retry asks the venue first; a first attempt (its Idempotency-Key never seen) does not
  // (issue 19: a venue call per order): an order placed under this client order id by an attempt with
  // another key is then found when the check refuses, or when the venue refuses the id as a duplicate.
  let existing = firstAttempt ? undefined : await atVenue(() => venue.findOrder(input.symbol, input.clientOrderId));
  let checked: Awaited<ReturnType<FairPriceGuard['check']>> | undefined;
  if (!existing) {
    try {
      checked = await guard.check(pool, input);
    } catch (refusal) {
      if (!firstAttempt) throw refusal;
      existing = await atVenue(() => venue.findOrder(input.symbol, input.clientOrderId));
      if (!existing) throw refusal;
    }
  }
  let snapshot = existing;
  if (!snapshot) {
    try {
      snapshot = await venue.placeSellOrder({
        symbol: input.symbol,
        type: input.type,
        amount: input.amount,
        clientOrderId: input.clientOrderId,
        ...(input.limitPrice !== undefined ? { limitPrice: input.limitPrice } : {}),
      });
    } catch (error) {
      // Placed by another attempt (a concurrent one, or one under another key when the venue was not
      // asked first): adopt it, as found at the venue, whatever the prices are now.
      if (!(error instanceof VenueCallError && error.reason === 'duplicate-client-order-id')) {
        throw venueProblem(error, ORDER_REFUSALS);
      }
      existing = await atVenue(() => venue.findOrder(input.symbol, input.clientOrderId));
      if (!existing) throw new Problem(502, 'venue-error', 'Venue error', 'venue reported a duplicate it cannot find');
      snapshot = existing;
      checked = undefined;
    }
  }
  if (!sameOrder(snapshot, input)) throw conflict(input, 'the venue holds an order with other terms under this id');
  const placed = snapshot;
  const fills = await fillsToRecord(venue, input.symbol, placed, input.clientOrderId, '0');

  // The prices in force: the reference the caller priced from (else the service's own at the check), the
  // lot's arrival price (else that reference), the service's legal floor (else the caller's).
  const referencePrice = input.referencePrice ?? checked?.reference.price;
  const checkReferenceId = checked?.reference.id;
  const pricedReferenceId = input.referencePrice !== undefined ? declaredReferenceId : checkReferenceId;
  return inTransaction(pool, async (tx) => {
    // The order's row and its `placed` event in one statement (issue 19: round trips per order).
    const inserted = await tx.query<OrderRow>(
      `WITH placed AS (
         INSERT INTO orders (client_order_id, case_id, venue, venue_order_id, symbol, side, type, amount, limit_price,
           status, created_at, parent_order_id, arrival_price, reference_price, floor_price, check_reference_id,
           priced_reference_id)
         VALUES ($1, $2, $3, $4, $5, 'sell', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         ON CONFLICT (client_order_id) DO NOTHING RETURNING *
       ), event AS (
         INSERT INTO order_events (client_order_id, event, venue, detail, occurred_at)
         SELECT client_order_id, 'placed', venue, $17::text, created_at FROM placed
       )
       SELECT * FROM placed`,
      [
        input.clientOrderId,
        input.caseId,
        venue.id,
        placed.venueOrderId,
        input.symbol,
        input.type,
        input.amount,
        input.limitPrice ?? null,
        placed.status,
        placed.createdAt,
        input.parentOrderId ?? null,
        input.arrivalPrice ?? referencePrice ?? null,
        referencePrice ?? null,
        checked?.floor?.price ?? input.floor ?? null,
        checkReferenceId ?? null,
        pricedReferenceId ?? null,
        existing ? 'found at the venue under its client order id (an earlier attempt placed it)' : null,
      ],
    );
    const row = inserted.rows[0];
    if (!row) {
      // Recorded meanwhile by another request for this client order id (with another Idempotency-Key).
      const other = await recordedOrder(tx, input.clientOrderId, 'FOR NO KEY UPDATE');
      if (!other || !sameTerms(other, input)) throw conflict(input, 'it was placed with other terms');
      return recordSnapshot(tx, venue, other, placed, fills, answer);
    }
    const audit: AuditAppends = [];
    audit.push(() =>
      orderPlaced({
        caseId: input.caseId,
        clientOrderId: input.clientOrderId,
        venue: venue.id,
        venueOrderId: placed.venueOrderId,
        symbol: input.symbol,
        type: input.type,
        amount: input.amount,
        ...(input.limitPrice !== undefined ? { limitPrice: input.limitPrice } : {}),
        adopted: existing !== undefined,
      }),
    );
    const allFills = await recordFills(tx, venue, row, fills, audit);
    await recordEnd(tx, venue, input.clientOrderId, placed, audit);
    const view = await orderView(tx, input.clientOrderId, row, allFills);
    await answer?.(tx, view);
    await appendLast(tx, audit, view);
    return view;
  });
}

/**
 * The order's audit records, appended in order at the end of its transaction, after all its other
 * work, in one statement: the chain's lock (one for all writers) is then held only for that statement
 * and the commit, so twenty orders recording at once wait on each other's appends, not on each other's
 * whole transactions (and the chain's lock is taken after every row lock, as the bound rows' records
 * are: audit 00004). What they record is known before (the order's row, its view as recorded): no
 * other statement runs while the lock is held (issue 19).
 */
type AuditAppends = ((view: exchange.VenueOrder) => AuditEntry)[];

async function appendLast(tx: Queryable, audit: AuditAppends, view: exchange.VenueOrder): Promise<void> {
  await appendAuditRecords(
    tx,
    audit.map((entry) => entry(view)),
  );
}

type OrderEvent = 'placed' | 'fill' | 'cancel-requested' | 'closed' | 'canceled' | 'rejected';

/**
 * Appends an event of an order; placement, a fill and the end are recorded once however often they are
 * seen. True when this call recorded it.
 */
async function recordEvent(
  db: Queryable,
  e: { clientOrderId: string; event: OrderEvent; venue: string; occurredAt: Date; tradeId?: string; detail?: string },
): Promise<boolean> {
  const inserted = await db.query(
    `INSERT INTO order_events (client_order_id, event, venue, trade_id, detail, occurred_at)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
    [e.clientOrderId, e.event, e.venue, e.tradeId ?? null, e.detail ?? null, e.occurredAt],
  );
  return (inserted.rowCount ?? 0) > 0;
}

/** An order that ended (filled, cancelled, rejected): its end, at the venue's time of the last change. */
async function recordEnd(
  db: Queryable,
  venue: Venue,
  clientOrderId: string,
  snapshot: OrderSnapshot,
  audit: AuditAppends,
): Promise<void> {
  if (snapshot.status === 'open') return;
  const ended = await recordEvent(db, {
    clientOrderId,
    event: snapshot.status,
    venue: venue.id,
    occurredAt: snapshot.updatedAt ?? new Date(),
    ...(snapshot.updatedAt ? {} : { detail: "the venue gave no time: the service's time it saw the end" }),
  });
  if (ended) audit.push((view) => orderEnded(view, snapshot.status));
}

/** The order's status and fills as the venue has them now; new fills are recorded. */
export async function refreshOrder(pool: Pool, venue: Venue, clientOrderId: string): Promise<exchange.VenueOrder> {
  const recorded = await recordedOrder(pool, clientOrderId);
  // An order is looked up at the venue it was placed at (app.ts: /v1/venues/:venueId/orders/...).
  if (!recorded || recorded.venue !== venue.id) throw problems.notFound('Order', `${clientOrderId} at ${venue.id}`);
  return refreshRecordedOrder(pool, venue, recorded);
}

/**
 * Cancels what is left of an order of this case; its fills stay recorded. Repeating it changes nothing.
 * Each request sent to the venue is appended as `cancel-requested` (at `now`) before it is sent, so it
 * stays recorded even when the venue's answer is lost. No connection is held while the venue is asked.
 */
export async function cancelSellOrder(
  pool: Pool,
  venue: Venue,
  clientOrderId: string,
  input: exchange.CancelSellOrder,
  now: () => Date = () => new Date(),
  answer?: AnswerOrder,
): Promise<exchange.VenueOrder> {
  const recorded = await recordedOrder(pool, clientOrderId);
  if (!recorded || recorded.case_id !== input.caseId || recorded.venue !== venue.id)
    throw problems.notFound('Order', `${clientOrderId} of ${input.caseId} at ${venue.id}`);
  if (recorded.status !== 'open') return refreshRecordedOrder(pool, venue, recorded, undefined, answer);
  await recordEvent(pool, { clientOrderId, event: 'cancel-requested', venue: recorded.venue, occurredAt: now() });
  // The cancel's answer is the venue's record of the order after it (ccxt-venue.ts asks for it).
  const after = await atVenue(() => venue.cancelOrder(recorded.symbol, clientOrderId), ORDER_REFUSALS);
  return refreshRecordedOrder(pool, venue, recorded, after, answer);
}

/**
 * The venue's record of the order (`known`, when the caller has just had it from the venue, else asked
 * for), its new fills, then all of it recorded in one short transaction.
 */
async function refreshRecordedOrder(
  pool: Pool,
  venue: Venue,
  recorded: OrderRow,
  known?: OrderSnapshot,
  answer?: AnswerOrder,
): Promise<exchange.VenueOrder> {
  const snapshot = known ?? (await atVenue(() => venue.findOrder(recorded.symbol, recorded.client_order_id)));
  if (!snapshot) {
    throw new Problem(502, 'venue-error', 'Venue error', `the venue no longer knows order ${recorded.venue_order_id}`);
  }
  const fills = await fillsToRecord(
    venue,
    recorded.symbol,
    snapshot,
    recorded.client_order_id,
    await recordedFilled(pool, recorded.client_order_id),
  );
  return inTransaction(pool, async (tx) => {
    // NO KEY UPDATE: refreshes of one order record one after another, yet events may be appended meanwhile.
    const row = await recordedOrder(tx, recorded.client_order_id, 'FOR NO KEY UPDATE');
    if (!row) throw problems.notFound('Order', recorded.client_order_id);
    return recordSnapshot(tx, venue, row, snapshot, fills, answer);
  });
}

/** Records what the venue answered about a recorded order: new fills, its end, its status. */
async function recordSnapshot(
  tx: PoolClient,
  venue: Venue,
  recorded: OrderRow,
  snapshot: OrderSnapshot,
  fills: FillSnapshot[] | undefined,
  answer?: AnswerOrder,
): Promise<exchange.VenueOrder> {
  const audit: AuditAppends = [];
  const allFills = await recordFills(tx, venue, recorded, fills, audit);
  await recordEnd(tx, venue, recorded.client_order_id, snapshot, audit);
  // An order that ended stays ended: an older answer recorded after a newer one (two refreshes racing,
  // no lock is held across the venue calls) never reopens it.
  const updated = await tx.query<OrderRow>(
    `UPDATE orders SET status = CASE WHEN status = 'open' THEN $2 ELSE status END, status_checked_at = now()
      WHERE client_order_id = $1 RETURNING *`,
    [recorded.client_order_id, snapshot.status],
  );
  const view = await orderView(tx, recorded.client_order_id, updated.rows[0], allFills);
  await answer?.(tx, view);
  await appendLast(tx, audit, view);
  return view;
}

async function recordedFilled(db: Queryable, clientOrderId: string): Promise<string> {
  const { rows } = await db.query<{ filled: string | null }>(
    'SELECT sum(amount) AS filled FROM fills WHERE client_order_id = $1',
    [clientOrderId],
  );
  return rows[0]?.filled ?? '0';
}

/**
 * The order's fills from the venue, when there are any to record: only when the venue's answer says it
 * executed more than the fills recorded (or does not say how much). An order answer carries how much
 * was executed but not the trades, so a fill still needs one fetch of trades; an order with nothing new
 * (resting unfilled, or all its fills recorded) needs none (issue 19: every look-up fetched the trades,
 * ccxt's costliest call). Undefined: nothing to record.
 */
async function fillsToRecord(
  venue: Venue,
  symbol: string,
  snapshot: OrderSnapshot,
  clientOrderId: string,
  filledRecorded: string,
): Promise<FillSnapshot[] | undefined> {
  if (snapshot.filled !== undefined && new Decimal(snapshot.filled).lte(filledRecorded)) return undefined;
  return atVenue(() => venue.orderFills(symbol, { venueOrderId: snapshot.venueOrderId, clientOrderId }));
}

/**
 * Records the fills not yet recorded, and an event for each, in one statement (issue 19: two round trips
 * per fill); their audit records are queued for the end of the transaction. The same statement answers
 * all the order's fills as recorded now (the view's, issue 19: a round trip fewer): those before it
 * (its snapshot holds every one, as the order's recordings run one after another under the order
 * row's lock, or its insert's) and those it booked. Undefined when there was nothing to record.
 */
async function recordFills(
  tx: PoolClient,
  venue: Venue,
  order: Pick<OrderRow, 'client_order_id' | 'case_id' | 'symbol'>,
  fills: FillSnapshot[] | undefined,
  audit: AuditAppends,
): Promise<FillRow[] | undefined> {
  if (!fills?.length) return undefined;
  // Oldest first, so the events of the fills follow the venue's order.
  const ordered = [...fills].sort(
    (a, b) => a.tradedAt.getTime() - b.tradedAt.getTime() || a.tradeId.localeCompare(b.tradeId),
  );
  const columns = 8;
  const values: unknown[] = [venue.id, order.client_order_id];
  const tuples = ordered.map((f, i) => {
    values.push(
      f.tradeId,
      f.price,
      f.amount,
      new Decimal(f.price).mul(f.amount).toFixed(),
      f.fee,
      f.feeCurrency,
      f.tradedAt,
      i,
    );
    const p = (k: number) => `$${3 + i * columns + k}`;
    return `($1, ${p(0)}, $2, ${p(1)}::numeric, ${p(2)}::numeric, ${p(3)}::numeric, ${p(4)}::numeric, ${p(5)}, ${p(6)}::timestamptz, ${p(7)}::int)`;
  });
  const { rows } = await tx.query<FillRow & { booked: boolean }>(
    `WITH seen (venue, trade_id, client_order_id, price, amount, cost, fee, fee_currency, traded_at, n) AS (
       VALUES ${tuples.join(', ')}
     ), booked AS (
       INSERT INTO fills (venue, trade_id, client_order_id, price, amount, cost, fee, fee_currency, traded_at)
       SELECT venue, trade_id, client_order_id, price, amount, cost, fee, fee_currency, traded_at FROM seen ORDER BY n
       ON CONFLICT (venue, trade_id) DO NOTHING RETURNING ${FILL_COLUMNS}
     ), event AS (
       INSERT INTO order_events (client_order_id, event, venue, trade_id, occurred_at)
       SELECT seen.client_order_id, 'fill', seen.venue, seen.trade_id, seen.traded_at
         FROM seen JOIN booked USING (trade_id) ORDER BY seen.n
       ON CONFLICT DO NOTHING
     )
     SELECT ${FILL_COLUMNS}, false AS booked FROM fills WHERE client_order_id = $2
     UNION ALL SELECT ${FILL_COLUMNS}, true FROM booked
     ORDER BY traded_at, trade_id`,
    values,
  );
  const booked = new Set(rows.filter((r) => r.booked).map((r) => r.trade_id));
  for (const f of ordered) if (booked.has(f.tradeId)) audit.push(() => fillBooked(order, f));
  return rows;
}

const plain = (value: string) => new Decimal(value).toFixed();

/**
 * The order as recorded (`known`: its row, when the caller has just written or read it; `knownFills`:
 * all its fills, in the view's order, when the caller has just had them from the database).
 */
export async function orderView(
  db: Queryable,
  clientOrderId: string,
  known?: OrderRow,
  knownFills?: FillRow[],
): Promise<exchange.VenueOrder> {
  const order =
    known ?? (await db.query<OrderRow>('SELECT * FROM orders WHERE client_order_id = $1', [clientOrderId])).rows[0];
  if (!order) throw problems.notFound('Order', clientOrderId);
  const fills =
    knownFills ??
    (
      await db.query<FillRow>(
        `SELECT ${FILL_COLUMNS} FROM fills WHERE client_order_id = $1 ORDER BY traded_at, trade_id`,
        [clientOrderId],
      )
    ).rows;
  const filled = sum(fills.map((f) => f.amount));
  const cost = sum(fills.map((f) => f.cost));
  return {
    caseId: order.case_id,
    venue: order.venue,
    clientOrderId: order.client_order_id,
    venueOrderId: order.venue_order_id,
    symbol: order.symbol,
    side: 'sell',
    type: order.type,
    amount: plain(order.amount),
    filled: filled.toFixed(),
    remaining: new Decimal(order.amount).minus(filled).toFixed(),
    cost: cost.toFixed(),
    // Informational: cost / filled, cut (toward zero) at 12 places; the exact figures are cost and filled.
    averagePrice: filled.isZero() ? null : cost.div(filled).toDecimalPlaces(12, Decimal.ROUND_DOWN).toFixed(),
    fee: sum(fills.map((f) => f.fee)).toFixed(),
    feeCurrency: fills[0]?.fee_currency ?? null,
    status: order.status,
    fills: fills.map((f) => ({
      tradeId: f.trade_id,
      price: plain(f.price),
      amount: plain(f.amount),
      cost: plain(f.cost),
      fee: plain(f.fee),
      feeCurrency: f.fee_currency,
      timestamp: f.traded_at.toISOString(),
    })),
    createdAt: order.created_at.toISOString(),
  };
}

export async function caseOrders(db: Queryable, caseId: string): Promise<exchange.VenueOrder[]> {
  const { rows } = await db.query<{ client_order_id: string }>(
    'SELECT client_order_id FROM orders WHERE case_id = $1 ORDER BY created_at, client_order_id',
    [caseId],
  );
  const out: exchange.VenueOrder[] = [];
  for (const r of rows) out.push(await orderView(db, r.client_order_id));
  return out;
}
