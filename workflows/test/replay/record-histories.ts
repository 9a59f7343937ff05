/**
 * Records case workflow histories for the replay test (replay.test.ts): representative cases run on
 * Temporal's time-skipping test server with the fake services (../fake-services.ts), each history
 * written as JSON (the format `Worker.runReplayHistory` reads) to histories/<name>.json.
 * Fixed case ids, task queues and decisions: a second run records the same cases the same way.
 * No payload codec: the payloads in the files are plain JSON.
 *
 *   npm run histories:record                       record the cases whose file is missing
 *   npm run histories:record -- --only NAME[,NAME] only these cases
 *   npm run histories:record -- --suffix LABEL     write <name>.LABEL.json next to the old files
 *   npm run histories:record -- --overwrite        replace existing files (read workflows/VERSIONING.md first)
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { ensureTemporalBinary } from '../../../scripts/lib/temporal-binaries';
import type { CaseRegistration } from '../../src/workflow/case-input';
import type { CaseOutcome, CaseStatus } from '../../src/workflow/case-state';
import type { HoldResolution } from '../../src/workflow/hold-resolution';
import { decide } from '../../src/workflow/shared';
import {
  bundleCaseWorkflows,
  type CaseHandle,
  DECISIONS as D,
  decideAt,
  heldForResolution,
  outcomeOf,
  runCase,
  settleAt,
  startCaseTestServer,
  until,
  VICTIMS,
} from '../case-support';
import { type FakeOptions, fakeServiceActivities, sampleRegistration } from '../fake-services';
import { historyToJSON } from './history-json';

export const HISTORIES_DIR = path.join(__dirname, 'histories');

interface Scenario {
  name: string;
  caseId: string;
  registration?: Record<string, unknown>;
  /** How the fake venue behaves (which direct fiat markets it lists, ...). */
  venue?: FakeOptions;
  /** The people's decisions, in order; then the case runs to its end. */
  decide: (handle: CaseHandle) => Promise<unknown>;
  /** How the case must end: a recording that ends otherwise is refused. */
  ends: CaseStatus;
}

/** The bank's settlement of the whole approved amount, recorded by the FX officer (settleAt). */
const SETTLE = 'settle' as const;

const inOrder =
  (...decisions: ((typeof D)[keyof typeof D] | typeof SETTLE)[]) =>
  async (handle: CaseHandle) => {
    for (const d of decisions) await (d === SETTLE ? settleAt(handle) : decideAt(handle, d));
  };

/** One ETH lot of `amount` (its sale's dust depends on the venue's lot step). */
const ethLot = (amount: string) => ({
  lotId: 'L1',
  asset: 'ETH',
  chain: 'ethereum',
  declaredAmount: amount,
  sweepTxHash: `0xeth-sweep-${amount}`,
  evidence: { handoverFormNo: 'HF-1', handedOverBy: 'officer.li', receivedBy: 'custodian.wang', documents: [] },
});

const SMALL_USDT_LOT = {
  lotId: 'L1',
  asset: 'USDT',
  chain: 'ethereum',
  declaredAmount: '57',
  sweepTxHash: '0xusdt-sweep-small',
  evidence: { handoverFormNo: 'HF-1', handedOverBy: 'officer.li', receivedBy: 'custodian.wang', documents: [] },
};

