/**
 * The Idempotency-Key layer. A mutating route declares its body schema and a handler that does its
 * work on the transaction it is given; the layer
 *  - refuses a request without a key (400) and a malformed body (400, nothing stored: the request
 *    never started, as Stripe does it);
 *  - serialises requests with the same key (a transaction-scoped advisory lock), so a retry that
 *    races the original waits for it instead of doing the work twice;
 *  - answers a repeat of a finished request with the stored response (same status and body, header
 *    `Idempotent-Replayed: true`) and a reuse of the key for another request with 409;
 *  - stores the key in the same transaction as the handler's writes, so a crash leaves neither.
 * A handler's 4xx refusal is stored too (the answer to that request stays the same); a 5xx, an
 * unexpected error or a "not yet" answer (RETRYABLE_PROBLEM_TYPES, e.g. 409 `not-yet`) stores nothing,
 * so the request can be retried with the same key and get a fresh answer.
 *
 * Options (the services use the defaults): `key: 'optional'` lets a request without a key through
 * unprotected (in a transaction, nothing stored) for routes that are safe to repeat without one;
 * `scope` gives each caller their own key space (e.g. the token's subject), so one caller's key
 * never replays, or collides with, another caller's request.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { appendRefusal } from '../audit/refusals';
import { canonicalJson, sha256Hex } from '../canonical';
import { inTransaction, type Pool, type PoolClient, type Queryable } from '../db/pool';
import { Problem, RETRYABLE_PROBLEM_TYPES } from '../problem';
import { withBodySchema } from './openapi';
import { IDEMPOTENCY_HEADER } from './routes';
import { parseInput } from './validate';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface HandlerResult {
  status: number;
  body: unknown;
}

export type IdempotentHandler<T> = (input: T, tx: PoolClient, req: Request) => Promise<HandlerResult>;

export interface IdempotencyOptions {
  /** `required` (default): a request without a key is 400. `optional`: it runs unprotected, nothing stored. */
  key?: 'required' | 'optional';
  /** The caller's key space (e.g. the authenticated subject); default: one key space for every caller. */
  scope?: (req: Request, res: Response) => string;
}

export function idempotent<S extends z.ZodType>(
  pool: Pool,
  schema: S,
  handler: IdempotentHandler<z.infer<S>>,
  options: IdempotencyOptions = {},
): RequestHandler {
  // Marked with its schema: the service's OpenAPI test compares it with the route table's (openapi.ts).
  return withBodySchema(async (req: Request, res: Response, _next: NextFunction) => {
    const key = req.get(IDEMPOTENCY_HEADER);
    if (!key && options.key === 'optional') {
      const input = parseInput(schema, req.body ?? {});
      send(res, await inTransaction(pool, (tx) => handler(input, tx, req)), false);
      return;
    }
    const { input, storedKey, path, requestHash } = keyed(req, res, schema, key, options);

    const client = await pool.connect();
    let result: HandlerResult;
    let replayed = false;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [storedKey]);
      const existing = await client.query<StoredRow>(
        'SELECT request_hash, response_status, response_body, method, path FROM idempotency_keys WHERE key = $1',
        [storedKey],
      );
      const stored = existing.rows[0];
      if (stored) {
        await client.query('COMMIT');
        if (stored.request_hash !== requestHash) throw reused(key as string, stored);
        result = { status: stored.response_status, body: stored.response_body };
        replayed = true;
      } else {
        await client.query('SAVEPOINT handler');
        try {
          result = await handler(input, client, req);
        } catch (error) {
          if (!(error instanceof Problem) || error.status >= 500 || RETRYABLE_PROBLEM_TYPES.has(error.type))
            throw error;
          await client.query('ROLLBACK TO SAVEPOINT handler');
          await appendRefusal(client, req, res, error);
          result = { status: error.status, body: error.toBody(req.originalUrl) };
        }
        await client.query(
          'INSERT INTO idempotency_keys (key, request_hash, method, path, response_status, response_body) VALUES ($1, $2, $3, $4, $5, $6)',
          [storedKey, requestHash, req.method, path, result.status, JSON.stringify(result.body)],
        );
        await client.query('COMMIT');
      }
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    send(res, result, replayed);
  }, schema);
}

/** How long a claim holds its key before a retry may take it over (its holder crashed). */
export const CLAIM_TTL_MS = 120_000;
/** A claimed key's response_status while its request runs (HTTP 102 Processing: never an answer). */
const CLAIMED = 102;

