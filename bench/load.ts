/**
 * Benchmark (a script, not a test): N cases at once on the dev stack (issue 14, part 6).
 *
 * For each N it starts a fresh dev stack (`scripts/dev.ts`, every part its own process, sale compressed
 * to two slices over four seconds), registers N small BTC cases at once and drives each to its end as
 * the demo's people would (custodians attest, supervisors and the FX officer decide through the control
 * API: a bounded auto-approver, one per case). It prints:
 *  - the time from the first registration to the last case's end, and cases per minute;
 *  - how the cases ended;
 *  - p50 / p95 of each service call as the worker saw it: from the cases' Temporal histories, each
 *    activity's last attempt from start to completion (the calls the case made, not the waits between);
 *  - peak resident memory (VmHWM) and CPU seconds of every part of the stack, from /proc.
 *
 *   node --import tsx bench/load.ts [N,N,...]      (default 20,50,100)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { Decimal } from '../packages/shared/src/money';
import { type DemoLot, runDemoCase } from '../scripts/demo/demo-case';
import { type StackPart, type StackProcess, startStackProcess } from '../test/support/stack-process';
import { cpuSeconds, treeOf } from './lib/proc';

const PARTS: StackPart[] = [
  'postgres',
  'temporal',
  'simulators',
  'custody',
  'exchange',
  'fx',
  'treasury',
  'worker',
  'control-api',
];
/** A case that has not ended in this long counts as not finished (the run goes on to the figures). */
const CASE_DEADLINE_MS = 45 * 60_000;

const lotsOf = (i: number): DemoLot[] => [
  {
    lotId: 'LOT-1',
    asset: 'BTC',
    chain: 'bitcoin',
    amount: new Decimal('0.02').plus(new Decimal(i % 17).mul('0.0071')).toFixed(),
    verification: 'ATTESTED',
  },
];

interface ProcessUse {
  peakRssMb: number;
  cpuSeconds: number;
}

/**
 * A part's use from /proc (Linux): the sum of its processes' peak resident sets (VmHWM; peaks that may
 * not coincide, so an upper bound), and CPU seconds: every live process's own, plus what the root
 * collected from children that ended (PostgreSQL's closed backends).
 */
function useOf(root: number): ProcessUse | undefined {
  let peakKb = 0;
  let seconds = 0;
  for (const pid of treeOf(root)) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      peakKb += Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
      seconds += cpuSeconds(pid, pid === root);
    } catch {
      if (pid === root) return undefined;
    }
  }
  return { peakRssMb: peakKb / 1024, cpuSeconds: seconds };
}

