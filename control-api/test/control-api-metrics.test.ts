/**
 * The control API's case gauges against a real Temporal dev server's visibility: open cases by stage
 * and status, closed cases by the status they ended in, decisions pending by how long they waited,
 * as GET /metrics answers them; one reading per cache period, whatever the number of scrapes.
 * The cases are case workflows started with the search attributes the workflow keeps, no worker
 * running (the gauges read visibility only, never a case's history).
 */
import { randomUUID } from 'node:crypto';
import type { SearchAttributePair } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Express } from 'express';
import request from 'supertest';
import { type CaseTemporal, startCaseTemporal, testControlApiDeps } from '../../test/support/control-api-harness';
import {
  CaseIdKey,
  CaseStageKey,
  CaseStatusKey,
  PendingDecisionKey,
  PendingSinceKey,
} from '../../workflows/src/workflow/shared';
import { testAuditChain } from '../../workflows/test/audit-support';
import { createControlApi } from '../src/app';
import { createDevIssuer } from '../src/dev-issuer';

let temporal: CaseTemporal;
let env: TestWorkflowEnvironment;
let app: Express;
let closePool: () => Promise<void>;
const NOW = new Date('2026-12-04T12:00:00Z');
const HOUR = 3_600_000;
/** Each test run's cases carry their own agency-free task queue, so nothing else on the server runs them. */
const taskQueue = `gauges-${randomUUID()}`;
let visibilityReads = 0;

beforeAll(async () => {
  // No worker: the gauges read visibility only.
  temporal = await startCaseTemporal(taskQueue);
  env = temporal.env;
  const chain = await testAuditChain('gauges');
  closePool = () => chain.pool.end();
  const issuer = await createDevIssuer();
  // Counts the listings the gauges make (the cache test).
  const client = env.client;
  const list = client.workflow.list.bind(client.workflow);
  client.workflow.list = ((options) => {
    visibilityReads++;
    return list(options);
  }) as typeof client.workflow.list;
  app = createControlApi({
    ...testControlApiDeps({ audit: chain.audit, issuer, client, taskQueue }),
    now: () => NOW,
    caseGaugesCacheMs: 60_000,
  });

  const start = (attributes: SearchAttributePair[]) => {
    const caseId = `GA-${randomUUID().slice(0, 8)}`;
    return env.client.workflow.start('caseWorkflow', {
      taskQueue,
      workflowId: `case-${caseId}`,
      args: [],
      typedSearchAttributes: [{ key: CaseIdKey, value: caseId }, ...attributes],
    });
  };
  const waiting = (decision: string, hoursAgo: number): SearchAttributePair[] => [
    { key: CaseStageKey, value: 'SALE' },
    { key: CaseStatusKey, value: 'AWAITING_DECISION' },
    { key: PendingDecisionKey, value: decision },
    { key: PendingSinceKey, value: new Date(NOW.getTime() - hoursAgo * HOUR) },
  ];
  await start([
    { key: CaseStageKey, value: 'TRANSFER' },
    { key: CaseStatusKey, value: 'RUNNING' },
  ]);
  await start([
    { key: CaseStageKey, value: 'TRANSFER' },
    { key: CaseStatusKey, value: 'RUNNING' },
  ]);
  await start(waiting('SALE_PRICE', 0.5));
  await start(waiting('SALE_PRICE', 30));
  await start(waiting('SALE_PRICE', 100));
  const ended = await start([
    { key: CaseStageKey, value: 'RECONCILIATION' },
    { key: CaseStatusKey, value: 'COMPLETED' },
  ]);
  await ended.terminate('closed for the gauges test');
  // Visibility is eventually consistent: wait until it shows all six.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { count } = await env.client.workflow.count(`TaskQueue = '${taskQueue}'`);
    if (count >= 6) break;
    if (Date.now() > deadline) throw new Error(`visibility shows ${count} of 6 cases`);
    await new Promise((r) => setTimeout(r, 200));
  }
}, 180_000);

afterAll(async () => {
  await temporal?.teardown();
  await closePool?.();
});

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('GET /metrics answers cases by stage and status and decisions pending by age, from visibility', async () => {
  expect((await request(app).get('/healthz')).status).toBe(200);
  const res = await request(app).get('/metrics');
  expect(res.status).toBe(200);
  const text = res.text;
  expect(value(text, 'vcdc_case_gauges_up')).toBe(1);
  expect(value(text, 'vcdc_cases_open{stage="TRANSFER",status="RUNNING"}')).toBe(2);
  expect(value(text, 'vcdc_cases_open{stage="SALE",status="AWAITING_DECISION"}')).toBe(3);
  expect(value(text, 'vcdc_cases_closed{status="COMPLETED"}')).toBe(1);
  expect(value(text, 'vcdc_cases_closed{status="FAILED"}')).toBe(0);
  expect(value(text, 'vcdc_decisions_pending{decision="SALE_PRICE",age="under_1h"}')).toBe(1);
  expect(value(text, 'vcdc_decisions_pending{decision="SALE_PRICE",age="1d_to_3d"}')).toBe(1);
  expect(value(text, 'vcdc_decisions_pending{decision="SALE_PRICE",age="over_3d"}')).toBe(1);
  expect(value(text, 'vcdc_decisions_pending{decision="SALE_PRICE",age="1h_to_1d"}')).toBeUndefined();
  expect(value(text, 'vcdc_decisions_pending_oldest_seconds{decision="SALE_PRICE"}')).toBe(100 * 3600);
  // The process's own request figures are on the same scrape.
  expect(text).toMatch(
    /^vcdc_http_requests_total\{service="control-api",method="GET",route="\/healthz",status="200"\} 1$/m,
  );
});

test('scrapes within the cache period read visibility once', async () => {
  const before = visibilityReads;
  for (let i = 0; i < 5; i++) expect((await request(app).get('/metrics')).status).toBe(200);
  expect(visibilityReads - before).toBe(0);
});
