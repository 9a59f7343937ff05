/**
 * One trace from a person's request to the control API, through the case workflow and one of its
 * activities, to the service the activity calls: the SDK's interceptors carry the context through
 * Temporal (client -> workflow -> activity) and ServiceClient's traceparent carries it to the
 * service, whose server span is a child of the activity's call. Spans are kept in memory (no
 * exporter, no network). The service here is a stand-in built on the services' shell that refuses
 * every call 503: the case never gets further, which is all this test needs of it.
 */
import { randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import {
  createLogger,
  createServiceApp,
  listen,
  Problem,
  type RunningServer,
  silentLogger,
  startTracing,
  type Tracing,
} from '@vcdc/shared';
import type { Express } from 'express';
import { createLocalJWKSet } from 'jose';
import request from 'supertest';
import { createControlApi } from '../../control-api/src/app';
import { jwtAuthenticator } from '../../control-api/src/auth';
import { ControlApiConfig, registrationDefaults } from '../../control-api/src/config';
import { CONTROL_API_AUDIENCE, createDevIssuer } from '../../control-api/src/dev-issuer';
import { controlApiClient } from '../../control-api/src/server';
import { startDevServer } from '../../test/support/temporal';
import { createCaseWorker } from '../src/worker/worker';
import { TEST_CONTROL_API_ENV, testAuditChain, testDecisionVerifyKeys } from './audit-support';
import { sampleRegistration } from './fake-services';

const spans = new InMemorySpanExporter();
let tracing: Tracing;
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let service: RunningServer;
let app: Express;
let token: string;
let closePool: () => Promise<void>;
const taskQueue = `tracing-${randomUUID()}`;
/** What the stand-in service logged, as parsed JSON lines. */
const serviceLines: Array<Record<string, unknown>> = [];
let calls = 0;

beforeAll(async () => {
  tracing = startTracing('vcdc-test', { exporter: spans });
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  env = await startDevServer();

  const serviceApp = createServiceApp({
    service: 'custody',
    logger: createLogger('custody', 'info', { write: (line: string) => serviceLines.push(JSON.parse(line)) }),
    readiness: async () => undefined,
    routes: (a) => {
      a.all('/v1/*rest', () => {
        calls++;
        throw new Problem(503, 'busy', 'Service busy', 'a stand-in for this test');
      });
    },
  });
  service = await listen(serviceApp, 0);

  worker = await createCaseWorker({
    connection: env.nativeConnection,
    taskQueue,
    serviceUrls: { custody: service.url, exchange: service.url, fx: service.url, treasury: service.url },
    decisionVerifyKeys: testDecisionVerifyKeys(),
    tracing,
  });
  running = worker.run();

  const issuer = await createDevIssuer();
  token = await issuer.sign({ sub: 'officer.li', roles: ['case-officer'] });
  const chain = await testAuditChain('tracing');
  closePool = () => chain.pool.end();
  app = createControlApi({
    client: controlApiClient(env.connection, env.namespace ?? 'default'),
    taskQueue,
    logger: silentLogger(),
    defaults: registrationDefaults(ControlApiConfig.parse(TEST_CONTROL_API_ENV)),
    authenticator: jwtAuthenticator({
      issuer: issuer.issuer,
      audience: CONTROL_API_AUDIENCE,
      keys: createLocalJWKSet(issuer.jwks),
    }),
    decisionSigningKey: ControlApiConfig.parse(TEST_CONTROL_API_ENV).DECISION_SIGNING_KEY,
    audit: chain.audit,
  });
}, 180_000);

afterAll(async () => {
  if (worker) {
    worker.shutdown();
    await running;
  }
  await service?.close();
  await env?.teardown();
  await closePool?.();
});

const attr = (s: ReadableSpan, key: string) => s.attributes[key];

test('a registration’s trace runs from the control API through the workflow and an activity to the service it calls', async () => {
  const caseId = `TR-${randomUUID().slice(0, 8)}`;
  const res = await request(app)
    .post('/v1/cases')
    .set('authorization', `Bearer ${token}`)
    .send(sampleRegistration(caseId));
  expect(res.status).toBe(201);

  // The case's first call to a service reaches the stand-in (refused; the activity's attempt fails and its span ends).
  const deadline = Date.now() + 60_000;
  let serviceSpan: ReadableSpan | undefined;
  while (!serviceSpan) {
    if (Date.now() > deadline) throw new Error(`no service span (calls: ${calls})`);
    await new Promise((r) => setTimeout(r, 200));
    await tracing.flush();
    serviceSpan = spans
      .getFinishedSpans()
      .find((s) => s.kind === SpanKind.SERVER && attr(s, 'vcdc.service') === 'custody');
  }
  await env.client.workflow.getHandle(`case-${caseId}`).terminate('the tracing test has what it needs');
  // The activity's span ends when its attempt fails.
  let finished = spans.getFinishedSpans();
  for (let i = 0; i < 50 && !finished.some((s) => s.name.startsWith('RunActivity')); i++) {
    await new Promise((r) => setTimeout(r, 100));
    finished = spans.getFinishedSpans();
  }

  const registration = finished.find(
    (s) => s.kind === SpanKind.SERVER && attr(s, 'vcdc.service') === 'control-api' && s.name === 'POST /v1/cases',
  );
  expect(registration).toBeDefined();
  const traceId = registration?.spanContext().traceId;
  const inTrace = finished.filter((s) => s.spanContext().traceId === traceId);
  const names = inTrace.map((s) => s.name);
  // Temporal's client interceptor (the start), the activity the workflow scheduled, its call, the service.
  expect(names).toEqual(expect.arrayContaining([expect.stringMatching(/^StartWorkflow:caseWorkflow$/)]));
  const activity = inTrace.find((s) => s.name.startsWith('RunActivity:'));
  expect(activity).toBeDefined();
  expect(attr(activity as ReadableSpan, 'temporalWorkflowId')).toBe(`case-${caseId}`);
  const call = inTrace.find((s) => s.kind === SpanKind.CLIENT && attr(s, 'peer.service') === 'custody');
  expect(call).toBeDefined();
  expect(call?.parentSpanId).toBe(activity?.spanContext().spanId);
  // The service continued the activity's call: same trace, its span a child of the call.
  expect(serviceSpan.spanContext().traceId).toBe(traceId);
  expect(serviceSpan.parentSpanId).toBe(call?.spanContext().spanId);
  // The activity's parent is a span of the workflow (made in the sandbox), not one of the control API's.
  const controlApiSpanIds = inTrace
    .filter((s) => s.name.startsWith('StartWorkflow') || s === registration)
    .map((s) => s.spanContext().spanId);
  expect(activity?.parentSpanId).toBeDefined();
  expect(controlApiSpanIds).not.toContain(activity?.parentSpanId);

  // The service's log line of the call names the trace and the case (W3C baggage from the activity).
  const line = serviceLines.find((l) => l.msg === 'request' && l.status === 503);
  expect(line).toMatchObject({ trace_id: traceId, span_id: serviceSpan.spanContext().spanId, case_id: caseId });
  expect(typeof line?.time).toBe('string');
});
