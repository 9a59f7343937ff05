/**
 * The worker: the case workflow and its activities on one task queue. The workflow code is bundled
 * (webpack) when the worker is created; activities get HTTP clients for the four services.
 */
import { type NativeConnection, Worker } from '@temporalio/worker';
import { ServiceClient } from '@vcdc/shared';
import { createActivities } from './activities';
import { TASK_QUEUE } from './shared';

export interface ServiceUrls {
  custody: string;
  exchange: string;
  fx: string;
  treasury: string;
}

export interface CaseWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  serviceUrls: ServiceUrls;
  /** Per-call HTTP timeout; a timeout is a retryable failure. */
  httpTimeoutMs?: number;
}

/** The module the worker bundles: the workflows it runs. */
export const workflowsPath = require.resolve('./case-workflow');

export function serviceClients(urls: ServiceUrls, timeoutMs?: number) {
  const client = (service: keyof ServiceUrls) => new ServiceClient({ service, baseUrl: urls[service], timeoutMs });
  return {
    custody: client('custody'),
    exchange: client('exchange'),
    fx: client('fx'),
    treasury: client('treasury'),
  };
}

export function createCaseWorker(options: CaseWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    workflowsPath,
    activities: createActivities(serviceClients(options.serviceUrls, options.httpTimeoutMs)),
  });
}
