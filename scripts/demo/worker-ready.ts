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

/** Whether `atLeast` of the pollers (one by default; each worker is one) polled at `since` or later. */
export function polledSince(pollers: Poller[], since: Date, atLeast = 1): boolean {
  return pollers.filter((p) => p.lastAccessTime && tsToMs(p.lastAccessTime) >= since.getTime()).length >= atLeast;
}

export async function untilWorkerPolls(options: {
  address: string;
  namespace: string;
  taskQueue: string;
  /** When the worker was started. */
  since: Date;
  /** How many workers must poll (a stack of several starts them all before a case may come). */
  pollers?: number;
  timeoutMs?: number;
}): Promise<void> {
  const connection = await Connection.connect({ address: options.address });
  try {
    await waitFor(
      `${(options.pollers ?? 1) === 1 ? 'a worker' : `${options.pollers} workers`} polling the task queue ${options.taskQueue}`,
      async () => {
        const { pollers } = await connection.workflowService.describeTaskQueue({
          namespace: options.namespace,
          taskQueue: { name: options.taskQueue },
          taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        });
        return polledSince(pollers ?? [], options.since, options.pollers);
      },
      options.timeoutMs ?? 180_000,
    );
  } finally {
    await connection.close();
  }
}
