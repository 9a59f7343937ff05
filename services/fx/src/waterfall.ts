/**
 * The itemised waterfall of a declaration: from the fiat that left the venue to the CNY the bank
 * settled, each deduction its own line. Foreign lines (the declaration's currency) add up as
 *   WITHDRAWN_AT_VENUE + VENUE_WITHDRAWAL_FEE = ARRIVED_AT_BANK
 *   ARRIVED_AT_BANK + CORRESPONDENT_FEES + BANK_CHARGES − unsettled = CONVERTED
 * and CNY lines as
 *   CNY_AT_CENTRAL_PARITY + FX_SPREAD + ROUNDING = CNY_SETTLED
 * (deductions negative). The parity value and the spread are exact products, not rounded: only the
 * settled CNY is whole fen, and ROUNDING is exactly what was cut to get there. The lines above are the
 * tranches as the bank's settlements were first recorded; when any was corrected, both versions show:
 *   CNY_SETTLED + CORRECTION_REVERSAL + CORRECTION = CNY_IN_FORCE
 * (each correction's reversal of the version it replaced, and its new entry, summed over the tranches).
 */
import { Decimal, formatAmount, type Queryable, toWire } from '@vcdc/shared';
import type { fx } from '@vcdc/shared/contracts';
import { loadDeclaration } from './declarations';

type Line = fx.Waterfall['lines'][number];

export async function declarationWaterfall(db: Queryable, declarationId: string): Promise<fx.Waterfall> {
  const d = await loadDeclaration(db, declarationId);
  const cur = d.currency as 'USD' | 'HKD';
  const ids = d.settlements.map((s) => s.settlementId);
  const total = (pick: (s: fx.Settlement) => Decimal) =>
    d.settlements.reduce((t, s) => t.plus(pick(s)), new Decimal(0));
  const dec = (v: string | undefined) => new Decimal(v ?? 0);
  const net = (s: fx.Settlement) => dec(s.foreignAmount).minus(dec(s.bankCharges)).minus(dec(s.correspondentFees));
  const parity = (s: fx.Settlement) => net(s).times(dec(s.centralParity ?? s.rate));

  const lines: Line[] = [];
  if (d.venueWithdrawal) {
    lines.push(
      {
        kind: 'WITHDRAWN_AT_VENUE',
        currency: cur,
        amount: formatAmount(d.venueWithdrawal.grossAmount, cur),
        settlementIds: [],
      },
      {
        kind: 'VENUE_WITHDRAWAL_FEE',
        currency: cur,
        amount: formatAmount(dec(d.venueWithdrawal.fee).negated(), cur),
        settlementIds: [],
      },
    );
  }
  lines.push(
    { kind: 'ARRIVED_AT_BANK', currency: cur, amount: d.amount, settlementIds: [] },
    {
      kind: 'CORRESPONDENT_FEES',
      currency: cur,
      amount: formatAmount(total((s) => dec(s.correspondentFees)).negated(), cur),
      settlementIds: ids,
    },
    {
      kind: 'BANK_CHARGES',
      currency: cur,
      amount: formatAmount(total((s) => dec(s.bankCharges)).negated(), cur),
      settlementIds: ids,
    },
    { kind: 'CONVERTED', currency: cur, amount: formatAmount(total(net), cur), settlementIds: ids },
    { kind: 'CNY_AT_CENTRAL_PARITY', currency: 'CNY', amount: toWire(total(parity)), settlementIds: ids },
    { kind: 'FX_SPREAD', currency: 'CNY', amount: toWire(total((s) => dec(s.fxSpread)).negated()), settlementIds: ids },
    {
      kind: 'ROUNDING',
      currency: 'CNY',
      amount: toWire(total((s) => dec(s.roundingRemainder)).negated()),
      settlementIds: ids,
    },
    {
      kind: 'CNY_SETTLED',
      currency: 'CNY',
      amount: formatAmount(
        total((s) => dec(s.cnyAmount)),
        'CNY',
      ),
      settlementIds: ids,
    },
  );
  const corrections = d.settlements.flatMap((s) => s.corrections ?? []);
  if (corrections.length) {
    const correctedIds = [...new Set(corrections.map((c) => c.settlementId))];
    const reversed = corrections.reduce((t, c) => t.plus(c.before.cnyAmount), new Decimal(0));
    const rebooked = corrections.reduce((t, c) => t.plus(c.after.cnyAmount), new Decimal(0));
    const inForce = total((s) => dec(s.inForce?.cnyAmount ?? s.cnyAmount));
    lines.push(
      {
        kind: 'CORRECTION_REVERSAL',
        currency: 'CNY',
        amount: formatAmount(reversed.negated(), 'CNY'),
        settlementIds: correctedIds,
      },
      { kind: 'CORRECTION', currency: 'CNY', amount: formatAmount(rebooked, 'CNY'), settlementIds: correctedIds },
      { kind: 'CNY_IN_FORCE', currency: 'CNY', amount: formatAmount(inForce, 'CNY'), settlementIds: ids },
    );
  }
  return {
    declarationId,
    caseId: d.caseId,
    currency: cur,
    lines,
    unsettled: formatAmount(dec(d.amount).minus(d.settledAmount), cur),
  };
}
