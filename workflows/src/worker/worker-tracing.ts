/**
 * Traces through the worker with the Temporal SDK's OpenTelemetry interceptors: the workflow
 * continues the span its starter sent (the control API's client interceptor), each activity it
 * schedules continues the workflow's, and an activity's calls to the services carry that trace on
 * (ServiceClient injects traceparent). Workflow spans are made inside the sandbox and leave it
 * through the `exporter` sink into this process's span processor. Each activity's context also
 * carries its case id as baggage, so the activity's log lines and the services' spans and lines name it.
 */

import type { Context as ActivityContext } from '@temporalio/activity';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  Next,
  WorkerInterceptors,
} from '@temporalio/worker';
import { type Tracing, withCaseId } from '@vcdc/shared';

/** The sandbox's half: the SDK's workflow interceptors (inbound, outbound, internals), bundled with the workflows. */
const WORKFLOW_INTERCEPTORS = require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

/**
 * The worker's interceptors and sinks for its telemetry: traced (workerTracing) when its spans are
 * exported, else only the case id carried into each activity. Untraced, the SDK's interceptors would
 * make and drop a span around every workflow activation, activity and query: at 10 cases at once a
 * fifth of the workflow thread's CPU (issue 18). Spans of a worker without an exporter went nowhere
 * before either; what it gives up is the trace context it sent the services (their spans, when they
 * export, start their own traces).
 */
export function workerTelemetry(tracing: Pick<Tracing, 'spanProcessor' | 'resource' | 'exporting'> | undefined): {
  interceptors: WorkerInterceptors;
  sinks: Partial<ReturnType<typeof workerTracing>['sinks']>;
} {
  if (tracing?.exporting) return workerTracing(tracing);
  return { interceptors: { activity: [caseBaggage] }, sinks: {} };
}

const caseBaggage = (ctx: ActivityContext) => ({ inbound: new CaseBaggageInterceptor(ctx) });

/** The worker options that trace: interceptors for workflows and activities, and the workflow span sink. */
function workerTracing(tracing: Pick<Tracing, 'spanProcessor' | 'resource'>) {
  const interceptors: WorkerInterceptors = {
    workflowModules: [WORKFLOW_INTERCEPTORS],
    activity: [
      // The SDK's first: its span is the context the case interceptor adds the case id to.
      (ctx) => ({
        inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
        outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
      caseBaggage,
    ],
  };
  return { interceptors, sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) } };
}

/** The case an activity works for: its case workflow's id (`case-<id>`), else the `caseId` of its input. */
export function activityCaseId(workflowId: string | undefined, args: readonly unknown[]): string | undefined {
  if (workflowId?.startsWith('case-')) return workflowId.slice('case-'.length);
  const first = args[0] as { caseId?: unknown } | undefined;
  return typeof first?.caseId === 'string' ? first.caseId : undefined;
}

class CaseBaggageInterceptor implements ActivityInboundCallsInterceptor {
  constructor(private readonly ctx: ActivityContext) {}

  execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const info = this.ctx.info;
    const caseId = activityCaseId(info.workflowExecution?.workflowId, input.args);
    return caseId ? withCaseId(caseId, () => next(input)) : next(input);
  }
}
