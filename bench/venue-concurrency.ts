/**
 * Benchmark (a script, not a test): POST /v1/orders for one case, then for twenty cases at once
 * (issue 19, part 2: the ratio should stay within 2).
 *
 * PostgreSQL (DATABASE_URL's server, or an embedded one in a temporary folder), the venue simulator at
 * its dev-stack request limit (VENUE_REQUESTS_PER_SECOND) and the exchange service as the dev stack runs
 * it (`services/exchange/src/main.ts`, the default capability table, so its venue client is paced by the
 * same limit), each in a process of its own, on loopback. Each order is a small market sell of a case
 * of its own, sent as the worker sends it (an Idempotency-Key, a JSON body). One order first warms the
 * service up (markets, the day's legal floor); then ROUNDS single orders one after another and ROUNDS
 * rounds of twenty at once, a little over a second apart, so each starts with the venue's request
 * budget free, as a burst of cases does. It prints the median and p95 of each, their ratio, the CPU
 * per order of the service, the venue and PostgreSQL in each (what one order costs the machine's cores:
 * on loopback a lone order's time is almost all of it), and what the venue saw (requests by route, 429s).
 *
 *   node --import tsx bench/venue-concurrency.ts [cases at once, default 20] [rounds, default 5]
 *   VENUE_REQUESTS_PER_SECOND=300 node --import tsx bench/venue-concurrency.ts   (another venue limit)
 *   VENUE_LATENCY_MS=40 npm run bench:venue-concurrency                          (a venue across a network)
 *   BENCH_CPU_PROF=/tmp/prof npm run bench:venue-concurrency                   (the service's CPU profile)
 *   npm run bench:venue-concurrency
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { seedDevProviders } from '../scripts/lib/dev-providers';
import { freePort } from '../scripts/lib/ports';
import { SYSTEM_SCHEMAS } from '../scripts/lib/system-database';
import { DEFAULT_CAPABILITIES, type VenueCapability } from '../services/exchange/src/capabilities';
import { startChainSimulator } from '../simulators/src/chain';
import { startVenueSimulator, VENUE_REQUESTS_PER_SECOND } from '../simulators/src/venue';
import { provisionForTest } from '../test/support/provision';
import { benchDatabase } from './lib/postgres';
import { treeCpuSeconds } from './lib/proc';

const ROOT = path.resolve(__dirname, '..');
const AT_ONCE = Number(process.argv[2] ?? 20);
/** The venue's limit (the simulator's and the capability table's); VENUE_REQUESTS_PER_SECOND tries another. */
const LIMIT = Number(process.env.VENUE_REQUESTS_PER_SECOND ?? VENUE_REQUESTS_PER_SECOND);
const ROUNDS = Number(process.argv[3] ?? 5);
/**
 * Time the venue adds to every answer (ms, default 0). On loopback a request costs the venue nothing, so
 * the ratio measures only the service's own CPU queueing on this machine; a real venue answers across a
 * network (Hong Kong from the mainland: tens of ms), which the service's parallel calls overlap.
 */
const LATENCY_MS = Number(process.env.VENUE_LATENCY_MS ?? 0);
/** Longer than the venue's window: each measurement starts with its request budget free. */
const PAUSE_MS = 1_200;

const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
};
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return Number.isInteger(mid)
    ? ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
    : (sorted[Math.floor(mid)] as number);
};
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The venue in a process of its own (`venue` argument), as on the dev stack and as a real venue is:
 * its work does not take the service's event loop. It prints its URL, and answers "counts" on stdin
 * with its request counts and 429s as JSON.
 */
async function venueProcess(): Promise<void> {
  const chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  const sim = await startVenueSimulator({
    port: 0,
    seed: 19,
    chainUrl: chain.url,
    bankAccounts: [],
    pollIntervalMs: 60_000,
    initialBalances: { BTC: '100', USDT: '0' },
    requestsPerSecond: LIMIT,
    ...(LATENCY_MS > 0 ? { faults: { latencyMs: LATENCY_MS } } : {}),
  });
  console.log(JSON.stringify({ url: sim.url }));
  process.stdin.setEncoding('utf8');
  for await (const line of process.stdin) {
    if (String(line).trim() === 'counts')
      console.log(JSON.stringify({ counts: [...sim.requestLimit.counts], refused: sim.requestLimit.refused }));
  }
  await sim.close();
  await chain.close();
}

