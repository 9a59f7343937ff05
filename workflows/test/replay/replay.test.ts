/**
 * Safety across versions: every recorded case history in histories/ (written by record-histories.ts,
 * `npm run histories:record`) replays on the current workflow code, the bundle the worker runs. A
 * replay that issues other commands than the history recorded is a nondeterminism error: a running
 * case would get stuck on deploy. The rule and what to do: workflows/VERSIONING.md.
 * No Temporal server: replay runs the workflow code against the history alone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { History } from '@temporalio/common/lib/proto-utils';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { caseWorkflowId } from '../../src/workflow/case-input';
import { bundleCaseWorkflows, quietLogger } from '../case-support';
import { historyFromJSON } from './history-json';
import { HISTORIES_DIR, SCENARIOS } from './record-histories';

const files = readdirSync(HISTORIES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const read = (file: string): unknown => JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8'));

/** Histories carry no workflow id; the case's is `case-<caseId>`, from the registration it started with. */
function workflowIdOf(json: unknown): string {
  const started = (json as { events: { workflowExecutionStartedEventAttributes?: unknown }[] }).events[0]
    ?.workflowExecutionStartedEventAttributes as { input?: { payloads?: { data?: string }[] } } | undefined;
  const data = started?.input?.payloads?.[0]?.data;
  const caseId = data ? (JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { caseId?: unknown }).caseId : '';
  return typeof caseId === 'string' && caseId ? caseWorkflowId(caseId) : 'replay';
}

async function replay(workflowBundle: WorkflowBundleWithSourceMap, file: string): Promise<void> {
  const json = read(file);
  const history: History = historyFromJSON(json);
  await Worker.runReplayHistory({ workflowBundle, replayName: `replay-${file}` }, history, workflowIdOf(json));
}

/** Why `file` did not replay, with the file's name; undefined when it did. */
async function replayFailure(workflowBundle: WorkflowBundleWithSourceMap, file: string) {
  const error = await replay(workflowBundle, file).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) return undefined;
  const what =
    error instanceof DeterminismViolationError
      ? 'nondeterminism: the workflow code issues other commands than this recorded case did. Put the change ' +
        "behind patched('<id>') (workflows/VERSIONING.md); do not re-record this history to make the test pass"
      : 'replay failed';
  return { error, message: `${file}: ${what}\n${error instanceof Error ? error.message : String(error)}` };
}

let current: WorkflowBundleWithSourceMap;
let wrong: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  // Quiet: the wrong workflow's nondeterminism is logged by the SDK's core as a warning.
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
  });
  [current, wrong] = await Promise.all([
    bundleCaseWorkflows(),
    bundleWorkflowCode({
      workflowsPath: require.resolve('./fixtures/wrong-case-workflow'),
      logger: quietLogger(),
    }),
  ]);
}, 120_000);

test('histories/ holds a recorded history of every representative case', () => {
  expect(files.length).toBeGreaterThanOrEqual(5);
  expect(files).toEqual(expect.arrayContaining(SCENARIOS.map((s) => `${s.name}.json`)));
});

test('the histories are plain and small: no encrypted payload (no codec), none over 32 KiB', () => {
  const problems: string[] = [];
  for (const file of files) {
    let count = 0;
    const check = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(check);
      else if (node && typeof node === 'object') {
        const p = node as { metadata?: { encoding?: unknown }; data?: unknown };
        if (typeof p.metadata?.encoding === 'string') {
          count++;
          const encoding = Buffer.from(p.metadata.encoding, 'base64').toString('utf8');
          const bytes = typeof p.data === 'string' ? Buffer.from(p.data, 'base64').length : 0;
          if (!['json/plain', 'binary/null'].includes(encoding) || bytes > 32 * 1024) {
            problems.push(`${file}: a ${encoding} payload of ${bytes} bytes`);
          }
        }
        Object.values(node).forEach(check);
      }
    };
    check(read(file));
    if (count === 0) problems.push(`${file}: no payloads at all`);
  }
  expect(problems).toEqual([]);
});

describe('every recorded case replays on the current workflow code', () => {
  test.each(files)('%s', async (file) => {
    const failure = await replayFailure(current, file);
    if (failure) throw new Error(failure.message);
  });
});

test('the replay catches a changed command sequence: a wrong caseWorkflow fails with a nondeterminism error', async () => {
  const file = 'approved-at-every-decision.json';
  const failure = await replayFailure(wrong, file);
  expect(failure?.error).toBeInstanceOf(DeterminismViolationError);
  expect(failure?.message).toMatch(/^approved-at-every-decision\.json: nondeterminism/);
});
