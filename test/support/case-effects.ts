/**
 * What each case of a dev stack (stack-process.ts) did in the world, counted from the records of whoever
 * would notice it twice: the venue simulator's own orders and withdrawals (its state file), the chain's
 * transactions out of the case's wallet, custody's ledger, the exchange's and the treasury's statements.
 * The fault suite and the cluster test judge "nothing happened twice" from this one count.
 */
import path from 'node:path';
import type { contracts } from '@vcdc/shared';
import { loadState } from '../../simulators/src/venue/state';
import type { StackProcess } from './stack-process';

export interface CaseEffects {
  caseId: string;
  /** The exchange's orders for the case. */
  orders: number;
  /** Custody's TRANSFER_OUT ledger lines, and the chain's own transactions out of the case wallet. */
  transfers: number;
  onChainOut: number;
  withdrawals: number;
  /** The treasury's REMITTANCE lines (one at most). */
  remittances: number;
  /** Everything seen more often than it happened once: 0 when nothing was done twice. */
  duplicates: number;
}

export interface StackEffects {
  cases: CaseEffects[];
  /** Client order ids and withdrawal ids that reached the venue more than once. */
  venueOrdersTwice: string[];
  venueWithdrawalsTwice: string[];
  /** Orders the venue holds that no case's statement knows of (one placed twice under two ids). */
  venueOrdersUnknown: string[];
}

/** The venue simulator's own records (its state file: the snapshot with its journal played over it). */
function venueState(stack: StackProcess): {
  orders: { clientOrderId: string }[];
  withdrawals: { clientOrderId: string | null }[];
} {
  const state = loadState(path.join(stack.dataDir, 'simulators', 'venue.json'));
  if (!state) throw new Error('the venue simulator has no state file');
  return state;
}

const count = <T>(items: T[], key: (t: T) => string) => {
  const m = new Map<string, number>();
  for (const t of items) m.set(key(t), (m.get(key(t)) ?? 0) + 1);
  return m;
};

export async function caseEffects(stack: StackProcess, caseIds: string[]): Promise<StackEffects> {
  const venue = venueState(stack);
  const exchange = stack.service('exchange');
  const custody = stack.service('custody');
  const treasury = stack.service('treasury');
  const venueOrders = count(venue.orders, (o) => o.clientOrderId);
  const venueWithdrawals = count(
    venue.withdrawals.filter((w) => w.clientOrderId),
    (w) => w.clientOrderId as string,
  );
  const recordedOrders = new Set<string>();
  const cases: CaseEffects[] = [];
  for (const caseId of caseIds) {
    const statement = await exchange.get<contracts.exchange.ExchangeStatement>(`/v1/cases/${caseId}/statement`);
    for (const order of statement.orders) recordedOrders.add(order.clientOrderId);
    // The chain's own record of what left the case wallet, against custody's transfers.
    const account = await custody.get<{ address: string }>(`/v1/accounts/${caseId}/BTC`);
    const onChain = await fetch(
      `${stack.urls.chain}/v1/chains/bitcoin/addresses/${account.address}/transactions?direction=out`,
    ).then((r) => r.json() as Promise<{ transactions: unknown[] }>);
    const ledger = await custody.get<{ entries: { kind: string }[] }>(`/v1/cases/${caseId}/ledger`);
    const transfers = ledger.entries.filter((e) => e.kind === 'TRANSFER_OUT').length;
    const treasuryStatement = await treasury
      .get<contracts.treasury.CaseStatement>(`/v1/cases/${caseId}/statement`)
      .catch(() => undefined);
    const remittances = treasuryStatement?.lines.filter((l) => l.kind === 'REMITTANCE').length ?? 0;
    cases.push({
      caseId,
      orders: statement.orders.length,
      transfers,
      onChainOut: onChain.transactions.length,
      withdrawals: statement.withdrawals.length,
      remittances,
      duplicates:
        onChain.transactions.length -
        transfers +
        Math.max(0, remittances - 1) +
        statement.orders.filter((x) => (venueOrders.get(x.clientOrderId) ?? 0) > 1).length,
    });
  }
  return {
    cases,
    venueOrdersTwice: [...venueOrders].filter(([, n]) => n > 1).map(([id]) => id),
    venueWithdrawalsTwice: [...venueWithdrawals].filter(([, n]) => n > 1).map(([id]) => id),
    venueOrdersUnknown: [...venueOrders.keys()].filter((id) => !recordedOrders.has(id)),
  };
}
