/**
 * Every call the control API makes to Temporal is bounded (issue 14). A query or an Update needs a
 * worker to answer; with the workers paused or gone, an unbounded call held the person's request (and,
 * before, a database connection) for as long as the gRPC channel allowed: 30-44 s were seen. A call that
 * does not answer within the bound is 503 `temporal-not-answering` with Retry-After, and the request
 * changed nothing the API knows of: a decision may still reach the case later (its Update was admitted),
 * which is why a keyed decision sends an Update id derived from the person and their Idempotency-Key:
 * the retry attaches to the first Update instead of sending a second one, and answers its outcome.
 */
import { createHash } from 'node:crypto';
import { type Client, isGrpcDeadlineError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { Problem } from '@vcdc/shared';

/** How long a call to Temporal may take before the person is told to retry (ms). */
export const DEFAULT_TEMPORAL_CALL_TIMEOUT_MS = 10_000;

/** Seconds a person (or their client) should wait before retrying a call Temporal did not answer. */
const RETRY_AFTER_SECONDS = 5;

export type BoundedCall = <T>(what: string, call: () => Promise<T>) => Promise<T>;

/** `call` under a deadline of `timeoutMs`; past it, a 503 problem naming what did not answer. */
export function boundedTemporal(client: Client, timeoutMs: number): BoundedCall {
  return async (what, call) => {
    try {
      return await client.withDeadline(Date.now() + timeoutMs, call);
    } catch (error) {
      // An Update reports its deadline as its own error type; every other call as the gRPC status.
      if (!isGrpcDeadlineError(error) && !(error instanceof WorkflowUpdateRPCTimeoutOrCancelledError)) throw error;
      throw new Problem(
        503,
        'temporal-not-answering',
        'Temporal did not answer in time',
        `${what} got no answer within ${timeoutMs} ms (are the workers running?); retry with the same Idempotency-Key`,
        { retryAfterSeconds: RETRY_AFTER_SECONDS },
      );
    }
  };
}

/**
 * The Update id of a decision: the same person with the same Idempotency-Key sends the same Update
 * (Temporal keeps one Update per id in a run), so a retry after a 503 never decides twice. Without a
 * key every request is its own Update, as before (the workflow refuses a decision no longer awaited).
 */
export function decisionUpdateId(person: string, idempotencyKey: string | undefined): string | undefined {
  return idempotencyKey
    ? `decision-${createHash('sha256').update(`${person}\n${idempotencyKey}`).digest('hex').slice(0, 32)}`
    : undefined;
}
