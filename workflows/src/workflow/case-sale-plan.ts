/**
 * A lot's sale plan (issue 16, part 3): the exchange service decides where the coins of one lot are sold
 * — a block to an OTC desk, the rest by the engine on one venue or split across several — and keeps the
 * plan with every alternative's expected cost (POST /v1/cases/:caseId/sale-plans). The case asks once per
 * coin (its key makes a retry find the plan kept) and checks the answer before a coin moves: the plan is
 * for this case, coin and lot, its legs add up to the lot to the last unit, and it names only the venues
 * the approved disposal plan allows (and a desk only when it asks for the desks).
 */
import type { exchange } from '@vcdc/shared/contracts';
import { Decimal, sum } from '@vcdc/shared/money';
import { routeRuleOf } from '@vcdc/shared/sale-route';
import type { DeskSettlement } from '../activities/types';
import { calls } from './case-calls';
import type { Disposal } from './case-input';
import { MOST_SLICES_COSTED } from './case-policy';
import type { CaseRun } from './case-run';
import type { SalePlanProgress } from './case-state';
import { CaseStop } from './case-stop';
import { executionParams } from './sale-execution';

/** Whether the disposal plan opts in to sale plans (several venues or the desks); neither: one venue, as before. */
export function sellsByPlan(disposal: Disposal): boolean {
  return disposal.venues !== undefined || disposal.desks === true;
}

/** The venues a plan's VENUE legs may name: the disposal plan's `venues`, by default its one `venue`. */
export function plannedVenues(disposal: Disposal): string[] {
  return disposal.venues ?? [disposal.venue];
}

/** Ask for (or find again) the plan of `lot` of `asset`, check it, and keep it in the case's record. */
export async function planLot(
  run: Pick<CaseRun, 'p' | 'reg' | 'caseId' | 'key' | 'show'>,
  asset: 'BTC' | 'ETH',
  lot: Decimal,
): Promise<SalePlanProgress> {
  const { p, caseId, key, show } = run;
  const { disposal } = run.reg;
  const venues = plannedVenues(disposal);
  const desks = disposal.desks === true;
  const plan = await calls.planSale(
    caseId,
    {
      asset,
      lot: lot.toFixed(),
      fiat: disposal.fiat,
      rule: routeRuleOf(disposal.route),
      slices: Math.min(executionParams(disposal.execution).slices, MOST_SLICES_COSTED),
      desks,
      venues,
    },
    key('sale-plan', asset),
  );
  const wrong = whatIsWrong(plan, { caseId, asset, lot, venues, desks });
  if (wrong) {
    throw new CaseStop(
      'HELD',
      `the exchange service's sale plan ${plan.planId} for ${lot.toFixed()} ${asset} ${wrong}; nothing was moved for it, a person must look`,
    );
  }
  const progress: SalePlanProgress = {
    planId: plan.planId,
    asset,
    lot: plan.lot,
    expectedCostBp: plan.expectedCostBp,
    reason: plan.reason,
    ...(plan.rfqId ? { rfqId: plan.rfqId } : {}),
    ...(plan.hurdle ? { hurdle: plan.hurdle } : {}),
    legs: plan.legs.map((leg) => ({ ...leg, status: 'PLANNED' as const })),
  };
  p.salePlans = [...(p.salePlans ?? []), progress];
  show(`${asset}: ${plan.reason}`);
  return progress;
}

/** Why the plan cannot be followed as it is, or undefined. Pure. */
export function whatIsWrong(
  plan: exchange.SalePlanRecord,
  asked: { caseId: string; asset: string; lot: Decimal; venues: readonly string[]; desks: boolean },
): string | undefined {
  if (plan.caseId !== asked.caseId || plan.asset !== asked.asset || !new Decimal(plan.lot).eq(asked.lot)) {
    return `answers for ${plan.lot} ${plan.asset} of case ${plan.caseId}`;
  }
  if (plan.legs.length === 0) return 'has no leg';
  const legs = sum(plan.legs.map((l) => l.amount));
  if (!legs.eq(asked.lot)) return `has legs that add up to ${legs.toFixed()}, not the lot`;
  for (const leg of plan.legs) {
    if (!new Decimal(leg.amount).gt(0)) return `has a leg of ${leg.amount}`;
    if (leg.kind === 'VENUE' && !asked.venues.includes(leg.venue)) {
      return `sells on ${leg.venue}, which the disposal plan does not name (${asked.venues.join(', ')})`;
    }
    if (leg.kind === 'DESK' && !asked.desks) return `sells to desk ${leg.desk}, but the disposal plan asks for no desk`;
  }
  const seen = new Set<string>();
  for (const leg of plan.legs) {
    const where = leg.kind === 'VENUE' ? `venue ${leg.venue}` : `desk trade ${leg.rfqId}`;
    if (seen.has(where)) return `names ${where} twice`;
    seen.add(where);
  }
  return undefined;
}

/**
 * What reached the offshore account in all, as one withdrawal (what FX declares and the treasury
 * credits): every venue's wire and every desk's payment (no fee: a desk pays its trade's cost), their
 * ids joined. Pure.
 */
export function paidIn(
  wires: readonly exchange.VenueWithdrawal[],
  desks: readonly DeskSettlement[],
): exchange.VenueWithdrawal {
  const first = wires[0];
  const paid = sum(desks.map((d) => d.paidAmount));
  const ids = [...wires.map((w) => w.withdrawalId), ...desks.map((d) => `desk-${d.tradeId}`)];
  const latest = [...wires.map((w) => w.createdAt), ...desks.map((d) => d.paidAt)].sort().pop() ?? '';
  return {
    caseId: first?.caseId ?? desks[0]?.caseId ?? '',
    venue: [...new Set([...wires.map((w) => w.venue), ...desks.map((d) => d.desk)])].join('+'),
    // The FX contract takes an id of at most 100 characters: the wires and payments are each in the case's record.
    withdrawalId: ids.join('+').slice(0, 100),
    currency: (first?.currency ?? desks[0]?.fiatCurrency ?? 'USD') as exchange.VenueWithdrawal['currency'],
    amount: sum(wires.map((w) => w.amount))
      .plus(paid)
      .toFixed(),
    fee: sum(wires.map((w) => w.fee)).toFixed(),
    netAmount: sum(wires.map((w) => w.netAmount))
      .plus(paid)
      .toFixed(),
    bankAccountId: first?.bankAccountId ?? desks[0]?.bankAccountId ?? '',
    status: wires.every((w) => w.status === 'COMPLETED') ? 'COMPLETED' : 'PENDING',
    createdAt: latest,
  };
}
