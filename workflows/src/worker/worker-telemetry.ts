/**
 * What the worker process tells an operator: the Temporal SDK's own metrics (schedule-to-start
 * latency of workflow and activity tasks, task failures, the sticky cache, pollers), which Core
 * serves on a loopback port of its own, and this process's figures (memory, event loop, the pools of
 * the outbox and the audit chain). GET /metrics on the worker's health port answers both in one
 * scrape, so every process of the stack has one /metrics.
 */
import { createServer, type Server } from 'node:http';
import { Runtime, type Worker } from '@temporalio/worker';
import { collectProcessMetrics, type Logger, metricsText } from '@vcdc/shared';

/**
 * Installs the SDK's runtime with its Prometheus exporter on `bindAddress` (host:port). Must run
 * before the first connection to Temporal: the runtime is made once per process.
 */
export function installWorkerRuntime(options: { metricsBindAddress?: string; logger?: Logger }): void {
  Runtime.install({
    ...(options.logger ? { logger: sdkLogger(options.logger) } : {}),
    ...(options.metricsBindAddress
      ? {
          telemetryOptions: {
            metrics: {
              // temporal_* names; durations in seconds, like every other histogram on the stack's dashboard.
              prometheus: { bindAddress: options.metricsBindAddress, useSecondsForDurations: true },
            },
          },
        }
      : {}),
  });
  collectProcessMetrics();
}

/**
 * The SDK's scrape and this process's registry, as one text. An SDK that does not answer (or exports
 * none: no `sdkMetricsUrl`) is said, not hidden.
 */
export async function workerMetricsText(sdkMetricsUrl: string | undefined): Promise<string> {
  const own = await metricsText();
  let sdk = '';
  if (sdkMetricsUrl) {
    try {
      const res = await fetch(sdkMetricsUrl, { signal: AbortSignal.timeout(2_000) });
      sdk = res.ok ? await res.text() : '';
    } catch {
      sdk = '';
    }
  }
  const up = sdk ? 1 : 0;
  return `${sdk.trimEnd()}\n# HELP vcdc_worker_sdk_metrics_up Whether the SDK's metrics answered this scrape\n# TYPE vcdc_worker_sdk_metrics_up gauge\nvcdc_worker_sdk_metrics_up ${up}\n${own.body}`;
}

/**
 * The worker's HTTP port: GET /healthz (200 while it polls its task queue, 503 otherwise) and
 * GET /metrics (workerMetricsText).
 */
export function workerHttpServer(worker: Pick<Worker, 'getState'>, sdkMetricsUrl: string | undefined): Server {
  return createServer((req, res) => {
    if (req.url === '/metrics') {
      workerMetricsText(sdkMetricsUrl).then(
        (text) => {
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
          res.end(text);
        },
        (error: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(error));
        },
      );
      return;
    }
    const state = worker.getState();
    const ok = req.url === '/healthz' && state === 'RUNNING';
    res.writeHead(req.url === '/healthz' ? (ok ? 200 : 503) : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ service: 'worker', state }));
  });
}

/** The SDK's log lines through the process's pino logger (one format, with timestamps, on stdout). */
function sdkLogger(logger: Logger) {
  const at =
    (level: 'trace' | 'debug' | 'info' | 'warn' | 'error') => (message: string, meta?: Record<string, unknown>) =>
      logger[level]({ ...meta, source: 'temporal-sdk' }, message);
  return {
    log: (level: string, message: string, meta?: Record<string, unknown>) => {
      const l = level.toLowerCase();
      const known = ['trace', 'debug', 'info', 'warn', 'error'] as const;
      at((known as readonly string[]).includes(l) ? (l as (typeof known)[number]) : 'info')(message, meta);
    },
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
}
