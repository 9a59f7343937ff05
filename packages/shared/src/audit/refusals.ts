/**
 * Refusals go into the audit chain: a refused act, a refused transfer, a body naming a person — who
 * tried (the verified act's person, else what the act claimed, else the calling machine), what, and
 * why. Two paths, so that none is lost: a refusal a keyed handler answers is appended on the
 * handler's own transaction (the Idempotency-Key layer rolls the work back to its savepoint and keeps
 * the refusal); a refusal thrown before a transaction exists (validation, a bad act) is appended on a
 * transaction of its own by `recordRefusals`, before the answer goes out.
 */
import type { ErrorRequestHandler, Request, Response } from 'express';
import { CaseId } from '../contracts/common';
import { inTransaction, type Pool, type Queryable } from '../db/pool';
import type { Logger } from '../logger';
import { Problem } from '../problem';
import { type AuditEntry, appendAuditRecord } from './chain';

const RECORDED_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The caller as far as this request tells: a verified act's person, or what an unverified one claimed. */
function refusedBy(res: Response): { actor: string; claimed?: unknown } {
  const act = res.locals.act as { actor?: { id?: string } } | undefined;
  if (act?.actor?.id) return { actor: act.actor.id };
  const claimed = (res.locals.claimedAct as { act?: { actor?: unknown; kind?: unknown; actId?: unknown } } | undefined)
    ?.act;
  return claimed
    ? { actor: 'unverified', claimed: { actor: claimed.actor, kind: claimed.kind, actId: claimed.actId } }
    : { actor: 'machine' };
}

function caseIdOf(req: Request): string | undefined {
  const fromBody = (req.body as { caseId?: unknown } | undefined)?.caseId;
  const fromPath = req.params?.caseId;
  const id = typeof fromBody === 'string' ? fromBody : typeof fromPath === 'string' ? fromPath : undefined;
  return id && CaseId.safeParse(id).success ? id : undefined;
}

export function refusalEntry(req: Request, res: Response, problem: Problem): AuditEntry {
  const who = refusedBy(res);
  const caseId = caseIdOf(req);
  return {
    kind: 'request.refused',
    actor: who.actor,
    ...(caseId ? { caseId } : {}),
    data: {
      method: req.method,
      path: (req.originalUrl.split('?')[0] ?? '').slice(0, 500),
      status: problem.status,
      type: problem.type,
      detail: (problem.detail ?? problem.title).slice(0, 1000),
      ...(who.claimed ? { claimed: who.claimed } : {}),
      ...((res.locals.act as { actId?: string } | undefined)?.actId
        ? { actId: (res.locals.act as { actId: string }).actId }
        : {}),
    },
  };
}

/** For the Idempotency-Key layer: append the refusal on the request's transaction when the service records refusals. */
export async function appendRefusal(tx: Queryable, req: Request, res: Response, problem: Problem): Promise<void> {
  if (res.locals.recordRefusals !== true) return;
  await appendAuditRecord(tx, refusalEntry(req, res, problem));
}

/**
 * Marks every request as one whose refusals are recorded, and records the 4xx refusals of changing
 * requests that no keyed handler recorded (thrown before its transaction) on a transaction of their own.
 */
export function recordRefusals(
  pool: Pool,
  logger: Logger,
): { mark: (req: Request, res: Response, next: () => void) => void; record: ErrorRequestHandler } {
  return {
    mark: (_req, res, next) => {
      res.locals.recordRefusals = true;
      next();
    },
    record: async (error, req, res, next) => {
      if (
        error instanceof Problem &&
        error.status >= 400 &&
        error.status < 500 &&
        error.type !== 'route-not-found' &&
        RECORDED_METHODS.has(req.method)
      ) {
        await inTransaction(pool, (tx) => appendAuditRecord(tx, refusalEntry(req, res, error))).catch((e: unknown) => {
          logger.error({ err: e }, 'could not record the refusal in the audit chain');
        });
      }
      next(error);
    },
  };
}
