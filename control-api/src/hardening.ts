/**
 * What the control API adds for being the one door people use: security headers on every answer
 * (it serves JSON only: nothing may be framed, sniffed, cached or loaded from it) and a rate limit
 * per client address, so a flood of guesses or of refused attempts cannot drown the service or the
 * audit chain. Request bodies are capped at 1 MB by the shared app shell, which also refuses bodies
 * that are not JSON (415), nest too deep or carry control characters (400): those refusals are
 * recorded here (`recordShellRefusals`), since they happen before any route's guard.
 */
import { timingSafeEqual } from 'node:crypto';
import { type AuditChain, Problem } from '@vcdc/shared';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Authenticator } from './auth';

export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    'strict-transport-security': 'max-age=31536000; includeSubDomains',
    'cross-origin-resource-policy': 'same-site',
  });
  next();
};

/**
 * A fixed window per client address: at most `perMinute` requests in each minute. In memory (one
 * control API process); behind several instances, the load balancer's limit is the outer one.
 * `check` counts a request and gives the 429 when it is over the limit: the middleware uses it, and
 * so does `recordShellRefusals` for requests the shell refused before the middleware ran.
 */
export function rateLimit(
  perMinute: number,
  now: () => number = Date.now,
): RequestHandler & { check: (req: Request, res: Response) => Problem | undefined } {
  const windows = new Map<string, { start: number; count: number }>();
  const check = (req: Request, res: Response): Problem | undefined => {
    const t = now();
    const key = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    let w = windows.get(key);
    if (!w || t - w.start >= 60_000) {
      if (windows.size > 10_000) windows.clear(); // bounded memory under a spray of addresses
      w = { start: t, count: 0 };
      windows.set(key, w);
    }
    w.count++;
    if (w.count <= perMinute) return undefined;
    const retryAfter = Math.ceil((w.start + 60_000 - t) / 1000);
    res.set('retry-after', String(retryAfter));
    return new Problem(
      429,
      'rate-limited',
      'Too many requests',
      `at most ${perMinute} requests a minute; retry in ${retryAfter}s`,
    );
  };
  const middleware: RequestHandler = (req, res, next) => next(check(req, res));
  return Object.assign(middleware, { check });
}

/**
 * Records in the audit chain the refusals the shared shell made before any route ran (415 wrong
 * content type, 400 body checks): who sent it, as far as a valid token tells, else `anonymous`.
 * Mounted right after the rate limit, so it sees only those (never the 429s, which would flood the
 * chain; refused bodies count against the same limit); every later refusal is recorded by the route.
 */
export function recordShellRefusals(
  audit: Pick<AuditChain, 'append'>,
  authenticator: Authenticator,
  limit?: (req: Request, res: Response) => Problem | undefined,
): ErrorRequestHandler {
  return async (error, req, res, next) => {
    if (error instanceof Problem && (error.status === 400 || error.status === 415)) {
      // The shell refused it before the rate limit ran: count it here, so a flood of bad bodies is 429 too.
      securityHeaders(req, res, () => undefined);
      const limited = limit?.(req, res);
      if (limited) return next(limited);
      const actor = await authenticator.authenticate(req.get('authorization')).then(
        (identity) => identity.id,
        () => 'anonymous',
      );
      await audit.append({
        kind: 'request.refused',
        actor,
        data: {
          method: req.method,
          path: (req.originalUrl.split('?')[0] ?? '').slice(0, 500),
          status: error.status,
          refusal: error.type,
          detail: (error.detail ?? error.title).slice(0, 1000),
        },
      });
    }
    next(error);
  };
}

/**
 * The dev Web UI's way to decode without a login: its codec endpoint is `<control API>/codec/<secret>`,
 * so it posts to /codec/<secret>/decode. With the right secret (compared in constant time) the request
 * goes on as /codec/decode, marked `res.locals.codecUi` (the decode guard lets it through); a wrong
 * secret, or encode by that path, is 401 and recorded. The secret is the dev stack's, kept under
 * `.data/` readable by its user only; anyone who can open the dev UI can decode, as the UI can.
 */
export function codecUiSecretPath(secret: string, audit: Pick<AuditChain, 'append'>): RequestHandler {
  const expected = Buffer.from(secret);
  return async (req, res, next) => {
    const match = /^\/codec\/([^/]+)\/(decode|encode)$/.exec(req.path);
    if (!match) return next();
    const given = Buffer.from(match[1] ?? '');
    const known = given.length === expected.length && timingSafeEqual(given, expected);
    if (!known || match[2] !== 'decode') {
      if (req.method !== 'OPTIONS') {
        await audit.append({
          kind: 'access.refused',
          actor: 'anonymous',
          data: {
            endpoint: `POST /codec/${match[2]}`,
            status: 401,
            reason: known ? 'codec-ui-encode' : 'codec-ui-secret',
          },
        });
      }
      return next(
        new Problem(
          401,
          'unauthenticated',
          'Not authenticated',
          known ? 'the Web UI may only decode' : 'an Authorization: Bearer <token> header is required',
          { reason: known ? 'codec-ui-encode' : 'no-token' },
        ),
      );
    }
    res.locals.codecUi = true;
    const query = req.url.indexOf('?');
    req.url = `/codec/decode${query >= 0 ? req.url.slice(query) : ''}`;
    next();
  };
}
