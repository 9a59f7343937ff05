/**
 * OpenTelemetry traces, one setup for every process: a tracer provider with the W3C trace context
 * and baggage propagators and the AsyncLocalStorage context, registered once per process. Spans go
 * out over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set (the exporter reads the standard OTEL_*
 * variables) and nowhere otherwise: they are still made, so trace ids join log lines across
 * processes, but nothing touches the network (tests pass an in-memory exporter).
 *
 * The case a piece of work belongs to travels as W3C baggage (`vcdc.case_id`), set where it is known
 * (the case's activities, a request whose body names it) and read by every log line (logger.ts).
 */
import { type Context, context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NoopSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { RequestHandler } from 'express';
import { routeTemplate } from './metrics';
import { tracer } from './spans';

export { SpanKind } from '@opentelemetry/api';
// A client's spans need only the API (spans.ts), not this module's SDK: re-exported for every other caller.
export { injectTraceHeaders, inSpan, tracer } from './spans';

export interface Tracing {
  /** Where this process's spans go (the worker hands it to the workflow sandbox's span sink). */
  spanProcessor: SpanProcessor;
  resource: Resource;
  /**
   * Exports what is buffered (at a process's close). The provider stays: it is the process's, and a
   * server started again in the same process (tests, the e2e stack) keeps tracing.
   */
  flush: () => Promise<void>;
  /**
   * Whether spans go anywhere (an exporter given, or OTEL_EXPORTER_OTLP_*ENDPOINT set). When not, a
   * process may skip making them (the worker: workerTelemetry); the context and the case id still travel.
   */
  exporting: boolean;
}

let started: Tracing | undefined;

/**
 * Registers this process's tracer provider (once: a second call answers the first's). `exporter`
 * replaces the environment's choice (tests: InMemorySpanExporter, exported span by span).
 */
export function startTracing(
  serviceName: string,
  options: { exporter?: SpanExporter; env?: NodeJS.ProcessEnv } = {},
): Tracing {
  if (started) return started;
  const env = options.env ?? process.env;
  const resource = new Resource({ 'service.name': env.OTEL_SERVICE_NAME ?? serviceName });
  const spanProcessor: SpanProcessor = options.exporter
    ? new SimpleSpanProcessor(options.exporter)
    : env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
      ? new BatchSpanProcessor(new OTLPTraceExporter())
      : new NoopSpanProcessor();
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register({
    propagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  });
  const exporting = !(spanProcessor instanceof NoopSpanProcessor);
  started = { spanProcessor, resource, flush: () => provider.forceFlush(), exporting };
  return started;
}

const CASE_BAGGAGE = 'vcdc.case_id';

/** `ctx` (default: the active context) carrying `caseId` as baggage, so calls made in it pass it on. */
export function contextWithCaseId(caseId: string, ctx: Context = context.active()): Context {
  const bag = propagation.getBaggage(ctx) ?? propagation.createBaggage();
  return propagation.setBaggage(ctx, bag.setEntry(CASE_BAGGAGE, { value: caseId }));
}

/** Runs `work` in the active context with `caseId` as its case (contextWithCaseId). */
export function withCaseId<T>(caseId: string, work: () => T): T {
  return context.with(contextWithCaseId(caseId), work);
}

/** The case the active context works for, if known. */
export function activeCaseId(): string | undefined {
  return propagation.getBaggage(context.active())?.getEntry(CASE_BAGGAGE)?.value;
}

/** What every log line carries of the active context: trace and span ids, the case id (logger.ts mixin). */
export function traceLogFields(): Record<string, string> {
  const fields: Record<string, string> = {};
  const span = trace.getSpan(context.active())?.spanContext();
  if (span && trace.isSpanContextValid(span)) {
    fields.trace_id = span.traceId;
    fields.span_id = span.spanId;
  }
  const caseId = activeCaseId();
  if (caseId) fields.case_id = caseId;
  return fields;
}

const TRACE_CONTEXT = Symbol('vcdc.trace.context');
type Traced = { [TRACE_CONTEXT]?: Context };

/**
 * A server span for every request, a child of the caller's (traceparent), named by route template
 * once routed. First in the chain; `reenterRequestTrace` after body parsing restores the context
 * (a body arrives on stream events, outside it).
 */
export function httpTracing(service: string): RequestHandler {
  return (req, res, next) => {
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer().startSpan(
      `${req.method}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'vcdc.service': service } },
      parent,
    );
    const ctx = trace.setSpan(parent, span);
    (req as Traced)[TRACE_CONTEXT] = ctx;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const route = routeTemplate(req);
      span.updateName(`${req.method} ${route}`);
      span.setAttribute('http.route', route);
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    };
    res.on('finish', end);
    res.on('close', end);
    context.with(ctx, next);
  };
}

/** Back into the request's trace context after the body was read; a body naming a case adds it as baggage. */
export const reenterRequestTrace: RequestHandler = (req, _res, next) => {
  let ctx = (req as Traced)[TRACE_CONTEXT];
  if (!ctx) return next();
  const caseId = (req.body as { caseId?: unknown } | undefined)?.caseId;
  if (typeof caseId === 'string' && caseId.length <= 64 && !propagation.getBaggage(ctx)?.getEntry(CASE_BAGGAGE)) {
    ctx = contextWithCaseId(caseId, ctx);
    trace.getSpan(ctx)?.setAttribute('vcdc.case_id', caseId);
  }
  context.with(ctx, next);
};
