/**
 * The worker installs the SDK's OpenTelemetry interceptors only when its spans go somewhere (an
 * exporter): without one they made and dropped a span around every workflow activation, activity and
 * query (a fifth of the workflow thread's CPU in the orchestration benchmark, issue 18). The case id
 * still travels with every activity as baggage, traced or not (its log lines and the services' name it).
 */
import { InMemorySpanExporter, NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ActivityInboundCallsInterceptor } from '@temporalio/worker';
import { activeCaseId, startTracing, type Tracing } from '@vcdc/shared';
import { workerTelemetry } from '../src/worker/worker-tracing';

const tracing = (exporting: boolean): Tracing => ({
  spanProcessor: new NoopSpanProcessor(),
  resource: {} as Tracing['resource'],
  flush: async () => undefined,
  exporting,
});

/** Runs one activity through the activity interceptors, innermost last; what the case id was inside it. */
async function caseIdSeenBy(telemetry: ReturnType<typeof workerTelemetry>): Promise<string | undefined> {
  const ctx = { info: { workflowExecution: { workflowId: 'case-C-42' } } } as never;
  const inbound = (telemetry.interceptors.activity ?? []).map(
    (make) => make(ctx).inbound,
  ) as ActivityInboundCallsInterceptor[];
  const run = inbound.reduceRight<(input: never) => Promise<unknown>>(
    (next, interceptor) => (input) => interceptor.execute?.(input, next as never) ?? next(input),
    async () => activeCaseId(),
  );
  return (await run({ args: [], headers: {} } as never)) as string | undefined;
}

// The process's context manager and propagators, as every VCDC process registers them at start.
beforeAll(() => startTracing('vcdc-test', { exporter: new InMemorySpanExporter() }));

describe('the worker’s telemetry options', () => {
  it('traces workflows and activities when spans are exported', async () => {
    const telemetry = workerTelemetry(tracing(true));
    expect(telemetry.interceptors.workflowModules).toHaveLength(1);
    expect(Object.keys(telemetry.sinks)).toEqual(['exporter']);
    expect(telemetry.interceptors.activity).toHaveLength(2);
    expect(await caseIdSeenBy(telemetry)).toBe('C-42');
  });

  it('makes no spans when none are exported, and still carries the case id to the activity', async () => {
    for (const telemetry of [workerTelemetry(tracing(false)), workerTelemetry(undefined)]) {
      expect(telemetry.interceptors.workflowModules ?? []).toEqual([]);
      expect(telemetry.sinks).toEqual({});
      expect(telemetry.interceptors.activity).toHaveLength(1);
      expect(await caseIdSeenBy(telemetry)).toBe('C-42');
    }
  });
});
