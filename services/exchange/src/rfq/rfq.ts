/**
 * A request for quotes to the OTC desks for one block (issue 16, RFQ). In order:
 *
 *  1. the prices it is judged by (the reference, the legal floor, the band around the reference) are
 *     fixed and the RFQ is recorded with every desk the register refuses (NOT_ASKED, the refusal in the
 *     audit chain: a desk whose licence or bond has expired is never asked);
 *  2. the other desks are asked at once, with one deadline; every answer is kept — a quote (QUOTED, or
 *     BELOW_FLOOR / OUT_OF_BAND), a refusal to quote (DECLINED), none by the deadline (MISSING);
 *  3. the valid quotes are tried best first: one already lapsed is EXPIRED without asking; an
 *     acceptance refused at last look is REFUSED and the next is tried; the first trade ends it
 *     (ACCEPTED, the rest LOSING), booked as an order and its fill at the desk (settlement.ts books the
 *     coins and the fiat later). No trade: NO_DESK, and the caller sells on the venue (the engine).
 *
 * Idempotent by the RFQ's id: a decided RFQ answers its decision. One interrupted after the quotes
 * were kept resumes with them: an acceptance already sent is sent again under the same key, and the
 * desk answers the decision it made (a quote is decided once), so a retried RFQ never trades twice.
 * No connection is held while a desk is asked.
 */
import {
  type AuditEntry,
  appendAuditRecords,
  inTransaction,
  type Pool,
  Problem,
  problems,
  type Queryable,
} from '@vcdc/shared';
import { AssetCode, Decimal, tradeCost } from '@vcdc/shared/money';
import { assertProviderInGoodStanding } from '../provider-register';
import type { DeskClient, DeskTradeAnswer } from './desk-client';
import { bandAround, bestFirst, judgeQuote, type QuoteStatus } from './quote-rules';
import type { RequestForQuotes, Rfq, RfqQuote } from './rfq-contract';

const ACTOR = 'service:exchange';

/** The prices an RFQ is judged by, as the fair-price guard gives them (app.ts), and the service's clock. */
export interface RfqPrices {
  reference(symbol: string): Promise<{ price: string; id?: string }>;
  /** `price` undefined under the floor rule "none". */
  floor(symbol: string): Promise<{ price?: string; rule: string }>;
  /** The band around the reference a desk's price must be within (a fraction, e.g. "0.05"). */
  band(symbol: string): string;
  now(): Date;
}

export interface RfqDeps {
  pool: Pool;
  desks: readonly DeskClient[];
  prices: RfqPrices;
}

interface RfqRow {
  rfq_id: string;
  case_id: string;
  symbol: string;
  amount: string;
  reference_price: string;
  reference_id: string | null;
  floor_rule: string;
  floor_price: string | null;
  band: string;
  band_low: string;
  band_high: string;
  min_price: string | null;
  deadline_ms: number;
  asked_at: Date;
  outcome: Rfq['outcome'] | null;
  reason: string | null;
  decided_at: Date | null;
}

interface QuoteRow {
  rfq_id: string;
  desk: string;
  status: QuoteStatus;
  quote_id: string | null;
  price: string | null;
  amount: string | null;
  expires_at: Date | null;
  answered_at: Date | null;
  detail: string | null;
  accept_sent_at: Date | null;
  trade_id: string | null;
}

export const DEFAULT_RFQ_DEADLINE_MS = 2000;
/** An RFQ's lease lasts its deadline and this (the acceptances, one after another, and the booking). */
const LEASE_MARGIN_MS = 60_000;

const plain = (n: string | null) => (n === null ? null : new Decimal(n).toFixed());

async function rfqRow(db: Queryable, rfqId: string, lock = ''): Promise<RfqRow | undefined> {
  return (await db.query<RfqRow>(`SELECT * FROM rfqs WHERE rfq_id = $1 ${lock}`, [rfqId])).rows[0];
}

async function quoteRows(db: Queryable, rfqId: string): Promise<QuoteRow[]> {
  return (await db.query<QuoteRow>('SELECT * FROM rfq_quotes WHERE rfq_id = $1 ORDER BY desk', [rfqId])).rows;
}

