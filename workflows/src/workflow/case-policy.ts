/**
 * Every policy number of the case process in one place: how long the case waits for the world and for
 * people, how often it looks, how its calls to the services are retried, and the sale's and intake's
 * sizes. The modules that use them (case-calls.ts, case-run.ts, the stage modules, wait-policy.ts,
 * intake-workflow.ts) take them from here. Pure data: no import but types.
 *
 * A number here is part of what a running case does: a changed timeout or retry changes the commands
 * a case issues (activity options are in its history), so a change goes behind `patched()` like any
 * other (workflows/VERSIONING.md), with the old number kept beside the new.
 */
import type { ActivityOptions, LocalActivityOptions, RetryPolicy } from '@temporalio/workflow';
import type { WaitStage } from './decision';
import type { ExecutionParams } from './sale-execution';

/** An hour and a day of workflow time, in ms (a day is 24 hours here, as in wait-policy.ts's "5d"). */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

// ---- Waiting for people: each decision's reminder, escalation and deadline (wait-policy.ts) ----

/** A duration as wait-policy.ts reads it: "30m", "36h", "5d". */
type Duration = `${number}${'m' | 'h' | 'd'}`;

/**
 * The default wait of each decision. A price-band breach waits hours, not days: the market moves and the
 * coins sit at the venue. The FX declaration also runs its own working-day deadline (case-fx.ts). A case
 * may override any stage in its registration (`deadlines.waits`).
 */
export const DEFAULT_WAIT_POLICY: Record<
  WaitStage,
  { remindAfter: Duration; escalateAfter: Duration; deadline: Duration }
> = {
  INTAKE_DISCREPANCY: { remindAfter: '1d', escalateAfter: '3d', deadline: '14d' },
  DISPOSAL_PLAN: { remindAfter: '2d', escalateAfter: '5d', deadline: '30d' },
  SALE_PRICE: { remindAfter: '1h', escalateAfter: '4h', deadline: '2d' },
  FX_DECLARATION: { remindAfter: '3d', escalateAfter: '7d', deadline: '30d' },
  FX_RESUBMISSION: { remindAfter: '2d', escalateAfter: '5d', deadline: '30d' },
  FX_SETTLEMENT: { remindAfter: '2d', escalateAfter: '5d', deadline: '30d' },
  // A trial takes months: the escrow waits up to a year for the judgment.
  JUDGMENT: { remindAfter: '30d', escalateAfter: '90d', deadline: '365d' },
  REMITTANCE: { remindAfter: '2d', escalateAfter: '5d', deadline: '30d' },
  // The money is credited and waits in the special account while a supervisor looks at the differences.
  RECONCILIATION: { remindAfter: '2d', escalateAfter: '5d', deadline: '30d' },
  // A held case waits past this deadline too (it is told, never closed on its own): nothing is resolved by default.
  HOLD_RESOLUTION: { remindAfter: '2d', escalateAfter: '5d', deadline: '30d' },
};

/** A hold is resolved by two supervisors (four eyes); a disposal plan by its quorum (the registration's). */
export const HOLD_RESOLUTION_APPROVALS = 2;
/** The FX declaration is due this many working days after the funds arrive (unless the registration says). */
export const DEFAULT_FX_DECLARATION_WORKING_DAYS = 5;

// ---- Waiting for the world ----

/** How long a deposit may stay unseen or unconfirmed at the venue (a hold for review has its own deadlines). */
export const DEPOSIT_CONFIRMATION_LIMIT_MS = DAY_MS;
/** A deposit the venue holds for review: the supervisors are told after, and the case is held after (defaults). */
export const DEPOSIT_HOLD_ESCALATE_AFTER = '1d';
export const DEPOSIT_HOLD_DEADLINE = '14d';
/** How long an accepted intake difference may wait for its classification and countersignatures. */
export const FINAL_RECEIPT_LIMIT_MS = 14 * DAY_MS;

/**
 * Between two polls of something outside (custody, the venue): from the first pause, doubling up to the
 * longest, so what answers at once is seen at once and a wait of days stays a short history. Cases started
 * before the polls began at 1 s keep 10 s (`polls-from-1s`).
 */
export const FIRST_POLL_MS = 1_000;
export const FIRST_POLL_MS_BEFORE_1S = 10_000;
/** Doublings of the first pause at most (2^11 s is past the longest pause anyway). */
export const POLL_DOUBLINGS = 11;
/** The longest pause between two polls, or before a time something outside named. */
export const LONGEST_PAUSE_MS = 30 * 60_000;
/** Looked at again this long after a whitelist entry's cooling-off ends. */
export const AFTER_COOLING_OFF_MS = 500;
/** A child workflow cancelled from outside (not by the case) is started again this many times at most. */
export const CHILD_STARTS = 5;

