/**
 * What the control API adds for being the one door people use: security headers on every answer
 * (it serves JSON only: nothing may be framed, sniffed, cached or loaded from it) and a rate limit
 * per client address, so a flood of guesses or of refused attempts cannot drown the service or the
 * audit chain. Request bodies are capped at 1 MB by the shared app shell.
 */
import { Problem } from '@vcdc/shared';
import type { RequestHandler } from 'express';

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
 */
export function rateLimit(perMinute: number, now: () => number = Date.now): RequestHandler {
  const windows = new Map<string, { start: number; count: number }>();
  return (req, res, next) => {
    const t = now();
    const key = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    let w = windows.get(key);
    if (!w || t - w.start >= 60_000) {
      if (windows.size > 10_000) windows.clear(); // bounded memory under a spray of addresses
      w = { start: t, count: 0 };
      windows.set(key, w);
    }
    w.count++;
    if (w.count <= perMinute) return next();
    const retryAfter = Math.ceil((w.start + 60_000 - t) / 1000);
    res.set('retry-after', String(retryAfter));
    next(
      new Problem(
        429,
        'rate-limited',
        'Too many requests',
        `at most ${perMinute} requests a minute; retry in ${retryAfter}s`,
      ),
    );
  };
}
