/**
 * The case's amounts in base units (satoshi, wei, micro-USDT) beside the decimal, per lot and in totals
 * across the case's lots per asset, as the `status` query shows them. Pure: computed from the status and
 * the registered lots when asked, so it adds nothing to the workflow's history and changes no command.
 *
 * Totals across lots: what was declared comes from the registration (every lot, however large the
 * case); what was received is known once every lot is recorded, as declared + the lots' differences
 * (a large case's status keeps only the intakes with a difference: the others received what they declared).
 */
import { type AmountWithBaseUnits, BASE_UNIT_NAMES, toBaseUnits } from '@vcdc/shared/base-units';
import { ASSETS, type AssetCode, Decimal } from '@vcdc/shared/money';
import type { Lot } from './case-input';
import type { CaseProgress } from './case-state';

/** An amount and its base units; `baseUnits` is left out only if the amount is finer than the unit (never expected). */
export type Amount = Pick<AmountWithBaseUnits, 'amount'> & Partial<Pick<AmountWithBaseUnits, 'baseUnits'>>;

export interface LotAmounts {
  lotId: string;
  asset: string;
  unit: string;
  declared: Amount;
  received: Amount;
  /** received - declared, as the intake's `difference` (negative: short). */
  difference: Amount;
}

export interface AssetTotals {
  asset: string;
  unit: string;
  lots: number;
  declared: Amount;
  /** Once every lot is recorded. */
  received?: Amount;
  difference?: Amount;
  /** What reached the venue's deposit address (test deposit and bulk, net of network fees), and its fees. */
  sentToVenue?: Amount;
  networkFees?: Amount;
  /** Sold on the venue (every sale leg selling this asset), and what is left over at the venue. */
  sold?: Amount;
  leftOver?: Amount;
}

export interface CaseAmounts {
  /** The lots the status shows (all while the case is small; those with a difference when large). */
  lots: LotAmounts[];
  totals: AssetTotals[];
}

export function caseAmounts(p: CaseProgress, lots: readonly Pick<Lot, 'asset' | 'declaredAmount'>[]): CaseAmounts {
  const totals = new Map<string, { lots: number; declared: Decimal; difference: Decimal }>();
  // A manifest case holds no lots: its declared totals are the sealed manifest's, its received ones the intake's.
  for (const m of p.manifest?.totals ?? []) {
    const received = p.manifest?.intake?.find((t) => t.asset === m.asset)?.received;
    const declared = new Decimal(m.declared);
    totals.set(m.asset, {
      lots: m.lots,
      declared,
      difference: received ? new Decimal(received).minus(declared) : new Decimal(0),
    });
  }
  for (const lot of lots) {
    const t = totals.get(lot.asset) ?? { lots: 0, declared: new Decimal(0), difference: new Decimal(0) };
    t.lots += 1;
    t.declared = t.declared.plus(lot.declaredAmount);
    totals.set(lot.asset, t);
  }
  for (const intake of p.manifest ? [] : p.intakes) {
    const t = totals.get(intake.asset);
    if (t) t.difference = t.difference.plus(intake.receivedAmount).minus(intake.declaredAmount);
  }
  const allRecorded = p.intakeProgress !== undefined && p.intakeProgress.recorded === p.intakeProgress.lots;

  const sum = (values: Array<string | undefined>) =>
    values.reduce((s: Decimal | undefined, v) => (v === undefined ? s : (s ?? new Decimal(0)).plus(v)), undefined);
  return {
    lots: p.intakes.map((i) => ({
      lotId: i.lotId,
      asset: i.asset,
      unit: unitOf(i.asset),
      declared: amountIn(i.declaredAmount, i.asset),
      received: amountIn(i.receivedAmount, i.asset),
      difference: amountIn(new Decimal(i.receivedAmount).minus(i.declaredAmount), i.asset),
    })),
    totals: [...totals].map(([asset, t]) => {
      // A case sold by sale plans also delivered blocks to desks: sent out and sold there.
      const deskLegs = (p.salePlans ?? [])
        .filter((plan) => plan.asset === asset)
        .flatMap((plan) => plan.legs.flatMap((l) => (l.kind === 'DESK' ? [l] : [])));
      const legs = [
        ...p.transfers.filter((l) => l.asset === asset).flatMap((l) => [l.testTransfer, l.transfer]),
        ...deskLegs.flatMap((l) => l.transfers ?? []),
      ];
      const sent = sum(legs.map((x) => x?.netAmount));
      const fees = sum(legs.map((x) => x?.fee));
      const sold = sum([
        ...p.sales.filter((s) => s.symbol.split('/')[0] === asset).map((s) => s.filled),
        ...deskLegs.filter((l) => l.status === 'SETTLED').map((l) => l.amount),
      ]);
      const leftOver = sum(p.leftovers.filter((l) => l.asset === asset).map((l) => l.amount));
      return {
        asset,
        unit: unitOf(asset),
        lots: t.lots,
        declared: amountIn(t.declared, asset),
        ...(allRecorded
          ? { received: amountIn(t.declared.plus(t.difference), asset), difference: amountIn(t.difference, asset) }
          : {}),
        ...(sent ? { sentToVenue: amountIn(sent, asset) } : {}),
        ...(fees ? { networkFees: amountIn(fees, asset) } : {}),
        ...(sold ? { sold: amountIn(sold, asset) } : {}),
        ...(leftOver ? { leftOver: amountIn(leftOver, asset) } : {}),
      };
    }),
  };
}

function isAsset(asset: string): asset is AssetCode {
  return Object.hasOwn(ASSETS, asset);
}

function unitOf(asset: string): string {
  return isAsset(asset) ? BASE_UNIT_NAMES[asset] : asset;
}

/**
 * The decimal and its base units. A status must always answer: an amount that is not a whole number of
 * the unit (no service books one) is shown without base units rather than failing the query.
 */
export function amountIn(value: string | Decimal, asset: string): Amount {
  const amount = new Decimal(value).toFixed();
  if (!isAsset(asset)) return { amount };
  try {
    return { amount, baseUnits: toBaseUnits(amount, asset).toString() };
  } catch {
    return { amount };
  }
}
