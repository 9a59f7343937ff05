/**
 * What the exchange service appends to its audit chain (packages/shared/src/audit), on the transaction
 * that records it: an order placed (or found already placed), each fill booked, how an order ended
 * (filled, cancelled — what remained is released — or rejected), a fiat withdrawal and each change of
 * its status, a return to custody accepted by the venue and each change of its status. Amounts are
 * decimal strings as the venue reported them.
 */
import type { AuditEntry } from '@vcdc/shared';
import type { exchange } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import type { FillSnapshot } from './venue';

const ACTOR = 'service:exchange';

export function orderPlaced(o: {
  caseId: string;
  clientOrderId: string;
  venue: string;
  venueOrderId: string;
  symbol: string;
  type: string;
  amount: string;
  limitPrice?: string;
  adopted: boolean;
}): AuditEntry {
  const { caseId, ...data } = o;
  return { kind: 'exchange.order.placed', actor: ACTOR, caseId, data: { ...data, limitPrice: o.limitPrice ?? null } };
}

/** A fill just booked for the order. */
export function fillBooked(
  order: { client_order_id: string; case_id: string; symbol: string },
  f: FillSnapshot,
): AuditEntry {
  return {
    kind: 'exchange.fill.booked',
    actor: ACTOR,
    caseId: order.case_id,
    data: {
      clientOrderId: order.client_order_id,
      symbol: order.symbol,
      tradeId: f.tradeId,
      price: f.price,
      amount: f.amount,
      cost: new Decimal(f.price).mul(f.amount).toFixed(),
      fee: f.fee,
      feeCurrency: f.feeCurrency,
      tradedAt: f.tradedAt.toISOString(),
    },
  };
}

/** The order ended (closed, canceled, rejected): what was filled and what remained, as recorded in its transaction. */
export function orderEnded(order: exchange.VenueOrder, status: string): AuditEntry {
  return {
    kind: `exchange.order.${status}`,
    actor: ACTOR,
    caseId: order.caseId,
    data: {
      clientOrderId: order.clientOrderId,
      symbol: order.symbol,
      amount: order.amount,
      filled: order.filled,
      remaining: order.remaining,
    },
  };
}

export function withdrawalRecorded(w: exchange.VenueWithdrawal, previousStatus: string | null): AuditEntry {
  return {
    kind: previousStatus === null ? 'exchange.withdrawal.requested' : `exchange.withdrawal.${w.status.toLowerCase()}`,
    actor: ACTOR,
    caseId: w.caseId,
    data: {
      withdrawalId: w.withdrawalId,
      venue: w.venue,
      currency: w.currency,
      amount: w.amount,
      fee: w.fee,
      netAmount: w.netAmount,
      bankAccountId: w.bankAccountId,
      from: previousStatus,
      status: w.status,
    },
  };
}

export function returnRecorded(
  r: exchange.VenueReturnWithdrawal,
  previous: { status: string; venueWithdrawalId: string | null },
): AuditEntry {
  const accepted = previous.venueWithdrawalId === null && r.venueWithdrawalId !== undefined;
  return {
    kind: accepted ? 'exchange.return.placed' : `exchange.return.${r.status.toLowerCase()}`,
    actor: ACTOR,
    caseId: r.caseId,
    data: {
      returnId: r.returnId,
      transferId: r.transferId,
      asset: r.asset,
      chain: r.chain,
      amount: r.amount,
      fee: r.fee,
      netAmount: r.netAmount,
      toAddress: r.toAddress,
      venueWithdrawalId: r.venueWithdrawalId ?? null,
      txHash: r.txHash ?? null,
      from: previous.status,
      status: r.status,
    },
  };
}
