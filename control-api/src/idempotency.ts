/**
 * Idempotency-Key on the control API's decisions, with the shared layer the services use (the store
 * is the `idempotency_keys` table the shared migrations put into the control API's own schema, beside
 * its audit chain). A registration has no key of its own: its case id is its key (app.ts). Two
 * differences from the services:
 *  - the key is optional: without one, a repeat is still safe (a second decision is refused by the
 *    workflow, never applied twice), it only does not get the first answer back. With one, the same key and body replay the stored
 *    answer (header `Idempotent-Replayed: true`); the same key with another body is 409
 *    `idempotency-key-reused`.
 *  - keys are per person: the key space is the token's subject, so one person's key never replays
 *    another person's answer (nor blocks their request).
 * A Location header the handler sets is not stored: a replay answers status and body only. A second
 * request with a key whose first is still running is 409 `idempotency-request-in-progress`: retry it.
 */
import { claimedIdempotent, type HandlerResult, type Pool, parseInput } from '@vcdc/shared';
import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import type { Identity } from './auth';

export type { HandlerResult };

/**
 * A POST route whose answer is kept under the caller's Idempotency-Key. `schemaFor` gives the body's
 * schema for this caller (after the guard authenticated them); no store: the header is ignored.
 */
export function keyedPost<S extends z.ZodType>(
  store: Pool | undefined,
  schemaFor: (res: Response) => S,
  handler: (input: z.infer<S>, req: Request, res: Response) => Promise<HandlerResult>,
): RequestHandler {
  return async (req, res, next) => {
    const schema = schemaFor(res);
    if (!store) {
      const result = await handler(parseInput(schema, req.body ?? {}), req, res);
      res.status(result.status).json(result.body);
      return;
    }
    // The key is claimed, then the handler runs holding no database connection while it waits on
    // Temporal (a paused worker must not starve the pool: issue 14), then its answer is stored.
    await claimedIdempotent(store, schema, (input, r) => handler(input, r, res), {
      key: 'optional',
      scope: (_req, r) => (r.locals.identity as Identity).id,
    })(req, res, next);
  };
}
