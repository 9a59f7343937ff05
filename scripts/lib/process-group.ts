/**
 * Child processes of the dev stack: started with a name, their output prefixed on our console and
 * copied to `.data/logs/<name>.log`, and stopped in reverse order with SIGTERM (SIGKILL after a grace
 * period) — so Ctrl-C leaves nothing running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';

interface Managed {
  name: string;
  child: ChildProcess;
  log: WriteStream;
}

export class ProcessGroup {
  private readonly children: Managed[] = [];
  private stopping = false;

  constructor(
    private readonly cwd: string,
    private readonly logDir: string,
    private readonly onUnexpectedExit: (name: string, code: number | null) => void,
  ) {
    mkdirSync(logDir, { recursive: true });
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
        for (const line of chunk.toString().split('\n')) if (line.trim()) process.stdout.write(`[${name}] ${line}\n`);
      }
    };
    child.stdout?.on('data', forward);
    child.stderr?.on('data', forward);
    child.on('exit', (code) => {
      if (!this.stopping) this.onUnexpectedExit(name, code);
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
