/**
 * `POST /v1/audit/checkpoints`: sign the service's chain head now. The case workflow calls it at each
 * stage change of a case (with the worker's service credential), so every stage a case passes is
 * vouched for by a checkpoint outside the database — in the checkpoint file, and in the case's
 * Temporal history, where the answer lands (issue 12). Idempotent by nature: a head that has not
 * moved since the last checkpoint writes nothing and answers that checkpoint.
 *
 *   body   { caseId?, stage? }   (only for the log: what the checkpoint was asked for)
 *   400    validation           the body is not that: nothing is signed
 *   200    { chain, written, checkpoint?, signed? }
 *   404    checkpoints-off       this service signs no checkpoints (no AUDIT_CHECKPOINT_KEY / _DIR)
 *   409    checkpoint-refused    the chain contradicts its last checkpoint: nothing is signed
 */
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { RouteTable } from '../http/routes';
import type { Logger } from '../logger';
import { PROBLEM_CONTENT_TYPE, Problem, validationProblem } from '../problem';
import { type Checkpointer, CheckpointRefused, SignedCheckpoint } from './checkpoint';

/**
 * The route as a table of its own: the service runner mounts it beside each service's app (so it is in
 * no service's table, nor its /openapi.json), and the case's activity calls it by name (routeClient).
 */
export const AUDIT_CHECKPOINT_ROUTES = {
  checkpointAuditChain: {
    method: 'post',
    path: '/v1/audit/checkpoints',
    summary: "Sign the service's audit chain head now",
    body: z.object({ caseId: z.string().optional(), stage: z.string().optional() }),
    response: z.object({
      chain: z.string(),
      written: z.boolean().optional(),
      checkpoint: z.object({ seq: z.number().int(), hash: z.string(), at: z.string(), keyId: z.string() }).optional(),
      signed: SignedCheckpoint.optional(),
    }),
  },
} as const satisfies RouteTable;

/** The answer for a refusal, in the services' problem+json. */
function refuse(res: Response, req: Request, problem: Problem): void {
  res
    .status(problem.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problem.toBody(req.originalUrl)));
}

export function checkpointRoute(chain: string, checkpointer: Checkpointer | undefined, logger: Logger): Router {
  const router = express.Router();
  router.post(AUDIT_CHECKPOINT_ROUTES.checkpointAuditChain.path, express.json({ limit: '4kb' }), async (req, res) => {
    if (!checkpointer) {
      refuse(
        res,
        req,
        new Problem(
          404,
          'checkpoints-off',
          'No checkpoints',
          `${chain} signs no audit checkpoints (AUDIT_CHECKPOINT_KEY and AUDIT_CHECKPOINT_DIR are not set)`,
        ),
      );
      return;
    }
    // Parsed before anything is signed: a bad body is a 400 naming the field, and no checkpoint. Answered
    // here, not thrown (parseInput): this router sits in front of the app, whose error handler it never reaches.
    const parsed = AUDIT_CHECKPOINT_ROUTES.checkpointAuditChain.body.safeParse(req.body ?? {});
    if (!parsed.success) {
      refuse(res, req, validationProblem(parsed.error));
      return;
    }
    const body = parsed.data;
    try {
      const result = await checkpointer.checkpoint();
      logger.info(
        { chain, caseId: body.caseId, stage: body.stage, seq: result.checkpoint?.seq, written: result.written },
        'audit checkpoint asked for',
      );
      res.json({ chain, ...result });
    } catch (error) {
      if (!(error instanceof CheckpointRefused)) throw error;
      logger.error({ chain, why: error.verification.why }, 'audit checkpoint refused: the chain contradicts it');
      refuse(
        res,
        req,
        new Problem(409, 'checkpoint-refused', 'The chain does not verify', error.verification.why ?? 'broken'),
      );
    }
  });
  return router;
}
