/**
 * The worker's metrics on a Temporal test server: with the runtime installed as worker-main installs
 * it, GET /metrics on the worker's port answers the SDK's own figures (temporal_*: task
 * schedule-to-start latency, the sticky cache, task failures once there are some) together with the
 * process's, after a workflow ran a task and an activity.
 */
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { startTimeSkippingServer } from '../../test/support/temporal';
import { installWorkerRuntime, workerHttpServer } from '../src/worker/worker-telemetry';

let env: TestWorkflowEnvironment;
let sdkMetricsUrl: string;

/** A port free now on loopback (the SDK's exporter binds it itself). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  const port = await freePort();
  sdkMetricsUrl = `http://127.0.0.1:${port}/metrics`;
  installWorkerRuntime({ metricsBindAddress: `127.0.0.1:${port}` });
  env = await startTimeSkippingServer();
});

afterAll(async () => {
  await env?.teardown();
});

test('GET /metrics on the worker port answers the SDK’s temporal_ metrics and the process’s own', async () => {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: 'metrics-test',
    workflowsPath: require.resolve('./fixtures/echo-workflow'),
    activities: { echo: async (text: string) => text },
  });
  const server = workerHttpServer(worker, sdkMetricsUrl).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const text = await worker.runUntil(async () => {
      const result = await env.client.workflow.execute('echoWorkflow', {
        taskQueue: 'metrics-test',
        workflowId: 'metrics-echo',
        args: ['hello'],
      });
      expect(result).toBe('hello');
      const res = await fetch(`${url}/metrics`);
      expect(res.status).toBe(200);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      return res.text();
    });
    // The figures an operator watches first on the worker (README, Operating).
    expect(text).toMatch(/^temporal_workflow_task_schedule_to_start_latency_bucket\{.*task_queue="metrics-test"/m);
    expect(text).toMatch(/^temporal_activity_schedule_to_start_latency_bucket\{.*task_queue="metrics-test"/m);
    expect(text).toMatch(/^temporal_sticky_cache_size\{/m);
    expect(text).toMatch(/^vcdc_worker_sdk_metrics_up 1$/m);
    expect(text).toMatch(/^vcdc_process_resident_memory_bytes \d+/m);
  } finally {
    server.close();
  }
});

test('an SDK exporter that does not answer is said on the scrape, not hidden', async () => {
  const server = workerHttpServer({ getState: () => 'RUNNING' }, `http://127.0.0.1:${await freePort()}/metrics`);
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const text = await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`)).text();
    expect(text).toMatch(/^vcdc_worker_sdk_metrics_up 0$/m);
  } finally {
    server.close();
  }
});
