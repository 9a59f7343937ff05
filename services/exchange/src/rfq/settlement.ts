/**
 * Settling a desk trade (issue 16, RFQ): custody has sent the coins to the address the desk gave at
 * acceptance (a whitelisted address, with its signed approvals, as for a venue's deposit address); the
 * desk is told the transaction, sees the coins and pays the trade's cost. Booked once, in one
 * transaction, in the records a venue sale uses, so the statement and the reconciliation read it as
 * they read a venue's. The caller's transaction hash is only a claim: the desk looks it up on the chain
 * and refuses a transaction that paid elsewhere, another amount or is unknown; what is booked is the
 * desk's answer, and only when it says it received the trade's amount exactly by that transaction and
 * paid the trade's cost (our price × amount) to the last unit: the coins as a deposit CREDITED at the desk, the fiat as a withdrawal from the
 * desk COMPLETED to our bank account (no fee: the desk pays the cost to the last unit, or nothing is
 * booked). A delivery to a new address is two transactions: custody's test deposit (`testTxHash`) and the
 * rest (`txHash`); the desk pays for both together, and each is booked as its own deposit at the desk.
 * Asking again with the same transactions answers the same settlement; others are refused.
 */
import { appendAuditRecords, inTransaction, type Pool, Problem, problems, type Queryable } from '@vcdc/shared';
import { Decimal } from '@vcdc/shared/money';
import type { DeskClient, DeskTradeAnswer } from './desk-client';
import type { DeskSettlement, SettleDeskTrade } from './rfq-contract';

interface SettlementRow {
  trade_id: string;
  desk: string;
  rfq_id: string;
  case_id: string;
  asset: string;
  amount: string;
  address: string;
  fiat_currency: string;
  cost: string;
  tx_hash: string | null;
  test_tx_hash: string | null;
  delivered_at: Date | null;
  payment_reference: string | null;
  paid_amount: string | null;
  paid_at: Date | null;
  bank_account_id: string | null;
}

async function settlementRow(db: Queryable, rfqId: string, lock = ''): Promise<SettlementRow | undefined> {
  return (await db.query<SettlementRow>(`SELECT * FROM desk_settlements WHERE rfq_id = $1 ${lock}`, [rfqId])).rows[0];
}

function view(r: SettlementRow): DeskSettlement {
  const plain = (n: string | null) => new Decimal(n ?? '0').toFixed();
  return {
    rfqId: r.rfq_id,
    caseId: r.case_id,
    desk: r.desk,
    tradeId: r.trade_id,
    asset: r.asset,
    amount: plain(r.amount),
    address: r.address,
    txHash: r.tx_hash ?? '',
    ...(r.test_tx_hash ? { testTxHash: r.test_tx_hash } : {}),
    deliveredAt: r.delivered_at?.toISOString() ?? '',
    fiatCurrency: r.fiat_currency,
    cost: plain(r.cost),
    paymentReference: r.payment_reference ?? '',
    paidAmount: plain(r.paid_amount),
    paidAt: r.paid_at?.toISOString() ?? '',
    bankAccountId: r.bank_account_id ?? '',
  };
}

function settledBy(r: SettlementRow, input: SettleDeskTrade): DeskSettlement {
  if (r.tx_hash !== input.txHash || (r.test_tx_hash ?? undefined) !== input.testTxHash) {
    const by = [r.test_tx_hash, r.tx_hash].filter(Boolean).join(' and ');
    throw problems.conflict(
      'desk-trade-settled',
      'Desk trade already settled',
      `trade ${r.trade_id} of ${r.desk} was settled by ${by}`,
      { field: r.tx_hash !== input.txHash ? 'txHash' : 'testTxHash' },
    );
  }
  return view(r);
}

