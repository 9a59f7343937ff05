/**
 * A POST that carries out one person's forwarded act (a correction requested or approved, a follow-up
 * remittance, a recovery): the body may name no person, the act is verified over exactly this request
 * (http.ts `requireAct`), the body is parsed under the Idempotency-Key, the act is recorded once-only on
 * the handler's transaction, the handler is given it (its person and id), and what the handler answers
 * is appended to the audit chain on that same transaction. One place for what each such route did by hand.
 */
import type { Request, RequestHandler } from 'express';
import type { z } from 'zod';
import { type AuditEntry, audited } from '../audit';
import type { Pool, PoolClient } from '../db/pool';
import { idempotent } from '../http/idempotency';
import { recordSignedAct } from './acts-store';
import { actOf, actProblem, noNamedPerson, type RequireActOptions, requireAct, signedActOf } from './http';
import type { Act } from './signed-act';

export interface ActRouteOptions extends RequireActOptions {
  /** The body fields that would name a person (default: http.ts's PERSON_FIELDS). */
  namedFields?: readonly string[];
}

/** The handlers of the route (201 with the handler's answer); `describe` gives its audit records. */
export function actRoute<S extends z.ZodType, B>(
  pool: Pool,
  options: ActRouteOptions,
  schema: S,
  handler: (input: z.infer<S>, tx: PoolClient, act: Act, req: Request) => Promise<B>,
  describe: (input: z.infer<S>, body: B) => AuditEntry | AuditEntry[] | undefined,
): RequestHandler[] {
  const { namedFields, ...act } = options;
  return [
    noNamedPerson(namedFields),
    requireAct(act),
    idempotent(
      pool,
      schema,
      audited(async (input: z.infer<S>, tx, req) => {
        if (!req.res) throw new Error('request without its response');
        await recordSignedAct(tx, signedActOf(req.res));
        return { status: 201, body: await handler(input, tx, actOf(req.res), req) };
      }, describe),
    ),
  ];
}

/** An act on a record of a case must name that case when it names one (403 `act-object`). */
export function assertActOnCase(act: Act, caseId: string): void {
  if (act.object.caseId !== undefined && act.object.caseId !== caseId) {
    throw actProblem({ code: 'act-object', message: `the act is for case ${act.object.caseId}, not ${caseId}` });
  }
}
