/**
 * The case workflow's calls to the services (activities), by how long each may take: plain calls,
 * waits for chain confirmations, for the venue, for the bank. One module so every stage of the case
 * uses the same policies.
 */
import { patched, proxyActivities, type RetryPolicy } from '@temporalio/workflow';
import type { CaseActivities } from './activities';
import { CONFIRMATION_WAIT } from './intake-workflow';
import type { ManifestActivities } from './lot-manifest';
import type { SaleActivities } from './sale-activities';

/**
 * Plain calls: faults (5xx, no answer) are retried for up to two hours, then the case is held (the
 * service is down: a person looks; the step's key makes a later retry safe). A 4xx refusal arrives
 * non-retryable and stops at once.
 */
const CALL_RETRY: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' };
export const calls = proxyActivities<CaseActivities & Pick<SaleActivities, 'chooseSaleRoute' | 'getReferencePrice'>>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '2h',
  retry: CALL_RETRY,
});

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
export const manifestCalls = proxyActivities<ManifestActivities>({
  startToCloseTimeout: '2m',
  scheduleToCloseTimeout: '2h',
  retry: CALL_RETRY,
});
/** Waiting for the venue to credit a deposit (chain confirmations on the venue's side) or send a return. */
export const venueWaits = proxyActivities<CaseActivities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '12h',
  retry: { initialInterval: '10s', backoffCoefficient: 1.5, maximumInterval: '2m' },
});
/**
 * Each service signing its audit chain's head at a stage change: a few tries, never the case's
 * business to wait on (a service that cannot sign now signs on its own timer).
 */
export const auditCheckpoints = proxyActivities<CaseActivities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '5m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
});
/** Bank withdrawals take days. */
const withdrawalWaitsFrom30s = proxyActivities<CaseActivities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '5 days',
  retry: { initialInterval: '30s', backoffCoefficient: 2, maximumInterval: '15m' },
});
/**
 * The same wait, its polls backing off from one second: a bank that answers at once is seen at once, and
 * one that takes days is still asked at most every 15 minutes (retries add no events to the history).
 */
const withdrawalWaitsFrom1s = proxyActivities<CaseActivities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '5 days',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '15m' },
});
/** The withdrawal wait for this case: cases started before the change keep their first poll at 30 s. */
export function withdrawalWaits(): typeof withdrawalWaitsFrom1s {
  return patched('withdrawal-polls-from-1s') ? withdrawalWaitsFrom1s : withdrawalWaitsFrom30s;
}
