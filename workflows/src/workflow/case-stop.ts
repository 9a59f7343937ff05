/** How a case ends early: a status and the reason, thrown from any stage and caught at the top of the case workflow. */
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, TimeoutFailure } from '@temporalio/workflow';
import type { CaseStage, CaseStatus } from './case-state';

export type StopStatus = Extract<CaseStatus, 'HELD' | 'REJECTED' | 'CANCELLED' | 'FAILED'>;

/** Ends the case early with a status and reason (caught at the top of the workflow, never escapes it). */
export class CaseStop extends Error {
  constructor(
    readonly status: StopStatus,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'CaseStop';
  }
}

/** Turn what ended the case into a status and a reason that says where it stopped and why. */
export function asCaseStop(error: unknown, stage: CaseStage): CaseStop {
  if (error instanceof CaseStop) return error;
  if (error instanceof ActivityFailure) {
    const cause = error.cause;
    // Out of time (its schedule-to-close limit, retrying a fault or a "not yet"): the world may still
    // move (a late deposit); a person looks, and the step's key makes a retry safe.
    if (error.retryState === 'TIMEOUT' || cause instanceof TimeoutFailure) {
      const last = cause instanceof TimeoutFailure ? cause.timeoutType : `last answer: ${cause?.message ?? 'none'}`;
      return new CaseStop('HELD', `${stage}: ${error.activityType} did not finish in time (${last})`);
    }
    if (cause instanceof ApplicationFailure) {
      return new CaseStop(
        'FAILED',
        `${stage}: ${error.activityType} failed: ${cause.message} [${cause.type ?? 'error'}]`,
      );
    }
    return new CaseStop('FAILED', `${stage}: ${error.activityType} failed: ${cause?.message ?? error.message}`);
  }
  if (error instanceof ChildWorkflowFailure) {
    // A child (an intake batch, a sale round) that ended on an activity's failure: judged like that failure.
    if (error.cause instanceof ActivityFailure) return asCaseStop(error.cause, stage);
    return new CaseStop('FAILED', `${stage}: ${error.workflowType} failed: ${error.cause?.message ?? error.message}`);
  }
  // Anything else is a bug in this workflow: let Temporal fail the task so it is fixed and replayed.
  throw error;
}
