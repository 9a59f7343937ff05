/**
 * Benchmark (a script, not a test): does the venue simulator's cost grow with the deposits it has seen?
 * (issue 19: it rewrote its whole state file for every deposit every second: 3.7% of a core fresh,
 * about 25% at 135 deposits, saturated at about 218.)
 *
 * The venue and the ledger chain run in one child process, as in the dev stack's simulators process
 * (moving market, state files in a fresh folder, the venue's 1 s tick, a block a second; the dev stack's
 * EVM node is a process of its own and is left out here). This script measures the child's CPU from /proc/<pid>/stat over a fixed idle window and the latency of a
 * deposit read as the exchange service makes it (ccxt `fetchDeposits(asset, undefined, 200)`, signed,
 * over HTTP), first fresh, then after N deposits (default 1,000) sent to the venue's bitcoin deposit
 * address through the chain's own routes and credited by the venue's own polling: the path a case's
 * BTC takes from custody. It prints both, their ratios, and whether the state file was written while
 * the venue sat idle.
 *
 *   npm run bench:venue-cost [-- deposits=1000 windowS=30 reads=40]
 *   node --import tsx bench/venue-simulator-cost.ts deposits=1000 windowS=30 reads=40
 *
 * Acceptance (issue 19): CPU after 1,000 deposits within 2x of a fresh venue. Linux only (/proc).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import ccxt from 'ccxt';
import { startChainSimulator } from '../simulators/src/chain';
import { DEV_VENUE_API_KEY, DEV_VENUE_SECRET, startVenueSimulator } from '../simulators/src/venue';
import { cpuSeconds } from './lib/proc';

const CHILD_FLAG = '--venue-child';

/** The child: the ledger chain and the venue simulator as the dev stack starts them, until SIGTERM. */
async function runVenueChild(dir: string): Promise<void> {
  const chain = await startChainSimulator({ port: 0, blockIntervalMs: 1000, stateFile: path.join(dir, 'chain.json') });
  const venue = await startVenueSimulator({
    port: 0,
    chainUrl: chain.url,
    stateFile: path.join(dir, 'venue.json'),
    dynamics: {}, // the dev stack's default market (VENUE_MARKET=moving)
    bankAccounts: [{ id: 'BENCH-001', name: 'Benchmark account', bank: 'Bench bank' }],
  });
  const ready = { url: venue.url, chainUrl: chain.url, btcAddress: venue.venue.state.depositAddresses.bitcoin };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  process.on('SIGTERM', () => {
    void venue
      .close()
      .then(() => chain.close())
      .then(() => process.exit(0));
  });
}

