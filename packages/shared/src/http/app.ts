/**
 * The common shell of every service's express app: JSON body parsing, a request id, one log line per
 * request, `/healthz` and `/readyz`, and the problem+json error handler. The service adds its routes.
 * Building the app does no I/O; `readiness` is only called when `/readyz` is asked.
 */
import { randomUUID } from 'node:crypto';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { AUDIT_ROUTES, auditRoutes } from '../audit/http';
import { recordRefusals } from '../audit/refusals';
import type { Pool } from '../db/pool';
import { assertServiceRole } from '../db/service-role';
import type { Logger } from '../logger';
import { PROBLEM_CONTENT_TYPE, Problem } from '../problem';
import { countAcquireTimeout, httpMetrics, metricsRoute, type Registry } from '../telemetry/metrics';
import { httpTracing, reenterRequestTrace } from '../telemetry/tracing';
import { type ApiRoute, openApiDocument, shellRoutes } from './openapi';
import { bodyProblem } from './validate';

export interface ServiceAppOptions {
  service: string;
  logger: Logger;
  /** Resolves when the service can do its work (database reachable, schema current); throws with the reason otherwise. */
  readiness: () => Promise<void>;
  /** Mounts the service's routes. */
  routes: (app: Express) => void;
  /**
   * The service's audit chain (in the pool's schema): GET /v1/audit/records and /v1/audit/verify are
   * mounted, and with `role`, /readyz also checks the pool works as that role and cannot rewrite the chain.
   */
  audit?: { pool: Pool; role?: string };
  /** Figures of this app besides the process's own (the control API's case gauges), merged into GET /metrics. */
  metrics?: Registry;
  /**
   * The service's route table (its `api.ts`): GET /openapi.json answers the OpenAPI document built
   * from it and the shell's own routes (openapi.ts).
   */
  api?: { title: string; description?: string; routes: readonly ApiRoute[] };
}

/**
 * Throws when every connection of `pool` is taken and callers queue for one: the service cannot do
 * its work now, whatever its liveness says (issue 14: a deadlocked exchange answered /healthz 200 and
 * hung on /readyz).
 */
export function assertPoolNotStarved(pool: Pool): void {
  const max = (pool as Pool & { options: { max?: number } }).options.max ?? 10;
  if (pool.totalCount >= max && pool.idleCount === 0 && pool.waitingCount > 0)
    throw new Error(
      `database pool starved: all ${max} connections busy, ${pool.waitingCount} request(s) waiting for one`,
    );
}

export function createServiceApp({
  service,
  logger,
  readiness,
  routes,
  audit,
  metrics,
  api,
}: ServiceAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(httpMetrics(service));
  // A span per request, a child of the caller's (traceparent): log lines below carry its trace id.
  app.use(httpTracing(service));
  app.use(requestLog(logger));
  app.use(jsonBodiesOnly);
  app.use(express.json({ limit: '1mb', strict: true }));
  app.use(checkedBodies);
  app.use(reenterRequestTrace);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      // A starved pool is not ready, said at once (asking it for a connection would only queue behind it).
      if (audit) assertPoolNotStarved(audit.pool);
      await readiness();
      if (audit?.role) await assertServiceRole(audit.pool, audit.role);
      res.json({ status: 'ready', service });
    } catch (error) {
      throw new Problem(503, 'not-ready', 'Service not ready', error instanceof Error ? error.message : String(error));
    }
  });

  // For Prometheus, open like /healthz (telemetry/metrics.ts: counts and timings, never a case's content).
  app.get('/metrics', metricsRoute(metrics ? [metrics] : []));

  if (api) {
    // Built on the first request, once: building the app stays free of work nobody asked for.
    let document: unknown;
    app.get('/openapi.json', (_req, res) => {
      document ??= openApiDocument({
        ...api,
        routes: [...shellRoutes({ audit: audit ? Object.values(AUDIT_ROUTES) : [] }), ...api.routes],
      });
      res.json(document);
    });
  }
  if (audit) auditRoutes(app, audit.pool);
  // Every refused change is in the audit chain (audit/refusals.ts).
  const refusals = audit ? recordRefusals(audit.pool, logger) : undefined;
  if (refusals) app.use(refusals.mark);
  routes(app);

  app.use((req, _res, next) =>
    next(
      new Problem(404, 'route-not-found', 'No such route', `${req.method} ${req.path} is not a route of ${service}`),
    ),
  );
  if (refusals) app.use(refusals.record);
  app.use(problemHandler(logger, service));
  return app;
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * A POST, PUT or PATCH that carries a body must say it is JSON: anything else is 415 (it would
 * otherwise reach the route as an empty body and be judged on nothing). A request without a body
 * (no Content-Length, or 0, and no Transfer-Encoding) passes: some routes take none.
 */
