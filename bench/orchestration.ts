/**
 * Benchmark (a script, not a test): VCDC's orchestration against Temporal's own limit on this machine
 * (issue 18, part 1).
 *
 * For each N it starts a fresh dev stack (every part its own process, its deliberate waits compressed:
 * ZERO_LATENCY below), whitelists the venue's deposit addresses as an operator would before any case (untimed:
 * bench/lib/whitelist.ts) and, on its Temporal server:
 *  1. VCDC: N small BTC cases at once, every decision taken the moment it is asked by a bounded
 *     auto-approver through the control API (bench/lib/demo-cases.ts);
 *  2. the baseline: N no-op workflows at once (bench/lib/noop-workflow.ts) on a worker of this process on
 *     its own task queue, each scheduling as many activities and child workflows as the first completed
 *     case did (read from its history), each returning at once.
 * It prints cases per minute for both (first registration to last close, from the histories), their
 * ratio, per case the median of registration to close and of its machine-side time (busy intervals of
 * its history and its children's: bench/lib/histories.ts; the rest is deliberate waiting: timers,
 * retry backoffs, people), where the waiting and the activity time of a case go, each process's peak
 * memory and CPU in each phase (from /proc), and the CPU per case by what used it (orchestration, the
 * cases' own work, the people) with the bound that puts on the ratio where the cores are the limit.
 *
 *   npm run bench:orchestration -- [N,N,...]      (default 10,50,200)
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { startStackProcess } from '../test/support/stack-process';
import { caseWorkflowId, Disposal } from '../workflows/src/workflow/case-input';
import { lotsOf, runCasesAtOnce } from './lib/demo-cases';
import { type Analysis, analyse, type Shape, shapeOf, treeOf } from './lib/histories';
import { quantile, sampleStackUse } from './lib/stack-use';
import { whitelistVenueAddresses } from './lib/whitelist';

const NAMESPACE = 'default';
const BASELINE_QUEUE = 'bench-noop';
/** A case not ended in this long counts as not finished; the run goes on to the figures. */
const CASE_DEADLINE_MS = 45 * 60_000;
/** The baseline gives up after this long. */
const BASELINE_DEADLINE_MS = 20 * 60_000;

/**
 * The stack's deliberate waits compressed as issue 18 allows (zero-latency simulators, the sale's pacing
 * compressed), every stage still run for real: the sale is one slice over one second, re-priced once
 * (that last round takes, through the bid) when the venue's flow left some of it (getReferencePrice,
 * placeSellOrder, a one-second wait, cancelSellOrder, each time); the chains mine a block every 200 ms
 * (custody's transfer and the venue's deposit still wait for their confirmations); the venue pays a fiat
 * withdrawal out after 200 ms instead of 2 s (the case still follows it from processing to completed).
 * Each may be set otherwise in the environment, e.g. the earlier figures' `VCDC_SALE_SLICES=2
 * VCDC_SALE_HORIZON_SECONDS=4 VCDC_SALE_MAX_REPRICINGS=5 CHAIN_BLOCK_INTERVAL_MS=1000 VENUE_WITHDRAWAL_DELAY_MS=2000`.
 */
const ZERO_LATENCY: Record<string, string> = {
  VCDC_SALE_SLICES: '1',
  VCDC_SALE_HORIZON_SECONDS: '1',
  VCDC_SALE_MAX_REPRICINGS: '1',
  CHAIN_BLOCK_INTERVAL_MS: '200',
  VENUE_WITHDRAWAL_DELAY_MS: '200',
};
const stackSettings = (): Record<string, string> => ({
  ...Object.fromEntries(Object.entries(ZERO_LATENCY).map(([k, v]) => [k, process.env[k] ?? v])),
  RATE_LIMIT_PER_MINUTE: '1000000',
});

/** BENCH_STATUS_POLL_MS: how often each case's auto-approver reads its status (a Temporal query each; default 500). */
const statusPollMs = (): number | undefined =>
  process.env.BENCH_STATUS_POLL_MS ? Number(process.env.BENCH_STATUS_POLL_MS) : undefined;

const say = (line: string) => process.stdout.write(`${line}\n`);
const s = (ms: number) => (ms / 1000).toFixed(1);
const median = (xs: number[]) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );
const count = (shape: Shape): { activities: number; children: number } =>
  shape.children
    .map(count)
    .reduce((a, c) => ({ activities: a.activities + c.activities, children: a.children + c.children + 1 }), {
      activities: shape.activities,
      children: 0,
    });