export async function settleDeskTrade(
  pool: Pool,
  desks: readonly DeskClient[],
  rfqId: string,
  input: SettleDeskTrade,
): Promise<DeskSettlement> {
  const known = await settlementRow(pool, rfqId);
  if (!known || known.case_id !== input.caseId)
    throw problems.notFound('Desk trade', `of RFQ ${rfqId} of ${input.caseId}`);
  if (known.paid_at) return settledBy(known, input);
  const desk = desks.find((d) => d.id === known.desk);
  if (!desk) throw problems.unavailable('Desk not configured', `${known.desk} is not among this service's desks`);
  // The test deposit first: the desk's delivery names the last transaction (the rest) as its own.
  const txHashes = input.testTxHash ? [input.testTxHash, input.txHash] : [input.txHash];
  let trade: DeskTradeAnswer;
  try {
    trade = await desk.deliver(known.trade_id, txHashes, new Decimal(known.amount).toFixed());
  } catch (error) {
    const { status, body } = error as { status?: number; body?: { type?: unknown } };
    const deskRefusal = typeof body?.type === 'string' ? body.type : undefined;
    // Not mined yet: the same transaction may do later (a retry, not a refusal).
    if (deskRefusal === 'delivery-unconfirmed') {
      throw problems.notYet('Delivery not confirmed yet', String((error as Error).message), { field: 'txHash' });
    }
    throw new Problem(
      status === 409 || status === 422 ? 409 : 502,
      'desk-delivery-refused',
      'The desk did not take the delivery',
      String((error as Error).message),
      { field: 'txHash', ...(deskRefusal ? { deskRefusal } : {}) },
    );
  }
  const paid = trade.payment;
  const received = receivedBy(trade, txHashes);
  if (
    !paid ||
    !trade.delivery ||
    !received ||
    trade.tradeId !== known.trade_id ||
    !new Decimal(trade.delivery.amount).eq(known.amount)
  ) {
    throw new Problem(
      502,
      'desk-error',
      'The desk did not confirm the coins and pay',
      `${known.desk}: no payment for ${known.trade_id} against ${known.amount} ${known.asset} received by ${txHashes.join(' and ')}`,
    );
  }
  if (!new Decimal(paid.amount).eq(known.cost) || paid.currency !== known.fiat_currency) {
    // Booked as it is, the difference would vanish in the reconciliation: nothing is booked.
    throw new Problem(
      502,
      'desk-payment-differs',
      'The desk paid another amount',
      `${known.desk} paid ${paid.amount} ${paid.currency} for trade ${known.trade_id} of ${known.cost} ${known.fiat_currency}`,
    );
  }
  return inTransaction(pool, async (tx) => {
    const row = (await settlementRow(tx, rfqId, 'FOR UPDATE')) as SettlementRow;
    if (row.paid_at) return settledBy(row, input);
    const deliveredAt = new Date(trade.delivery?.receivedAt ?? paid.paidAt);
    const paidAt = new Date(paid.paidAt);
    const updated = await tx.query<SettlementRow>(
      `UPDATE desk_settlements SET tx_hash = $2, test_tx_hash = $3, delivered_at = $4, payment_reference = $5,
              paid_amount = $6, paid_at = $7, bank_account_id = $8 WHERE trade_id = $1 RETURNING *`,
      [
        row.trade_id,
        input.txHash,
        input.testTxHash ?? null,
        deliveredAt,
        paid.reference,
        paid.amount,
        paidAt,
        input.bankAccountId,
      ],
    );
    // The coins, as a venue's deposits are recorded: one row per chain transaction, credited.
    for (const t of received) {
      await tx.query(
        `INSERT INTO deposits (venue, tx_hash, case_id, asset, amount, venue_deposit_id, first_seen_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [row.desk, t.txHash, row.case_id, row.asset, t.amount, row.trade_id, deliveredAt],
      );
      await tx.query(
        `INSERT INTO deposit_observations (venue, tx_hash, status, observed_at) VALUES ($1, $2, 'CREDITED', $3)`,
        [row.desk, t.txHash, deliveredAt],
      );
    }
    // The fiat, as a venue's bank wire is recorded: out of the desk, into our account.
    await tx.query(
      `INSERT INTO withdrawals (withdrawal_id, venue, case_id, client_ref, currency, amount, fee, net_amount,
                                bank_account_id, status, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, 0, $6, $7, 'COMPLETED', $8)`,
      [
        `desk-${row.trade_id}`.slice(0, 200),
        row.desk,
        row.case_id,
        paid.reference,
        paid.currency,
        paid.amount,
        input.bankAccountId,
        paidAt,
      ],
    );
    const settled = view(updated.rows[0] as SettlementRow);
    await appendAuditRecords(tx, [
      { kind: 'exchange.desk-trade.settled', actor: 'service:exchange', caseId: row.case_id, data: { ...settled } },
    ]);
    return settled;
  });
}

/**
 * What each of our transactions carried by the desk's answer, when the desk received exactly these
 * (in any order) and they add up to what it says it received; undefined otherwise. A desk that names no
 * transactions received one: its `txHash`, the whole amount.
 */
function receivedBy(
  trade: DeskTradeAnswer,
  txHashes: readonly string[],
): Array<{ txHash: string; amount: string }> | undefined {
  const delivery = trade.delivery;
  if (!delivery) return undefined;
  const txs = delivery.transactions ?? [{ txHash: delivery.txHash, amount: delivery.amount }];
  const same = txs.length === txHashes.length && txHashes.every((h) => txs.some((t) => t.txHash === h));
  const total = txs.reduce((n, t) => n.plus(t.amount), new Decimal(0));
  if (!same || !total.eq(delivery.amount)) return undefined;
  // In the order we sent them (the test deposit first).
  return txHashes.map((h) => {
    const t = txs.find((x) => x.txHash === h) as { txHash: string; amount: string };
    return { txHash: h, amount: new Decimal(t.amount).toFixed() };
  });
}

export async function getDeskSettlement(db: Queryable, rfqId: string): Promise<DeskSettlement> {
  const row = await settlementRow(db, rfqId);
  if (!row) throw problems.notFound('Desk trade', `of RFQ ${rfqId}`);
  return view(row);
}
