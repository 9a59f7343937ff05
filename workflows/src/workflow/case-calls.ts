/**
 * The case workflow's calls to the services (activities), by how long each may take: plain calls,
 * waits for chain confirmations, for the venue, for the bank. One module so every stage of the case
 * uses the same policies.
 */
import { patched, proxyActivities } from '@temporalio/workflow';
import type { CaseActivities, SaleActivities } from '../activities/types';
import { AUDIT_CHECKPOINTS, CALLS, CONFIRMATION_WAIT, MANIFEST_CALLS, VENUE_WAIT, withdrawalWait } from './case-policy';
import type { ManifestActivities } from './lot-manifest';

/** Plain calls: faults retried for up to two hours, then the case is held; a 4xx refusal stops at once. */
export const calls = proxyActivities<CaseActivities & Pick<SaleActivities, 'chooseSaleRoute' | 'getReferencePrice'>>(
  CALLS,
);

/**
 * The venue argument of an exchange call: none for the service's default venue, so a case that sells
 * there calls its activities exactly as before sale plans; another venue's id (a plan's leg) otherwise.
 */
export function venueArg(at: string | undefined): [] | [string] {
  return at === undefined ? [] : [at];
}

/** Custody answers 409 not-yet until the sweep (or a return) has its confirmations. */
export const confirmations = proxyActivities<CaseActivities>(CONFIRMATION_WAIT);
/** A lot manifest case's reads (lot-manifest.ts), with the service calls' options. */
export const manifestCalls = proxyActivities<ManifestActivities>(MANIFEST_CALLS);
/** A lot manifest case's reconciliation reads (a ledger line per lot), with the same time limit. */
export const longReads = proxyActivities<Pick<CaseActivities, 'readCaseStatements'>>(MANIFEST_CALLS);
/** Waiting for the venue to credit a deposit (chain confirmations on the venue's side) or send a return. */
export const venueWaits = proxyActivities<CaseActivities>(VENUE_WAIT);
/**
 * Each service signing its audit chain's head at a stage change: a few tries, never the case's
 * business to wait on (a service that cannot sign now signs on its own timer). Activity tasks, not
 * local activities (measured, issue 18): a pending local activity holds the workflow task open, so the
 * stage's next command would wait for four services to sign; as activities they run beside the stage.
 */
export const auditCheckpoints = proxyActivities<CaseActivities>(AUDIT_CHECKPOINTS);
/** Bank withdrawals take days. */
const withdrawalWaitsFrom30s = proxyActivities<CaseActivities>(withdrawalWait('30s'));
/**
 * The same wait, its polls backing off from one second: a bank that answers at once is seen at once, and
 * one that takes days is still asked at most every 15 minutes (retries add no events to the history).
 */
const withdrawalWaitsFrom1s = proxyActivities<CaseActivities>(withdrawalWait('1s'));
/** The withdrawal wait for this case: cases started before the change keep their first poll at 30 s. */
export function withdrawalWaits(): typeof withdrawalWaitsFrom1s {
  return patched('withdrawal-polls-from-1s') ? withdrawalWaitsFrom1s : withdrawalWaitsFrom30s;
}