function quoteView(q: QuoteRow): RfqQuote {
  return {
    desk: q.desk,
    status: q.status,
    ...(q.quote_id !== null ? { quoteId: q.quote_id } : {}),
    ...(q.price !== null ? { price: plain(q.price) as string } : {}),
    ...(q.amount !== null ? { amount: plain(q.amount) as string } : {}),
    ...(q.expires_at ? { expiresAt: q.expires_at.toISOString() } : {}),
    ...(q.answered_at ? { answeredAt: q.answered_at.toISOString() } : {}),
    ...(q.detail !== null ? { detail: q.detail } : {}),
    ...(q.trade_id !== null ? { tradeId: q.trade_id } : {}),
  };
}

export async function rfqView(db: Queryable, rfqId: string): Promise<Rfq> {
  const row = await rfqRow(db, rfqId);
  if (!row) throw problems.notFound('RFQ', rfqId);
  const quotes = await quoteRows(db, rfqId);
  const settlement = (
    await db.query<{
      trade_id: string;
      asset: string;
      address: string;
      amount: string;
      cost: string;
      fiat_currency: string;
    }>('SELECT * FROM desk_settlements WHERE rfq_id = $1', [rfqId])
  ).rows[0];
  const accepted = quotes.find((q) => q.status === 'ACCEPTED');
  return {
    rfqId: row.rfq_id,
    caseId: row.case_id,
    symbol: row.symbol,
    side: 'sell',
    amount: plain(row.amount) as string,
    referencePrice: plain(row.reference_price) as string,
    ...(row.reference_id !== null ? { referenceId: row.reference_id } : {}),
    floorRule: row.floor_rule,
    ...(row.floor_price !== null ? { floorPrice: plain(row.floor_price) as string } : {}),
    band: plain(row.band) as string,
    bandLow: plain(row.band_low) as string,
    bandHigh: plain(row.band_high) as string,
    ...(row.min_price !== null ? { minPrice: plain(row.min_price) as string } : {}),
    deadlineMs: row.deadline_ms,
    askedAt: row.asked_at.toISOString(),
    outcome: row.outcome ?? 'DECIDING',
    ...(row.reason !== null ? { reason: row.reason } : {}),
    ...(row.decided_at ? { decidedAt: row.decided_at.toISOString() } : {}),
    // NO_DESK: the block goes to the venue through the engine.
    useEngine: row.outcome === 'NO_DESK',
    ...(accepted && settlement
      ? {
          trade: {
            desk: accepted.desk,
            tradeId: settlement.trade_id,
            price: plain(accepted.price) as string,
            amount: plain(settlement.amount) as string,
            cost: plain(settlement.cost) as string,
            currency: settlement.fiat_currency,
            // Where custody sends the coins (the desk's deposit address, whitelisted like a venue's).
            deliverTo: { asset: settlement.asset, address: settlement.address },
          },
        }
      : {}),
    quotes: quotes.map(quoteView),
  };
}

function sameTerms(row: RfqRow, input: RequestForQuotes): boolean {
  const sameHurdle =
    row.min_price === null || input.minPrice === undefined
      ? row.min_price === null && input.minPrice === undefined
      : new Decimal(row.min_price).eq(input.minPrice);
  return (
    row.case_id === input.caseId &&
    row.symbol === input.symbol &&
    new Decimal(row.amount).eq(input.amount) &&
    sameHurdle
  );
}

