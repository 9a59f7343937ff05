/**
 * The dev stack (`scripts/dev.ts`, what `npm start` runs) as a child process of the fault suite, on
 * loopback ports the OS picked and a data folder of its own: every part is a real process the suite can
 * kill -9 (their ids are in `<data>/logs/<part>.pid`), and the stack's process group starts it again as
 * it would for an operator. The suite reads what a person would: the control API with minted dev
 * tokens, the services with this start's credentials (`service-credentials.json`), and the simulators'
 * own state files.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type DevIssuer, loadOrCreateDevIssuer } from '../../control-api/src/dev-issuer';
import { ServiceClient } from '../../packages/shared/src/http/client';
import { freePortIn } from '../../scripts/lib/ports';

const ROOT = path.resolve(__dirname, '../..');

/** The dev stack's parts, as scripts/dev.ts names them (its process group's names). */
export type StackPart =
  | 'postgres'
  | 'temporal'
  | 'simulators'
  | 'custody'
  | 'exchange'
  | 'fx'
  | 'treasury'
  | 'worker'
  | 'control-api'
  /** With VCDC_TEMPORAL=cluster: each Temporal server node; with VCDC_WORKERS > 1: each worker after the first. */
  | `temporal-${number}`
  | `worker-${number}`;

export interface StackProcess {
  dataDir: string;
  /** The Temporal dev server's frontend (host:port); a cluster's first node's. */
  temporalAddress: string;
  /** The stack's PostgreSQL port (embedded; its owner's credentials are scripts/lib/embedded-postgres-url.ts's). */
  postgresPort: number;
  urls: {
    controlApi: string;
    custody: string;
    exchange: string;
    fx: string;
    treasury: string;
    venue: string;
    chain: string;
    fxRates: string;
    evm: { rpcUrl: string; usdtAddress: string };
  };
  issuer: DevIssuer;
  /** This start's service credentials (the worker's, per service). */
  serviceTokens: Record<'custody' | 'exchange' | 'fx' | 'treasury', string>;
  /** A client for one service with its credential (reads). */
  service(name: 'custody' | 'exchange' | 'fx' | 'treasury'): ServiceClient;
  /** The process id of a running part (undefined while it is down). */
  pidOf(part: StackPart): number | undefined;
  /** kill -9 a part; resolves when the process group has started it again (a new pid) and it answers. */
  killAndAwaitRestart(part: StackPart, ready: () => Promise<boolean>, timeoutMs?: number): Promise<{ downMs: number }>;
  /**
   * kill -9 the PostgreSQL server itself (its postmaster; not the wrapper process), as a crash would;
   * resolves when it is back (the wrapper notices, exits, and the process group starts it again).
   */
  killPostgresAndAwaitRestart(ready: () => Promise<boolean>, timeoutMs?: number): Promise<{ downMs: number }>;
  /** What the stack printed (its restarts are said there). */
  output(): string;
  stop(): Promise<void>;
}

