/**
 * The steps of the FX waterfall chart (fx-waterfall.tsx): the sale's gross fills and trading fees, each
 * line of a declaration's waterfall as the FX service itemises it, and the CNY credited for its tranches.
 * Amounts stay decimal strings; sums are exact (decimal.ts).
 */
import type { fx } from '@vcdc/shared/contracts';
import { negateDecimal, sumDecimals } from './decimal';
import type { CaseProgress } from './types';

const LABELS: Record<fx.Waterfall['lines'][number]['kind'], string> = {
  WITHDRAWN_AT_VENUE: 'Withdrawn from the venue (gross)',
  VENUE_WITHDRAWAL_FEE: 'Venue withdrawal fee',
  ARRIVED_AT_BANK: 'Arrived at the bank',
  CORRESPONDENT_FEES: 'Correspondent bank fees',
  BANK_CHARGES: 'Bank charges',
  CONVERTED: 'Converted',
  CNY_AT_CENTRAL_PARITY: 'CNY at the central parity',
  FX_SPREAD: 'FX spread',
  ROUNDING: 'Rounding to the fen',
  CNY_SETTLED: 'CNY settled',
  CORRECTION_REVERSAL: 'Correction: reversal',
  CORRECTION: 'Correction',
  CNY_IN_FORCE: 'CNY in force',
};
/** Lines that are a running total (a bar from zero); the others change the total before them. */
const TOTALS = new Set<string>([
  'WITHDRAWN_AT_VENUE',
  'ARRIVED_AT_BANK',
  'CONVERTED',
  'CNY_AT_CENTRAL_PARITY',
  'CNY_SETTLED',
  'CNY_IN_FORCE',
]);

export interface WaterfallStep {
  label: string;
  currency: string;
  /** As recorded (a change is signed: deductions negative). */
  amount: string;
  total: boolean;
}

/** The steps of one declaration's waterfall; the sale's before the first, the credits after each. */
export function waterfallSteps(
  wf: fx.Waterfall,
  p: Pick<CaseProgress, 'sales' | 'credits'>,
  withSale: boolean,
): WaterfallStep[] {
  const steps: WaterfallStep[] = [];
  const legs = p.sales.filter((s) => s.symbol.endsWith(`/${wf.currency}`) && Number(s.filled) > 0);
  if (withSale && legs.length) {
    const gross = sumDecimals(legs.map((l) => l.cost));
    const fees = sumDecimals(legs.filter((l) => l.feeCurrency === wf.currency).map((l) => l.fee));
    steps.push(
      {
        label: `Gross fills (${legs.length} on the ${wf.currency} market)`,
        currency: wf.currency,
        amount: gross,
        total: true,
      },
      { label: 'Trading fees', currency: wf.currency, amount: negateDecimal(fees), total: false },
      {
        label: 'Net proceeds at the venue',
        currency: wf.currency,
        amount: sumDecimals([gross, negateDecimal(fees)]),
        total: true,
      },
    );
  }
  for (const line of wf.lines) {
    if (line.kind === 'CONVERTED' && Number(wf.unsettled) !== 0) {
      steps.push({
        label: 'Not settled yet',
        currency: wf.currency,
        amount: negateDecimal(wf.unsettled),
        total: false,
      });
    }
    steps.push({
      label: LABELS[line.kind] ?? line.kind,
      currency: line.currency,
      amount: line.amount,
      total: TOTALS.has(line.kind),
    });
  }
  const tranches = new Set(wf.lines.find((l) => l.kind === 'CNY_SETTLED')?.settlementIds ?? []);
  const credits = p.credits.filter((c) => tranches.has(c.fxSettlementId));
  if (credits.length) {
    steps.push({
      label: `Credited to the special account (${credits.length} credit(s))`,
      currency: 'CNY',
      amount: sumDecimals(credits.map((c) => c.amount)),
      total: true,
    });
  }
  return steps;
}
