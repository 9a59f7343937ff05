/**
 * What a benchmark reads of a process from /proc (Linux): its stat fields after the command name, and
 * CPU seconds at the kernel's clock-tick rate.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

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
