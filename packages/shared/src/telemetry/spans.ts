/**
 * A span around a piece of work and the trace headers of an outgoing request: what a client needs of
 * tracing, on the OpenTelemetry API alone (no-ops until a process starts tracing, tracing.ts). Kept
 * apart from tracing.ts, whose SDK and exporter a command-line client has no use for.
 */
import { context, propagation, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';

export function tracer(): Tracer {
  return trace.getTracer('vcdc');
}

/**
 * Runs `work` in a span of its own (a child of the active one). A throw marks the span failed unless
 * `failed` says it is an answer, not a failure (a service's 4xx).
 */
export async function inSpan<T>(
  name: string,
  attributes: Record<string, string | number>,
  work: (span: Span) => Promise<T>,
  options: { kind?: SpanKind; failed?: (error: unknown) => boolean } = {},
): Promise<T> {
  const { kind = SpanKind.INTERNAL, failed = () => true } = options;
  return tracer().startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (failed(error)) {
        span.recordException(error instanceof Error ? error : message);
        span.setStatus({ code: SpanStatusCode.ERROR, message });
      }
      throw error;
    } finally {
      span.end();
    }
  });
}

/** W3C traceparent (and baggage) of the active context, for an outgoing request's headers. */
export function injectTraceHeaders(headers: Record<string, string>): Record<string, string> {
  propagation.inject(context.active(), headers);
  return headers;
}
