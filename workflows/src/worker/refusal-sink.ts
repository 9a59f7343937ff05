/**
 * The worker's side of the `refusals` sink (side-door.ts): every message a case refused — a
 * signal or Update that was too large, undecodable, of an unknown name or refused by the rules, an
 * Update its validator rejected (which leaves nothing in Temporal's history), a cancellation request
 * sent to Temporal directly — is appended to the control API's audit chain (its own schema, written
 * as `<AUDIT_SCHEMA>_service`), by digest: the message itself is never stored.
 *
 * Sink calls are made only when the workflow code runs live (`callDuringReplay: false`), after the
 * activation; a failed append is logged, never fails the case. A workflow task that is retried may
 * call the sink again for the same refusal: the worker drops a repeat it has already appended.
 */
import type { InjectedSinks } from '@temporalio/worker';
import { type AuditEntry, contracts, type Logger } from '@vcdc/shared';
import type { RefusalRecord, RefusalSinks } from '../workflow/side-door';

/** The kind of the audit records: a message sent to Temporal directly that the case refused or did not obey. */
export const REFUSAL_RECORD_KIND = 'temporal.message-refused';

/** The audit record for one refusal: the sender is unknown to Temporal, so the actor is `unverified` (with whom a decision claimed) or `anonymous`. */
export function refusalAuditEntry(r: RefusalRecord): AuditEntry {
  const data: Record<string, unknown> = {
    via: r.via,
    name: r.name,
    reason: r.reason,
    workflowId: r.workflowId,
    runId: r.runId,
    at: r.at,
  };
  for (const key of ['sha256', 'size', 'code', 'detail', 'updateId', 'claimedBy'] as const) {
    if (r[key] !== undefined) data[key] = r[key];
  }
  return {
    kind: REFUSAL_RECORD_KIND,
    actor: r.claimedBy ? 'unverified' : 'anonymous',
    ...(r.caseId && contracts.common.CaseId.safeParse(r.caseId).success ? { caseId: r.caseId } : {}),
    data,
  };
}

export function createRefusalSinks(
  audit: { append(entry: AuditEntry): Promise<unknown> },
  logger?: Pick<Logger, 'error' | 'warn'>,
): InjectedSinks<RefusalSinks> {
  const seen = new Set<string>();
  // The SDK runs one activation's sink calls at once: appended one after the other, in the order made.
  let queue: Promise<unknown> = Promise.resolve();
  const remember = (key: string) => {
    seen.add(key);
    if (seen.size > 10_000) seen.delete(seen.values().next().value as string);
  };
  return {
    refusals: {
      record: {
        fn: async (_info, r) => {
          const key = [r.workflowId, r.runId, r.via, r.name, r.reason, r.at, r.sha256, r.updateId, r.code].join('|');
          if (seen.has(key)) return;
          remember(key);
          const appended = queue.then(() => audit.append(refusalAuditEntry(r)));
          queue = appended.catch(() => undefined);
          try {
            await appended;
          } catch (error) {
            seen.delete(key);
            logger?.error(
              { err: error, workflowId: r.workflowId, reason: r.reason },
              'refusal not appended to the audit chain',
            );
          }
        },
        callDuringReplay: false,
      },
    },
  };
}