/**
 * The Idempotency-Key layer for handlers that do their work elsewhere (the control API: Temporal, its
 * audit chain on its own pool), holding NO database connection while they run (issue 14: each keyed
 * POST held one of the control API's ten connections while it waited on Temporal, and a paused worker
 * starved them all). The key is claimed in one short transaction (a row whose status is 102), the
 * handler runs with no connection held, and its answer is stored in a second short transaction. A
 * request with the same key while the first runs is 409 `idempotency-request-in-progress` (retryable);
 * a failure that stores nothing (5xx, a "not yet") releases the claim for a retry; a claim whose holder
 * crashed is taken over after CLAIM_TTL_MS. The key options are those of `idempotent`.
 */
/**
 * What a claimed handler is told of its key: `fresh` when the key was never seen before this request,
 * so no earlier request with it can have done any of the work (a retry, or a crashed holder's claim
 * taken over, is not fresh; neither is a request without a key).
 */
export interface KeyClaim {
  fresh: boolean;
  /**
   * Stores the request's answer on `tx`, the handler's own last transaction, so the answer commits with
   * the work it reports (issue 19: a transaction of its own after the work's, for every order); then
   * that stored answer is what is sent, whatever the handler returns. Before anything else that
   * transaction does under a lock another request may wait on (the audit chain's). Unused: the layer
   * stores the handler's answer afterwards, as before. Without a key it stores nothing.
   */
  answer(tx: Queryable, result: HandlerResult): Promise<void>;
}

export function claimedIdempotent<S extends z.ZodType>(
  pool: Pool,
  schema: S,
  handler: (input: z.infer<S>, req: Request, claim: KeyClaim) => Promise<HandlerResult>,
  options: IdempotencyOptions = {},
): RequestHandler {
  // Marked with its schema: the service's OpenAPI test compares it with the route table's (openapi.ts).
  return withBodySchema(async (req: Request, res: Response, _next: NextFunction) => {
    const key = req.get(IDEMPOTENCY_HEADER);
    if (!key && options.key === 'optional') {
      send(
        res,
        await handler(parseInput(schema, req.body ?? {}), req, { fresh: false, answer: async () => {} }),
        false,
      );
      return;
    }
    const { input, storedKey, path, requestHash } = keyed(req, res, schema, key, options);
    // A key never seen is claimed in one statement (issue 19: look-up, lock and insert took five round
    // trips for every order); the key's primary key settles two first requests racing. Only a key already
    // stored (a repeat, a request in progress, a crashed holder's claim) takes the locked path.
    const fresh = await pool.query(
      `INSERT INTO idempotency_keys (key, request_hash, method, path, response_status, response_body)
       VALUES ($1, $2, $3, $4, ${CLAIMED}, 'null'::jsonb) ON CONFLICT (key) DO NOTHING`,
      [storedKey, requestHash, req.method, path],
    );
    const claim = fresh.rowCount
      ? { replay: undefined }
      : await claimStoredKey(pool, key as string, storedKey, requestHash, req.method, path);
    if (claim.replay) {
      send(res, claim.replay, true);
      return;
    }
    let result: HandlerResult;
    /** The answer the handler stored on its own transaction (claim.answer), once that committed. */
    let answered: HandlerResult | undefined;
    const answer = async (tx: Queryable, stored: HandlerResult) => {
      await storeAnswer(tx, storedKey, stored);
      answered = stored;
    };
    try {
      result = await handler(input, req, { fresh: (fresh.rowCount ?? 0) > 0, answer });
    } catch (error) {
      if (!(error instanceof Problem) || error.status >= 500 || RETRYABLE_PROBLEM_TYPES.has(error.type)) {
        // Nothing to keep: the claim is released so a retry with the key runs afresh.
        await pool
          .query(
            `UPDATE idempotency_keys SET created_at = '-infinity' WHERE key = $1 AND response_status = ${CLAIMED}`,
            [storedKey],
          )
          .catch(() => undefined);
        throw error;
      }
      await appendRefusal(pool, req, res, error);
      result = { status: error.status, body: error.toBody(req.originalUrl) };
      answered = undefined; // stored by a transaction that did not commit, if at all
    }
    if (answered) result = answered;
    else await storeAnswer(pool, storedKey, result);
    send(res, result, false);
  }, schema);
}

