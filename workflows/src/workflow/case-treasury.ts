/**
 * The case's TREASURY stage, after the bank settled into CNY: each tranche credited to the special
 * case-property account; a pre-trial sale's proceeds held in escrow until the court's JUDGMENT; a court
 * restitution order registered; then, once a supervisor approves the pay-out (REMITTANCE), the victims
 * paid as the order says, the rest remitted to the treasury, or everything returned to an acquitted
 * owner. From the approval on, money leaves the special account and the case can no longer be cancelled.
 */
import { patched } from '@temporalio/workflow';
import { Decimal, sum } from '@vcdc/shared/money';
import { calls } from './case-calls';
import { gatePayout } from './case-reconcile';
import type { CaseRun } from './case-run';
import { CaseStop } from './case-stop';

/** TREASURY, after FX (or on a case resumed there). */
export async function runTreasury(run: CaseRun): Promise<void> {
  run.checkpoint();
  await payOut(run);
}

/**
 * Credit, hold for the judgment where the sale was pre-trial, and pay out as approved. A case resumed at
 * TREASURY after a hold (hold-resolution.ts) credits only what it has not, keeps a judgment already
 * recorded, and asks again for what it waited for: the reconciliation's decision, the pay-out's approval.
 */
async function payOut(run: CaseRun): Promise<void> {
  const { p, caseId, reg, key, checkpoint, awaitDecision, deadlineWords } = run;
  const cny = sum(p.settlements.map((s) => s.cnyAmount));
  run.enter('TREASURY', `crediting ${cny.toFixed()} CNY to the special case-property account`);
  for (const settlement of p.settlements) {
    if (p.credits.some((c) => c.fxSettlementId === settlement.settlementId)) continue;
    p.credits.push(
      await calls.recordCredit(
        {
          caseId,
          agency: reg.agency,
          amount: settlement.cnyAmount,
          fxSettlementId: settlement.settlementId,
          bankReference: settlement.bankReference,
        },
        key('treasury-credit', settlement.settlementId),
      ),
    );
  }
  // Nothing leaves (and no escrow is released) until every unit reconciles, or a supervisor explains
  // each difference or holds the case (case-reconcile.ts).
  // Cases that were already past their credits when the gate came keep their old path (VERSIONING.md).
  if (patched('reconcile-before-payout')) await gatePayout(run);
  // A pre-trial sale: the proceeds wait in escrow until the court rules; the judgment says where they go.
  let ruling: 'CONFISCATION' | 'RESTITUTION' | 'ACQUITTAL' | undefined;
  const { escrow } = reg.treasury;
  const judged = p.escrow?.judgment;
  if (escrow && judged) {
    ruling = judged.outcome;
  } else if (escrow) {
    p.escrow = await calls.openEscrow(
      { caseId, agency: reg.agency, reason: escrow.reason, workflowId: p.workflowId },
      key('escrow'),
    );
    const judgment = await awaitDecision(
      'JUDGMENT',
      `the court's judgment to release ${cny.toFixed()} CNY held in escrow (${escrow.reason})`,
    );
    if (!judgment?.judgment) {
      throw new CaseStop(
        'HELD',
        `no judgment recorded within ${deadlineWords('JUDGMENT')}; ${cny.toFixed()} CNY stay in escrow in the special account`,
      );
    }
    p.escrow = await calls.recordJudgment(
      // The supervisor's signed JUDGMENT decision: the treasury records the judgment it names.
      { caseId, decision: judgment },
      key('judgment'),
    );
    ruling = judgment.judgment.outcome;
  }
  if (ruling === 'RESTITUTION' && !reg.restitution) {
    throw new CaseStop(
      'HELD',
      `the judgment ${p.escrow?.judgment?.judgmentRef ?? ''} orders restitution, but the case has no court restitution order; the CNY stay in the special account`,
    );
  }
  // Victims are paid by the court's order unless the judgment says otherwise (confiscation, acquittal).
  const restitution = ruling === 'CONFISCATION' || ruling === 'ACQUITTAL' ? undefined : reg.restitution;
  if (restitution) {
    p.restitutionOrder = await calls.registerRestitutionOrder(
      { ...restitution, caseId, workflowId: p.workflowId },
      key('restitution-order'),
    );
  }
  const caseAccount = await calls.getTreasuryStatement(caseId);
  if (!new Decimal(caseAccount.balance).gt(0)) throw new CaseStop('HELD', 'the case account holds nothing to remit');
  const payOut =
    ruling === 'ACQUITTAL' && escrow
      ? `${caseAccount.balance} CNY back to the owner ${escrow.owner.name} (acquittal)`
      : restitution
        ? `${caseAccount.balance} CNY to the victims of court order ${restitution.courtOrderRef} and the rest to the treasury`
        : `${caseAccount.balance} CNY to the treasury`;
  const inSpecialAccount = `${caseAccount.balance} CNY stay in the special account`;
  // What the supervisor approves, exactly: the treasury pays nothing under the approval that differs.
  const acquitted = ruling === 'ACQUITTAL' && escrow;
  p.payoutRequested = {
    caseId,
    kind: acquitted ? 'OWNER_RETURN' : restitution ? 'RESTITUTION' : 'TREASURY',
    amount: caseAccount.balance,
    ...(!acquitted && p.restitutionOrder ? { restitutionOrderId: p.restitutionOrder.restitutionOrderId } : {}),
    ...(acquitted && escrow ? { ownerPayeeAccount: escrow.owner.payeeAccount } : {}),
  };
  const remit = await awaitDecision('REMITTANCE', `a supervisor to approve paying ${payOut}`);
  if (!remit || remit.outcome === 'REJECT') {
    throw new CaseStop(
      'HELD',
      `${remit ? `pay-out rejected by ${remit.decidedBy}: ${remit.reason ?? ''}` : `no remittance decision within ${deadlineWords('REMITTANCE')}`}; ${inSpecialAccount}`,
    );
  }
  // Money leaves the special account now: from here the case finishes; a cancellation is refused.
  checkpoint();
  // Money is about to leave the special account: from now on a cancellation is refused.
  run.pastNoReturn = true;
  if (ruling === 'ACQUITTAL' && escrow) {
    p.ownerReturn = await calls.returnToOwner(
      {
        caseId,
        ownerName: escrow.owner.name,
        payeeAccount: escrow.owner.payeeAccount,
        amount: caseAccount.balance,
        decision: remit,
      },
      key('owner-return'),
    );
  } else {
    if (p.restitutionOrder) {
      p.restitution = await calls.distributeRestitution(
        {
          caseId,
          restitutionOrderId: p.restitutionOrder.restitutionOrderId,
          amount: caseAccount.balance,
          decision: remit,
        },
        key('restitution'),
      );
    }
    const remaining = p.restitution ? new Decimal(p.restitution.toTreasury) : new Decimal(caseAccount.balance);
    if (remaining.gt(0)) {
      p.remittance = await calls.requestRemittance(
        {
          caseId,
          amount: remaining.toFixed(2),
          budgetClassificationCode: reg.treasury.budgetClassificationCode,
          decision: remit,
        },
        key('remittance'),
      );
    }
  }
}
