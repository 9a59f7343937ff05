/**
 * The case workflow tests' harness (jest only; case-support.ts is what the history recorder shares):
 * one time-skipping server and one bundle per test file, a case per test with a fresh fake on its own
 * task queue, the decisions people take on the happy path, and the happy path itself.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { CaseRegistration } from '../src/workflow/case-input';
import type { CaseProgress } from '../src/workflow/case-state';
import type { Decision } from '../src/workflow/decision';
import { decide, status } from '../src/workflow/shared';
import {
  awaiting,
  bundleCaseWorkflows,
  type CaseHandle,
  outcomeOf,
  runCase,
  settleAt,
  startCaseTestServer,
  until,
} from './case-support';
import { createFakeActivities, type FakeOptions, sampleRegistration } from './fake-services';

export type Fake = ReturnType<typeof createFakeActivities>;

export interface Run {
  fake: Fake;
  handle: CaseHandle;
}

export interface HappyPath extends Run {
  outcome: CaseProgress;
  /** The status asked while the worker still runs (a closed case's query is answered by a worker replaying it). */
  shown: CaseProgress;
}

export interface CaseHarness {
  /** The file's time-skipping server (set once `beforeAll` has run). */
  readonly env: TestWorkflowEnvironment;
  /** The file's bundle of the workflows. */
  readonly bundle: WorkflowBundleWithSourceMap;
  /** Start the case with a worker and `fake`, run `body`, end the case if `body` left it running, stop the worker. */
  withCase<T>(
    registration: CaseRegistration,
    body: (run: Run) => Promise<T>,
    fakeOptions?: FakeOptions,
    fake?: Fake,
  ): Promise<T>;
  /** A case approved at every decision, to its end. */
  runHappyPath(registration: CaseRegistration, fakeOptions?: FakeOptions, fake?: Fake): Promise<HappyPath>;
}

/** Registers the file's `beforeAll`/`afterAll`: call it once at the top of a test file. */
export function caseHarness(): CaseHarness {
  let env: TestWorkflowEnvironment | undefined;
  let bundle: WorkflowBundleWithSourceMap | undefined;
  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    [env, bundle] = await Promise.all([startCaseTestServer(), bundleCaseWorkflows()]);
  }, 180_000);
  afterAll(async () => {
    await env?.teardown();
  });
  const started = () => {
    if (!env || !bundle) throw new Error('the case harness is not started (beforeAll has not run)');
    return { env, bundle };
  };

  const withCase: CaseHarness['withCase'] = (registration, body, fakeOptions = {}, fake) => {
    const { env, bundle } = started();
    const activities = fake ?? createFakeActivities(fakeOptions);
    return runCase(
      env,
      bundle,
      registration,
      activities,
      (handle) => body({ fake: activities, handle }),
      `test-${randomUUID()}`,
    );
  };

  return {
    get env() {
      return started().env;
    },
    get bundle() {
      return started().bundle;
    },
    withCase,
    runHappyPath: (reg, fakeOptions = {}, given) =>
      withCase(
        reg,
        async ({ fake, handle }) => {
          await until(handle, awaiting('DISPOSAL_PLAN'));
          const answer = await handle.executeUpdate(decide, { args: [approvePlan()] });
          expect(answer.movesTo).toEqual({ stage: 'TRANSFER', status: 'RUNNING' });
          await until(handle, awaiting('FX_DECLARATION'));
          await handle.executeUpdate(decide, { args: [approveFx()] });
          await settleAt(handle);
          await until(handle, awaiting('REMITTANCE'));
          await handle.executeUpdate(decide, { args: [approveRemittance()] });
          const outcome = await outcomeOf(handle);
          const shown = await handle.query(status);
          return { fake, handle, outcome, shown };
        },
        fakeOptions,
        given,
      ),
  };
}

/** A registration of the sample case under a fresh case id. */
export function registration(overrides: Record<string, unknown> = {}): CaseRegistration {
  return sampleRegistration(`C-${randomUUID().slice(0, 8)}`, overrides) as CaseRegistration;
}

export function approvePlan(by = 'supervisor.zhang'): Decision {
  return {
    stage: 'DISPOSAL_PLAN',
    outcome: 'APPROVE',
    decidedBy: by,
    role: 'supervisor',
    decidedAt: '2026-01-02T09:00:00Z',
  };
}

export function approveFx(): Decision {
  return {
    stage: 'FX_DECLARATION',
    outcome: 'APPROVE',
    decidedBy: 'fx.officer.chen',
    role: 'fx-officer',
    reference: 'SAFE-2026-0042',
    decidedAt: '2026-01-05T09:00:00Z',
  };
}

export function approveRemittance(): Decision {
  return {
    stage: 'REMITTANCE',
    outcome: 'APPROVE',
    decidedBy: 'supervisor.zhang',
    role: 'supervisor',
    decidedAt: '2026-01-06T09:00:00Z',
  };
}
