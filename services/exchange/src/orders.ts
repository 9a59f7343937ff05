/**
 * Sell orders, placed once and only once. The client order id is derived by the workflow; before
 * placing, the venue is asked whether it already has an order with that id (a previous attempt may
 * have reached the venue and lost its answer), and that order is adopted instead of placing another.
 * Fills are recorded append-only as the venue reports them.
 */
import { type PoolClient, Problem, problems, type Queryable } from '@vcdc/shared';
import type { exchange } from '@vcdc/shared/contracts';
import { Decimal, sum } from '@vcdc/shared/money';
import type { FairPriceGuard } from './fair-price';
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
  const { rows } = await tx.query<OrderRow>('SELECT * FROM orders WHERE client_order_id = $1', [input.clientOrderId]);
  const recorded = rows[0];
  if (recorded) {
    const same =
      recorded.case_id === input.caseId &&
      recorded.symbol === input.symbol &&
      recorded.type === input.type &&
      new Decimal(recorded.amount).eq(input.amount) &&
      (recorded.limit_price === null
        ? input.limitPrice === undefined
        : input.limitPrice !== undefined && new Decimal(recorded.limit_price).eq(input.limitPrice));
    if (!same) throw conflict(input, 'it was placed with other terms');
    return refreshRecordedOrder(tx, venue, recorded);
  }

  await guard.checkStatic(input);
  // Only a new order is held against prices and caps: one already placed is adopted whatever the prices are now.
  const existing = await atVenue(() => venue.findOrder(input.symbol, input.clientOrderId));
  if (!existing) await guard.check(tx, input);
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

  await tx.query(
    `INSERT INTO orders (client_order_id, case_id, venue, venue_order_id, symbol, side, type, amount, limit_price, status, created_at)
     VALUES ($1, $2, $3, $4, $5, 'sell', $6, $7, $8, $9, $10)`,
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
    ],
  );
  await recordFills(tx, venue, input.symbol, snapshot.venueOrderId, input.clientOrderId);
  return orderView(tx, input.clientOrderId);
}

/** The order's status and fills as the venue has them now; new fills are recorded. */
export async function refreshOrder(tx: PoolClient, venue: Venue, clientOrderId: string): Promise<exchange.VenueOrder> {
  const { rows } = await tx.query<OrderRow>('SELECT * FROM orders WHERE client_order_id = $1 FOR UPDATE', [
    clientOrderId,
  ]);
  const recorded = rows[0];
  if (!recorded) throw problems.notFound('Order', clientOrderId);
  return refreshRecordedOrder(tx, venue, recorded);
}

/** Cancels what is left of an order of this case; its fills stay recorded. Repeating it changes nothing. */
export async function cancelSellOrder(
  tx: PoolClient,
  venue: Venue,
  clientOrderId: string,
  input: exchange.CancelSellOrder,
): Promise<exchange.VenueOrder> {
  const { rows } = await tx.query<OrderRow>('SELECT * FROM orders WHERE client_order_id = $1 FOR UPDATE', [
    clientOrderId,
  ]);
  const recorded = rows[0];
  if (!recorded || recorded.case_id !== input.caseId)
    throw problems.notFound('Order', `${clientOrderId} of ${input.caseId}`);
  if (recorded.status === 'open')
    await atVenue(() => venue.cancelOrder(recorded.symbol, clientOrderId), ORDER_REFUSALS);
  return refreshRecordedOrder(tx, venue, recorded);
}

async function refreshRecordedOrder(tx: PoolClient, venue: Venue, recorded: OrderRow): Promise<exchange.VenueOrder> {
  const snapshot = await atVenue(() => venue.findOrder(recorded.symbol, recorded.client_order_id));
  if (!snapshot) {
    throw new Problem(502, 'venue-error', 'Venue error', `the venue no longer knows order ${recorded.venue_order_id}`);
  }
  await recordFills(tx, venue, recorded.symbol, recorded.venue_order_id, recorded.client_order_id);
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
  for (const f of fills) {
    await tx.query(
      `INSERT INTO fills (venue, trade_id, client_order_id, price, amount, cost, fee, fee_currency, traded_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (venue, trade_id) DO NOTHING`,
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
