/**
 * What every process tells Prometheus about itself, defined once for every service and the control
 * API (they are all built on createServiceApp and createPool): requests by route template, method and
 * status with their latency, and each database pool's connections (busy, idle, callers waiting, the
 * maximum) and its acquire timeouts. The process's own figures (memory, event loop lag, CPU) come
 * with prom-client's default metrics.
 *
 * One registry per process (prom-client's global one): a process runs one service, and where tests
 * run several in one process the `service` label keeps them apart. Figures owned by one app (the
 * control API's case gauges) live in a registry of their own that its /metrics merges in.
 */
import type { RequestHandler } from 'express';
import client, { type Registry } from 'prom-client';
import type { Pool } from '../db/pool';

export { Gauge, Registry } from 'prom-client';

/** The registry every process-wide metric below is in. */
export const processRegistry: Registry = client.register;

let defaultsCollected = false;
/** Memory, CPU, event loop lag and handles of this process (once per process). */
export function collectProcessMetrics(): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  client.collectDefaultMetrics({ register: processRegistry, prefix: 'vcdc_' });
}

// Latency buckets from 5 ms (a read) to 30 s (past every caller's timeout: a deadlock shows here).
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30];

const requests = new client.Counter({
  name: 'vcdc_http_requests_total',
  help: 'HTTP requests answered, by service, method, route template and status',
  labelNames: ['service', 'method', 'route', 'status'] as const,
  registers: [processRegistry],
});

const requestSeconds = new client.Histogram({
  name: 'vcdc_http_request_duration_seconds',
  help: 'Time from a request arriving to its answer being sent, by service, method, route template and status',
  labelNames: ['service', 'method', 'route', 'status'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [processRegistry],
});

const inFlight = new client.Gauge({
  name: 'vcdc_http_requests_in_flight',
  help: 'Requests being worked on now, by service',
  labelNames: ['service'] as const,
  registers: [processRegistry],
});

/** The route template a request matched (`/v1/orders/:orderId`), never its raw path (ids would explode the series). */
export function routeTemplate(req: { baseUrl?: string; route?: { path?: unknown } }): string {
  const path = req.route?.path;
  // No route matched (404, or refused before routing: credential, media type, malformed body).
  if (typeof path !== 'string') return 'unmatched';
  return `${req.baseUrl ?? ''}${path}`;
}

const COUNTED = Symbol('vcdc.http.counted');

/** Counts and times every request of `service`; first in the chain, so refusals before routing count too. */
export function httpMetrics(service: string): RequestHandler {
  return (req, res, next) => {
    // The service runner counts in front of the credential check, the app again inside: once is enough.
    const marked = req as typeof req & { [COUNTED]?: true };
    if (marked[COUNTED]) return next();
    marked[COUNTED] = true;
    const end = requestSeconds.startTimer();
    inFlight.inc({ service });
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      inFlight.dec({ service });
      const labels = { service, method: req.method, route: routeTemplate(req), status: String(res.statusCode) };
      requests.inc(labels);
      end(labels);
    };
    res.on('finish', finish);
    // A caller that gave up before the answer: still counted, with the status the answer would have had.
    res.on('close', finish);
    next();
  };
}

const acquireTimeouts = new client.Counter({
  name: 'vcdc_db_pool_acquire_timeouts_total',
  help: 'Requests refused 503 because no database connection came free in time, by service',
  labelNames: ['service'] as const,
  registers: [processRegistry],
});

/** One request refused for want of a free connection (http/app.ts problemHandler). */
export function countAcquireTimeout(service: string): void {
  acquireTimeouts.inc({ service });
}

/** The pools of this process, each under the name its figures carry. */
const pools = new Map<Pool, string>();

/** Reports `pool` under `name` (its schema by default: createPool does it); a second call renames it. */
export function observePool(pool: Pool, name: string): void {
  pools.set(pool, name);
}

function poolMax(pool: Pool): number {
  return (pool as Pool & { options: { max?: number } }).options.max ?? 10;
}

/** Pools that ended are dropped here, so a closed pool is no series (and is not kept alive by the map). */
function livePools(): Array<[Pool, string]> {
  for (const pool of pools.keys()) if ((pool as Pool & { ended?: boolean }).ended) pools.delete(pool);
  return [...pools];
}

/** Pools sharing a name (several of one schema) are summed: the figure is that name's usage. */
function poolFigures(figure: (pool: Pool) => number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const [pool, name] of livePools()) byName.set(name, (byName.get(name) ?? 0) + figure(pool));
  return byName;
}

new client.Gauge({
  name: 'vcdc_db_pool_connections',
  help: 'Database connections of each pool, by state: busy (lent to a caller) or idle',
  labelNames: ['pool', 'state'] as const,
  registers: [processRegistry],
  collect() {
    this.reset();
    for (const [name, n] of poolFigures((p) => p.totalCount - p.idleCount)) this.set({ pool: name, state: 'busy' }, n);
    for (const [name, n] of poolFigures((p) => p.idleCount)) this.set({ pool: name, state: 'idle' }, n);
  },
});

new client.Gauge({
  name: 'vcdc_db_pool_waiting',
  help: 'Callers queued for a connection of each pool (above 0 for long: the pool is starved)',
  labelNames: ['pool'] as const,
  registers: [processRegistry],
  collect() {
    this.reset();
    for (const [name, n] of poolFigures((p) => p.waitingCount)) this.set({ pool: name }, n);
  },
});

new client.Gauge({
  name: 'vcdc_db_pool_max',
  help: 'The most connections each pool opens',
  labelNames: ['pool'] as const,
  registers: [processRegistry],
  collect() {
    this.reset();
    for (const [name, n] of poolFigures(poolMax)) this.set({ pool: name }, n);
  },
});

/** The text Prometheus scrapes: this process's metrics and those of `extra` registries. */
export async function metricsText(extra: readonly Registry[] = []): Promise<{ contentType: string; body: string }> {
  const registry = extra.length ? client.Registry.merge([processRegistry, ...extra]) : processRegistry;
  return { contentType: registry.contentType, body: await registry.metrics() };
}

/** GET /metrics as an express handler. */
export function metricsRoute(extra: readonly Registry[] = []): RequestHandler {
  return async (_req, res) => {
    const { contentType, body } = await metricsText(extra);
    res.type(contentType).send(body);
  };
}