interface Phase {
  /** Cases per minute, first registration to last close. */
  perMinute: number;
  spanMs: number;
  analyses: Analysis[];
  use: Map<string, { peakRssMb: number; cpuSeconds: number }>;
}

/** Registration to close over a set of analysed trees: the first start to the last close. */
function spanOf(trees: Array<{ start: number; end: number }>): number {
  return Math.max(...trees.map((t) => t.end)) - Math.min(...trees.map((t) => t.start));
}

async function analysed(
  connection: Connection,
  workflowIds: string[],
): Promise<Array<{ analysis: Analysis; shape: Shape; start: number; end: number; completed: boolean }>> {
  const out = [];
  for (const id of workflowIds) {
    const tree = await treeOf(connection.workflowService, NAMESPACE, id);
    const root = tree[0]?.events ?? [];
    const t = (e: (typeof root)[number] | undefined) =>
      Number(e?.eventTime?.seconds ?? 0) * 1000 + (e?.eventTime?.nanos ?? 0) / 1e6;
    out.push({
      analysis: analyse(tree),
      shape: shapeOf(tree),
      start: t(root[0]),
      end: t(root[root.length - 1]),
      completed: Boolean(root[root.length - 1]?.workflowExecutionCompletedEventAttributes),
    });
  }
  return out;
}

function printBreakdown(analyses: Analysis[]): void {
  const n = analyses.length;
  const waits = new Map<string, number>();
  const timers = new Map<string, { count: number; setMs: number; elapsedMs: number }>();
  const activities = new Map<string, { count: number; totalMs: number; lastMs: number; attempts: number }>();
  for (const a of analyses) {
    for (const [cause, ms] of a.waits) waits.set(cause, (waits.get(cause) ?? 0) + ms);
    for (const t of a.timers) {
      const key = `${t.label} (${t.fired ? 'fired' : 'cancelled'})`;
      const x = timers.get(key) ?? { count: 0, setMs: 0, elapsedMs: 0 };
      timers.set(key, { count: x.count + 1, setMs: x.setMs + t.setMs, elapsedMs: x.elapsedMs + t.elapsedMs });
    }
    for (const c of a.activities) {
      const x = activities.get(c.type) ?? { count: 0, totalMs: 0, lastMs: 0, attempts: 0 };
      activities.set(c.type, {
        count: x.count + 1,
        totalMs: x.totalMs + c.totalMs,
        lastMs: x.lastMs + c.lastAttemptMs,
        attempts: x.attempts + c.attempts,
      });
    }
  }
  const machine = new Map<string, number>();
  for (const a of analyses) for (const [kind, ms] of a.machineBy) machine.set(kind, (machine.get(kind) ?? 0) + ms);
  say('\nmachine-side per case (mean), by what was busy:\n| busy | s per case |\n|---|---|');
  for (const [kind, ms] of [...machine].sort((a, b) => b[1] - a[1]).slice(0, 12)) say(`| ${kind} | ${s(ms / n)} |`);
  say('\nwaiting per case (mean), by what ended the wait:\n| ended by | s per case |\n|---|---|');
  for (const [cause, ms] of [...waits].sort((a, b) => b[1] - a[1]).slice(0, 12)) say(`| ${cause} | ${s(ms / n)} |`);
  say('\ntimers per case (mean):\n| timer: waited between | per case | set s | elapsed s (each) |\n|---|---|---|---|');
  for (const [label, t] of [...timers].sort((a, b) => b[1].elapsedMs - a[1].elapsedMs).slice(0, 12)) {
    say(`| ${label} | ${(t.count / n).toFixed(1)} | ${s(t.setMs / t.count)} | ${s(t.elapsedMs / t.count)} |`);
  }
  say(
    '\nactivities per case (mean), by total time (scheduled to end, retries and backoffs included):\n| activity | per case | s per case | last attempt ms (each) | attempts (each) |\n|---|---|---|---|---|',
  );
  for (const [type, c] of [...activities].sort((a, b) => b[1].totalMs - a[1].totalMs).slice(0, 15)) {
    say(
      `| ${type} | ${(c.count / n).toFixed(1)} | ${s(c.totalMs / n)} | ${(c.lastMs / c.count).toFixed(0)} | ${(c.attempts / c.count).toFixed(1)} |`,
    );
  }
}

