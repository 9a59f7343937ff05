/**
 * The case's FX stage, once the fiat is in the offshore bank account: the declaration to the FX regulator
 * (its deadline in working days from the funds' arrival, with a reminder and an overdue notice), the
 * regulator's decision as an FX officer records it (a rejection waits for a supervisor to resubmit or
 * hold), and the bank's settlement into CNY, tranche by tranche, as the FX officer records each.
 */
import { condition } from '@temporalio/workflow';
import type { exchange } from '@vcdc/shared/contracts';
import { Decimal, scaleOf } from '@vcdc/shared/money';
import { calls } from './case-calls';
import { DEFAULT_FX_DECLARATION_WORKING_DAYS } from './case-policy';
import type { CaseRun } from './case-run';
import { CaseStop } from './case-stop';
import { addWorkingDays } from './working-days';

/**
 * FX, once the withdrawal (`withdrawal`: what is declared and settled) reached the offshore account. A case
 * resumed at TREASURY has settled already.
 */
export async function runFx(run: CaseRun, withdrawal: exchange.VenueWithdrawal): Promise<void> {
  if (run.resume?.from === 'TREASURY') return;
  run.checkpoint();
  run.enter('FX', `declaring ${withdrawal.netAmount} ${run.reg.disposal.fiat} for settlement into CNY`);
  await settleIntoCny(run, withdrawal);
}

/**
 * Declare, wait for the regulator, settle into CNY; the settlements are in `p.settlements`.
 *
 * A case resumed at FX after a hold (hold-resolution.ts) goes on from what it recorded: the declaration
 * it made, its deadline (from the funds' arrival, which does not move), the round it was in, and the
 * tranches already settled. The first run has nothing recorded and takes every step.
 */
async function settleIntoCny(run: CaseRun, withdrawal: exchange.VenueWithdrawal): Promise<void> {
  const { p, caseId, reg, key, awaitDecision, deadlineWords, notify } = run;
  const fiat = reg.disposal.fiat;
  const offshore = `${withdrawal.netAmount} ${fiat} wait in the offshore account`;
  if (!p.declaration) await declare(run, withdrawal);
  if (!p.declaration) throw new Error('the declaration was not made'); // declare() sets it
  const declarationId = p.declaration.declarationId;
  const settledOrApproved = () => p.declaration?.status === 'APPROVED' || p.declaration?.status === 'SETTLED';
  // A resumed case keeps its deadline; its watch runs again only if it had not yet reminded anyone.
  const resumedDeadline = p.fxDeadline;
  const fxDeadline = resumedDeadline ?? startDeadline(run);
  p.fxDeadline = fxDeadline;
  if (settledOrApproved()) fxDeadline.state = 'MET';
  const fxOver = () => fxDeadline.state === 'MET' || run.cancellation !== undefined || p.stage !== 'FX';
  if (!resumedDeadline || fxDeadline.state === 'OPEN') {
    void (async () => {
      if (!(await condition(fxOver, Math.max(1000, Date.parse(fxDeadline.remindAt) - Date.now())))) {
        fxDeadline.state = 'REMINDED';
        await notify('REMINDER', 'fx-officer', `${caseId}: FX declaration due by ${fxDeadline.dueBy}`, {
          stage: 'FX_DECLARATION',
          deadline: fxDeadline.dueBy,
        });
      }
      if (!(await condition(fxOver, Math.max(1000, Date.parse(fxDeadline.dueBy) - Date.now())))) {
        fxDeadline.state = 'OVERDUE';
        await notify('ESCALATION', 'supervisor', `${caseId}: FX declaration overdue since ${fxDeadline.dueBy}`, {
          stage: 'FX_DECLARATION',
          deadline: fxDeadline.dueBy,
        });
      }
    })();
  }

  // The regulator decides; a rejection waits for a supervisor to resubmit (after dealing with its
  // grounds) or to hold the case. Each round has its own keys; a resumed case goes on in its round,
  // asking again what it waited for when it was held.
  let waitingToResubmit = p.declaration.status === 'REJECTED';
  for (let round = p.fxRound ?? 1; !settledOrApproved(); round++) {
    p.fxRound = round;
    const suffix = round === 1 ? [] : [`round-${round}`];
    let rejected = `the regulator rejected FX declaration ${p.declaration.declarationNo}`;
    let reference = 'the rejection';
    if (!waitingToResubmit) {
      const fxDecision = await awaitDecision('FX_DECLARATION', "an FX officer to record the regulator's decision");
      if (!fxDecision) {
        throw new CaseStop(
          'HELD',
          `no decision on FX declaration ${p.declaration.declarationNo} within ${deadlineWords('FX_DECLARATION')}; ${offshore}`,
        );
      }
      p.declaration = await calls.recordFxDecision(
        declarationId,
        // The FX officer's signed decision itself: the FX service verifies it and books its person.
        { decision: fxDecision },
        key('fx-declaration', 'decision', ...suffix),
      );
      if (fxDecision.outcome === 'APPROVE') {
        fxDeadline.state = 'MET';
        break;
      }
      rejected = `${rejected} (${fxDecision.reference}): ${fxDecision.reason ?? ''}`;
      reference = fxDecision.reference ?? reference;
    }
    waitingToResubmit = false;
    const again = await awaitDecision('FX_RESUBMISSION', `a supervisor to resubmit or hold (${rejected})`);
    if (!again || again.outcome === 'REJECT') {
      throw new CaseStop(
        'HELD',
        `${rejected}; ${again ? `not resubmitted (${again.decidedBy}: ${again.reason ?? ''})` : `no decision to resubmit within ${deadlineWords('FX_RESUBMISSION')}`}; ${offshore}`,
      );
    }
    p.declaration = await calls.submitDeclaration(
      declarationId,
      {
        workflowId: p.workflowId,
        note: `resubmitted after ${reference}, approved by ${again.decidedBy}`,
      },
      key('fx-declaration', 'submit', `round-${round + 1}`),
    );
  }
  fxDeadline.state = 'MET';
  // The bank settles the approved amount into CNY, in one tranche or several; an FX officer records
  // each (the bank's reference, its charges, correspondent fees) and the FX service converts it at the
  // recorded rate. Each tranche has its own keys.
  const toSettle = new Decimal(withdrawal.netAmount);
  let settled = p.settlements.reduce((total, s) => total.plus(s.foreignAmount), new Decimal(0));
  for (let tranche = p.settlements.length + 1; settled.lt(toSettle); tranche++) {
    const left = toSettle.minus(settled);
    // Amounts in the currency's own form ("107916.30"), as the bank and the FX service write them.
    const inFiat = (d: Decimal) => d.toFixed(scaleOf(fiat));
    p.fxSettlement = { amount: inFiat(toSettle), settled: inFiat(settled), remaining: inFiat(left) };
    // What an FX_SETTLEMENT may settle at most while one is awaited (the decision validator reads it).
    run.settlementLimit = inFiat(left);
    const recorded = await awaitDecision(
      'FX_SETTLEMENT',
      `an FX officer to record the bank's settlement of ${inFiat(left)} ${fiat} into CNY (tranche ${tranche})`,
    );
    run.settlementLimit = undefined;
    if (!recorded?.settlement || recorded.outcome === 'REJECT') {
      throw new CaseStop(
        'HELD',
        `${recorded ? `the bank did not settle (${recorded.decidedBy}: ${recorded.reason ?? ''})` : `no settlement recorded within ${deadlineWords('FX_SETTLEMENT')}`}; ${left.toFixed()} ${fiat} wait in the offshore account`,
      );
    }
    // The tranche is the one the FX officer's signed decision names; the FX service takes it from there.
    const settlement = await calls.settleDeclaration(
      declarationId,
      { decision: recorded },
      key('fx-settlement', String(tranche)),
    );
    p.settlements.push(settlement);
    settled = settled.plus(recorded.settlement.amount);
  }
  p.fxSettlement = { amount: withdrawal.netAmount, settled: settled.toFixed(scaleOf(fiat)), remaining: '0' };
}

