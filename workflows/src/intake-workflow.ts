/**
 * Intake of a batch of a case's seized lots, as a child workflow of the case: a case may hold
 * thousands of lots, and one activity per lot in the case's own history would pass Temporal's
 * limits. Each batch records its lots' intakes with custody a few at a time and returns them; the
 * case keeps only the batch results (see case-workflow.ts, `recordIntakes`).
 *
 * Every intake's Idempotency-Key is the case's own (`case-<id>/intake/<lotId>`), the same as when a
 * case records its lots itself: a batch retried or re-run finds the intakes already recorded.
 */
import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { custody } from '@vcdc/shared/contracts';
import type { CaseActivities } from './activities';
import type { Lot } from './case-input';
import { stepKey } from './keys';

/** Lots per batch: a batch's history stays near 400 events. */
export const LOTS_PER_BATCH = 100;
/** Batches a case runs at once, and intakes a batch records at once: custody is not flooded. */
export const BATCHES_AT_ONCE = 4;
const INTAKES_AT_ONCE = 10;

/** Custody answers 409 not-yet until the sweep has its confirmations. */
const confirmations = proxyActivities<CaseActivities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '2m' },
});

export interface IntakeBatchInput {
  /** The case workflow's id: the intakes' keys are the case's. */
  caseWorkflowId: string;
  caseId: string;
  batch: number;
  lots: Lot[];
}

export interface IntakeBatchResult {
  batch: number;
  intakes: custody.Intake[];
}

export async function intakeBatchWorkflow(input: IntakeBatchInput): Promise<IntakeBatchResult> {
  const { caseId, lots } = input;
  const intakes: custody.Intake[] = new Array(lots.length);
  let next = 0;
  let done = 0;
  const record = async (): Promise<void> => {
    while (next < lots.length) {
      const i = next++;
      const lot = lots[i] as Lot;
      intakes[i] = await confirmations.recordIntake(
        {
          caseId,
          lotId: lot.lotId,
          asset: lot.asset,
          chain: lot.chain,
          declaredAmount: lot.declaredAmount,
          txHash: lot.sweepTxHash,
          evidence: lot.evidence,
        },
        stepKey(input.caseWorkflowId, 'intake', lot.lotId),
      );
      done += 1;
      setCurrentDetails(`${caseId}: intake batch ${input.batch}, ${done} of ${lots.length} lots recorded`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(INTAKES_AT_ONCE, lots.length) }, record));
  return { batch: input.batch, intakes };
}
