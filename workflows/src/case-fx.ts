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
import type { CaseStageContext } from './case-context';
import type { CaseRegistration } from './case-input';
import { CaseStop } from './case-stop';
import type { Role } from './decision';
import type { CaseNotification, NotificationKind } from './notifications/types';
import { addWorkingDays } from './working-days';

export const DEFAULT_FX_DECLARATION_WORKING_DAYS = 5;

export interface FxStageContext extends CaseStageContext {
  reg: CaseRegistration;
  /** The withdrawal that brought the fiat to the offshore account: what is declared and settled. */
  withdrawal: exchange.VenueWithdrawal;
  notify: (kind: NotificationKind, toRole: Role, message: string, extra?: Partial<CaseNotification>) => Promise<void>;
  /** True once the case is cancelled (ends the deadline watch). */
  stopped: () => boolean;
  /** What an FX_SETTLEMENT may settle at most while one is awaited (the decision validator reads it). */
  settlementLimit: (limit: string | undefined) => void;
}

/** Declare, wait for the regulator, settle into CNY; the settlements are in `p.settlements`. */
export async function settleIntoCny(ctx: FxStageContext): Promise<void> {
  const { p, caseId, reg, withdrawal, key, awaitDecision, deadlineWords, notify } = ctx;
  const fiat = reg.disposal.fiat;
  const offshore = `${withdrawal.netAmount} ${fiat} wait in the offshore account`;
  const documents = reg.legalBasis.documentSha256
    ? [{ name: reg.legalBasis.reference, sha256: reg.legalBasis.documentSha256 }]
    : [];
  p.declaration = await calls.createDeclaration(
    {
      caseId,
      currency: fiat,
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
  const declarationId = p.declaration.declarationId;
  p.declaration = await calls.submitDeclaration(
    declarationId,
    { workflowId: p.workflowId },
    key('fx-declaration', 'submit'),
  );
  // The declaration deadline runs from the funds' arrival at the bank, in working days: the FX
  // officers are reminded the working day before, the supervisors told when it is overdue.
  const fxDays = reg.deadlines?.fxDeclarationWorkingDays ?? DEFAULT_FX_DECLARATION_WORKING_DAYS;
  const fundsArrivedAt = new Date(Date.now());
  const fxDeadline = {
    fundsArrivedAt: fundsArrivedAt.toISOString(),
    remindAt: addWorkingDays(fundsArrivedAt, fxDays - 1).toISOString(),
    dueBy: addWorkingDays(fundsArrivedAt, fxDays).toISOString(),
    state: 'OPEN' as 'OPEN' | 'REMINDED' | 'OVERDUE' | 'MET',
  };
  p.fxDeadline = fxDeadline;
  const fxOver = () => fxDeadline.state === 'MET' || ctx.stopped() || p.stage !== 'FX';
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

  // The regulator decides; a rejection waits for a supervisor to resubmit (after dealing with its
  // grounds) or to hold the case. Each round has its own keys.
  for (let round = 1; ; round++) {
    const suffix = round === 1 ? [] : [`round-${round}`];
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
    const rejected = `the regulator rejected FX declaration ${p.declaration.declarationNo} (${fxDecision.reference}): ${fxDecision.reason ?? ''}`;
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
        note: `resubmitted after ${fxDecision.reference}, approved by ${again.decidedBy}`,
      },
      key('fx-declaration', 'submit', `round-${round + 1}`),
    );
  }
  // The bank settles the approved amount into CNY, in one tranche or several; an FX officer records
  // each (the bank's reference, its charges, correspondent fees) and the FX service converts it at the
  // recorded rate. Each tranche has its own keys.
  const toSettle = new Decimal(withdrawal.netAmount);
  let settled = new Decimal(0);
  for (let tranche = 1; settled.lt(toSettle); tranche++) {
    const left = toSettle.minus(settled);
    // Amounts in the currency's own form ("107916.30"), as the bank and the FX service write them.
    const inFiat = (d: Decimal) => d.toFixed(scaleOf(fiat));
    p.fxSettlement = { amount: inFiat(toSettle), settled: inFiat(settled), remaining: inFiat(left) };
    ctx.settlementLimit(inFiat(left));
    const recorded = await awaitDecision(
      'FX_SETTLEMENT',
      `an FX officer to record the bank's settlement of ${inFiat(left)} ${fiat} into CNY (tranche ${tranche})`,
    );
    ctx.settlementLimit(undefined);
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
