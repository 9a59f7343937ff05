/**
 * The dev demo registers its case only once the worker polls the case task queue (issue 19, part 4):
 * asked of a real Temporal dev server, before and after a real worker starts polling.
 */
import { msNumberToTs } from '@temporalio/common/lib/time';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { polledSince, untilWorkerPolls } from '../scripts/demo/worker-ready';
import { startDevServer } from './support/temporal';

const at = (ms: number) => ({ lastAccessTime: msNumberToTs(ms) });

test('a poller counts only if it polled since the worker was started', () => {
  const start = new Date('2026-12-04T08:00:00.000Z');
  expect(polledSince([], start)).toBe(false);
  // A worker of an earlier start (a restarted stack) is still listed for a while: not ready.
  expect(polledSince([at(start.getTime() - 1)], start)).toBe(false);
  expect(polledSince([at(start.getTime() - 60_000), at(start.getTime() + 250)], start)).toBe(true);
  // A stack of two workers is ready once both poll: one of this start and one of an earlier one is not enough.
  expect(polledSince([at(start.getTime() - 60_000), at(start.getTime() + 250)], start, 2)).toBe(false);
  expect(polledSince([at(start.getTime() + 100), at(start.getTime() + 250)], start, 2)).toBe(true);
});

describe('against a Temporal dev server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await startDevServer();
  }, 120_000);
  afterAll(async () => {
    await env?.teardown();
  });

  test('not ready while no worker polls; ready once one does', async () => {
    const address = env.connection.options.address;
    const taskQueue = 'worker-ready-test';
    const since = new Date();
    await expect(
      untilWorkerPolls({ address, namespace: env.namespace ?? 'default', taskQueue, since, timeoutMs: 1_500 }),
    ).rejects.toThrow(`timed out after 1500 ms waiting for a worker polling the task queue ${taskQueue}`);

    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('./fixtures/idle-workflow'),
    });
    await worker.runUntil(
      untilWorkerPolls({ address, namespace: env.namespace ?? 'default', taskQueue, since, timeoutMs: 60_000 }),
    );
  }, 120_000);
});
