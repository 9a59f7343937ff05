/**
 * What the control API's tests (workflows/test/control-api*, the console's browser tests) set up alike:
 * a real Temporal dev server with the case worker on the fake services, one per test file and torn
 * down in its afterAll with every worker started on it; the control API's dependencies wired as a
 * deployment wires them, with the test keys and a dev issuer's tokens; requests as one person; and
 * waiting for a case to get somewhere.
 */
import type { KeyObject } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { silentLogger } from '@vcdc/shared';
import type { Express } from 'express';
import { createLocalJWKSet } from 'jose';
import request from 'supertest';
import type { ControlApiDeps } from '../../control-api/src/app';
import { jwtAuthenticator } from '../../control-api/src/auth';
import { ControlApiConfig, registrationDefaults } from '../../control-api/src/config';
import { CONTROL_API_AUDIENCE, type DevIssuer } from '../../control-api/src/dev-issuer';
import { createDecisionActivities } from '../../workflows/src/activities/decision-signature';
import { workflowsPath } from '../../workflows/src/worker/worker';
import { TEST_CONTROL_API_ENV, testDecisionVerifyKeys } from '../../workflows/test/audit-support';
import { startDevServer } from './temporal';

/** The control API's settings with only the test defaults (its decision signing key is the test worker's). */
export const TEST_CONTROL_API_CONFIG = ControlApiConfig.parse(TEST_CONTROL_API_ENV);

export interface CaseTemporal {
  env: TestWorkflowEnvironment;
  /**
   * Starts a case worker on the task queue with these activities and the decision verifier of the test
   * keys; its stop shuts it down and waits for it (once: teardown stops the ones still running).
   */
  startWorker(activities: object): Promise<{ stop: () => Promise<void> }>;
  /** Stops every worker still running, then the Temporal server. */
  teardown(): Promise<void>;
}

/**
 * A Temporal dev server for one test file, with a case worker on `taskQueue` running `activities`
 * (none: the file starts its own). The workflow bundle is built once, on the first worker.
 */
export async function startCaseTemporal(taskQueue: string, activities?: object): Promise<CaseTemporal> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const env = await startDevServer();
  let bundle: WorkflowBundleWithSourceMap | undefined;
  const running = new Set<() => Promise<void>>();
  const startWorker = async (activities: object) => {
    bundle ??= await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('ERROR') });
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: bundle,
      activities: { ...activities, ...createDecisionActivities(testDecisionVerifyKeys()) },
    });
    const run = worker.run();
    const stop = async () => {
      if (!running.delete(stop)) return;
      worker.shutdown();
      await run;
    };
    running.add(stop);
    return { stop };
  };
  const teardown = async () => {
    try {
      for (const stop of [...running]) await stop();
    } finally {
      await env.teardown();
    }
  };
  try {
    if (activities) await startWorker(activities);
  } catch (error) {
    await teardown();
    throw error;
  }
  return { env, startWorker, teardown };
}

/**
 * A Temporal client that never reaches a server, for control APIs whose tests take no Temporal route
 * (the acts forwarded to the services); close its connection in afterAll.
 */
export function unreachableTemporal(): { client: Client; connection: Connection } {
  const connection = Connection.lazy({ address: '127.0.0.1:1' });
  return { client: new Client({ connection }), connection };
}

/**
 * The dependencies every control API under test has: its audit chain, Temporal, the dev issuer's
 * tokens as its people, the test configuration's defaults and signing key (or the ones given).
 */
export function testControlApiDeps({
  audit,
  issuer,
  client,
  taskQueue = 'unused',
  decisionSigningKey = TEST_CONTROL_API_CONFIG.DECISION_SIGNING_KEY,
}: {
  audit: ControlApiDeps['audit'];
  issuer: Pick<DevIssuer, 'issuer' | 'jwks'>;
  client: Client;
  taskQueue?: string;
  decisionSigningKey?: KeyObject;
}): ControlApiDeps {
  return {
    audit,
    decisionSigningKey,
    authenticator: jwtAuthenticator({
      issuer: issuer.issuer,
      audience: CONTROL_API_AUDIENCE,
      keys: createLocalJWKSet(issuer.jwks),
    }),
    client,
    taskQueue,
    logger: silentLogger(),
    defaults: registrationDefaults(TEST_CONTROL_API_CONFIG),
  };
}

/** A token for each person, with the roles given (not the dev issuer's seeded ones). */
export async function tokensFor<P extends string>(
  issuer: DevIssuer,
  people: Record<P, readonly string[]>,
): Promise<Record<P, string>> {
  const tokens = {} as Record<P, string>;
  for (const [sub, roles] of Object.entries(people) as Array<[P, readonly string[]]>) {
    tokens[sub] = await issuer.sign({ sub, roles: [...roles] });
  }
  return tokens;
}

/** Requests to the control API as the person whose bearer token this is. */
export function requestsAs(app: Express, token: string) {
  return {
    get: (url: string) => request(app).get(url).set('authorization', `Bearer ${token}`),
    post: (url: string) => request(app).post(url).set('authorization', `Bearer ${token}`),
  };
}

/** The probe's first defined answer, polled every 200 ms; past `ms`, a failure naming what was awaited. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
