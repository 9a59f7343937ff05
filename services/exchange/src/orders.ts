/**
 * Sell orders, placed once and only once. The client order id is derived by the workflow; before
 * placing, the venue is asked whether it already has an order with that id (a previous attempt may
 * have reached the venue and lost its answer), and that order is adopted instead of placing another.
 * Fills are recorded append-only as the venue reports them, and every event of an order (placed, each
 * fill, each cancel request, how it ended) is appended to `order_events` (best-execution records).
 */
import { appendAuditRecord, type PoolClient, Problem, problems, type Queryable } from '@vcdc/shared';
import type { exchange } from '@vcdc/shared/contracts';
import { Decimal, sum } from '@vcdc/shared/money';
import { appendFillBooked, appendOrderEnded, orderPlaced } from './audit-records';
import type { FairPriceGuard } from './fair-price';
import { computationWithPrice } from './price-observations';
import type { OrderSnapshot, Venue } from './venue';
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

export async function placeSellOrder(
  tx: PoolClient,
  venue: Venue,
  input: exchange.PlaceSellOrder,
  guard: FairPriceGuard,
): Promise<exchange.VenueOrder> {
  // Two requests for one client order id (with different idempotency keys) take turns.
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 1))', [`order:${input.clientOrderId}`]);
  // FOR NO KEY UPDATE: the order's row before the audit chain's lock, as every path takes them.
  const { rows } = await tx.query<OrderRow>('SELECT * FROM orders WHERE client_order_id = $1 FOR NO KEY UPDATE', [
    input.clientOrderId,
  ]);
  const recorded = rows[0];
  if (recorded) {
    const same =
      recorded.case_id === input.caseId &&
      recorded.symbol === input.symbol &&
      recorded.type === input.type &&
      new Decimal(recorded.amount).eq(input.amount) &&
      (recorded.limit_price === null
        ? input.limitPrice === undefined
        : input.limitPrice !== undefined && new Decimal(recorded.limit_price).eq(input.limitPrice)) &&
      (recorded.parent_order_id === null ||
        input.parentOrderId === undefined ||
        recorded.parent_order_id === input.parentOrderId);
    if (!same) throw conflict(input, 'it was placed with other terms');
    return refreshRecordedOrder(tx, venue, recorded);
  }

  await guard.checkStatic(input);
  // The computation the caller priced from (the engine read it from GET .../reference-price), found
  // before the check below adds its own.
  const declaredReferenceId =
    input.referencePrice !== undefined
      ? await computationWithPrice(tx, input.symbol, input.referencePrice, guard.currentTime())
      : undefined;
  // Only a new order is held against prices and caps: one already placed is adopted whatever the prices are now.
  const existing = await atVenue(() => venue.findOrder(input.symbol, input.clientOrderId));
  const checked = existing ? undefined : await guard.check(tx, input);
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
      // Placed by a concurrent attempt between our look-up and our placement: adopt it.
      if (!(error instanceof VenueCallError && error.reason === 'duplicate-client-order-id')) {
        throw venueProblem(error, ORDER_REFUSALS);
      }
      snapshot = await atVenue(() => venue.findOrder(input.symbol, input.clientOrderId));
      if (!snapshot) throw new Problem(502, 'venue-error', 'Venue error', 'venue reported a duplicate it cannot find');
    }
  }
  if (!sameOrder(snapshot, input)) throw conflict(input, 'the venue holds an order with other terms under this id');

  // The prices in force: the reference the caller priced from (else the service's own at the check), the
  // lot's arrival price (else that reference), the service's legal floor (else the caller's).
  const referencePrice = input.referencePrice ?? checked?.reference.price;
  const checkReferenceId = checked?.reference.id;
  const pricedReferenceId = input.referencePrice !== undefined ? declaredReferenceId : checkReferenceId;
  await tx.query(
    `INSERT INTO orders (client_order_id, case_id, venue, venue_order_id, symbol, side, type, amount, limit_price, status,
       created_at, parent_order_id, arrival_price, reference_price, floor_price, check_reference_id, priced_reference_id)
     VALUES ($1, $2, $3, $4, $5, 'sell', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
    [
      input.clientOrderId,
      input.caseId,
      venue.id,
      snapshot.venueOrderId,
      input.symbol,
      input.type,
      input.amount,
      input.limitPrice ?? null,
      snapshot.status,
      snapshot.createdAt,
      input.parentOrderId ?? null,
      input.arrivalPrice ?? referencePrice ?? null,
      referencePrice ?? null,
      checked?.floor?.price ?? input.floor ?? null,
      checkReferenceId ?? null,
      pricedReferenceId ?? null,
    ],
  );
  await recordEvent(tx, {
    clientOrderId: input.clientOrderId,
    event: 'placed',
    venue: venue.id,
    occurredAt: snapshot.createdAt,
    detail: existing ? 'found at the venue under its client order id (an earlier attempt placed it)' : undefined,
  });
  await appendAuditRecord(
    tx,
    orderPlaced({
      caseId: input.caseId,
      clientOrderId: input.clientOrderId,
      venue: venue.id,
      venueOrderId: snapshot.venueOrderId,
      symbol: input.symbol,
      type: input.type,
      amount: input.amount,
      ...(input.limitPrice !== undefined ? { limitPrice: input.limitPrice } : {}),
      adopted: existing !== undefined,
    }),
  );
  await recordFills(tx, venue, input.symbol, snapshot.venueOrderId, input.clientOrderId);
  await recordEnd(tx, venue, input.clientOrderId, snapshot);
  return orderView(tx, input.clientOrderId);
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
async function recordEnd(db: Queryable, venue: Venue, clientOrderId: string, snapshot: OrderSnapshot): Promise<void> {
  if (snapshot.status === 'open') return;
  const ended = await recordEvent(db, {
    clientOrderId,
    event: snapshot.status,
    venue: venue.id,
    occurredAt: snapshot.updatedAt ?? new Date(),
    ...(snapshot.updatedAt ? {} : { detail: "the venue gave no time: the service's time it saw the end" }),
  });
  if (ended) await appendOrderEnded(db, clientOrderId, snapshot.status);
}

/** The order's status and fills as the venue has them now; new fills are recorded. */
export async function refreshOrder(tx: PoolClient, venue: Venue, clientOrderId: string): Promise<exchange.VenueOrder> {
  // NO KEY UPDATE: serialises refreshes of the order, yet lets events be appended (their key share) meanwhile.
  const { rows } = await tx.query<OrderRow>('SELECT * FROM orders WHERE client_order_id = $1 FOR NO KEY UPDATE', [
    clientOrderId,
  ]);
  const recorded = rows[0];
  if (!recorded) throw problems.notFound('Order', clientOrderId);
  return refreshRecordedOrder(tx, venue, recorded);
}

/**
 * Cancels what is left of an order of this case; its fills stay recorded. Repeating it changes nothing.
 * Each request sent to the venue is appended as `cancel-requested` (at `now`) on `log` (its own
 * connection), so it stays recorded even when the venue's answer is lost and this transaction rolls back.
 */
export async function cancelSellOrder(
  tx: PoolClient,
  venue: Venue,
  clientOrderId: string,
  input: exchange.CancelSellOrder,
  log: Queryable = tx,
  now: () => Date = () => new Date(),
): Promise<exchange.VenueOrder> {
  const { rows } = await tx.query<OrderRow>('SELECT * FROM orders WHERE client_order_id = $1 FOR NO KEY UPDATE', [
    clientOrderId,
  ]);
  const recorded = rows[0];
  if (!recorded || recorded.case_id !== input.caseId)
    throw problems.notFound('Order', `${clientOrderId} of ${input.caseId}`);
  if (recorded.status === 'open') {
    await recordEvent(log, { clientOrderId, event: 'cancel-requested', venue: recorded.venue, occurredAt: now() });
    await atVenue(() => venue.cancelOrder(recorded.symbol, clientOrderId), ORDER_REFUSALS);
  }
  return refreshRecordedOrder(tx, venue, recorded);
}

async function refreshRecordedOrder(tx: PoolClient, venue: Venue, recorded: OrderRow): Promise<exchange.VenueOrder> {
  const snapshot = await atVenue(() => venue.findOrder(recorded.symbol, recorded.client_order_id));
  if (!snapshot) {
    throw new Problem(502, 'venue-error', 'Venue error', `the venue no longer knows order ${recorded.venue_order_id}`);
  }
  await recordFills(tx, venue, recorded.symbol, recorded.venue_order_id, recorded.client_order_id);
  await recordEnd(tx, venue, recorded.client_order_id, snapshot);
  await tx.query('UPDATE orders SET status = $2, status_checked_at = now() WHERE client_order_id = $1', [
    recorded.client_order_id,
    snapshot.status,
  ]);
  return orderView(tx, recorded.client_order_id);
}

async function recordFills(
  tx: PoolClient,
  venue: Venue,
  symbol: string,
  venueOrderId: string,
  clientOrderId: string,
): Promise<void> {
  const fills = await atVenue(() => venue.orderFills(symbol, { venueOrderId, clientOrderId }));
  // Oldest first, so the events of the fills follow the venue's order.
  fills.sort((a, b) => a.tradedAt.getTime() - b.tradedAt.getTime() || a.tradeId.localeCompare(b.tradeId));
  for (const f of fills) {
    const inserted = await tx.query(
      `INSERT INTO fills (venue, trade_id, client_order_id, price, amount, cost, fee, fee_currency, traded_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (venue, trade_id) DO NOTHING RETURNING trade_id`,
      [
        venue.id,
        f.tradeId,
        clientOrderId,
        f.price,
        f.amount,
        new Decimal(f.price).mul(f.amount).toFixed(),
        f.fee,
        f.feeCurrency,
        f.tradedAt,
      ],
    );
    if (inserted.rowCount) {
      await recordEvent(tx, {
        clientOrderId,
        event: 'fill',
        venue: venue.id,
        tradeId: f.tradeId,
        occurredAt: f.tradedAt,
      });
      await appendFillBooked(tx, clientOrderId, f);
    }
  }
}

const plain = (value: string) => new Decimal(value).toFixed();

export async function orderView(db: Queryable, clientOrderId: string): Promise<exchange.VenueOrder> {
  const { rows } = await db.query<OrderRow>('SELECT * FROM orders WHERE client_order_id = $1', [clientOrderId]);
  const order = rows[0];
  if (!order) throw problems.notFound('Order', clientOrderId);
  const fills = (
    await db.query<FillRow>(
      'SELECT trade_id, price, amount, cost, fee, fee_currency, traded_at FROM fills WHERE client_order_id = $1 ORDER BY traded_at, trade_id',
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
