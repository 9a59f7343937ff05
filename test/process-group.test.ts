/**
 * The dev stack's process group heals (issue 14): a part that dies is started again with backoff and
 * the console says so; only a part that keeps dying stops the stack. Real child processes.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ProcessGroup, stamped } from '../scripts/lib/process-group';

const fast = { maxRestarts: 2, windowMs: 60_000, firstDelayMs: 50, maxDelayMs: 200 };

const startsIn = (dir: string) => {
  try {
    return Number(readFileSync(path.join(dir, 'starts'), 'utf8'));
  } catch {
    return 0;
  }
};

/** A part that dies `dies` times (counted in a file), then stays up. */
function flakyPart(dir: string, dies: number): string[] {
  const counter = path.join(dir, 'starts');
  return [
    '-e',
    `const fs=require('fs');const n=(fs.existsSync(${JSON.stringify(counter)})?Number(fs.readFileSync(${JSON.stringify(counter)},'utf8')):0)+1;` +
      `fs.writeFileSync(${JSON.stringify(counter)},String(n));if(n<=${dies})process.exit(3);setInterval(()=>{},1000);`,
  ];
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a part that dies twice is started again each time, said on the console, and stays up', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vcdc-group-'));
  const said: string[] = [];
  const stopped: string[] = [];
  const group = new ProcessGroup(
    dir,
    path.join(dir, 'logs'),
    (name) => stopped.push(name),
    fast,
    (l) => said.push(l),
  );
  try {
    const first = group.start('flaky', process.execPath, flakyPart(dir, 2), {});
    const pidFile = path.join(dir, 'logs', 'flaky.pid');
    expect(readFileSync(pidFile, 'utf8').trim()).toBe(String(first.pid));
    await until(() => startsIn(dir) === 3);
    expect(group.restartsOf('flaky')).toBe(2);
    // The pid file names the process running now, not the first one.
    await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== String(first.pid));
    const now = Number(readFileSync(pidFile, 'utf8').trim());
    expect(() => process.kill(now, 0)).not.toThrow();
    expect(stopped).toEqual([]);
    expect(said).toEqual([
      expect.stringMatching(/^flaky exited \(code 3\); starting it again in 0 s \(restart 1 of at most 2/),
      expect.stringMatching(/^flaky exited \(code 3\); starting it again in 0 s \(restart 2 of at most 2/),
    ]);
  } finally {
    await group.stopAll(2000);
  }
});

test('a part that keeps dying stops the stack once its restarts are spent', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vcdc-group-'));
  const stopped: Array<[string, number | null]> = [];
  const group = new ProcessGroup(
    dir,
    path.join(dir, 'logs'),
    (name, code) => stopped.push([name, code]),
    fast,
    () => undefined,
  );
  try {
    group.start('broken', process.execPath, flakyPart(dir, 100), {});
    await until(() => stopped.length > 0);
    expect(stopped).toEqual([['broken', 3]]);
    expect(group.restartsOf('broken')).toBe(2);
    expect(startsIn(dir)).toBe(3);
  } finally {
    await group.stopAll(2000);
  }
});

test('every line the stack prints carries its time and its part', () => {
  expect(stamped('worker', 'started')).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z \[worker\] started\n$/);
});
