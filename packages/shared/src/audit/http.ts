/**
 * The audit chain over HTTP, the same in every service:
 *
 *   GET /v1/audit/records?caseId=&afterSeq=&limit=&view=all|acts|rows   -> { records: AuditRecord[] }
 *   GET /v1/audit/verify                             -> ChainVerification (ok, or the first broken record and
 *                                                       why; the latest signed checkpoint it was checked against)
 *
 * and `audited`, which makes an Idempotency-Key handler append the record of what it did on its own
 * transaction, after its work: the movement and its record commit together or not at all (a refusal
 * rolls both back; a replayed answer appends nothing, the handler does not run again).
 */
import type { Express, Request } from 'express';
import { z } from 'zod';
import { CaseId } from '../contracts/common';
import type { Pool, PoolClient } from '../db/pool';
import type { HandlerResult, IdempotentHandler } from '../http/idempotency';
import type { RouteTable } from '../http/routes';
import { parseInput } from '../http/validate';
import { AuditChain, type AuditChainOptions, type AuditEntry, appendAuditRecord } from './chain';

export const AuditRecordsQuery = z.object({
  caseId: CaseId.optional(),
  afterSeq: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** `acts`: what people, services and workflows did; `rows`: the database's images of money rows; `all`. */
  view: z.enum(['all', 'acts', 'rows']).default('all'),
});

/**
 * The two routes as a table (every service's app mounts them, http/app.ts, and documents them with its
 * shell's): the control API verifies each service's chain by calling `verifyAuditChain` by name.
 */
export const AUDIT_ROUTES = {
  listAuditRecords: {
    method: 'get',
    path: '/v1/audit/records',
    summary: 'The audit chain’s records',
    query: AuditRecordsQuery,
  },
  verifyAuditChain: {
    method: 'get',
    path: '/v1/audit/verify',
    summary: 'Verify the audit chain against its signed checkpoints',
  },
} as const satisfies RouteTable;

/** `options`: the signed checkpoints GET /v1/audit/verify checks against (default: from the environment, see AuditChain). */
export function auditRoutes(app: Express, pool: Pool, options: AuditChainOptions = {}): void {
  const chain = new AuditChain(pool, options);
  app.get(AUDIT_ROUTES.listAuditRecords.path, async (req, res) => {
    res.json({ records: await chain.list(parseInput(AuditRecordsQuery, req.query, 'query')) });
  });
  app.get(AUDIT_ROUTES.verifyAuditChain.path, async (_req, res) => {
    res.json(await chain.verify());
  });
}

/**
 * `handler`, appending `describe(input, body)` to the audit chain on the handler's transaction when it
 * succeeds (2xx). `describe` may answer several records, or none (nothing of value moved).
 */
export function audited<T, B>(
  handler: (input: T, tx: PoolClient, req: Request) => Promise<{ status: number; body: B }>,
  describe: (input: T, body: B) => AuditEntry | AuditEntry[] | undefined,
): IdempotentHandler<T> {
  return async (input, tx, req): Promise<HandlerResult> => {
    const result = await handler(input, tx, req);
    if (result.status >= 200 && result.status < 300) {
      for (const entry of [describe(input, result.body) ?? []].flat()) await appendAuditRecord(tx, entry);
    }
    return result;
  };
}
