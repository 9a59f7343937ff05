/**
 * The quorum rule: a disposal above the configured value needs the approval of two distinct
 * supervisors. Value is measured per asset against its own threshold (QUORUM_THRESHOLDS), so the
 * rule needs no market price and cannot be moved by one: a case whose declared amount of any asset
 * exceeds that asset's threshold needs two approvals.
 */
import { Decimal } from '@vcdc/shared/money';
import type { Lot } from '@vcdc/workflows/workflow/case-input';
import type { Approvals } from '@vcdc/workflows/workflow/decision';
import { z } from 'zod';

/** `BTC=10,ETH=150,USDT=1000000`: the amount of each asset above which two supervisors must approve. */
export const QuorumThresholds = z.string().transform((text, ctx) => {
  const thresholds: Record<string, Decimal> = {};
  for (const item of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([A-Z0-9]{2,10})=([0-9]+(\.[0-9]+)?)$/.exec(item);
    if (!m?.[1] || !m[2]) {
      ctx.addIssue({ code: 'custom', message: `"${item}" is not ASSET=amount (e.g. BTC=10)` });
      return z.NEVER;
    }
    thresholds[m[1]] = new Decimal(m[2]);
  }
  return thresholds;
});
export type QuorumThresholds = z.infer<typeof QuorumThresholds>;

export function requiredApprovals(
  request: { lots: readonly Pick<Lot, 'asset' | 'declaredAmount'>[] },
  thresholds: QuorumThresholds,
): Approvals {
  const totals = new Map<string, Decimal>();
  for (const lot of request.lots) {
    totals.set(lot.asset, (totals.get(lot.asset) ?? new Decimal(0)).plus(lot.declaredAmount));
  }
  const above = [...totals].some(([asset, total]) => thresholds[asset] !== undefined && total.gt(thresholds[asset]));
  return { disposalPlan: above ? 2 : 1 };
}
