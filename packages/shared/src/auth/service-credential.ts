/**
 * Service-to-service authentication: each service accepts calls only with its own credential, a
 * bearer secret from its environment (SERVICE_TOKEN), compared in constant time. Health probes
 * (/healthz, /readyz) stay open for orchestrators. The worker sends each service's secret
 * (CUSTODY_SERVICE_TOKEN, …); a secret of one service opens no other.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import type { Logger } from '../logger';
import { PROBLEM_CONTENT_TYPE, Problem } from '../problem';

/** At least 32 characters: a generated secret, not a password. */
export const ServiceToken = z.string().min(32, 'must be at least 32 characters (generate one: openssl rand -hex 32)');

/** `SERVICE_TOKEN` from the environment, validated: absent means the service runs without a credential check. */
export function serviceTokenFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return tokenFromEnv('SERVICE_TOKEN', env);
}

function tokenFromEnv(name: 'SERVICE_TOKEN' | 'CONTROL_API_TOKEN', env: NodeJS.ProcessEnv): string | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  const parsed = ServiceToken.safeParse(value);
  if (!parsed.success) throw new Error(`${name} ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** Equal in constant time: both sides are hashed first, so neither length nor content leaks through timing. */
export function secretsEqual(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * The control API's own credential (CONTROL_API_TOKEN), apart from the worker's (SERVICE_TOKEN): it
 * may read (GET: the auditor's views, the whitelist) and call the routes that carry a person's signed
 * act, nothing else. So the machine that signs acts cannot also ask custody to move coins, and the
 * worker that asks for transfers cannot sign the approvals custody wants: moving value takes both.
 */
export function controlApiTokenFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return tokenFromEnv('CONTROL_API_TOKEN', env);
}

/** A second caller with a narrower reach: its secret, and the POST routes it may call (it may always read). */
export interface ScopedCaller {
  name: string;
  token: string;
  /** Paths (no query) of the changing routes this caller may call. */
  routes: readonly RegExp[];
  /** Paths it may read; absent: every read (the control API's). */
  reads?: readonly RegExp[];
}

// /metrics: Prometheus scrapes it without the service's secret; it holds counts and timings only.
const OPEN_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** What is kept of a refused call: never the presented secret, only whether one was presented. */
export interface RefusedCall {
  method: string;
  path: string;
  remote: string | undefined;
  presented: boolean;
}

/**
 * Refused calls are logged and handed to `onRefused` (the service appends them to its audit chain)
 * before the 401 goes out: who tried what, from where, never the presented secret.
 */
export function requireServiceCredential(
  service: string,
  token: string,
  logger?: Logger,
  onRefused?: (call: RefusedCall) => Promise<unknown>,
  scoped?: ScopedCaller | readonly ScopedCaller[],
): RequestHandler {
  const callers: readonly ScopedCaller[] =
    scoped === undefined ? [] : Array.isArray(scoped) ? scoped : [scoped as ScopedCaller];
  return async (req, res, next) => {
    if (OPEN_PATHS.has(req.path)) return next();
    const presented = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1];
    if (presented !== undefined && secretsEqual(presented, token)) return next();
    const caller = presented === undefined ? undefined : callers.find((c) => secretsEqual(presented, c.token));
    if (caller) {
      const readOnly = req.method === 'GET' || req.method === 'HEAD';
      if (readOnly && (caller.reads === undefined || caller.reads.some((r) => r.test(req.path)))) return next();
      if (!readOnly && caller.routes.some((r) => r.test(req.path))) return next();
      const call: RefusedCall = {
        method: req.method,
        path: req.originalUrl.slice(0, 500),
        remote: req.ip,
        presented: true,
      };
      logger?.warn({ ...call, caller: caller.name }, 'call refused: outside the caller credential’s routes');
      if (onRefused) {
        await onRefused({ ...call, caller: caller.name } as RefusedCall).catch((error: unknown) => {
          logger?.error({ err: error }, 'could not record the refused call in the audit chain');
        });
      }
      const problem = new Problem(
        403,
        'caller-not-allowed',
        'Not allowed for this caller',
        caller.reads === undefined
          ? `${caller.name}'s credential may read and carry people's signed acts on ${service}, not call ${req.method} ${req.path}`
          : `${caller.name}'s credential may read only part of ${service}, not call ${req.method} ${req.path}`,
      );
      res.status(403).type(PROBLEM_CONTENT_TYPE).json(problem.toBody(req.originalUrl));
      return;
    }
    const call: RefusedCall = {
      method: req.method,
      path: req.originalUrl.slice(0, 500),
      remote: req.ip,
      presented: presented !== undefined,
    };
    logger?.warn(call, 'call refused: no valid service credential');
    if (onRefused) {
      await onRefused(call).catch((error: unknown) => {
        logger?.error({ err: error }, 'could not record the refused call in the audit chain');
      });
    }
    const problem = new Problem(
      401,
      'service-credential',
      'Service credential required',
      `${service} accepts calls only with its own credential in the Authorization: Bearer header`,
    );
    res.status(401).type(PROBLEM_CONTENT_TYPE).set('www-authenticate', 'Bearer').json(problem.toBody(req.originalUrl));
  };
}