/**
 * What a process's CPU went to in a phase. The Temporal server and the workers orchestrate (the baseline's
 * worker is this process's); this process in VCDC's phase is the people (the auto-approvers and the demo's
 * custodians); every other part of the stack is the cases' own work (the services, PostgreSQL, the venue and
 * chain simulators, the control API).
 */
const CPU_USES = ['orchestration', "the cases' own work", 'people'] as const;
type CpuUse = (typeof CPU_USES)[number];
function cpuUseOf(process: string, phase: 'vcdc' | 'baseline'): CpuUse {
  if (process.startsWith('temporal') || process.startsWith('worker')) return 'orchestration';
  if (process === 'bench') return phase === 'vcdc' ? 'people' : 'orchestration';
  return "the cases' own work";
}

/**
 * CPU seconds per case by what used them, and what they bound: when the machine's cores are the limit (many
 * cases at once), cases per minute go as the inverse of CPU per case, so the ratio cannot pass the
 * baseline's CPU per case over VCDC's, and not the baseline's over the cases' own work even were VCDC's
 * orchestration free.
 */
function printCpuPerCase(n: number, vcdc: Phase['use'], base: Phase['use']): void {
  const perCase = (use: Phase['use'], phase: 'vcdc' | 'baseline') => {
    const by = new Map<CpuUse, number>(CPU_USES.map((u) => [u, 0]));
    for (const [name, u] of use) {
      const used = cpuUseOf(name, phase);
      by.set(used, (by.get(used) ?? 0) + u.cpuSeconds / n);
    }
    return { by, all: [...by.values()].reduce((a, b) => a + b, 0) };
  };
  const v = perCase(vcdc, 'vcdc');
  const b = perCase(base, 'baseline');
  const c = (x: number | undefined) => (x ?? 0).toFixed(2);
  say('\nCPU s per case, by what used it (all processes, each phase from its first start to its last end):');
  say('| used by | VCDC | no-op baseline |\n|---|---|---|');
  for (const use of CPU_USES) say(`| ${use} | ${c(v.by.get(use))} | ${c(b.by.get(use))} |`);
  say(`| all | ${c(v.all)} | ${c(b.all)} |`);
  const own = v.by.get("the cases' own work") ?? 0;
  say(
    `bound on the ratio where CPU is the limit: ${(b.all / v.all).toFixed(2)} (baseline's CPU per case / VCDC's); ` +
      `${own > 0 ? (b.all / own).toFixed(2) : '-'} were VCDC's orchestration free (/ the cases' own work)`,
  );
}

