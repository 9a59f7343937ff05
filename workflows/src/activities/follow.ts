/**
 * The waits' activities (a transfer's confirmations, a bank withdrawal, a venue deposit, a venue return)
 * follow the answer for a few seconds inside one attempt before they say "not yet" (issue 18): a thing
 * that arrives within the window is seen within a second of arriving, not at the workflow's next retry
 * (its first retry is 1-5 s away and the gaps double).
 *
 * Why inside the activity and not a long-poll on the services: a look again is one keep-alive HTTP GET
 * the service answers from its own database (custody's transfer GET also refreshes from the chain, the
 * exchange's withdrawal GET from the venue: a service-side long-poll would have to re-run the same
 * refresh, in four routes and their contracts), while each Temporal retry is an activity task through
 * the server's matching and persistence. Attestations are not followed: a batch waits on ten lots at
 * once, for people, and would hold ten activity slots. With 100 cases waiting at once, looks backing off to one a
 * second are at most 100 small GETs a second; the attempt holds one of the worker's activity slots for
 * at most `forMs`, which a case, waiting, would not use anyway (its waits come one after the other).
 * Only the first attempts follow: what comes in seconds (confirmations, a simulated bank) is seen at
 * once, and a wait of days (a real bank) is back to one look per retry, at the policy's
 * backoff, so it costs the venue and the services no more than before (the exchange's deposit and
 * withdrawal GETs each ask the venue, within its request limit).
 *
 * No heartbeat: the window is far inside the waits' 30 s start-to-close, and a heartbeat is a write to
 * the server's persistence, the cost this saves. A case stopped meanwhile gets its answer dropped.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';

export interface Follow {
  /** How long one attempt keeps looking (0: one look, as before). */
  forMs: number;
  /** The first look again after this long, then each gap doubles to `maxGapMs`. */
  firstGapMs: number;
  maxGapMs: number;
  /** Attempts after this many look once. */
  forAttempts: number;
}

/** One look per attempt: what the activities do unless the worker gives them a window. */
export const ONE_LOOK: Follow = { forMs: 0, firstGapMs: 250, maxGapMs: 1_000, forAttempts: 0 };

/** The worker's: ten seconds of looks from 250 ms, at most a second apart, in each of the first three attempts. */
export const FOLLOW_IN_WORKER: Follow = { forMs: 10_000, firstGapMs: 250, maxGapMs: 1_000, forAttempts: 3 };

export const NOT_YET = 'urn:vcdc:activity:not-yet';

/**
 * The activities (case-activities.ts) that follow the answer with `followTheAnswer`: their time from start to
 * end is waiting for the chain, the venue, the bank or people, not work (bench/lib/histories.ts).
 */
export const FOLLOWING_WAITS = [
  'awaitTransferConfirmed',
  'getVenueDeposit',
  'awaitWithdrawalCompleted',
  'awaitVenueReturnSent',
] as const;

/** This activity's attempt (1 outside an activity: a test calling it directly). */
function attempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

const isNotYet = (error: unknown) => error instanceof ApplicationFailure && error.type === NOT_YET;

/**
 * Looks again while `look` throws not-yet (or its answer is `pending`), for up to `follow.forMs`; then
 * the last not-yet is thrown (the workflow's retry takes over) or the last pending answer returned.
 */
export async function followTheAnswer<T>(
  follow: Follow,
  look: () => Promise<T>,
  pending: (answer: T) => boolean = () => false,
): Promise<T> {
  const until = Date.now() + (attempt() <= follow.forAttempts ? follow.forMs : 0);
  for (let gap = follow.firstGapMs; ; gap = Math.min(gap * 2, follow.maxGapMs)) {
    const last = Date.now() + gap > until;
    try {
      const answer = await look();
      if (last || !pending(answer)) return answer;
    } catch (error) {
      if (last || !isNotYet(error)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, gap));
  }
}