interface VenueCounts {
  counts: [string, number][];
  refused: number;
}

async function startVenueProcess(): Promise<{
  url: string;
  pid: number;
  counts: () => Promise<VenueCounts>;
  stop: () => void;
}> {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename, 'venue'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, VENUE_REQUESTS_PER_SECOND: String(LIMIT) },
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const nextLine = () => new Promise<string>((resolve) => waiting.push(resolve));
  const { url } = JSON.parse(await nextLine()) as { url: string };
  return {
    url,
    pid: child.pid as number,
    counts: async () => {
      const answer = nextLine();
      child.stdin?.write('counts\n');
      return JSON.parse(await answer) as VenueCounts;
    },
    stop: () => child.stdin?.end(),
  };
}

/** The exchange service as on the dev stack: `services/exchange/src/main.ts`, a process of its own. */
async function startServiceProcess(
  env: Record<string, string>,
): Promise<{ url: string; cpuMs: () => number; queries: () => Promise<number>; stop: () => Promise<void> }> {
  const port = await freePort();
  // The SQL statements it sends, counted by a preload (bench/lib/count-queries.cjs) that writes them here on SIGUSR2.
  const countDir = mkdtempSync(path.join(os.tmpdir(), 'bench-queries-'));
  const countFile = path.join(countDir, 'count');
  const child = spawn(
    process.execPath,
    [
      '--require',
      path.join(__dirname, 'lib/count-queries.cjs'),
      // BENCH_CPU_PROF=<folder>: the service's CPU profile, written there when it stops.
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : []),
      '--import',
      'tsx',
      path.join(ROOT, 'services/exchange/src/main.ts'),
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', QUERY_COUNT_FILE: countFile },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('the exchange service did not start');
    await pause(250);
  }
  // utime + stime of the process (clock ticks, 100 a second on Linux) from /proc.
  const cpuMs = () => {
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  };
  const queries = async () => {
    rmSync(countFile, { force: true });
    child.kill('SIGUSR2');
    while (!existsSync(countFile)) await pause(10);
    await pause(10); // written in one call; a little more time for it to land whole
    return Number(readFileSync(countFile, 'utf8'));
  };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    cpuMs,
    queries,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      rmSync(countDir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  const db = await benchDatabase(`bench_venue_${process.pid}`);
  const sim = await startVenueProcess();
  const hashkey = DEFAULT_CAPABILITIES.hashkey as VenueCapability;
  const databaseUrl = await provisionForTest(db.url, SYSTEM_SCHEMAS.exchange);
  // The venue in the register of licensed providers, as the dev stack enters it (two people's acts).
  await seedDevProviders(databaseUrl);
  const service = await startServiceProcess({
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    VENUE_API_URL: sim.url,
    VENUE_CAPABILITIES: JSON.stringify({ hashkey: { ...hashkey, requestLimit: { perSecond: LIMIT } } }),
  });
  /** CPU ms so far of the service, the venue process and PostgreSQL (when embedded: its postmaster and backends). */
  const postmaster = db.postmaster();
  const cpuNow = () => ({
    service: service.cpuMs(),
    venue: treeCpuSeconds(sim.pid) * 1000,
    postgres: postmaster ? treeCpuSeconds(postmaster) * 1000 : Number.NaN,
  });
  type Cpu = ReturnType<typeof cpuNow>;
  /** CPU taken while `work` ran (not in the pauses between, where the processes' timers tick on), added to `into`. */
  const during = async <T>(into: Cpu, work: () => Promise<T>): Promise<T> => {
    const from = cpuNow();
    const result = await work();
    const to = cpuNow();
    for (const k of ['service', 'venue', 'postgres'] as const) into[k] += to[k] - from[k];
    return result;
  };
  const cpuPer = (used: Cpu, orders: number) => {
    const ms = (k: keyof Cpu) => used[k] / orders;
    const all = ms('service') + ms('venue') + ms('postgres');
    const f = (v: number) => (Number.isNaN(v) ? 'n/a' : `${v.toFixed(1)} ms`);
    return `service ${f(ms('service'))}, venue ${f(ms('venue'))}, PostgreSQL ${f(ms('postgres'))} (all ${f(all)})`;
  };
  let next = 0;
  /** One case's order, as the worker places it; its answer time in ms. */
  const order = async (): Promise<number> => {
    const i = next++;
    const started = performance.now();
    const res = await fetch(`${service.url}/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `bench-${i}` },
      body: JSON.stringify({
        caseId: `CASE-BENCH-${i}`,
        clientOrderId: `bench-${i}-lot-1-sell-1`,
        symbol: 'BTC/USDT',
        type: 'market',
        amount: '0.01',
      }),
    });
    const ms = performance.now() - started;
    if (res.status !== 201) throw new Error(`order ${i}: ${res.status} ${await res.text()}`);
    return ms;
  };
  try {
    await order(); // warm-up: markets, candles, connections
    await pause(PAUSE_MS);
    const single: number[] = [];
    const singleCpu: Cpu = { service: 0, venue: 0, postgres: 0 };
    for (let r = 0; r < ROUNDS; r++) {
      single.push(await during(singleCpu, order));
      await pause(PAUSE_MS);
    }
    const singleCpuPer = cpuPer(singleCpu, ROUNDS);
    const atOnce: number[] = [];
    const atOnceCpu: Cpu = { service: 0, venue: 0, postgres: 0 };
    const cpu = service.cpuMs();
    const queriesBefore = await service.queries();
    const cpuFrom = next;
    for (let r = 0; r < ROUNDS; r++) {
      atOnce.push(...(await during(atOnceCpu, () => Promise.all(Array.from({ length: AT_ONCE }, () => order())))));
      await pause(PAUSE_MS);
    }
    const cpuPerOrder = (service.cpuMs() - cpu) / (next - cpuFrom);
    const atOnceCpuPer = cpuPer(atOnceCpu, next - cpuFrom);
    const queriesPerOrder = ((await service.queries()) - queriesBefore) / (next - cpuFrom);
    const venue = await sim.counts();
    const requests = venue.counts.reduce((s, [, n]) => s + n, 0);
    const one = median(single);
    const many = median(atOnce);
    const f = (ms: number) => `${ms.toFixed(0)} ms`;
    console.log(
      `venue request limit: ${LIMIT}/s (simulator and capability table); venue latency ${LATENCY_MS} ms per answer`,
    );
    console.log(`1 case:            median ${f(one)}, p95 ${f(quantile(single, 0.95))} (${single.length} orders)`);
    console.log(
      `${AT_ONCE} cases at once:   median ${f(many)}, p95 ${f(quantile(atOnce, 0.95))} (${atOnce.length} orders, ${ROUNDS} rounds)`,
    );
    console.log(`exchange service CPU per order at once: ${cpuPerOrder.toFixed(1)} ms (one Node process)`);
    console.log(`CPU per order, 1 case:  ${singleCpuPer}`);
    console.log(`CPU per order, at once: ${atOnceCpuPer} (${os.availableParallelism()} cores)`);
    console.log(`exchange service SQL statements per order at once: ${queriesPerOrder.toFixed(1)}`);
    console.log(`ratio (median ${AT_ONCE} at once / median 1): ${(many / one).toFixed(2)} (acceptance: <= 2)`);
    console.log(
      `venue: ${requests} requests for ${next} orders (${(requests / next).toFixed(1)} each), ${venue.refused} refused with 429`,
    );
    console.log(`       by route: ${venue.counts.map(([route, n]) => `${route} ${n}`).join(', ')}`);
  } finally {
    await service.stop();
    sim.stop();
    await db.stop();
  }
}

(process.argv[2] === 'venue' ? venueProcess() : main()).catch((error) => {
  console.error(error);
  process.exit(1);
});