function arg(name: string, fallback: number): number {
  const found = process.argv.find((a) => a.startsWith(`${name}=`));
  return found ? Number(found.slice(name.length + 1)) : fallback;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Share of one core the process used over `windowS` seconds of wall time. */
async function idleCpu(pid: number, windowS: number): Promise<number> {
  const cpu0 = cpuSeconds(pid);
  const t0 = process.hrtime.bigint();
  await sleep(windowS * 1000);
  const cpu1 = cpuSeconds(pid);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  return (cpu1 - cpu0) / wall;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function readLatencies(
  venueUrl: string,
  reads: number,
): Promise<{ medianMs: number; maxMs: number; listed: number }> {
  const ex = new ccxt.hashkey({
    apiKey: DEV_VENUE_API_KEY,
    secret: DEV_VENUE_SECRET,
    enableRateLimit: false,
    urls: { api: { public: venueUrl, private: venueUrl } },
  });
  await ex.loadMarkets();
  for (let i = 0; i < 3; i++) await ex.fetchDeposits('BTC', undefined, 200); // warm-up (JIT, connections): not counted
  const times: number[] = [];
  let listed = 0;
  for (let i = 0; i < reads; i++) {
    const t0 = process.hrtime.bigint();
    const deposits = await ex.fetchDeposits('BTC', undefined, 200); // what the exchange service asks
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    listed = deposits.length;
  }
  return { medianMs: median(times), maxMs: Math.max(...times), listed };
}

async function creditedCount(venueUrl: string): Promise<number> {
  const ex = new ccxt.hashkey({
    apiKey: DEV_VENUE_API_KEY,
    secret: DEV_VENUE_SECRET,
    enableRateLimit: false,
    urls: { api: { public: venueUrl, private: venueUrl } },
  });
  const deposits = await ex.fetchDeposits('BTC', undefined, 1000);
  return deposits.filter((d) => d.status === 'ok').length;
}

/** A simulator's state files (the venue's snapshot and journal, the chain's file): sizes and last changes. */
function stateFiles(dir: string, prefix: string): { bytes: number; signature: string } {
  const files = readdirSync(dir).filter((name) => name.startsWith(prefix));
  const stats = files.map((name) => ({ name, stat: statSync(path.join(dir, name)) }));
  return {
    bytes: stats.reduce((sum, f) => sum + f.stat.size, 0),
    signature: stats.map((f) => `${f.name}:${f.stat.ino}:${f.stat.size}:${f.stat.mtimeMs}`).join('|'),
  };
}

async function untilCredited(venueUrl: string, count: number, since: number): Promise<void> {
  for (;;) {
    const credited = await creditedCount(venueUrl);
    if (credited >= count) return;
    if (Date.now() - since > 600_000) throw new Error(`only ${credited} of ${count} deposits credited after 10 min`);
    await sleep(1000);
  }
}

async function main(): Promise<void> {
  const depositCount = arg('deposits', 1000);
  const windowS = arg('windowS', 30);
  const reads = arg('reads', 40);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'venue-cost-'));
  let child: ChildProcess | undefined;
  try {
    child = spawn(process.execPath, ['--import', 'tsx', __filename, CHILD_FLAG, dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = child.pid as number;
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child?.stdout as NodeJS.ReadableStream }).once('line', resolve);
      child?.once('exit', (code) => reject(new Error(`venue child exited with ${code}`)));
    });
    const { url, chainUrl, btcAddress } = JSON.parse(first) as { url: string; chainUrl: string; btcAddress: string };
    console.log(
      `simulators (chain + venue): pid ${pid}, venue ${url}, chain ${chainUrl}; state in ${dir}; idle window ${windowS} s`,
    );

    await sleep(10_000); // past start-up (module loading, JIT, the first polls)
    const freshCpu = await idleCpu(pid, windowS);
    const freshRead = await readLatencies(url, reads);
    console.log(
      `fresh:        idle CPU ${(freshCpu * 100).toFixed(2)}% of a core; deposit read median ${freshRead.medianMs.toFixed(1)} ms (max ${freshRead.maxMs.toFixed(1)}, ${freshRead.listed} listed)`,
    );

    const t0 = Date.now();
    // A first read at the listing's limit (200 deposits), to tell the cost of the answer's size from growth with history.
    const checkpoint = Math.min(200, depositCount);
    let atCheckpoint: Awaited<ReturnType<typeof readLatencies>> | undefined;
    for (let sent = 0; sent < depositCount; ) {
      if (sent === checkpoint) {
        await untilCredited(url, sent, t0);
        atCheckpoint = await readLatencies(url, reads);
        console.log(
          `after ${sent}:    deposit read median ${atCheckpoint.medianMs.toFixed(1)} ms (max ${atCheckpoint.maxMs.toFixed(1)}, ${atCheckpoint.listed} listed)`,
        );
      }
      const batch = Math.min(50, (sent < checkpoint ? checkpoint : depositCount) - sent);
      await Promise.all(
        Array.from({ length: batch }, async (_, i) => {
          const response = await fetch(`${chainUrl}/v1/chains/bitcoin/faucet`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              address: btcAddress,
              asset: 'BTC',
              amount: `0.0${String(sent + i + 1).padStart(4, '0')}`,
            }),
          });
          if (response.status !== 201) throw new Error(`chain faucet answered ${response.status}`);
        }),
      );
      sent += batch;
    }
    await untilCredited(url, depositCount, t0);
    console.log(`${depositCount} deposits sent and credited in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    await sleep(3000); // the write-behind interval passes; blocks keep coming
    const before = stateFiles(dir, 'venue.json');
    const chainBefore = stateFiles(dir, 'chain.json');
    const afterCpu = await idleCpu(pid, windowS);
    const after = stateFiles(dir, 'venue.json');
    const chainAfter = stateFiles(dir, 'chain.json');
    const afterRead = await readLatencies(url, reads);
    console.log(
      `after ${depositCount}: idle CPU ${(afterCpu * 100).toFixed(2)}% of a core; deposit read median ${afterRead.medianMs.toFixed(1)} ms (max ${afterRead.maxMs.toFixed(1)}, ${afterRead.listed} listed)`,
    );
    const written = after.signature !== before.signature;
    const chainWritten = chainAfter.signature !== chainBefore.signature;
    console.log(
      `venue state (snapshot + journal) ${(after.bytes / 1024).toFixed(0)} KiB, written during the idle window: ${written ? 'yes' : 'no'}; ` +
        `chain state ${(chainAfter.bytes / 1024).toFixed(0)} KiB, written: ${chainWritten ? 'yes (its empty blocks, every 30 s)' : 'no'}`,
    );
    const ratio = afterCpu / Math.max(freshCpu, 1e-9);
    console.log(
      `ratio after/fresh: idle CPU ${ratio.toFixed(2)}x (acceptance: within 2x: ${ratio <= 2 ? 'met' : 'NOT met'}); deposit read ${(afterRead.medianMs / freshRead.medianMs).toFixed(2)}x` +
        (atCheckpoint
          ? `; deposit read after ${depositCount} / after ${checkpoint}: ${(afterRead.medianMs / atCheckpoint.medianMs).toFixed(2)}x`
          : ''),
    );
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === CHILD_FLAG) {
  void runVenueChild(process.argv[3] as string);
} else {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
