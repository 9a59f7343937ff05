/**
 * The case's INTAKE stage: a custody account per asset, every lot's intake recorded (in batches, or a
 * lot manifest's parts, as child workflows), and a difference between what was declared and what custody
 * received ruled on by a supervisor (INTAKE_DISCREPANCY) and made final at custody before any coin moves.
 */
import { executeChild } from '@temporalio/workflow';
import type { custody } from '@vcdc/shared/contracts';
import { calls } from './case-calls';
import type { Lot } from './case-input';
import { BATCHES_AT_ONCE, FINAL_RECEIPT_LIMIT_MS, LOTS_PER_BATCH } from './case-policy';
import type { CaseRun } from './case-run';
import { CaseStop } from './case-stop';
import { CHAIN_OF_ASSET } from './frozen/contracts';
import { intakeManifestWorkflow, reconcileManifestIntake } from './intake-manifest-workflow';
import { intakeBatchWorkflow } from './intake-workflow';
import { assetsOf, type LotManifestRef, MANIFEST_PAGE_SIZE, pageCount } from './lot-manifest';

/** Intake; a case resumed at INTAKE asks again about the intakes it recorded (a later resumption, nothing). */
export async function runIntake(run: CaseRun): Promise<void> {
  const { p, reg, caseId, key, resume } = run;
  if (!resume) {
    const assets = assetsOf(reg);
    run.enter('INTAKE', `opening custody accounts for ${assets.join(', ')}`);
    for (const asset of assets) {
      p.accounts.push(
        await calls.openCustodyAccount({ caseId, asset, chain: CHAIN_OF_ASSET[asset] }, key('account', asset)),
      );
    }
    await (reg.manifest ? recordManifestIntakes(run, reg.manifest) : recordIntakes(run));
  }
  const discrepancies = p.intakes.filter((i) => i.status === 'DISCREPANCY');
  if (discrepancies.length > 0 && (!resume || resume.from === 'INTAKE')) {
    const listed = discrepancies
      .slice(0, 5)
      .map((i) => `lot ${i.lotId} declared ${i.declaredAmount} ${i.asset}, received ${i.receivedAmount}`);
    const found = [...listed, ...(discrepancies.length > 5 ? [`${discrepancies.length - 5} more lots`] : [])].join(
      '; ',
    );
    const ruling = await run.awaitDecision(
      'INTAKE_DISCREPANCY',
      `a supervisor to accept the received amounts or hold the case (${found})`,
    );
    if (!ruling || ruling.outcome === 'REJECT') {
      throw new CaseStop(
        'HELD',
        `intake discrepancy: ${found}; ${ruling ? `held by ${ruling.decidedBy}: ${ruling.reason ?? ''}` : `no ruling within ${run.deadlineWords('INTAKE_DISCREPANCY')}`}; the coins stay in custody`,
      );
    }
    run.show(`${ruling.decidedBy} accepted the received amounts (${found})`);
    await awaitFinalReceipts(run, discrepancies);
  }
}

/**
 * Every lot's intake, in batches run as child workflows a few at a time (intake-workflow.ts), so a
 * case of thousands of lots keeps every history short. The status keeps each intake while the
 * case is small, and only the discrepancies (with counts) when it is large.
 */
async function recordIntakes(run: CaseRun): Promise<void> {
  const { p, reg, caseId, workflowId } = run;
  const batches: Lot[][] = [];
  for (let i = 0; i < reg.lots.length; i += LOTS_PER_BATCH) batches.push(reg.lots.slice(i, i + LOTS_PER_BATCH));
  const progress = {
    lots: reg.lots.length,
    recorded: 0,
    discrepancies: 0,
    batches: batches.length,
    batchesDone: 0,
  };
  p.intakeProgress = progress;
  const results: custody.Intake[][] = new Array(batches.length);
  let next = 0;
  const runBatches = async (): Promise<void> => {
    while (next < batches.length) {
      const b = next++;
      const lots = batches[b] as Lot[];
      run.checkpoint();
      const batch = b + 1;
      const childId = `${workflowId}/intake/${batch}`;
      const done = await run.interruptible(() =>
        run.againIfCancelledFromOutside(childId, () =>
          executeChild(intakeBatchWorkflow, {
            workflowId: childId,
            args: [{ caseWorkflowId: workflowId, caseId, batch, lots }],
            staticSummary: `${caseId}: intake of lots ${lots[0]?.lotId} to ${lots[lots.length - 1]?.lotId} (batch ${batch} of ${batches.length})`,
          }),
        ),
      );
      results[b] = done.intakes;
      progress.batchesDone += 1;
      progress.recorded += done.intakes.length;
      progress.discrepancies += done.intakes.filter((i) => i.status === 'DISCREPANCY').length;
      run.show(
        `intake: ${progress.recorded} of ${progress.lots} lots recorded (${progress.discrepancies} with a discrepancy)`,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(BATCHES_AT_ONCE, batches.length) }, runBatches));
  const intakes = results.flat();
  p.intakes = reg.lots.length <= LOTS_PER_BATCH ? intakes : intakes.filter((i) => i.status === 'DISCREPANCY');
}

