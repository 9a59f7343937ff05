/**
 * Child processes of the dev stack: started with a name, their output prefixed on our console and
 * copied to `.data/logs/<name>.log`, and stopped in reverse order with SIGTERM (SIGKILL after a grace
 * period) — so Ctrl-C leaves nothing running.
 *
 * A part that dies is started again, after 1 s, then 2 s, 4 s… (at most 30 s), and the console says
 * so (issue 14: any death used to stop the whole stack). Only a part that keeps dying — more than
 * `maxRestarts` times within `windowMs` — is reported to `onUnexpectedExit`, which stops the stack.
 *
 * Each running part's process id is in `<logDir>/<name>.pid` (rewritten at each restart): an operator,
 * or the fault suite, finds the process to signal without searching the process table.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, type WriteStream, writeFileSync } from 'node:fs';
import path from 'node:path';

interface Managed {
  name: string;
  child: ChildProcess;
  log: WriteStream;
}

export interface RestartPolicy {
  /** How many restarts within `windowMs` a part gets before its death stops the stack (default 5). */
  maxRestarts: number;
  windowMs: number;
  /** The first delay before a restart; it doubles each time, up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
}

/** One console line of the stack: when, which part, what (every line has its time: issue 14). */
export function stamped(part: string, line: string): string {
  return `${new Date().toISOString()} [${part}] ${line}\n`;
}

const DEFAULT_RESTARTS: RestartPolicy = { maxRestarts: 5, windowMs: 300_000, firstDelayMs: 1000, maxDelayMs: 30_000 };

export class ProcessGroup {
  private readonly children: Managed[] = [];
  private stopping = false;

  private readonly restarts = new Map<string, number[]>();

  constructor(
    private readonly cwd: string,
    private readonly logDir: string,
    private readonly onUnexpectedExit: (name: string, code: number | null) => void,
    private readonly restartPolicy: RestartPolicy | 'never' = DEFAULT_RESTARTS,
    private readonly say: (line: string) => void = (line) => process.stdout.write(stamped('vcdc', line)),
  ) {
    mkdirSync(logDir, { recursive: true });
  }

  /** How many times `name` was started again after dying. */
  restartsOf(name: string): number {
    return this.restarts.get(name)?.length ?? 0;
  }

  /** A part died on its own: start it again with backoff, or report it when it keeps dying. */
  private died(name: string, code: number | null, again: () => void): void {
    const policy = this.restartPolicy;
    if (policy === 'never') {
      this.onUnexpectedExit(name, code);
      return;
    }
    const now = Date.now();
    const recent = (this.restarts.get(name) ?? []).filter((at) => now - at < policy.windowMs);
    if (recent.length >= policy.maxRestarts) {
      this.onUnexpectedExit(name, code);
      return;
    }
    const delay = Math.min(policy.firstDelayMs * 2 ** recent.length, policy.maxDelayMs);
    this.restarts.set(name, [...recent, now]);
    this.say(
      `${name} exited (code ${code}); starting it again in ${Math.round(delay / 1000)} s (restart ${recent.length + 1} of at most ${policy.maxRestarts} in ${Math.round(policy.windowMs / 60_000)} min)`,
    );
    setTimeout(() => {
      if (!this.stopping) again();
    }, delay).unref();
  }

  start(
    name: string,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    options: { echo?: boolean } = {},
  ): ChildProcess {
    const log = createWriteStream(path.join(this.logDir, `${name}.log`), { flags: 'a' });
    const child = spawn(command, args, {
      cwd: this.cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const forward = (chunk: Buffer) => {
      log.write(chunk);
      if (options.echo) {
        for (const line of chunk.toString().split('\n')) if (line.trim()) process.stdout.write(stamped(name, line));
      }
    };
    const pidFile = path.join(this.logDir, `${name}.pid`);
    if (child.pid !== undefined) writeFileSync(pidFile, `${child.pid}\n`);
    child.stdout?.on('data', forward);
    child.stderr?.on('data', forward);
    child.on('exit', (code) => {
      rmSync(pidFile, { force: true });
      if (!this.stopping) this.died(name, code, () => this.start(name, command, args, env, options));
    });
    // 'close' comes after the child's output is drained; ending the log on 'exit' instead made a late
    // line a write-after-end, an unhandled stream error that killed the orchestrator mid-shutdown.
    child.on('close', () => log.end());
    log.on('error', (error) => process.stderr.write(`[${name}] log file: ${error.message}\n`));
    this.children.push({ name, child, log });
    return child;
  }

  async stopAll(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    for (const { child } of [...this.children].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      });
    }
  }
}
