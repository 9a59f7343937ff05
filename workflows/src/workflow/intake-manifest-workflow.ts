/**
 * The intake of a part of a large case's lot manifest (lot-manifest.ts), as a child workflow of the
 * case: it takes a range of pages, records each page's intakes by one activity (activities/manifest-activities.ts)
 * and keeps only a summary — per asset what was declared and received, the count of discrepancies and
 * the first few of them. ATTESTED lots a page hands back are waited for here, as intake-workflow.ts
 * waits for them.
 *
 * Before a page whose events could take its history past HISTORY_LIMIT (10,000), the part continues as
 * new with its summary so far: a part's history stays bounded whatever its number of pages.
 */
import { continueAsNew, proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { custody } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import type { CaseActivities } from '../activities/types';
import type { Lot } from './case-input';
import { ATTESTED_AT_ONCE, attestationWait, DISCREPANCIES_KEPT_PER_PART, MANIFEST_PAGES } from './case-policy';
import { intakeOfAttested } from './intake-workflow';
import { type AssetIntakeTotal, addIntake, type LotManifestRef, type ManifestActivities } from './lot-manifest';

/** Temporal's own advice for a history: continue as new before it passes this many events. */
export const HISTORY_LIMIT = 10_000;
/**
 * The most events one page can add: an ATTESTED lot is an activity (3 events) and a workflow task
 * (3) of its own; a page of CHAIN lots adds about 6 in all.
 */
const WORST_EVENTS_PER_LOT = 6;

const pages = proxyActivities<ManifestActivities>(MANIFEST_PAGES);
const attestations = proxyActivities<CaseActivities>(attestationWait('10s'));

export interface ManifestPartSummary {
  part: number;
  lots: number;
  discrepancies: number;
  /** The first DISCREPANCIES_KEPT_PER_PART of them. */
  discrepancyIntakes: custody.Intake[];
  totals: AssetIntakeTotal[];
  /** Runs of this part (1 + its continues-as-new). */
  runs: number;
}

export interface ManifestPartInput {
  caseWorkflowId: string;
  caseId: string;
  manifestId: string;
  part: number;
  /** Pages [firstPage, endPage) of `pageSize` lots. */
  firstPage: number;
  endPage: number;
  pageSize: number;
  /** For tests: a lower limit than HISTORY_LIMIT, to see the part continue as new. */
  historyLimit?: number;
  /** Carried over a continue-as-new: the next page and the summary so far. */
  nextPage?: number;
  carried?: ManifestPartSummary;
}

export async function intakeManifestWorkflow(input: ManifestPartInput): Promise<ManifestPartSummary> {
  const { caseId, part, endPage, pageSize } = input;
  const limit = input.historyLimit ?? HISTORY_LIMIT;
  const summary: ManifestPartSummary = input.carried
    ? { ...input.carried, runs: input.carried.runs + 1 }
    : { part, lots: 0, discrepancies: 0, discrepancyIntakes: [], totals: [], runs: 1 };
  const keep = (intakes: custody.Intake[]) => {
    summary.discrepancies += intakes.length;
    const room = DISCREPANCIES_KEPT_PER_PART - summary.discrepancyIntakes.length;
    if (room > 0) summary.discrepancyIntakes.push(...intakes.slice(0, room));
  };
  for (let page = input.nextPage ?? input.firstPage; page < endPage; page++) {
    if (workflowInfo().historyLength + WORST_EVENTS_PER_LOT * pageSize + 10 > limit) {
      await continueAsNew<typeof intakeManifestWorkflow>({ ...input, nextPage: page, carried: summary });
    }
    const done = await pages.recordManifestPage({
      caseWorkflowId: input.caseWorkflowId,
      caseId,
      manifestId: input.manifestId,
      page,
      pageSize,
    });
    for (const t of done.totals) mergeTotal(summary.totals, t);
    summary.lots += done.lots;
    keep(done.discrepancies);
    const attested = await awaitAttested(caseId, done.attested);
    for (const intake of attested) addIntake(summary.totals, intake);
    keep(attested.filter((i) => i.status === 'DISCREPANCY'));
    setCurrentDetails(
      `${caseId}: manifest intake part ${part}, page ${page + 1} of ${endPage} (${summary.lots} lots, ${summary.discrepancies} discrepancies)`,
    );
  }
  return summary;
}

function mergeTotal(into: AssetIntakeTotal[], t: AssetIntakeTotal): void {
  const found = into.find((x) => x.asset === t.asset);
  if (!found) {
    into.push({ ...t });
    return;
  }
  found.lots += t.lots;
  found.declared = new Decimal(found.declared).plus(t.declared).toFixed();
  found.received = new Decimal(found.received).plus(t.received).toFixed();
}

async function awaitAttested(caseId: string, lots: Lot[]): Promise<custody.Intake[]> {
  const out: custody.Intake[] = new Array(lots.length);
  let next = 0;
  const worker = async () => {
    while (next < lots.length) {
      const i = next++;
      const lot = lots[i] as Lot;
      out[i] = intakeOfAttested(lot, await attestations.awaitAttestedIntake({ caseId, lotId: lot.lotId }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(ATTESTED_AT_ONCE, lots.length) }, worker));
  return out;
}

/**
 * The parts' totals added up per asset, and what does not reconcile with the sealed manifest: every
 * lot counted once, each asset's declared total equal to the manifest's to the last decimal.
 */
export function reconcileManifestIntake(
  manifest: LotManifestRef,
  parts: readonly ManifestPartSummary[],
): { totals: AssetIntakeTotal[]; differences: string[] } {
  const totals: AssetIntakeTotal[] = [];
  for (const part of parts) for (const t of part.totals) mergeTotal(totals, t);
  const differences: string[] = [];
  const lots = parts.reduce((n, part) => n + part.lots, 0);
  if (lots !== manifest.lots) differences.push(`${lots} lots taken in, the manifest has ${manifest.lots}`);
  for (const m of manifest.totals) {
    const t = totals.find((x) => x.asset === m.asset);
    if (!t || t.lots !== m.lots || !new Decimal(t.declared).eq(m.declared)) {
      differences.push(
        `${m.asset}: ${t?.lots ?? 0} lots declaring ${t?.declared ?? '0'}, the manifest ${m.lots} declaring ${m.declared}`,
      );
    }
  }
  for (const t of totals) {
    if (!manifest.totals.some((m) => m.asset === t.asset)) differences.push(`${t.asset}: not in the manifest`);
  }
  totals.sort((a, b) => a.asset.localeCompare(b.asset));
  return { totals, differences };
}
