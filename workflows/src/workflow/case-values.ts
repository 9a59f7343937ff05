/**
 * The three values of a case, as victims and courts ask for them, in the case's statement (its `status`):
 *  - at seizure: what the verified intake was worth when the disposal plan was asked for (each coin at
 *    the exchange's reference price in the stablecoin, the stablecoin at par, at the indicative USD/CNY
 *    rate): the valuation the approval policy decided on;
 *  - at disposal: what the sale realised: the fiat the sales brought in net of the venue's fees (the
 *    stablecoin legs are a step on the way, not proceeds), and the CNY credited to the special account
 *    once the bank settled it (net of its charges);
 *  - distributed: what left the special account, to the treasury, to the victims and to the owner.
 * Pure, computed when asked from the status; a value not known yet is left out.
 */

import { toBaseUnits } from '@vcdc/shared/base-units';
import { FiatCurrency, formatAmount, sum } from '@vcdc/shared/money';
import { type Amount, amountIn } from './case-amounts';
import type { CaseProgress } from './case-state';

/** CNY with its fen beside it. */
interface CnyInFen {
  unit: 'fen';
  valueCny: string;
}

export interface CaseValues {
  currency: 'CNY';
  atSeizure?: {
    valueCny: string;
    usdCny: string;
    rateDate: string;
    lines: Array<{ asset: string; amount: Amount; priceUsd: string; valueCny: string }>;
  };
  atDisposal?: {
    /** Per fiat currency the sales were made into. */
    proceeds: Array<{ currency: string; amount: string }>;
    /** Credited to the special account, once settled. */
    valueCny?: string;
    baseUnits?: CnyInFen;
  };
  distributed?: {
    toTreasury: string;
    toVictims: string;
    toOwner: string;
    valueCny: string;
    baseUnits: CnyInFen;
  };
}

export function caseValues(p: CaseProgress): CaseValues {
  const values: CaseValues = { currency: 'CNY' };
  if (p.valuation) {
    const v = p.valuation;
    values.atSeizure = {
      valueCny: v.valueCny,
      usdCny: v.usdCny,
      rateDate: v.rateDate,
      lines: v.lines.map((l) => ({ ...l, amount: amountIn(l.amount, l.asset) })),
    };
  }

  const proceeds = fiatProceeds(p.sales, p.deskSettlements ?? []);
  const credited = p.credits.length ? cny(sum(p.credits.map((c) => c.amount))) : undefined;
  if (proceeds.length || credited) {
    values.atDisposal = {
      proceeds,
      ...(credited ? { valueCny: credited, baseUnits: inFen(credited) } : {}),
    };
  }

  if (p.remittance || p.restitution || p.ownerReturn) {
    const toTreasury = cny(p.remittance?.amount ?? '0');
    const toVictims = cny(p.restitution?.totalToVictims ?? '0');
    const toOwner = cny(p.ownerReturn?.amount ?? '0');
    const total = cny(sum([toTreasury, toVictims, toOwner]));
    values.distributed = { toTreasury, toVictims, toOwner, valueCny: total, baseUnits: inFen(total) };
  }
  return values;
}

/** What the sales into fiat brought in, net of a fee charged in that fiat, and what desks paid, per currency. */
function fiatProceeds(
  sales: CaseProgress['sales'],
  desks: NonNullable<CaseProgress['deskSettlements']>,
): Array<{ currency: string; amount: string }> {
  const byCurrency = new Map<string, string[]>();
  for (const d of desks) byCurrency.set(d.fiatCurrency, [...(byCurrency.get(d.fiatCurrency) ?? []), d.paidAmount]);
  for (const leg of sales) {
    const quote = leg.symbol.split('/')[1] ?? '';
    if (!FiatCurrency.safeParse(quote).success) continue;
    const legs = byCurrency.get(quote) ?? [];
    legs.push(leg.cost);
    if (leg.feeCurrency === quote) legs.push(`-${leg.fee}`);
    byCurrency.set(quote, legs);
  }
  return [...byCurrency].map(([currency, amounts]) => ({ currency, amount: sum(amounts).toFixed() }));
}

function cny(value: Parameters<typeof formatAmount>[0]): string {
  return formatAmount(value, 'CNY');
}

function inFen(valueCny: string): CnyInFen {
  return { unit: 'fen', valueCny: toBaseUnits(valueCny, 'CNY').toString() };
}

/**
 * The case statement as victims and courts read it (GET /v1/cases/:caseId/statement): where the case
 * stands, its three values, and its amounts in base units with the totals across lots. Taken from the
 * case's `status`; a status from before these fields were computed gets its values computed here.
 */
export interface CaseStatement {
  caseId: string;
  agency: string;
  stage: CaseProgress['stage'];
  status: CaseProgress['status'];
  values: CaseValues;
  amounts: NonNullable<CaseProgress['amounts']>;
  /**
   * What the sale could not turn into the wire (dust, remainders under the smallest unit, fiat under the
   * minimum wire), each with where it ended: back in custody, or held at the venue in the case's name.
   */
  leftovers: Array<{ asset: string; amount: string; reason: string; outcome: string }>;
}

/** Where a leftover ended, in words for the statement. */
function leftoverOutcome(l: CaseProgress['leftovers'][number]): string {
  switch (l.settled?.how) {
    case 'RETURNED_TO_CUSTODY':
      return `returned to custody (${l.settled.received} ${l.asset} booked, tx ${l.settled.txHash})`;
    case 'RESIDUAL_AT_VENUE':
      return `held at the venue in the case's name (residual ${l.settled.residualId})`;
    case 'UNSETTLED':
      return `not settled: ${l.settled.why}; a person must complete it`;
    default:
      return `at the ${l.where}, recorded by the case`;
  }
}

export function caseStatement(p: CaseProgress): CaseStatement {
  return {
    caseId: p.caseId,
    agency: p.agency,
    stage: p.stage,
    status: p.status,
    values: p.values ?? caseValues(p),
    amounts: p.amounts ?? { lots: [], totals: [] },
    leftovers: (p.leftovers ?? []).map((l) => ({
      asset: l.asset,
      amount: l.amount,
      reason: l.reason,
      outcome: leftoverOutcome(l),
    })),
  };
}