/** The PostgreSQL server's postmaster (the wrapper process the stack starts is not where its work is). */
function postmasterOf(stack: StackProcess): number | undefined {
  try {
    return Number(readFileSync(path.join(stack.dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/**
 * Each activity's last attempt (start to completion), per activity type, over every workflow of the run.
 * Read with the raw service calls: the payloads are encrypted (the stack's codec) and none is needed here.
 */
async function callDurations(stack: StackProcess): Promise<Map<string, number[]>> {
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const service = connection.workflowService;
  const namespace = 'default';
  const byType = new Map<string, number[]>();
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
    Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
  try {
    let page: Uint8Array | undefined;
    do {
      const listed = await service.listWorkflowExecutions({ namespace, pageSize: 500, nextPageToken: page });
      for (const wf of listed.executions ?? []) {
        let historyPage: Uint8Array | undefined;
        const scheduled = new Map<string, string>();
        const startedAt = new Map<string, number>();
        do {
          const h = await service.getWorkflowExecutionHistory({
            namespace,
            execution: wf.execution,
            nextPageToken: historyPage,
          });
          for (const e of h.history?.events ?? []) {
            if (e.activityTaskScheduledEventAttributes) {
              scheduled.set(String(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name ?? '?');
            } else if (e.activityTaskStartedEventAttributes) {
              startedAt.set(String(e.activityTaskStartedEventAttributes.scheduledEventId), ms(e.eventTime));
            } else if (e.activityTaskCompletedEventAttributes) {
              const s = String(e.activityTaskCompletedEventAttributes.scheduledEventId);
              const type = scheduled.get(s);
              const start = startedAt.get(s);
              if (type && start !== undefined) byType.set(type, [...(byType.get(type) ?? []), ms(e.eventTime) - start]);
            }
          }
          historyPage = h.nextPageToken?.length ? h.nextPageToken : undefined;
        } while (historyPage);
      }
      page = listed.nextPageToken?.length ? listed.nextPageToken : undefined;
    } while (page);
  } finally {
    await connection.close();
  }
  return byType;
}

async function runOnce(n: number): Promise<void> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(`\n== ${n} cases at once ==`);
  const stack = await startStackProcess({
    VCDC_SALE_SLICES: '2',
    VCDC_SALE_HORIZON_SECONDS: '4',
    RATE_LIMIT_PER_MINUTE: '1000000',
  });
  const use = new Map<StackPart, ProcessUse>();
  const sample = () => {
    for (const part of PARTS) {
      const pid = part === 'postgres' ? postmasterOf(stack) : stack.pidOf(part);
      const u = pid === undefined ? undefined : useOf(pid);
      if (!u) continue;
      const before = use.get(part);
      use.set(part, {
        peakRssMb: Math.max(before?.peakRssMb ?? 0, u.peakRssMb),
        cpuSeconds: Math.max(before?.cpuSeconds ?? 0, u.cpuSeconds),
      });
    }
  };
  const sampler = setInterval(sample, 2000);
  try {
    const startCpu = new Map(PARTS.map((p) => [p, use.get(p)?.cpuSeconds ?? 0]));
    sample();
    for (const p of PARTS) startCpu.set(p, use.get(p)?.cpuSeconds ?? 0);
    const t0 = Date.now();
    const ends = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const caseId = `LOAD-${n}-${String(i + 1).padStart(3, '0')}`;
        try {
          const progress = await runDemoCase({
            urls: { ...stack.urls, evm: undefined, custodyCredential: stack.serviceTokens.custody },
            log: () => undefined,
            caseId,
            lots: lotsOf(i),
            timeoutMs: CASE_DEADLINE_MS,
            token: (person) => stack.issuer.mint(person),
          });
          return { status: progress.status, ms: Date.now() - t0 };
        } catch (error) {
          return { status: `not finished (${String(error).slice(0, 80)})`, ms: Date.now() - t0 };
        }
      }),
    );
    const wallMs = Math.max(...ends.map((e) => e.ms));
    sample();
    const statuses = new Map<string, number>();
    for (const e of ends) statuses.set(e.status, (statuses.get(e.status) ?? 0) + 1);
    const perCase = ends.map((e) => e.ms).sort((a, b) => a - b);
    say(`all ${n} ended in ${(wallMs / 60_000).toFixed(2)} min: ${((n / wallMs) * 60_000).toFixed(2)} cases/min`);
    say(`ends: ${[...statuses].map(([s, c]) => `${c} ${s}`).join(', ')}`);
    say(
      `registration to end per case: p50 ${(quantile(perCase, 0.5) / 1000).toFixed(0)} s, p95 ${(quantile(perCase, 0.95) / 1000).toFixed(0)} s`,
    );
    say('\n| service call (activity) | calls | p50 ms | p95 ms |\n|---|---|---|---|');
    const calls = await callDurations(stack);
    for (const [type, ms] of [...calls].sort((a, b) => a[0].localeCompare(b[0]))) {
      ms.sort((a, b) => a - b);
      say(`| ${type} | ${ms.length} | ${quantile(ms, 0.5)} | ${quantile(ms, 0.95)} |`);
    }
    say('\n| process | peak RSS MB | CPU s during the run |\n|---|---|---|');
    for (const part of PARTS) {
      const u = use.get(part);
      if (u) say(`| ${part} | ${u.peakRssMb.toFixed(0)} | ${(u.cpuSeconds - (startCpu.get(part) ?? 0)).toFixed(0)} |`);
    }
  } finally {
    clearInterval(sampler);
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const counts = (process.argv[2] ?? '20,50,100').split(',').map(Number);
  if (counts.some((c) => !Number.isInteger(c) || c < 1 || c > 500)) {
    throw new Error('usage: node --import tsx bench/load.ts [N,N,...] with 1 <= N <= 500');
  }
  for (const n of counts) await runOnce(n);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
