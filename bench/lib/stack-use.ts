/**
 * What each part of a dev stack started by a benchmark (test/support/stack-process.ts) uses, from /proc
 * (Linux): peak resident memory and CPU seconds, sampled while cases run.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { StackPart, StackProcess } from '../../test/support/stack-process';
import { cpuSeconds, treeOf } from './proc';

export const STACK_PARTS: StackPart[] = [
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

export interface ProcessUse {
  peakRssMb: number;
  cpuSeconds: number;
}

/**
 * A process tree's use: the sum of its processes' peak resident sets (VmHWM; peaks that may not
 * coincide, so an upper bound), and CPU seconds: every live process's own, plus what the root
 * collected from children that ended (PostgreSQL's closed backends).
 */
export function useOf(root: number, tree = true): ProcessUse | undefined {
  let peakKb = 0;
  let seconds = 0;
  for (const pid of tree ? treeOf(root) : [root]) {
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
export function postmasterOf(stack: StackProcess): number | undefined {
  try {
    return Number(readFileSync(path.join(stack.dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}

export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** A window of use per part: peaks, and CPU seconds since `mark()`. */
export interface UseWindow {
  /** Start a window: CPU is counted from here (peaks are the processes' own, since they started). */
  mark(): void;
  /** Each part's peak RSS and CPU seconds since the last mark. */
  read(): Map<string, ProcessUse>;
  stop(): void;
}

/**
 * Samples every part of the stack every 2 s (a part restarted by its process group is a new pid: the
 * largest figure seen is kept), plus any extra processes named in `extra`, each alone (not its children:
 * the benchmark itself, whose child is the stack).
 */
export function sampleStackUse(stack: StackProcess, extra: Record<string, number> = {}): UseWindow {
  const seen = new Map<string, ProcessUse>();
  let base = new Map<string, number>();
  const pids = (): Array<[string, number | undefined, boolean]> => [
    ...STACK_PARTS.map((part): [string, number | undefined, boolean] => [
      part,
      part === 'postgres' ? postmasterOf(stack) : stack.pidOf(part),
      true,
    ]),
    ...Object.entries(extra).map(([name, pid]): [string, number, boolean] => [name, pid, false]),
  ];
  const sample = () => {
    for (const [name, pid, tree] of pids()) {
      const u = pid === undefined ? undefined : useOf(pid, tree);
      if (!u) continue;
      const before = seen.get(name);
      seen.set(name, {
        peakRssMb: Math.max(before?.peakRssMb ?? 0, u.peakRssMb),
        cpuSeconds: Math.max(before?.cpuSeconds ?? 0, u.cpuSeconds),
      });
    }
  };
  const timer = setInterval(sample, 2000);
  sample();
  return {
    mark() {
      sample();
      base = new Map([...seen].map(([name, u]) => [name, u.cpuSeconds]));
    },
    read() {
      sample();
      return new Map(
        [...seen].map(([name, u]) => [
          name,
          { peakRssMb: u.peakRssMb, cpuSeconds: u.cpuSeconds - (base.get(name) ?? 0) },
        ]),
      );
    },
    stop: () => clearInterval(timer),
  };
}
