/**
 * What a stage module of the case workflow (case-sale.ts, case-treasury.ts) uses of the workflow
 * itself: the case's record, its step keys, its details line, and its decisions and cancellation.
 */
import type { CaseProgress } from './case-state';
import type { Decision, DecisionStage } from './decision';

export type WaitStage = Exclude<DecisionStage, 'CANCELLATION'>;

export interface CaseStageContext {
  /** The case's record (its status query), updated as the stage goes. */
  p: CaseProgress;
  caseId: string;
  /** The Idempotency-Key of a step: derived from the workflow id, the same on every replay. */
  key: (...step: string[]) => string;
  /** The case's details line (status and Web UI). */
  show: (details: string) => void;
  /** Throws the case's cancellation, if one was accepted: call at step boundaries. */
  checkpoint: () => void;
  /** Wait for a person's decision with the stage's reminders and deadline; undefined: none in time. */
  awaitDecision: (stage: WaitStage, what: string) => Promise<Decision | undefined>;
  /** The stage's decision deadline in words, for reasons. */
  deadlineWords: (stage: WaitStage) => string;
}