/** The declaration to the FX regulator, made and submitted (`p.declaration`). */
async function declare(run: CaseRun, withdrawal: exchange.VenueWithdrawal): Promise<void> {
  const { p, caseId, reg, key } = run;
  const documents = reg.legalBasis.documentSha256
    ? [{ name: reg.legalBasis.reference, sha256: reg.legalBasis.documentSha256 }]
    : [];
  const declaration = await calls.createDeclaration(
    {
      caseId,
      currency: reg.disposal.fiat,
      amount: withdrawal.netAmount,
      transactionCode: reg.fx.transactionCode,
      purpose: reg.fx.purpose,
      remitter: reg.fx.remitter,
      beneficiary: reg.fx.beneficiary,
      documents,
      // Where the waterfall starts: what left the venue and the venue's fee.
      venueWithdrawal: { withdrawalId: withdrawal.withdrawalId, grossAmount: withdrawal.amount, fee: withdrawal.fee },
      // The workflow's own step: booked as the workflow, never as a person.
      workflowId: p.workflowId,
    },
    key('fx-declaration'),
  );
  p.declaration = declaration;
  p.declaration = await calls.submitDeclaration(
    declaration.declarationId,
    { workflowId: p.workflowId },
    key('fx-declaration', 'submit'),
  );
}

/**
 * The declaration deadline runs from the funds' arrival at the bank, in working days: the FX officers
 * are reminded the working day before, the supervisors told when it is overdue.
 */
function startDeadline(run: CaseRun): NonNullable<CaseRun['p']['fxDeadline']> {
  const fxDays = run.reg.deadlines?.fxDeclarationWorkingDays ?? DEFAULT_FX_DECLARATION_WORKING_DAYS;
  const fundsArrivedAt = new Date(Date.now());
  return {
    fundsArrivedAt: fundsArrivedAt.toISOString(),
    remindAt: addWorkingDays(fundsArrivedAt, fxDays - 1).toISOString(),
    dueBy: addWorkingDays(fundsArrivedAt, fxDays).toISOString(),
    state: 'OPEN',
  };
}