/** POST /v1/rfqs: ask, keep, decide (see the module's comment). */
export async function requestForQuotes(deps: RfqDeps, input: RequestForQuotes): Promise<Rfq> {
  const { pool } = deps;
  const known = await rfqRow(pool, input.rfqId);
  if (known) {
    if (!sameTerms(known, input)) {
      throw problems.conflict(
        'rfq-id-conflict',
        'RFQ id already used for another block',
        `rfqId ${input.rfqId} asked for ${new Decimal(known.amount).toFixed()} ${known.symbol} for case ${known.case_id}`,
        { field: 'rfqId' },
      );
    }
    if (known.outcome) return rfqView(pool, input.rfqId);
  }
  // The RFQ's trade is booked under its id as an order: an id a venue order already has is refused.
  const clash = await pool.query('SELECT 1 FROM orders WHERE client_order_id = $1 AND venue <> ALL($2)', [
    input.rfqId,
    deps.desks.map((d) => d.id),
  ]);
  if (clash.rowCount) {
    throw problems.conflict('rfq-id-conflict', 'RFQ id used by an order', `rfqId ${input.rfqId} is an order's id`, {
      field: 'rfqId',
    });
  }
  const row = known ? await takeOver(pool, known) : await openRfq(deps, input);
  try {
    let quotes = await quoteRows(pool, row.rfq_id);
    if (!quotes.some((q) => q.status !== 'NOT_ASKED')) {
      await askDesks(deps, row, quotes);
      quotes = await quoteRows(pool, row.rfq_id);
    }
    return await decide(deps, row, quotes);
  } catch (error) {
    // Undecided: its retry may take it over at once.
    await pool.query('UPDATE rfqs SET lease_until = now() WHERE rfq_id = $1 AND outcome IS NULL', [row.rfq_id]);
    throw error;
  }
}

/**
 * One request at a time works on an undecided RFQ: it holds the RFQ's lease (database time) while it
 * asks and decides, so a concurrent retry cannot decide NO_DESK on quotes still being gathered, nor
 * mark lapsed a quote whose acceptance the other is sending. A holder that died leaves the lease to
 * run out; one that failed gives it back.
 */
async function takeOver(pool: Pool, known: RfqRow): Promise<RfqRow> {
  const taken = await pool.query<RfqRow>(
    `UPDATE rfqs SET lease_until = now() + make_interval(secs => $2::double precision / 1000)
      WHERE rfq_id = $1 AND outcome IS NULL AND lease_until <= now() RETURNING *`,
    [known.rfq_id, known.deadline_ms + LEASE_MARGIN_MS],
  );
  if (taken.rows[0]) return taken.rows[0];
  throw problems.notYet('RFQ in progress', `rfq ${known.rfq_id} is being decided by another request; ask again`, {
    rfqId: known.rfq_id,
  });
}

/** Fix the prices; record the RFQ and the desks the register refuses (never asked). */
async function openRfq(deps: RfqDeps, input: RequestForQuotes): Promise<RfqRow> {
  const { pool, prices } = deps;
  const at = prices.now();
  const reference = await prices.reference(input.symbol);
  const floor = await prices.floor(input.symbol);
  const band = prices.band(input.symbol);
  const { bandLow, bandHigh } = bandAround(reference.price, band);
  const refused: { desk: string; detail: string; problem: Problem }[] = [];
  for (const desk of deps.desks) {
    try {
      await assertProviderInGoodStanding(pool, desk.id, at);
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      refused.push({ desk: desk.id, detail: `${error.type}: ${error.detail ?? error.title}`, problem: error });
    }
  }
  return inTransaction(pool, async (tx) => {
    const inserted = await tx.query<RfqRow>(
      `INSERT INTO rfqs (rfq_id, case_id, symbol, side, amount, reference_price, reference_id, floor_rule, floor_price,
                         band, band_low, band_high, deadline_ms, asked_at, lease_until, min_price)
       VALUES ($1, $2, $3, 'sell', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
               now() + make_interval(secs => ($12::int + $14::int)::double precision / 1000), $15)
       ON CONFLICT (rfq_id) DO NOTHING RETURNING *`,
      [
        input.rfqId,
        input.caseId,
        input.symbol,
        input.amount,
        reference.price,
        reference.id ?? null,
        floor.rule,
        floor.price ?? null,
        band,
        bandLow,
        bandHigh,
        input.deadlineMs ?? DEFAULT_RFQ_DEADLINE_MS,
        at,
        LEASE_MARGIN_MS,
        input.minPrice ?? null,
      ],
    );
    const row = inserted.rows[0];
    // Opened meanwhile by a concurrent request with this id: that one asks the desks.
    if (!row) throw problems.notYet('RFQ in progress', `rfq ${input.rfqId} is being asked by another request`);
    for (const r of refused) {
      await tx.query(`INSERT INTO rfq_quotes (rfq_id, desk, status, detail) VALUES ($1, $2, 'NOT_ASKED', $3)`, [
        row.rfq_id,
        r.desk,
        r.detail,
      ]);
    }
    await appendAuditRecords(tx, [
      {
        kind: 'exchange.rfq.opened',
        actor: ACTOR,
        caseId: row.case_id,
        data: {
          rfqId: row.rfq_id,
          symbol: row.symbol,
          amount: input.amount,
          referencePrice: reference.price,
          floorRule: floor.rule,
          floorPrice: floor.price ?? null,
          band,
          minPrice: input.minPrice ?? null,
          desks: deps.desks.map((d) => d.id),
        },
      },
      ...refused.map(
        (r): AuditEntry => ({
          kind: 'exchange.rfq.desk-refused',
          actor: ACTOR,
          caseId: row.case_id,
          data: { rfqId: row.rfq_id, desk: r.desk, refusal: r.problem.type, detail: r.problem.detail ?? null },
        }),
      ),
    ]);
    return row;
  });
}

