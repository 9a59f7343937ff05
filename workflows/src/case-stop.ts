/** How a case ends early: a status and the reason, thrown from any stage and caught at the top of the case workflow. */
import type { CaseStatus } from './case-state';

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
