/**
 * The case workflow: one seized-currency case from custody intake to the treasury, id `case-<caseId>`.
 *
 * Orchestration only. Deterministic: no I/O, clock, randomness or Node built-ins; effects happen in
 * activities (imported as a type), ids and Idempotency-Keys are derived from the workflow id and the
 * step, money is Decimal. A dead end never throws the workflow away: the case ends HELD (a person
 * must rule), REJECTED (a person said no, the assets are safe), CANCELLED (an authorised cancellation)
 * or FAILED (a service refused a step), with the reason in the status and the result. Whatever ends
 * it while coins are at the venue, they are first returned to the case wallet (compensation).
 *
 * Versioning: a change that alters the commands a running case issues goes behind `patched()`;
 * see workflows/VERSIONING.md. The replay tests (workflows/test/replay) fail CI otherwise.
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  patched,
  setDefaultSignalHandler,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { exchange } from '@vcdc/shared/contracts';
import { caseAmounts } from './case-amounts';
import { runAuthorisation } from './case-authorisation';
import { decideBySignal, decideByUpdate, refuseUnknownSignal, validateDecision } from './case-decisions';
import { runFx } from './case-fx';
import { resolveHold } from './case-hold';
import type { CaseRegistration } from './case-input';
import { runIntake } from './case-intake';
import { runReconciliation } from './case-reconcile';
import { CaseRun } from './case-run';
import { carriedProceeds, runSale } from './case-sale';
import { sellsByPlan } from './case-sale-plan';
import type { CaseOutcome } from './case-state';
import { asCaseStop } from './case-stop';
import { runTransfer } from './case-transfer';
import { runTreasury } from './case-treasury';
import { caseValues } from './case-values';
import { runWithdrawal, withdrawalOnResume } from './case-withdrawal';
import { decide, decision, status } from './shared';

// The child workflows run on the same worker: lot intake in batches, and the sale execution engine.
export { intakeManifestWorkflow } from './intake-manifest-workflow';
export { intakeBatchWorkflow } from './intake-workflow';
export { saleExecutionWorkflow } from './sale-workflow';

/**
 * Temporal's own cancellation (RequestCancelWorkflowExecution: the Web UI's "Request Cancellation",
 * `temporal workflow cancel`, any bare client) is not how a case is cancelled: the case runs in a
 * non-cancellable scope, so the request fails no workflow task and stops no step; it is recorded (the
 * status's refusedMessages and the control API's audit chain) and the supervisors are asked to decide
 * CANCELLATION through the control API. The case carries on until such a decision arrives.
 */
export async function caseWorkflow(input: CaseRegistration): Promise<CaseOutcome> {
  const cancelRequested = CancellationScope.current().cancelRequested;
  return CancellationScope.nonCancellable(() => runCaseWorkflow(input, cancelRequested));
}

async function runCaseWorkflow(input: CaseRegistration, cancelRequested: Promise<never>): Promise<CaseOutcome> {
  const run = new CaseRun(input, workflowInfo().workflowId);
  // The amounts in base units and the case's three values are computed when asked: nothing in the history changes.
  setHandler(status, () => ({ ...run.p, amounts: caseAmounts(run.p, run.registeredLots), values: caseValues(run.p) }));
  // What reaches the case from outside is screened and checked before anything keeps it (case-decisions.ts).
  setDefaultSignalHandler((name, ...args) => refuseUnknownSignal(run, name, args));
  setHandler(decide, (raw) => decideByUpdate(run, raw), { validator: (raw) => validateDecision(run, raw) });
  setHandler(decision, (raw) => decideBySignal(run, raw));
  cancelRequested.catch(() => run.cancelRequestedFromOutside());
  if (!run.register(input)) return run.p;

  // A held case waits for its resolution; a RESUME or AMEND runs the case again from where it stopped.
  for (;;) {
    try {
      await runStages(run);
      await run.complete();
      break;
    } catch (error) {
      const stop = asCaseStop(error, run.p.stage);
      await run.stopped(stop);
      // Cases started before the resolution existed end HELD, as they did.
      if (stop.status !== 'HELD' || !patched('held-resolution')) break;
      run.resume = await resolveHold(run);
      if (!run.resume) break;
    }
  }
  // Let an in-flight Update handler answer before the workflow closes.
  await condition(allHandlersFinished);
  return run.p;
}

/** The stages in order (`CASE_STAGES`); each module says what it does again when the case is resumed. */
async function runStages(run: CaseRun): Promise<void> {
  if (run.resume?.from === 'RECONCILIATION') return await runReconciliation(run);
  await runIntake(run);
  await runAuthorisation(run);
  const withdrawal = run.pastTheSale ? await withdrawalOnResume(run) : await sellAndWithdraw(run);
  await runFx(run, withdrawal);
  await runTreasury(run);
  await runReconciliation(run);
}

/** TRANSFER, SALE, WITHDRAWAL: the coins to the venue (or the sale plans' venues and desks), sold, the fiat wired. */
async function sellAndWithdraw(run: CaseRun): Promise<exchange.VenueWithdrawal> {
  const carried = carriedProceeds(run);
  // A disposal plan that names venues or asks for the desks sells each lot by a kept sale plan, its
  // legs to a desk and to each venue (issue 16); without either, the case sells on its one venue as before.
  const byPlan = sellsByPlan(run.reg.disposal) && patched('sale-plan-legs');
  await runTransfer(run, byPlan, carried.stable.gt(0) || carried.fiat.gt(0));
  return await runWithdrawal(run, await runSale(run, byPlan, carried));
}
