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
import { Connection } from '@temporalio/client';
import { type StackProcess, startStackProcess } from '../test/support/stack-process';
import { COMPRESSED_SALE, runCasesAtOnce } from './lib/demo-cases';
import { quantile, sampleStackUse } from './lib/stack-use';

/** A case that has not ended in this long counts as not finished (the run goes on to the figures). */
const CASE_DEADLINE_MS = 45 * 60_000;

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
  const stack = await startStackProcess({ ...COMPRESSED_SALE, RATE_LIMIT_PER_MINUTE: '1000000' });
  const use = sampleStackUse(stack);
  try {
    use.mark();
    const { ends, wallMs } = await runCasesAtOnce(stack, n, `LOAD-${n}`, CASE_DEADLINE_MS);
    const used = use.read();
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
    for (const [part, u] of used) say(`| ${part} | ${u.peakRssMb.toFixed(0)} | ${u.cpuSeconds.toFixed(0)} |`);
  } finally {
    use.stop();
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