const jsonBodiesOnly: RequestHandler = (req, _res, next) => {
  if (!BODY_METHODS.has(req.method)) return next();
  const length = req.get('content-length');
  const hasBody = req.get('transfer-encoding') !== undefined || (length !== undefined && length !== '0');
  if (!hasBody || req.is('application/json')) return next();
  const type = req.get('content-type');
  next(
    new Problem(
      415,
      'unsupported-media-type',
      'Unsupported media type',
      `Content-Type: ${type ? type.slice(0, 100) : '(none)'}; ${req.method} bodies must be application/json`,
      { errors: [{ field: 'Content-Type', message: 'must be application/json' }] },
    ),
  );
};

/** Nesting deeper than MAX_JSON_DEPTH and control characters in text are refused before any route (validate.ts). */
const checkedBodies: RequestHandler = (req, _res, next) => {
  const problem = req.body === undefined ? undefined : bodyProblem(req.body);
  next(problem);
};

function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const requestId = req.get('x-request-id') ?? randomUUID();
    res.set('x-request-id', requestId);
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
      logger[level](
        { requestId, method: req.method, path: req.originalUrl, status: res.statusCode, ms: Math.round(ms) },
        'request',
      );
    });
    next();
  };
}

/** node-postgres's refusal when no pooled connection came free within `connectionTimeoutMillis`. */
function isPoolAcquireTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === 'timeout exceeded when trying to connect';
}

export function problemHandler(logger: Logger, service = 'unnamed'): ErrorRequestHandler {
  return (error, req, res, _next) => {
    let problem: Problem;
    if (error instanceof Problem) {
      problem = error;
      // A problem that asks to be retried says when (503 busy, Temporal not answering).
      const retryAfter = problem.extensions.retryAfterSeconds;
      if (typeof retryAfter === 'number') res.setHeader('Retry-After', String(retryAfter));
    } else if (error?.type === 'entity.parse.failed') {
      problem = new Problem(400, 'malformed-json', 'Malformed JSON body', 'the request body is not valid JSON');
    } else if (error?.type === 'entity.too.large') {
      problem = new Problem(413, 'body-too-large', 'Request body too large');
    } else if (error?.type === 'encoding.unsupported' || error?.type === 'charset.unsupported') {
      problem = new Problem(415, 'unsupported-encoding', 'Unsupported body encoding');
    } else if (isPoolAcquireTimeout(error)) {
      // Every connection is busy (db/pool.ts POOL_ACQUIRE_TIMEOUT_MS): nothing was done; come back.
      logger.warn({ path: req.originalUrl }, 'no database connection free in time: answered 503');
      countAcquireTimeout(service);
      res.setHeader('Retry-After', '2');
      problem = new Problem(
        503,
        'busy',
        'Service busy',
        'no database connection was free in time; nothing was done: retry with the same Idempotency-Key',
      );
    } else {
      logger.error({ err: error, path: req.originalUrl }, 'unhandled error');
      problem = new Problem(
        500,
        'internal',
        'Internal error',
        'the request failed; it may be retried with the same Idempotency-Key',
      );
    }
    res
      .status(problem.status)
      .type(PROBLEM_CONTENT_TYPE)
      .send(JSON.stringify(problem.toBody(req.originalUrl)));
  };
}