export async function startStackProcess(env: Record<string, string> = {}): Promise<StackProcess> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'vcdc-faults-'));
  const names = [
    'VCDC_PG_PORT',
    'TEMPORAL_PORT',
    'TEMPORAL_UI_PORT',
    'CONTROL_API_PORT',
    'CUSTODY_PORT',
    'EXCHANGE_PORT',
    'FX_PORT',
    'TREASURY_PORT',
    'VENUE_SIM_PORT',
    'CHAIN_SIM_PORT',
    'FX_RATES_SIM_PORT',
    'EVM_NODE_PORT',
    'OSL_SIM_PORT',
    'WORKER_PORT',
    'WORKER_SDK_METRICS_PORT',
  ] as const;
  const ports = {} as Record<(typeof names)[number], number>;
  // Below the OS's ephemeral ports (32768 and up): a port picked there may be taken as the source port of
  // an outgoing connection (a Temporal cluster holds many to PostgreSQL) before its part binds it. The
  // Temporal cluster's own ports are 20000-32767 (scripts/lib/temporal-cluster.ts): not these.
  for (const name of names) ports[name] = await freePortIn(10_000, 19_999);
  // The three OTC desks (scripts/dev.ts DESK_SIM_PORTS).
  const deskPorts = [
    await freePortIn(10_000, 19_999),
    await freePortIn(10_000, 19_999),
    await freePortIn(10_000, 19_999),
  ];
  const url = (port: number) => `http://127.0.0.1:${port}`;
  let printed = '';
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/dev.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      DESK_SIM_PORTS: deskPorts.join(','),
      VCDC_DATA_DIR: dataDir,
      VCDC_DEMO: '0',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    printed += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    printed += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const started = Date.now();
    while (!printed.includes('running; Ctrl-C stops everything')) {
      if (child.exitCode !== null)
        throw new Error(`the dev stack exited while starting:\n${printed.slice(-4000)}${dyingPartLog(printed)}`);
      if (Date.now() - started > 300_000)
        throw new Error(`the dev stack did not start in 5 min:\n${printed.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const credentials = JSON.parse(readFileSync(path.join(dataDir, 'service-credentials.json'), 'utf8')) as {
    serviceTokens: StackProcess['serviceTokens'];
  };
  const issuer = await loadOrCreateDevIssuer(path.join(dataDir, 'dev-issuer'));
  const urls: StackProcess['urls'] = {
    controlApi: url(ports.CONTROL_API_PORT),
    custody: url(ports.CUSTODY_PORT),
    exchange: url(ports.EXCHANGE_PORT),
    fx: url(ports.FX_PORT),
    treasury: url(ports.TREASURY_PORT),
    venue: url(ports.VENUE_SIM_PORT),
    chain: url(ports.CHAIN_SIM_PORT),
    fxRates: url(ports.FX_RATES_SIM_PORT),
    evm: { rpcUrl: url(ports.EVM_NODE_PORT), usdtAddress: '' },
  };
  const pidOf = (part: StackPart) => {
    const file = path.join(dataDir, 'logs', `${part}.pid`);
    if (!existsSync(file)) return undefined;
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  };
  return {
    dataDir,
    temporalAddress: `127.0.0.1:${ports.TEMPORAL_PORT}`,
    postgresPort: ports.VCDC_PG_PORT,
    urls,
    issuer,
    serviceTokens: credentials.serviceTokens,
    service: (name) =>
      new ServiceClient({
        service: name,
        baseUrl: urls[name],
        headers: { authorization: `Bearer ${credentials.serviceTokens[name]}` },
      }),
    pidOf,
    async killAndAwaitRestart(part, ready, timeoutMs = 120_000) {
      const before = pidOf(part);
      if (before === undefined) throw new Error(`${part} is not running`);
      const killedAt = Date.now();
      process.kill(before, 'SIGKILL');
      for (;;) {
        const now = pidOf(part);
        if (now !== undefined && now !== before && (await ready().catch(() => false))) {
          return { downMs: Date.now() - killedAt };
        }
        if (Date.now() - killedAt > timeoutMs) throw new Error(`${part} did not come back within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async killPostgresAndAwaitRestart(ready, timeoutMs = 180_000) {
      const pidFile = path.join(dataDir, 'postgres', 'postmaster.pid');
      const postmaster = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
      const killedAt = Date.now();
      process.kill(postmaster, 'SIGKILL');
      // First down (the server is gone), then up again with another postmaster.
      for (;;) {
        const now = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : undefined;
        if (now !== undefined && now !== postmaster && (await ready().catch(() => false))) {
          return { downMs: Date.now() - killedAt };
        }
        if (Date.now() - killedAt > timeoutMs) throw new Error(`PostgreSQL did not come back within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    output: () => printed,
    stop,
  };
}

/** The end of the log of the part the stack stopped for (it names the file), before the data folder goes. */
function dyingPartLog(printed: string): string {
  const file = /see (\S+\.log)\. Stopping\./.exec(printed)?.[1];
  if (!file || !existsSync(file)) return '';
  return `\n--- the end of ${path.basename(file)} ---\n${readFileSync(file, 'utf8').slice(-3000)}`;
}

/** True when `url` answers 200. */
export async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.status === 200;
  } catch {
    return false;
  }
}