/** The claimed key's answer, in place of its claim. */
async function storeAnswer(db: Queryable, storedKey: string, result: HandlerResult): Promise<void> {
  await db.query(
    `UPDATE idempotency_keys SET response_status = $2, response_body = $3 WHERE key = $1 AND response_status = ${CLAIMED}`,
    [storedKey, result.status, JSON.stringify(result.body)],
  );
}

/**
 * The claim of a key already stored, under the key's lock: its stored answer to replay, a 409 while its
 * first request runs, or the claim of a holder that crashed (older than CLAIM_TTL_MS) taken over.
 */
function claimStoredKey(
  pool: Pool,
  key: string,
  storedKey: string,
  requestHash: string,
  method: string,
  path: string,
): Promise<{ replay: HandlerResult | undefined }> {
  return inTransaction(pool, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [storedKey]);
    const { rows } = await tx.query<StoredRow & { stale: boolean }>(
      `SELECT request_hash, response_status, response_body, method, path,
              created_at < now() - make_interval(secs => $2::double precision / 1000) AS stale
         FROM idempotency_keys WHERE key = $1`,
      [storedKey, CLAIM_TTL_MS],
    );
    const stored = rows[0];
    if (stored && stored.request_hash !== requestHash) throw reused(key as string, stored);
    if (stored && stored.response_status !== CLAIMED)
      return { replay: { status: stored.response_status, body: stored.response_body } };
    if (stored && !stored.stale)
      throw new Problem(
        409,
        'idempotency-request-in-progress',
        'A request with this Idempotency-Key is in progress',
        `the first request with key ${key} has not finished: retry with the same key to get its answer`,
      );
    if (stored) await tx.query('UPDATE idempotency_keys SET created_at = now() WHERE key = $1', [storedKey]);
    else
      await tx.query(
        `INSERT INTO idempotency_keys (key, request_hash, method, path, response_status, response_body)
         VALUES ($1, $2, $3, $4, ${CLAIMED}, 'null'::jsonb)`,
        [storedKey, requestHash, method, path],
      );
    return { replay: undefined };
  });
}

interface StoredRow {
  request_hash: string;
  response_status: number;
  response_body: unknown;
  method: string;
  path: string;
}

function reused(key: string, stored: Pick<StoredRow, 'method' | 'path'>): Problem {
  return new Problem(
    409,
    'idempotency-key-reused',
    'Idempotency-Key already used for another request',
    `key ${key} was first used for ${stored.method} ${stored.path} with a different body`,
  );
}

/** The checked key, the parsed body, the key as stored (scoped) and what identifies the request. */
function keyed<S extends z.ZodType>(
  req: Request,
  res: Response,
  schema: S,
  key: string | undefined,
  options: IdempotencyOptions,
): { input: z.infer<S>; storedKey: string; path: string; requestHash: string } {
  if (!key) {
    throw new Problem(
      400,
      'idempotency-key-missing',
      'Idempotency-Key header required',
      `${req.method} ${req.path} changes state and must carry an ${IDEMPOTENCY_HEADER} header`,
    );
  }
  if (!KEY_PATTERN.test(key)) {
    throw new Problem(
      400,
      'validation',
      'Invalid Idempotency-Key',
      `${IDEMPOTENCY_HEADER} must be 1-255 visible ASCII characters`,
      {
        errors: [{ field: IDEMPOTENCY_HEADER, message: 'must be 1-255 visible ASCII characters' }],
      },
    );
  }
  const input = parseInput(schema, req.body ?? {});
  // Scoped keys are stored as `<scope, URI-encoded> <key>`: a key has no space, an encoded scope neither.
  const storedKey = options.scope ? `${encodeURIComponent(options.scope(req, res))} ${key}` : key;
  const path = req.originalUrl.split('?')[0] ?? req.originalUrl;
  const requestHash = sha256Hex(canonicalJson({ method: req.method, path, body: req.body ?? {} }));
  return { input, storedKey, path, requestHash };
}

function send(res: Response, result: HandlerResult, replayed: boolean): void {
  if (replayed) res.set('Idempotent-Replayed', 'true');
  const body = result.body as { type?: unknown } | null;
  if (result.status >= 400 && body && typeof body === 'object' && typeof body.type === 'string') {
    res.type('application/problem+json');
  }
  res.status(result.status).json(result.body);
}