/** Two supervisors resolve the hold the same way (HOLD_RESOLUTION), each with a reason. */
async function resolveHold(handle: CaseHandle, resolution: HoldResolution): Promise<void> {
  await until(handle, heldForResolution);
  for (const decidedBy of ['supervisor.zhang', 'supervisor.wu']) {
    await handle.executeUpdate(decide, {
      args: [
        {
          stage: 'HOLD_RESOLUTION',
          outcome: 'APPROVE',
          decidedBy,
          role: 'supervisor',
          reason: `${decidedBy} reviewed the hold`,
          decidedAt: '2026-01-07T09:00:00Z',
          resolution,
        },
      ],
    });
  }
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'approved-at-every-decision',
    caseId: 'REPLAY-APPROVED',
    decide: inOrder(D.plan, D.fx, SETTLE, D.remit),
    ends: 'COMPLETED',
  },
  {
    name: 'disposal-plan-rejected',
    caseId: 'REPLAY-PLAN-REJECTED',
    decide: inOrder(D.planReject),
    ends: 'REJECTED',
  },
  {
    name: 'held-at-decision-deadline',
    caseId: 'REPLAY-DEADLINE-HELD',
    registration: { deadlines: { decisionDays: 3 } },
    decide: async () => undefined, // nobody decides: the time-skipping server jumps the three days
    ends: 'HELD',
  },
  {
    name: 'fx-rejected-then-resubmitted',
    caseId: 'REPLAY-FX-RESUBMITTED',
    decide: inOrder(D.plan, D.fxReject, D.resubmit, D.fx, SETTLE, D.remit),
    ends: 'COMPLETED',
  },
  {
    // Each lot by its sale plan (issue 16): a block to the desk, the rest by the engine on hashkey and osl.
    // The desk's address is new: custody's test deposit and then the rest are the desk's delivery.
    name: 'sale-plan-desk-and-two-venues',
    caseId: 'REPLAY-SALE-PLAN',
    venue: { deskAddressNew: true },
    registration: {
      disposal: { ...sampleRegistration('REPLAY-SALE-PLAN').disposal, venues: ['hashkey', 'osl'], desks: true },
    },
    decide: inOrder(D.plan, D.fx, SETTLE, D.remit),
    ends: 'COMPLETED',
  },
  {
    // ETH sold straight for USD (its direct book is deep enough), BTC through USDT (too thin).
    name: 'direct-and-stablecoin-routes',
    caseId: 'REPLAY-ROUTES',
    venue: { directDepth: { 'ETH/USD': '1000', 'BTC/USD': '3' } },
    decide: inOrder(D.plan, D.fx, SETTLE, D.remit),
    ends: 'COMPLETED',
  },
  {
    // 57 USDT: under the venue's minimum wire (USD 100), so nothing is sold and the USDT goes back to custody.
    name: 'small-case-held-under-minimum-wire',
    caseId: 'REPLAY-SMALL-HELD',
    registration: {
      lots: [
        {
          lotId: 'L1',
          asset: 'USDT',
          chain: 'ethereum',
          declaredAmount: '57',
          sweepTxHash: '0xusdt-sweep-small',
          evidence: { handoverFormNo: 'HF-1', handedOverBy: 'officer.li', receivedBy: 'custodian.wang', documents: [] },
        },
      ],
    },
    decide: inOrder(D.plan),
    ends: 'HELD',
  },
  {
    // The sale leaves 0.000016 ETH under the lot step, under the venue's minimum send: booked at the venue.
    name: 'eth-dust-booked-at-venue',
    caseId: 'REPLAY-DUST-BOOKED',
    registration: { lots: [ethLot('1.000856')] },
    venue: { lotStep: { ETH: '0.001' } },
    decide: inOrder(D.plan, D.fx, SETTLE, D.remit),
    ends: 'COMPLETED',
  },
  {
    // The sale leaves ETH under the lot step that the venue can send: returned to custody and booked there.
    name: 'eth-dust-returned-to-custody',
    caseId: 'REPLAY-DUST-RETURNED',
    registration: { lots: [ethLot('1.03042')] },
    venue: { lotStep: { ETH: '0.1' } },
    decide: inOrder(D.plan, D.fx, SETTLE, D.remit),
    ends: 'COMPLETED',
  },
  {
    // The same small case held at the sale, then closed by two supervisors with the USDT in custody.
    name: 'small-case-held-then-closed-to-custody',
    caseId: 'REPLAY-SMALL-CLOSED',
    registration: { lots: [SMALL_USDT_LOT] },
    decide: async (handle) => {
      await inOrder(D.plan)(handle);
      await resolveHold(handle, { path: 'CLOSE', handBackTo: 'CUSTODY' });
    },
    ends: 'CLOSED',
  },
  {
    // Held at the sale, resumed by two supervisors: the sale is tried again (and held again: still under the minimum).
    name: 'small-case-held-then-resumed',
    caseId: 'REPLAY-SMALL-RESUMED',
    registration: { lots: [SMALL_USDT_LOT] },
    decide: async (handle) => {
      await inOrder(D.plan)(handle);
      await resolveHold(handle, { path: 'RESUME' });
      await until(handle, (p) => heldForResolution(p) && (p.holds?.length ?? 0) === 2);
    },
    ends: 'HELD',
  },
  {
    name: 'restitution-order',
    caseId: 'REPLAY-RESTITUTION',
    registration: {
      restitution: {
        courtOrderRef: '(2026) Jing 01 Xing Chu 7',
        documentHash: 'ef'.repeat(32),
        method: 'PRO_RATA',
        victims: VICTIMS,
      },
    },
    decide: inOrder(D.plan, D.fx, SETTLE, D.remit),
    ends: 'COMPLETED',
  },
];

