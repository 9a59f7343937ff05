/**
 * Test support for the execution engine (sale child workflow): the time-skipping test server, the
 * real exchange service (real PostgreSQL) in front of a venue simulator as a moving market, reached
 * by real ccxt over HTTP. Each test file gets its own environment (call `useSaleEnvironment()`).
 */
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { listen, type Pool, type RunningServer, ServiceClient } from '@vcdc/shared';
import { type RunningChainSimulator, startChainSimulator } from '../../simulators/src/chain';
import type { RunningVenueSimulator, VenueSimulatorOptions } from '../../simulators/src/venue';
import { startSimulatedExchange } from '../../test/support/simulated-exchange';
import { startTimeSkippingServer } from '../../test/support/temporal';
import { createActivities } from '../src/activities/case-activities';
import { createSaleActivities } from '../src/activities/sale-activities';
import { serviceClients } from '../src/worker/worker';
import type { SaleExecutionInput } from '../src/workflow/sale-workflow';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let chain: RunningChainSimulator;
const closers: (() => Promise<void>)[] = [];

export function useSaleEnvironment(): void {
  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    const noop = () => undefined;
    [env, bundle] = await Promise.all([
      startTimeSkippingServer(),
      bundleWorkflowCode({
        workflowsPath: require.resolve('../src/workflow/sale-workflow'),
        logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop },
      }),
    ]);
    chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  }, 90_000);

  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    await chain?.close();
    await env?.teardown();
  });
}

export interface Market {
  sim: RunningVenueSimulator;
  pool: Pool;
  exchange: RunningServer;
  /** With `followWorkflowTime`: the activities given to the worker move the market's clock (see `market`). */
  track?: <T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T) => T;
}

/**
 * A moving venue and the exchange service in front of it, with a database of its own (two simulators
 * number their orders alike, and the service keeps venue order ids unique).
 */
export async function market(
  options: Partial<VenueSimulatorOptions> = {},
  { followWorkflowTime = false }: { followWorkflowTime?: boolean } = {},
): Promise<Market> {
  // The market's clock can follow the test server's (skipped) time: each activity moves it to when it
  // was scheduled, counted from the market's start, so a slice's minute of workflow time is a minute of
  // market (its volume, its candles). The market starts at the real time (the server's may be years on).
  const clock = { t: Date.now() };
  const serverStart = followWorkflowTime ? await env.currentTimeMs() : 0;
  const marketStart = clock.t;
  const track = <T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T =>
    Object.fromEntries(
      Object.entries(activities).map(([name, fn]) => [
        name,
        (...args: never[]) => {
          const scheduled = Context.current().info.currentAttemptScheduledTimestampMs;
          clock.t = Math.max(clock.t, marketStart + (scheduled - serverStart));
          return fn(...args);
        },
      ]),
    ) as T;
  if (followWorkflowTime) options = { ...options, clock: () => clock.t };
  const stack = await startSimulatedExchange({
    database: 'sale_workflow',
    chainUrl: chain.url,
    venue: { dynamics: {}, initialBalances: { BTC: '20' }, ...options },
    // Following workflow time, the service's clock is the market's too (the volume of "the last minute").
    ...(followWorkflowTime ? { clock: () => new Date(clock.t) } : {}),
  });
  const { sim, pool } = stack;
  const exchange = await listen(stack.app, 0);
  closers.push(
    () => stack.close(),
    () => exchange.close(),
  );
  return { sim, pool, exchange, ...(followWorkflowTime ? { track } : {}) };
}

export const BTC_RULES = { stepSize: '0.00001', tickSize: '0.01', minQty: '0.00001', minNotional: '1', maxQty: '8' };

export async function execute(
  m: Market,
  input: Omit<SaleExecutionInput, 'caseId' | 'parentOrderId'> & { caseId?: string },
) {
  const taskQueue = `sale-${randomUUID()}`;
  const urls = { custody: m.exchange.url, exchange: m.exchange.url, fx: m.exchange.url, treasury: m.exchange.url };
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: (m.track ?? ((a) => a))({
      ...createActivities(serviceClients(urls, 5000)),
      ...createSaleActivities(new ServiceClient({ service: 'exchange', baseUrl: m.exchange.url, timeoutMs: 5000 })),
    }),
  });
  const caseId = input.caseId ?? `SALE-${randomUUID().slice(0, 8)}`;
  const parentOrderId = `case-${caseId}/sale/BTC-USDT/1`;
  const workflowId = `${parentOrderId}`.replace(/\//g, '-');
  const result = await worker.runUntil(
    env.client.workflow.execute('saleExecutionWorkflow', {
      taskQueue,
      workflowId,
      args: [{ ...input, caseId, parentOrderId }],
    }),
  );
  return {
    result: result as Awaited<ReturnType<typeof import('../src/workflow/sale-workflow').saleExecutionWorkflow>>,
    caseId,
    /** The engine's run, for its history. */
    handle: env.client.workflow.getHandle(workflowId),
  };
}

export function venueOrdersOf(m: Market, ids: string[]) {
  return m.sim.venue.state.orders.filter((o) => ids.includes(o.clientOrderId));
}
