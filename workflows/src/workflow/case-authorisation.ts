/**
 * The case's AUTHORISATION stage: what custody verified it received, valued at the exchange's reference
 * prices and the day's CNY rate, judged by the approval policy (approval-policy.ts: how many approvers,
 * units, a senior supervisor), and the disposal plan approved by that quorum (DISPOSAL_PLAN). The
 * approvers sign exactly what the case asks for (`p.authorisationRequested`); custody checks it again
 * on every transfer (`run.planApprovals`).
 */
import { patched } from '@temporalio/workflow';
import type { custody } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import { APPROVAL_POLICY, evaluateApprovalPolicy } from './approval-policy';
import { calls } from './case-calls';
import type { CaseRun } from './case-run';
import { plannedVenues, sellsByPlan } from './case-sale-plan';
import { CaseStop } from './case-stop';

/** A case resumed at TRANSFER or SALE goes on under the plan already approved (custody checks it again); past the sale, nothing to authorise. */
export async function runAuthorisation(run: CaseRun): Promise<void> {
  if (run.resume?.reusePlan || run.pastTheSale) return;
  const amended = run.amended;
  run.checkpoint();
  run.enter(
    'AUTHORISATION',
    amended
      ? 'valuing the amended plan for the approval policy'
      : 'valuing the verified intake for the approval policy',
  );
  await askForAuthorisation(run);
  const verdict = run.disposalVerdict;
  run.enter(
    'AUTHORISATION',
    `waiting for the ${amended ? 'amended ' : ''}disposal plan's approval (${verdict?.tier}: ${run.disposalQuorum} approver(s), ${verdict?.units} unit(s)${verdict?.senior ? ', a senior supervisor' : ''})`,
  );
  const plan = await run.awaitDecision('DISPOSAL_PLAN', 'a supervisor to approve the disposal plan');
  if (!plan) {
    throw new CaseStop(
      'HELD',
      `no decision on the disposal plan within ${run.deadlineWords('DISPOSAL_PLAN')}; the assets stay in custody`,
    );
  }
  // Every approval that made the quorum: each signed the same authorisation, and custody counts them again.
  run.planApprovals = plan.outcome === 'APPROVE' ? [...(run.approvals.DISPOSAL_PLAN ?? [plan])] : [];
  if (plan.outcome === 'REJECT') {
    throw new CaseStop(
      'REJECTED',
      `disposal plan rejected by ${plan.decidedBy}: ${plan.reason ?? 'no reason given'}; the assets stay in custody`,
    );
  }
}

/**
 * What the disposal plan's approval lets leave the case's wallets: every asset custody holds for
 * the case, at most its balance, to the plan's venue, under the approval policy's verdict on that
 * value (at the exchange's reference prices and the day's CNY rate). The approvers sign exactly this.
 */
async function askForAuthorisation(run: CaseRun): Promise<void> {
  const { p, reg, caseId } = run;
  const { stablecoin } = reg.disposal;
  const amended = run.amended;
  const holdings: Array<{ asset: custody.CustodyAccount['asset']; amount: Decimal }> = [];
  for (const asset of run.disposing) {
    const account = await calls.getCustodyAccount(caseId, asset);
    const planned = amended?.get(asset);
    const amount = planned ? Decimal.min(planned, account.balance) : new Decimal(account.balance);
    if (amount.gt(0)) holdings.push({ asset, amount });
  }
  if (holdings.length === 0) throw new CaseStop('HELD', 'custody holds nothing for the case');
  const usdCny = await calls.getIndicativeCnyRate('USD');
  const lines = [];
  let valueCny = new Decimal(0);
  for (const h of holdings) {
    // The stablecoin is valued at par with the dollar; other coins at the exchange's reference price in it.
    const priceUsd =
      h.asset === stablecoin ? new Decimal(1) : new Decimal((await calls.getValuationPrice(h.asset, stablecoin)).price);
    // Each line to the fen, toward zero; the value is the sum of the lines, so they always add up.
    const cny = h.amount.times(priceUsd).times(usdCny.rate).toDecimalPlaces(2, Decimal.ROUND_DOWN);
    valueCny = valueCny.plus(cny);
    lines.push({
      asset: h.asset,
      amount: h.amount.toFixed(),
      priceUsd: priceUsd.toFixed(),
      valueCny: cny.toFixed(2),
    });
  }
  const verdict = evaluateApprovalPolicy(APPROVAL_POLICY, valueCny);
  run.disposalVerdict = verdict;
  // The declared amounts may already ask for more people (QUORUM_THRESHOLDS); the larger quorum holds.
  run.disposalQuorum = Math.max(run.disposalQuorum, verdict.approvals);
  p.valuation = { usdCny: usdCny.rate, rateDate: usdCny.date, lines, valueCny: valueCny.toFixed(2) };
  p.authorisationRequested = {
    caseId,
    venue: reg.disposal.venue,
    assets: holdings.map((h) => ({ asset: h.asset, maxAmount: h.amount.toFixed() })),
    policy: { ...verdict, approvals: run.disposalQuorum },
  };
  // Sold by sale plans: the approval names every place a leg may deliver to, the other venues and
  // the desks in good standing in the register now (custody sends to no other).
  if (sellsByPlan(reg.disposal) && patched('sale-plan-legs')) {
    const others = plannedVenues(reg.disposal).filter((v) => v !== reg.disposal.venue);
    if (reg.disposal.desks) others.push(...(await calls.listDesks()).filter((d) => !others.includes(d)));
    if (others.length > 0) p.authorisationRequested.venues = others.slice(0, 10);
  }
}