// ---- The sale ----

/**
 * How far under its value at the reference a case's sale is assumed to bring, when judging before the
 * sale whether its fiat could leave the venue (fees, the stablecoin under par, the last round through
 * the bid): 2%. A sale that brings less still is caught after it (the WITHDRAWAL stage).
 */
export const SALE_HAIRCUT = '0.02';
/** The engine's slices as a sale plan costs them (the contract takes at most 100). */
export const MOST_SLICES_COSTED = 100;
/** The execution engine's parameters where the disposal plan leaves them unset (sale-execution.ts). */
export const DEFAULT_EXECUTION: ExecutionParams = {
  slices: 6,
  horizonSeconds: 600,
  slicePricing: 'PASSIVE',
  passiveOffsetBp: '0.5',
  checksPerSlice: 4,
  priceOffsetBp: '3',
  bandBp: '300',
  maxRepricings: 3,
};

// ---- Intake ----

/** Lots per batch: a batch's history stays near 400 events. */
export const LOTS_PER_BATCH = 100;
/** Batches a case runs at once, and intakes a batch records at once: custody is not flooded. */
export const BATCHES_AT_ONCE = 4;
export const INTAKES_AT_ONCE = 10;
/** A lot manifest's part records this many ATTESTED lots at once. */
export const ATTESTED_AT_ONCE = 10;
/** Discrepancies a manifest part keeps in its summary (the count is always exact): the case's status stays small. */
export const DISCREPANCIES_KEPT_PER_PART = 125;

// ---- The calls to the services (activity options) ----

/**
 * Plain calls: faults (5xx, no answer) are retried for up to two hours, then the case is held (the
 * service is down: a person looks; the step's key makes a later retry safe). A 4xx refusal arrives
 * non-retryable and stops at once.
 */
export const CALL_RETRY: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' };
export const CALLS: ActivityOptions = { startToCloseTimeout: '30s', scheduleToCloseTimeout: '2h', retry: CALL_RETRY };
/** A lot manifest case's reads (lot-manifest.ts), with the service calls' retries. */
export const MANIFEST_CALLS: ActivityOptions = {
  startToCloseTimeout: '2m',
  scheduleToCloseTimeout: '2h',
  retry: CALL_RETRY,
};
/** Custody answers 409 not-yet until the sweep (or a return) has its confirmations. */
export const CONFIRMATION_WAIT: ActivityOptions = {
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '2m' },
};
/** A manifest part reading its pages: as the confirmation wait, with a heartbeat (a page is long work). */
export const MANIFEST_PAGES: ActivityOptions = { ...CONFIRMATION_WAIT, heartbeatTimeout: '2m' };
/** The sale engine's calls to the venue: no attempt limit (a 5xx or a stale reference is waited out; a 4xx is final). */
export const SALE_ENGINE_CALLS: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
};
/** Waiting for the venue to credit a deposit (chain confirmations on the venue's side) or send a return. */
export const VENUE_WAIT: ActivityOptions = {
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '12h',
  retry: { initialInterval: '10s', backoffCoefficient: 1.5, maximumInterval: '2m' },
};
/**
 * Each service signing its audit chain's head at a stage change: a few tries, never the case's
 * business to wait on (a service that cannot sign now signs on its own timer).
 */
export const AUDIT_CHECKPOINTS: ActivityOptions = {
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '5m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
};
/**
 * Bank withdrawals take days: polls back off from `initialInterval` to 15 minutes (retries add no events to
 * the history). From 1 s, so a bank that answers at once is seen at once; from 30 s in cases started before.
 */
export const withdrawalWait = (initialInterval: '1s' | '30s'): ActivityOptions => ({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '5 days',
  retry: { initialInterval, backoffCoefficient: 2, maximumInterval: '15m' },
});
/**
 * Custody answers "not yet" until two custodians have attested a lot, which may take days: polled with
 * backoff to 30 minutes, for 14 days at most; from 1 s (10 s in batches started before the change).
 */
export const attestationWait = (initialInterval: '1s' | '10s'): ActivityOptions => ({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '14 days',
  retry: { initialInterval, backoffCoefficient: 2, maximumInterval: '30m' },
});
/** The control API's signature on a decision, checked before the decision counts (a few quick tries). */
export const DECISION_CHECKS: ActivityOptions = {
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumAttempts: 5 },
};
/** The same check as a local activity: pure CPU in the worker (a signature), no activity task to wait for. */
export const DECISION_CHECKS_LOCAL: LocalActivityOptions = {
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumAttempts: 5 },
};
/** Telling people never blocks a case for long: a notification that cannot be stored is logged and skipped. */
export const NOTIFICATIONS: ActivityOptions = {
  startToCloseTimeout: '10s',
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m' },
};
