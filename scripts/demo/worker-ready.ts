/**
 * The case worker is ready when Temporal lists a poller of the case task queue's workflow tasks that
 * polled since the worker was started: only then does a registered case's first workflow task run at
 * once. The demo waits for it before registering (issue 19, part 4: registered earlier, the first task
 * waited 3–5 s while the worker was still bundling its workflow code). Asked of Temporal, not of the
 * worker's own health port, because a poller is what the case needs; a poller from before the start (a
 * restarted stack) does not count.
 */
import { Connection } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { waitFor } from '../lib/wait';

type Poller = Pick<temporal.api.taskqueue.v1.IPollerInfo, 'lastAccessTime'>;

/** Whether one of the pollers polled at `since` or later. */
export function polledSince(pollers: Poller[], since: Date): boolean {
  return pollers.some((p) => p.lastAccessTime && tsToMs(p.lastAccessTime) >= since.getTime());
}

export async function untilWorkerPolls(options: {
  address: string;
  namespace: string;
  taskQueue: string;
  /** When the worker was started. */
  since: Date;
  timeoutMs?: number;
}): Promise<void> {
  const connection = await Connection.connect({ address: options.address });
  try {
    await waitFor(
      `a worker polling the task queue ${options.taskQueue}`,
      async () => {
        const { pollers } = await connection.workflowService.describeTaskQueue({
          namespace: options.namespace,
          taskQueue: { name: options.taskQueue },
          taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        });
        return polledSince(pollers ?? [], options.since);
      },
      options.timeoutMs ?? 180_000,
    );
  } finally {
    await connection.close();
  }
}
