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
import { inTransaction, type Pool, type PoolClient } from '../db/pool';
import { Problem, RETRYABLE_PROBLEM_TYPES } from '../problem';
import { parseInput } from './validate';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
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
  return async (req: Request, res: Response, _next: NextFunction) => {
    const key = req.get(IDEMPOTENCY_HEADER);
    if (!key && options.key === 'optional') {
      const input = parseInput(schema, req.body ?? {});
      send(res, await inTransaction(pool, (tx) => handler(input, tx, req)), false);
      return;
    }
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

    const client = await pool.connect();
    let result: HandlerResult;
    let replayed = false;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [storedKey]);
      const existing = await client.query<{
        request_hash: string;
        response_status: number;
        response_body: unknown;
        method: string;
        path: string;
      }>('SELECT request_hash, response_status, response_body, method, path FROM idempotency_keys WHERE key = $1', [
        storedKey,
      ]);
      const stored = existing.rows[0];
      if (stored) {
        await client.query('COMMIT');
        if (stored.request_hash !== requestHash) {
          throw new Problem(
            409,
            'idempotency-key-reused',
            'Idempotency-Key already used for another request',
            `key ${key} was first used for ${stored.method} ${stored.path} with a different body`,
          );
        }
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
  };
}

function send(res: Response, result: HandlerResult, replayed: boolean): void {
  if (replayed) res.set('Idempotent-Replayed', 'true');
  const body = result.body as { type?: unknown } | null;
  if (result.status >= 400 && body && typeof body === 'object' && typeof body.type === 'string') {
    res.type('application/problem+json');
  }
  res.status(result.status).json(result.body);
}