/** Every desk in good standing, at once, by one deadline; every answer kept in one transaction. */
async function askDesks(deps: RfqDeps, row: RfqRow, kept: QuoteRow[]): Promise<void> {
  const notAsked = new Set(kept.map((q) => q.desk));
  const asked = deps.desks.filter((d) => !notAsked.has(d.id));
  const [base, quote] = row.symbol.split('/') as [string, string];
  const amount = new Decimal(row.amount).toFixed();
  const deadline = AbortSignal.timeout(row.deadline_ms);
  const answers = await Promise.all(
    asked.map(async (desk) => ({
      desk: desk.id,
      answer: await desk.requestQuote({ base, quote, amount }, deadline),
      at: deps.prices.now(),
    })),
  );
  const limits = {
    ...(row.floor_price !== null ? { floor: new Decimal(row.floor_price).toFixed() } : {}),
    bandLow: row.band_low,
    bandHigh: row.band_high,
    ...(row.min_price !== null ? { minPrice: new Decimal(row.min_price).toFixed() } : {}),
  };
  await inTransaction(deps.pool, async (tx) => {
    for (const { desk, answer, at } of answers) {
      if (answer.kind === 'quote') {
        const sameAmount = new Decimal(answer.amount).eq(amount);
        const judged = sameAmount
          ? judgeQuote(answer.price, limits)
          : { status: 'DECLINED' as const, detail: `quoted ${answer.amount}, not the block of ${amount}` };
        await tx.query(
          `INSERT INTO rfq_quotes (rfq_id, desk, status, quote_id, price, amount, expires_at, answered_at, detail)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            row.rfq_id,
            desk,
            judged.status,
            answer.quoteId,
            answer.price,
            answer.amount,
            answer.expiresAt,
            at,
            'detail' in judged ? judged.detail : null,
          ],
        );
      } else {
        await tx.query(
          `INSERT INTO rfq_quotes (rfq_id, desk, status, answered_at, detail) VALUES ($1, $2, $3, $4, $5)`,
          [
            row.rfq_id,
            desk,
            answer.kind === 'declined' ? 'DECLINED' : 'MISSING',
            answer.kind === 'declined' ? at : null,
            answer.detail,
          ],
        );
      }
    }
  });
}

/** Try the valid quotes best first; record the decision with every quote. */
async function decide(deps: RfqDeps, row: RfqRow, quotes: QuoteRow[]): Promise<Rfq> {
  const valid = bestFirst(
    quotes
      .filter((q) => q.status === 'QUOTED')
      .map((q) => ({ ...q, price: q.price as string, expiresAt: q.expires_at as Date })),
  );
  const tried: { desk: string; status: 'EXPIRED' | 'REFUSED'; detail: string }[] = [];
  let traded: { desk: string; trade: DeskTradeAnswer } | undefined;
  for (const q of valid) {
    const client = deps.desks.find((d) => d.id === q.desk);
    // An acceptance already sent (an interrupted attempt) is asked again whatever the time: the desk
    // may have traded on it. One not sent is not sent once the quote has lapsed.
    if (!client || (!q.accept_sent_at && deps.prices.now() >= q.expiresAt)) {
      const detail = client
        ? `lapsed at ${q.expiresAt.toISOString()} before it could be accepted`
        : 'desk no longer configured';
      await setStatus(deps.pool, row.rfq_id, q.desk, 'EXPIRED', detail);
      tried.push({ desk: q.desk, status: 'EXPIRED', detail });
      continue;
    }
    await deps.pool.query(
      'UPDATE rfq_quotes SET accept_sent_at = coalesce(accept_sent_at, $3) WHERE rfq_id = $1 AND desk = $2',
      [row.rfq_id, q.desk, deps.prices.now()],
    );
    const answer = await client.accept(q.quote_id as string, `rfq:${row.rfq_id}:${q.desk}`);
    if (answer.kind === 'trade') {
      traded = { desk: q.desk, trade: answer.trade };
      break;
    }
    if (answer.kind === 'unknown') {
      // Whether the desk traded is not known: the RFQ stays open and its retry asks again (same key).
      throw new Problem(502, 'desk-error', 'Desk answer lost', `${answer.detail}; retry the RFQ to learn the outcome`, {
        rfqId: row.rfq_id,
      });
    }
    const status = answer.kind === 'refused' ? 'REFUSED' : 'EXPIRED';
    await setStatus(deps.pool, row.rfq_id, q.desk, status, answer.detail);
    tried.push({ desk: q.desk, status, detail: answer.detail });
  }
  await inTransaction(deps.pool, async (tx) => {
    const locked = await rfqRow(tx, row.rfq_id, 'FOR UPDATE');
    if (locked?.outcome) return; // decided meanwhile by a concurrent retry: its decision stands
    const at = deps.prices.now();
    if (traded) await bookTrade(tx, row, traded.desk, traded.trade);
    const reason = traded
      ? `${traded.desk} bought ${new Decimal(row.amount).toFixed()} at ${new Decimal(traded.trade.price).toFixed()}`
      : valid.length === 0
        ? `no desk quoted a valid price (at or above the legal floor, within the band${row.min_price !== null ? ', at or above the hurdle' : ''})`
        : 'every valid quote was refused at last look or lapsed';
    await tx.query(`UPDATE rfq_quotes SET status = 'LOSING' WHERE rfq_id = $1 AND status = 'QUOTED'`, [row.rfq_id]);
    await tx.query('UPDATE rfqs SET outcome = $2, reason = $3, decided_at = $4 WHERE rfq_id = $1', [
      row.rfq_id,
      traded ? 'TRADED' : 'NO_DESK',
      reason,
      at,
    ]);
    const all = await quoteRows(tx, row.rfq_id);
    await appendAuditRecords(tx, [
      {
        kind: traded ? 'exchange.rfq.traded' : 'exchange.rfq.no-desk',
        actor: ACTOR,
        caseId: row.case_id,
        data: {
          rfqId: row.rfq_id,
          symbol: row.symbol,
          amount: new Decimal(row.amount).toFixed(),
          reason,
          ...(traded
            ? { desk: traded.desk, tradeId: traded.trade.tradeId, price: traded.trade.price, cost: traded.trade.cost }
            : {}),
          quotes: all.map(quoteView),
        },
      },
    ]);
  });
  return rfqView(deps.pool, row.rfq_id);
}

async function setStatus(db: Queryable, rfqId: string, desk: string, status: QuoteStatus, detail: string) {
  await db.query('UPDATE rfq_quotes SET status = $3, detail = $4 WHERE rfq_id = $1 AND desk = $2', [
    rfqId,
    desk,
    status,
    detail,
  ]);
}

/**
 * The desk's trade, booked as a venue sale is: an order under the RFQ's id at the desk (a limit at the
 * quote's price, closed) and its one fill, with their events and audit records; and the settlement
 * the desk asked for (where the coins go). The trade's figures must be the quote's: a desk answering
 * other terms is refused loudly, not booked.
 */
async function bookTrade(tx: Queryable, row: RfqRow, desk: string, trade: DeskTradeAnswer): Promise<void> {
  const quote = (
    await tx.query<QuoteRow>('SELECT * FROM rfq_quotes WHERE rfq_id = $1 AND desk = $2', [row.rfq_id, desk])
  ).rows[0] as QuoteRow;
  const [, quoteCurrency] = row.symbol.split('/') as [string, string];
  const cost = tradeCost(trade.price, trade.amount, AssetCode.parse(quoteCurrency));
  if (
    !new Decimal(trade.price).eq(quote.price as string) ||
    !new Decimal(trade.amount).eq(row.amount) ||
    !cost.eq(trade.cost)
  ) {
    throw new Problem(
      502,
      'desk-error',
      'Desk traded on other terms',
      `${desk} answered ${trade.amount} at ${trade.price} for ${trade.cost}`,
    );
  }
  const tradedAt = new Date(trade.tradedAt);
  await tx.query(
    `UPDATE rfq_quotes SET status = 'ACCEPTED', trade_id = $3, detail = NULL WHERE rfq_id = $1 AND desk = $2`,
    [row.rfq_id, desk, trade.tradeId],
  );
  await tx.query(
    `INSERT INTO orders (client_order_id, case_id, venue, venue_order_id, symbol, side, type, amount, limit_price, status,
                         created_at, reference_price, floor_price, check_reference_id)
     VALUES ($1, $2, $3, $4, $5, 'sell', 'limit', $6, $7, 'closed', $8, $9, $10, $11)`,
    [
      row.rfq_id,
      row.case_id,
      desk,
      trade.tradeId,
      row.symbol,
      row.amount,
      trade.price,
      tradedAt,
      row.reference_price,
      row.floor_price,
      row.reference_id,
    ],
  );
  await tx.query(
    `INSERT INTO fills (venue, trade_id, client_order_id, price, amount, cost, fee, fee_currency, traded_at)
     VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8)`,
    [desk, trade.tradeId, row.rfq_id, trade.price, trade.amount, cost.toFixed(), quoteCurrency, tradedAt],
  );
  await tx.query(
    `INSERT INTO order_events (client_order_id, event, venue, trade_id, detail, occurred_at) VALUES
       ($1, 'placed', $2, NULL, $4, $5), ($1, 'fill', $2, $3, NULL, $5), ($1, 'closed', $2, NULL, NULL, $5)`,
    [row.rfq_id, desk, trade.tradeId, `RFQ: quote ${quote.quote_id} of ${desk} accepted`, tradedAt],
  );
  await tx.query(
    `INSERT INTO desk_settlements (trade_id, desk, rfq_id, case_id, asset, amount, address, fiat_currency, cost)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      trade.tradeId,
      desk,
      row.rfq_id,
      row.case_id,
      trade.settlement.asset,
      trade.amount,
      trade.settlement.address,
      trade.settlement.fiatCurrency,
      cost.toFixed(),
    ],
  );
  await appendAuditRecords(tx, [
    {
      kind: 'exchange.order.placed',
      actor: ACTOR,
      caseId: row.case_id,
      data: {
        clientOrderId: row.rfq_id,
        venue: desk,
        venueOrderId: trade.tradeId,
        symbol: row.symbol,
        type: 'limit',
        amount: new Decimal(row.amount).toFixed(),
        limitPrice: trade.price,
        adopted: false,
        rfq: true,
      },
    },
    {
      kind: 'exchange.fill.booked',
      actor: ACTOR,
      caseId: row.case_id,
      data: {
        clientOrderId: row.rfq_id,
        symbol: row.symbol,
        tradeId: trade.tradeId,
        price: trade.price,
        amount: trade.amount,
        cost: cost.toFixed(),
        fee: '0',
        feeCurrency: quoteCurrency,
        tradedAt: tradedAt.toISOString(),
      },
    },
  ]);
}

/** The case's RFQs, oldest first. */
export async function caseRfqs(db: Queryable, caseId: string): Promise<Rfq[]> {
  const { rows } = await db.query<{ rfq_id: string }>(
    'SELECT rfq_id FROM rfqs WHERE case_id = $1 ORDER BY asked_at, rfq_id',
    [caseId],
  );
  const out: Rfq[] = [];
  for (const r of rows) out.push(await rfqView(db, r.rfq_id));
  return out;
}
