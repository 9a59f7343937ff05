/**
 * Reconciling a case from each service's own records (custody's ledger, the venue's statement, the FX
 * declarations, the treasury's case statement) with what the workflow recorded (leftovers, the
 * differences a supervisor explained). Before the pay-out it gates the money (`gatePayout`): any
 * unexplained difference stops it until a supervisor decides RECONCILIATION — approve, and each
 * difference is booked as its own explained line, or hold the case with the money in the special
 * account. After the pay-out the closing reconciliation uses the same explained lines.
 */
import { patched } from '@temporalio/workflow';
import { calls, longReads, manifestCalls } from './case-calls';
import type { CaseRun } from './case-run';
import { CaseStop } from './case-stop';
import { type Reconciliation, type ReconciliationPhase, reconcile } from './reconcile';

/** What a reconciliation reads of the run: the case's record and the disposal's currencies. */
export type ReconcileContext = Pick<CaseRun, 'p' | 'caseId' | 'reg'>;

/** The case's reconciliation now, in `phase`, from every service's records. */
export async function reconcileCase(ctx: ReconcileContext, phase: ReconciliationPhase): Promise<Reconciliation> {
  const { p } = ctx;
  const { ledger, statement, declarations, treasury, deskTrades } = await readStatements(ctx);
  return reconcile(
    {
      stablecoin: ctx.reg.disposal.stablecoin,
      fiat: ctx.reg.disposal.fiat,
      ledger,
      statement,
      declarations,
      treasury,
      // A case that booked its leftovers is reconciled from the services' lines alone (residuals, returns).
      leftovers: p.residualsBooked ? [] : p.leftovers,
      explained: p.explainedDifferences,
      ...(deskTrades.length > 0 ? { deskTrades } : {}),
    },
    phase,
  );
}

/**
 * Every service's records of the case: in one activity (issue 18: one activity task instead of four or
 * more, each reconciliation); cases that reconciled before the change read them one by one, as they did.
 */
async function readStatements(ctx: ReconcileContext) {
  const { p, caseId } = ctx;
  const deskRfqIds = (p.deskSettlements ?? []).map((d) => d.rfqId);
  if (patched('reconcile-one-read')) {
    // A manifest case's ledger has a line per lot: read folded, with the manifest reads' time limit.
    return await (p.manifest ? longReads : calls).readCaseStatements({
      caseId,
      ...(p.manifest ? { foldLedger: true } : {}),
      ...(deskRfqIds.length > 0 ? { deskRfqIds } : {}),
    });
  }
  const [ledger, statement, declarations, treasury, deskTrades] = await Promise.all([
    // A manifest case has a ledger line per lot: read folded (only cases with a manifest, so no old history reaches it).
    p.manifest ? manifestCalls.getFoldedCustodyLedger(caseId) : calls.getCustodyLedger(caseId),
    calls.getExchangeStatement(caseId),
    calls.listDeclarations(caseId),
    calls.getTreasuryStatement(caseId),
    // A case that sold to desks: each trade as the exchange service booked its settlement (only such cases ask).
    Promise.all(deskRfqIds.map((rfqId) => calls.getDeskSettlement(rfqId))),
  ]);
  return { ledger, statement, declarations, treasury, deskTrades };
}

/** One line per difference, for the supervisor's question and the case's reasons. */
function itemised(r: Reconciliation): string {
  return r.differences.map((d) => `${d.check}: ${d.difference}`).join('; ');
}

/**
 * Before any money leaves the special account: the case must reconcile, or a supervisor explains each
 * difference (RECONCILIATION, approve with a reason: the differences approved are exactly those asked
 * about) or holds it. Throws CaseStop HELD on a hold, a rejection or no decision in time.
 */
export async function gatePayout(ctx: CaseRun): Promise<void> {
  const { p } = ctx;
  p.reconciliationBeforePayout = await reconcileCase(ctx, 'before-payout');
  if (p.reconciliationBeforePayout.ok) return;
  const asked = p.reconciliationBeforePayout.differences;
  p.reconciliationAsked = asked;
  const d = await ctx.awaitDecision(
    'RECONCILIATION',
    `a supervisor to explain or hold the differences found before the pay-out: ${itemised(p.reconciliationBeforePayout)}`,
  );
  p.reconciliationAsked = undefined;
  if (!d || d.outcome === 'REJECT') {
    throw new CaseStop(
      'HELD',
      `${d ? `held by ${d.decidedBy} at reconciliation: ${d.reason ?? ''}` : `no reconciliation decision within ${ctx.deadlineWords('RECONCILIATION')}`}; unexplained before the pay-out: ${itemised(p.reconciliationBeforePayout)}; the CNY stay in the special account`,
    );
  }
  for (const a of d.differences ?? asked)
    p.explainedDifferences.push({
      check: a.check,
      difference: a.difference,
      decidedBy: d.decidedBy,
      reason: d.reason ?? '',
      decidedAt: d.decidedAt,
    });
  // Reconciled again with the explained lines: every difference must be one the supervisor saw.
  p.reconciliationBeforePayout = await reconcileCase(ctx, 'before-payout');
  if (!p.reconciliationBeforePayout.ok)
    throw new CaseStop(
      'HELD',
      `the records moved while the differences were decided; still unexplained: ${itemised(p.reconciliationBeforePayout)}`,
    );
}

/**
 * RECONCILIATION, the closing one after the pay-out (again, on a RESUME of a hold it made): every unit from
 * custody to the treasury, from each service's own records; the differences a supervisor explained before
 * the pay-out are their own lines here too. A difference holds the case.
 */
export async function runReconciliation(run: CaseRun): Promise<void> {
  const { p } = run;
  run.enter('RECONCILIATION', 'checking conservation across custody, venue, FX and treasury');
  p.reconciliation = await reconcileCase(run, 'closing');
  if (!p.reconciliation.ok) {
    const failed = p.reconciliation.checks.filter((c) => !c.pass);
    throw new CaseStop(
      'HELD',
      `reconciliation failed: ${failed.map((c) => `${c.name} (${c.left.amount} vs ${c.right.amount})`).join('; ')}`,
    );
  }
}
