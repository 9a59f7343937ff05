/**
 * The approval policy for a disposal: how many people, from how many units, and whether a senior
 * supervisor must approve, by the value the case holds. Judged on what custody verified it received
 * (never on the declaration alone) at the recorded reference prices, in CNY. Versioned: each
 * accepted approval records the version and the value it was judged on (in the authorisation it
 * signs), so a later change of the policy never re-judges a past decision silently. Pure: the
 * workflow evaluates it; the control API and custody read its verdict in the signed authorisation.
 */
import { Decimal } from '@vcdc/shared/money';

export interface ApprovalTier {
  name: string;
  /** The tier applies up to and including this value (CNY); absent on the top tier. */
  upToCny?: string;
  approvals: number;
  units: number;
  senior: boolean;
}

export interface ApprovalPolicy {
  version: string;
  /** Ascending by `upToCny`; the last one (no bound) is above the top tier. */
  tiers: readonly ApprovalTier[];
}

export const APPROVAL_POLICY: ApprovalPolicy = {
  version: '2026-12-03.1',
  tiers: [
    { name: 'T1 up to CNY 2,000,000', upToCny: '2000000', approvals: 1, units: 1, senior: false },
    { name: 'T2 up to CNY 20,000,000', upToCny: '20000000', approvals: 2, units: 2, senior: false },
    { name: 'T3 up to CNY 200,000,000', upToCny: '200000000', approvals: 3, units: 2, senior: false },
    { name: 'T4 above CNY 200,000,000', approvals: 3, units: 2, senior: true },
  ],
};

export interface PolicyVerdict {
  version: string;
  valueCny: string;
  tier: string;
  approvals: number;
  units: number;
  senior: boolean;
}

export function evaluateApprovalPolicy(policy: ApprovalPolicy, valueCny: Decimal | string): PolicyVerdict {
  const value = new Decimal(valueCny);
  const tier =
    policy.tiers.find((t) => t.upToCny !== undefined && value.lte(t.upToCny)) ??
    (policy.tiers[policy.tiers.length - 1] as ApprovalTier);
  return {
    version: policy.version,
    valueCny: value.toFixed(2, Decimal.ROUND_DOWN),
    tier: tier.name,
    approvals: tier.approvals,
    units: tier.units,
    senior: tier.senior,
  };
}

/** What the approvals given so far still lack under `verdict` (empty: enough). */
export function missingApprovals(
  verdict: Pick<PolicyVerdict, 'approvals' | 'units' | 'senior'>,
  given: ReadonlyArray<{ decidedBy: string; role: string; unit?: string }>,
): string[] {
  const people = new Set(given.map((g) => g.decidedBy)).size;
  const units = new Set(given.map((g) => g.unit ?? 'unassigned')).size;
  const missing: string[] = [];
  if (people < verdict.approvals) missing.push(`${verdict.approvals - people} more approver(s)`);
  if (units < verdict.units) missing.push(`approvers from ${verdict.units - units} more unit(s)`);
  if (verdict.senior && !given.some((g) => g.role === 'senior-supervisor')) missing.push('a senior supervisor');
  return missing;
}