/** Run one scenario to its end and return its history as JSON. */
async function record(env: TestWorkflowEnvironment, bundle: WorkflowBundleWithSourceMap, s: Scenario): Promise<string> {
  const registration = sampleRegistration(s.caseId, s.registration) as CaseRegistration;
  return runCase(
    env,
    bundle,
    registration,
    fakeServiceActivities(s.venue),
    async (handle) => {
      await s.decide(handle);
      // A held case waits for its resolution: recorded as it waits (then terminated, the recording is over).
      const outcome: CaseOutcome = await outcomeOf(handle);
      if (outcome.status !== s.ends) {
        throw new Error(`${s.name}: the case ended ${outcome.status} (${outcome.reason ?? ''}), expected ${s.ends}`);
      }
      return `${historyToJSON(await handle.fetchHistory())}\n`;
    },
    `record-${s.name}`,
  );
}

interface Options {
  only?: string[];
  suffix?: string;
  overwrite: boolean;
}

function parseArgs(args: string[]): Options {
  const options: Options = { overwrite: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--overwrite') options.overwrite = true;
    else if (arg === '--only') options.only = (args[++i] ?? '').split(',').filter(Boolean);
    else if (arg === '--suffix') options.suffix = args[++i];
    else throw new Error(`unknown argument ${arg}; see the comment at the top of ${path.basename(__filename)}`);
  }
  const unknown = options.only?.filter((n) => !SCENARIOS.some((s) => s.name === n)) ?? [];
  if (unknown.length)
    throw new Error(`no such case: ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  if (options.suffix !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(options.suffix)) {
    throw new Error('--suffix takes a label of letters, digits, "-" and "_"');
  }
  return options;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const log = (line: string) => process.stdout.write(`[histories] ${line}\n`);
  const fileOf = (s: Scenario) =>
    path.join(HISTORIES_DIR, `${s.name}${options.suffix ? `.${options.suffix}` : ''}.json`);
  const todo = SCENARIOS.filter((s) => !options.only || options.only.includes(s.name)).filter((s) => {
    if (!existsSync(fileOf(s)) || options.overwrite) return true;
    log(`${path.relative(process.cwd(), fileOf(s))} exists: kept (see workflows/VERSIONING.md before --overwrite)`);
    return false;
  });
  if (todo.length === 0) return;

  // The same test server binary the jest setup uses (.tools/, PATH or TEMPORAL_TEST_SERVER_PATH).
  const testServer = ensureTemporalBinary('testServer', log);
  if (testServer) process.env.TEMPORAL_TEST_SERVER_PATH = testServer;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const [env, bundle] = await Promise.all([startCaseTestServer(), bundleCaseWorkflows()]);
  try {
    mkdirSync(HISTORIES_DIR, { recursive: true });
    for (const s of todo) {
      const json = await record(env, bundle, s);
      const file = fileOf(s);
      writeFileSync(`${file}.tmp`, json);
      renameSync(`${file}.tmp`, file);
      log(`${path.relative(process.cwd(), file)}: ${JSON.parse(json).events.length} events, ${json.length} bytes`);
    }
  } finally {
    await env.teardown();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`[histories] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