/**
 * A case registered by a lot manifest (lot-manifest.ts): its pages split into a few parts, each a
 * child workflow reading its pages by an activity and continuing as new before its history grows
 * long (intake-manifest-workflow.ts). The case keeps the parts' summaries only — a few events per
 * part in its history whatever the number of lots — and holds unless they reconcile exactly with
 * the sealed manifest: every lot, and each asset's declared total to the last decimal.
 */
async function recordManifestIntakes(run: CaseRun, manifest: LotManifestRef): Promise<void> {
  const { p, caseId, workflowId } = run;
  const pages = pageCount(manifest.lots);
  const parts = Math.min(BATCHES_AT_ONCE, pages);
  const progress = { lots: manifest.lots, recorded: 0, discrepancies: 0, batches: parts, batchesDone: 0 };
  p.intakeProgress = progress;
  const summaries = await Promise.all(
    Array.from({ length: parts }, async (_, i) => {
      const part = i + 1;
      const firstPage = Math.floor((pages * i) / parts);
      const endPage = Math.floor((pages * (i + 1)) / parts);
      const childId = `${workflowId}/intake-manifest/${part}`;
      run.checkpoint();
      const done = await run.interruptible(() =>
        run.againIfCancelledFromOutside(childId, () =>
          executeChild(intakeManifestWorkflow, {
            workflowId: childId,
            args: [
              {
                caseWorkflowId: workflowId,
                caseId,
                manifestId: manifest.manifestId,
                part,
                firstPage,
                endPage,
                pageSize: MANIFEST_PAGE_SIZE,
              },
            ],
            staticSummary: `${caseId}: intake of manifest pages ${firstPage + 1} to ${endPage} (part ${part} of ${parts})`,
          }),
        ),
      );
      progress.batchesDone += 1;
      progress.recorded += done.lots;
      progress.discrepancies += done.discrepancies;
      run.show(
        `intake: ${progress.recorded} of ${progress.lots} lots recorded (${progress.discrepancies} with a discrepancy)`,
      );
      return done;
    }),
  );
  const { totals, differences } = reconcileManifestIntake(manifest, summaries);
  p.manifest = { ...manifest, intake: totals };
  if (differences.length > 0) {
    throw new CaseStop(
      'HELD',
      `the intake does not reconcile with lot manifest ${manifest.manifestId}: ${differences.join('; ')}; the coins stay in custody`,
    );
  }
  p.intakes = summaries.flatMap((s) => s.discrepancyIntakes);
  if (progress.discrepancies > p.intakes.length) {
    // One ruling must see every lot it accepts, and the status must stay small: so many are for custody first.
    throw new CaseStop(
      'HELD',
      `intake: ${progress.discrepancies} lots of the manifest differ from their declaration, more than one ruling lists (${p.intakes.length}); the coins stay in custody`,
    );
  }
}

/**
 * A difference at intake is classified (e.g. the sweep's network fee) and countersigned at custody
 * by the handing-over officer and the custodian; only then is the receipt final and the coins may
 * move. Waited for durably, one intake at a time, polling back off to 30 minutes; held after 14 days.
 */
async function awaitFinalReceipts(run: CaseRun, intakes: custody.Intake[]): Promise<void> {
  const { p } = run;
  const started = Date.now();
  const open = intakes.filter((i) => i.final === false);
  for (const [n, intake] of open.entries()) {
    run.show(
      `waiting for custody to classify and countersign the difference of lot ${intake.lotId} (${n + 1} of ${open.length}) before the receipt is final`,
    );
    for (let poll = 0; ; poll++) {
      const now = await run.interruptible(() => calls.getIntake(intake.intakeId));
      const at = p.intakes.findIndex((i) => i.intakeId === now.intakeId);
      if (at >= 0) p.intakes[at] = now;
      if (now.final) break;
      if (Date.now() - started >= FINAL_RECEIPT_LIMIT_MS) {
        throw new CaseStop(
          'HELD',
          `the difference of lot ${intake.lotId} was not classified and countersigned within 14 days; the coins stay in custody`,
        );
      }
      await run.pauseBeforePoll(poll);
    }
  }
}
