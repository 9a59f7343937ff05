/**
 * The orchestration benchmark's baseline (bench/orchestration.ts): a workflow that schedules as many
 * activities and child workflows as one real case did (its shape, read from the case's history), each
 * returning at once; a child copies the shape of the case's child in the same place. Activities run one
 * after the other, as a case's mostly do. Bundled by the benchmark's own worker on its own task queue,
 * never by the case worker.
 */
import { executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Shape } from './histories';

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '30s' });

export async function noopCase(shape: Shape): Promise<void> {
  for (let i = 0; i < shape.activities; i++) await noop();
  for (const [i, child] of shape.children.entries()) {
    await executeChild(noopCase, { args: [child], workflowId: `${workflowInfo().workflowId}/child-${i}` });
  }
}
