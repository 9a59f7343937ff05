/**
 * What a benchmark reads of a process from /proc (Linux): its stat fields after the command name, and
 * CPU seconds at the kernel's clock-tick rate.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second, as /proc counts CPU time. */
export const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/**
 * /proc/<pid>/stat after "(comm) " (the command may hold spaces): index 0 is the state (field 3), 1 the
 * parent, 11 and 12 utime and stime (fields 14, 15), 13 and 14 what ended children used (fields 16, 17).
 */
export function statFields(pid: number | string): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** A process's own CPU seconds (utime + stime); with `children`, plus what its ended children used. */
export function cpuSeconds(pid: number, children = false): number {
  const f = statFields(pid);
  const ticks = Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0);
  return ticks / CLOCK_TICKS;
}

/** The process and every process under it (PostgreSQL's backends, the Temporal server's children). */
export function treeOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(statFields(entry)[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const all = [root];
  for (let i = 0; i < all.length; i++) all.push(...(children.get(all[i] as number) ?? []));
  return all;
}

/** CPU seconds of a process and every live process under it, plus what the root collected from children that ended. */
export function treeCpuSeconds(root: number): number {
  let seconds = 0;
  for (const pid of treeOf(root)) {
    try {
      seconds += cpuSeconds(pid, pid === root);
    } catch {
      // gone meanwhile (its time is in its parent's, once collected)
    }
  }
  return seconds;
}