async function runOnce(n: number): Promise<void> {
  say(`\n== ${n} cases at once ==`);
  const settings = stackSettings();
  say(
    `stack: ${Object.keys(ZERO_LATENCY)
      .map((k) => `${k}=${settings[k]}`)
      .join(' ')}`,
  );
  const stack = await startStackProcess(settings);
  const use = sampleStackUse(stack, { bench: process.pid });
  const connection = await Connection.connect({ address: stack.temporalAddress });
  try {
    // 0. The deployment's set-up, untimed: the venue's deposit addresses whitelisted (once per venue, not per case).
    const legs = [
      ...new Map(lotsOf(0).map((l) => [`${l.asset}/${l.chain}`, { asset: l.asset, chain: l.chain }])).values(),
    ];
    const setUpMs = await whitelistVenueAddresses(stack, Disposal.shape.venue.value, legs);
    say(`set-up (untimed): ${legs.map((l) => l.asset).join(', ')} deposit addresses whitelisted in ${s(setUpMs)} s`);

    // 1. VCDC.
    use.mark();
    const { ends, wallMs } = await runCasesAtOnce(stack, n, `ORCH-${n}`, CASE_DEADLINE_MS, statusPollMs());
    const vcdcUse = use.read();
    const statuses = new Map<string, number>();
    for (const e of ends) statuses.set(e.status, (statuses.get(e.status) ?? 0) + 1);
    const cases = await analysed(
      connection,
      ends.map((e) => caseWorkflowId(e.caseId)),
    );
    const model = cases.find((c) => c.completed);
    if (!model) throw new Error(`no case completed: ${[...statuses].map(([st, c]) => `${c} ${st}`).join(', ')}`);
    const vcdcSpan = spanOf(cases);
    const vcdc: Phase = {
      perMinute: (n / vcdcSpan) * 60_000,
      spanMs: vcdcSpan,
      analyses: cases.map((c) => c.analysis),
      use: vcdcUse,
    };
    const shape = model.shape;
    const size = count(shape);

    // 2. The baseline: the same numbers of activities and children, on this process's worker.
    const native = await NativeConnection.connect({ address: stack.temporalAddress });
    const worker = await Worker.create({
      connection: native,
      namespace: NAMESPACE,
      taskQueue: BASELINE_QUEUE,
      workflowsPath: path.join(__dirname, 'lib/noop-workflow.ts'),
      activities: { noop: async () => undefined },
    });
    const client = new Client({ connection, namespace: NAMESPACE });
    const ids = Array.from({ length: n }, (_, i) => `noop-${n}-${String(i + 1).padStart(3, '0')}`);
    use.mark();
    await worker.runUntil(async () => {
      const started = await Promise.all(
        ids.map((workflowId) =>
          client.workflow.start('noopCase', { taskQueue: BASELINE_QUEUE, workflowId, args: [shape] }),
        ),
      );
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(started.map((h) => h.result())),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('the baseline did not end in time')), BASELINE_DEADLINE_MS);
        }),
      ]).finally(() => clearTimeout(timer));
    });
    const baseUse = use.read();
    await native.close();
    const noops = await analysed(connection, ids);
    const baseSpan = spanOf(noops);
    const base: Phase = {
      perMinute: (n / baseSpan) * 60_000,
      spanMs: baseSpan,
      analyses: noops.map((c) => c.analysis),
      use: baseUse,
    };

    say(
      `one case: ${size.activities} activities, ${size.children} child workflows, ${model.analysis.events} history events (its and its children's)`,
    );
    say(
      `VCDC ends: ${[...statuses].map(([st, c]) => `${c} ${st}`).join(', ')}; all ${n} ended ${s(wallMs)} s after the first sweep`,
    );
    say('\n| | VCDC | no-op baseline |\n|---|---|---|');
    say(`| first registration to last close | ${s(vcdc.spanMs)} s | ${s(base.spanMs)} s |`);
    say(`| cases per minute | ${vcdc.perMinute.toFixed(2)} | ${base.perMinute.toFixed(2)} |`);
    say(`| ratio VCDC / baseline | ${(vcdc.perMinute / base.perMinute).toFixed(3)} | |`);
    for (const [label, pick] of [
      ['registration to close per case, median', (a: Analysis) => a.totalMs],
      ['machine-side per case, median', (a: Analysis) => a.machineMs],
      ['deliberate waits per case, median', (a: Analysis) => a.totalMs - a.machineMs],
    ] as const) {
      say(`| ${label} | ${s(median(vcdc.analyses.map(pick)))} s | ${s(median(base.analyses.map(pick)))} s |`);
    }
    say(
      '\n| process | VCDC peak RSS MB | VCDC CPU s (cores) | baseline peak RSS MB | baseline CPU s (cores) |\n|---|---|---|---|---|',
    );
    for (const [name, u] of vcdc.use) {
      const b = base.use.get(name);
      const cores = (cpu: number, span: number) => `${cpu.toFixed(1)} (${(cpu / (span / 1000)).toFixed(2)})`;
      say(
        `| ${name} | ${u.peakRssMb.toFixed(0)} | ${cores(u.cpuSeconds, wallMs)} | ${b?.peakRssMb.toFixed(0) ?? '-'} | ${b ? cores(b.cpuSeconds, base.spanMs) : '-'} |`,
      );
    }
    printCpuPerCase(n, vcdc.use, base.use);
    printBreakdown(vcdc.analyses);
  } finally {
    use.stop();
    await connection.close();
    await stack.stop();
  }
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const counts = (process.argv[2] ?? '10,50,200').split(',').map(Number);
  if (counts.some((c) => !Number.isInteger(c) || c < 1 || c > 500)) {
    throw new Error('usage: npm run bench:orchestration -- [N,N,...] with 1 <= N <= 500');
  }
  for (const n of counts) await runOnce(n);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
