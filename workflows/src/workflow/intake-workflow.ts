/**
 * Intake of a batch of a case's seized lots, as a child workflow of the case: a case may hold
 * thousands of lots, and one activity per lot in the case's own history would pass Temporal's
 * limits. Each batch records its lots' intakes with custody a few at a time and returns them; the
 * case keeps only the batch results (see case-intake.ts, `recordIntakes`).
 *
 * Every intake's Idempotency-Key is the case's own (`case-<id>/intake/<lotId>`), the same as when a
 * case records its lots itself: a batch retried or re-run finds the intakes already recorded.
 *
 * An ATTESTED lot (a chain custody does not watch, e.g. bitcoin) is not recorded by the case: two
 * custodians attest its sweep at custody, and the batch waits (read only, for days if need be) until
 * custody has both attestations, then takes the intake custody recorded, or a DISCREPANCY.
 */
import { patched, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { custody } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import type { CaseActivities } from '../activities/types';
import { confirmations } from './case-calls';
import type { Lot } from './case-input';
import { attestationWait, INTAKES_AT_ONCE } from './case-policy';
import { stepKey } from './keys';

/** Custody answers "not yet" until two custodians have attested a lot, which may take days (case-policy.ts). */
const attestationWaitFrom = (initialInterval: '1s' | '10s') =>
  proxyActivities<CaseActivities>(attestationWait(initialInterval));
const attestationsFrom10s = attestationWaitFrom('10s');
const attestationsFrom1s = attestationWaitFrom('1s');

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
      intakes[i] =
        lot.verification === 'ATTESTED'
          ? intakeOfAttested(
              lot,
              await (patched('attestation-polls-from-1s')
                ? attestationsFrom1s
                : attestationsFrom10s
              ).awaitAttestedIntake({
                caseId,
                lotId: lot.lotId,
              }),
            )
          : await confirmations.recordIntake(
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

/**
 * The intake of an ATTESTED lot as the case takes it (the same shape as a recorded one):
 *  - the two attestations match: the intake custody recorded from them, checked against the case's
 *    own declaration (custodians attest a declared amount too; the case's is the one that counts);
 *  - they disagree: custody credited nothing and recorded no intake, so a DISCREPANCY of the whole
 *    lot (received 0) for a supervisor to rule on; its id names the attestations, not a custody intake,
 *    and there is no difference to classify at custody (no `final`).
 */
export function intakeOfAttested(lot: Lot, attested: custody.AttestedIntake): custody.Intake {
  const recorded = attested.asset === lot.asset ? attested.intake : undefined;
  if (recorded) {
    if (new Decimal(recorded.declaredAmount).eq(lot.declaredAmount)) return recorded;
    const difference = new Decimal(recorded.receivedAmount).minus(lot.declaredAmount);
    return {
      ...recorded,
      declaredAmount: lot.declaredAmount,
      difference: difference.toFixed(),
      status: difference.isZero() ? 'RECEIVED' : 'DISCREPANCY',
    };
  }
  const [first, second] = attested.attestations;
  const txHashes = [...new Set([first?.txHash, second?.txHash].filter((h): h is string => h !== undefined))];
  return {
    intakeId: `attestations/${attested.caseId}/${attested.lotId}`,
    caseId: attested.caseId,
    lotId: lot.lotId,
    asset: lot.asset,
    chain: lot.chain,
    declaredAmount: lot.declaredAmount,
    receivedAmount: '0',
    difference: new Decimal(lot.declaredAmount).negated().toFixed(),
    status: 'DISCREPANCY',
    txHash: txHashes.join(' / '),
    confirmations: 0,
    evidence: { ...lot.evidence, documents: lot.evidence.documents ?? [] },
    verification: 'ATTESTED',
    recordedAt: second?.attestedAt ?? first?.attestedAt ?? '',
  };
}
