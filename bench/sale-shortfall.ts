/**
 * Benchmark (a script, not a test): on the same seeded market, sell a block worth 20% of the visible
 * bid depth (a) as one market order and (b) with the execution engine, and print each one's
 * implementation shortfall against the arrival mid in basis points (before and with fees), their
 * ratio, the fees and the (market) duration.
 *
 * Both runs go through the real stack: a fresh venue simulator each (same seed, same moving market),
 * the real exchange service in front of it (pre-trade checks, reference price, legal floor; a database
 * of its own), real ccxt over HTTP. (a) is one market order placed through the service (back-to-back
 * market orders at the same instant when the block passes the venue's 4 BTC market-order limit);
 * (b) is `saleExecutionWorkflow` itself, run by a worker on the Temporal time-skipping test server,
 * with the engine's default parameters except its schedule (10 slices over 600 s).
 *
 * The market's clock follows the workflow's: each activity moves it by the whole seconds of workflow
 * time since the previous activity was scheduled (the slices' timers, retry back-offs), leaving out
 * the milliseconds the machine spends between them, so the same seed gives the same result.
 *
 *   node --import tsx bench/sale-shortfall.ts [seed] [engine parameter=value ...]
 *   e.g. node --import tsx bench/sale-shortfall.ts 7 slicePricing=TAKE
 *
 * Needs the Temporal test server (TEMPORAL_TEST_SERVER_PATH, PATH or .tools/, as `npm run
 * tools:temporal` installs it) and PostgreSQL: DATABASE_URL (a server where it may create and drop
 * two databases), or an embedded one in a temporary folder. BENCH_DEBUG=1 prints every activity and
 * the engine's child orders.
 */
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import {
  createLogger,
  createPool,
  listen,
  migrate,
  type RunningServer,
  ServiceClient,
  silentLogger,
} from '../packages/shared/src';
import { Decimal } from '../packages/shared/src/money';
import { seedDevProviders } from '../scripts/lib/dev-providers';
import { findTemporalBinary } from '../scripts/lib/temporal-binaries';
import { createApp, EXCHANGE_MIGRATIONS_DIR } from '../services/exchange/src/app';
import { DEFAULT_CAPABILITIES } from '../services/exchange/src/capabilities';
import { CcxtVenue } from '../services/exchange/src/ccxt-venue';
import { FairPriceGuard } from '../services/exchange/src/fair-price';
import { startChainSimulator } from '../simulators/src/chain';
import {
  DEV_VENUE_API_KEY,
  DEV_VENUE_SECRET,
  type RunningVenueSimulator,
  startVenueSimulator,
} from '../simulators/src/venue';
import { createActivities } from '../workflows/src/activities';
import { createSaleActivities } from '../workflows/src/sale-activities';
import { DEFAULT_EXECUTION, type ExecutionParams, type SliceRules } from '../workflows/src/sale-execution';
import type { SaleExecutionInput, SaleExecutionResult } from '../workflows/src/sale-workflow';
import { serviceClients } from '../workflows/src/worker';
import { benchPostgres } from './lib/postgres';

const seed = Number(process.argv[2] ?? 20261125);
const SYMBOL = 'BTC/USDT';
/** The market's start: a fixed date, so the legal floor's 20 days of history are the same every run. */
const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);
/** The engine's schedule in the benchmark: its defaults, over 10 minutes in 10 slices; `name=value` arguments override. */
const ENGINE: Partial<ExecutionParams> = {
  slices: 10,
  horizonSeconds: 600,
  ...Object.fromEntries(
    process.argv.slice(3).map((arg) => {
      const [name = '', value = ''] = arg.split('=');
      if (!(name in DEFAULT_EXECUTION) && name !== 'maxParticipationPct')
        throw new Error(`unknown engine parameter ${name} (${Object.keys(DEFAULT_EXECUTION)})`);
      return [name, typeof DEFAULT_EXECUTION[name as keyof ExecutionParams] === 'number' ? Number(value) : value];
    }),
  ),
};

interface Run {
  sold: Decimal;
  cost: Decimal;
  fee: Decimal;
  durationMs: number;
  orders: number;
  makerQty: Decimal;
}

interface Side {
  sim: RunningVenueSimulator;
  clock: { t: number };
  service: RunningServer;
}

async function side(chainUrl: string, databaseUrl: string): Promise<Side & { close: () => Promise<void> }> {
  const clock = { t: T0 };
  const sim = await startVenueSimulator({
    port: 0,
    seed,
    chainUrl,
    pollIntervalMs: 600_000,
    dynamics: {},
    clock: () => clock.t,
    initialBalances: { BTC: '100' },
  });
  const venue = new CcxtVenue({
    venueId: 'hashkey',
    apiUrl: sim.url,
    apiKey: DEV_VENUE_API_KEY,
    secret: DEV_VENUE_SECRET,
    timeoutMs: 5000,
    enableRateLimit: false,
  });
  const pool = createPool(databaseUrl, 'exchange');
  // The service judges prices (staleness of the venue's book, the floor's trade date) on the market's clock.
  const now = () => new Date(clock.t);
  const fairPrice = new FairPriceGuard(venue, {
    capabilities: DEFAULT_CAPABILITIES,
    investorClass: 'professional',
    now,
  });
  const service = await listen(
    createApp({
      pool,
      logger: process.env.BENCH_DEBUG ? createLogger('exchange', 'error') : silentLogger(),
      venue,
      fairPrice,
      clock: now,
    }),
    0,
  );
  return {
    sim,
    clock,
    service,
    close: async () => {
      await service.close();
      await pool.end();
      await sim.close();
    },
  };
}

function venueRun(sim: RunningVenueSimulator): Run {
  const trades = sim.venue.state.trades;
  const first = trades[0]?.time ?? 0;
  const last = trades[trades.length - 1]?.time ?? 0;
  return {
    sold: trades.reduce((s, t) => s.plus(t.qty), new Decimal(0)),
    cost: trades.reduce((s, t) => s.plus(t.quoteQty), new Decimal(0)),
    fee: trades.reduce((s, t) => s.plus(t.commission), new Decimal(0)),
    durationMs: last - first,
    orders: sim.venue.state.orders.length,
    makerQty: trades.filter((t) => t.isMaker).reduce((s, t) => s.plus(t.qty), new Decimal(0)),
  };
}

/** Implementation shortfall against the arrival mid, before fees: (arrival × sold − cost) / (arrival × sold). */
const shortfallBp = (run: Run, mid: Decimal) => mid.mul(run.sold).minus(run.cost).div(mid.mul(run.sold)).mul(10_000);
/** The same with fees: what the state actually receives against the arrival value. */
const shortfallWithFeesBp = (run: Run, mid: Decimal) =>
  mid.mul(run.sold).minus(run.cost.minus(run.fee)).div(mid.mul(run.sold)).mul(10_000);

/**
 * The activities the engine calls, each first moving the market's clock to the workflow time it was
 * scheduled at: whole seconds since the previous one (timers and back-offs), not the machine's milliseconds.
 */
function onMarketClock<T extends Record<string, (...args: never[]) => Promise<unknown>>>(
  activities: T,
  clock: { t: number },
): T {
  let last: number | undefined;
  const tick = () => {
    const scheduled = Context.current().info.currentAttemptScheduledTimestampMs;
    if (last !== undefined) clock.t += Math.max(0, Math.floor((scheduled - last) / 1000)) * 1000;
    last = scheduled;
  };
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      async (...args: never[]) => {
        tick();
        if (process.env.BENCH_DEBUG)
          console.error(name, new Date(clock.t).toISOString(), JSON.stringify(args).slice(0, 200));
        try {
          return await fn(...args);
        } catch (e) {
          if (process.env.BENCH_DEBUG) console.error('  failed', String(e).slice(0, 300));
          throw e;
        }
      },
    ]),
  ) as T;
}

async function main() {
  const testServer = findTemporalBinary('testServer');
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const noop = () => undefined;
  const [env, bundle, db, chain] = await Promise.all([
    TestWorkflowEnvironment.createTimeSkipping(
      testServer ? { server: { executable: { type: 'existing-path', path: testServer } } } : {},
    ),
    bundleWorkflowCode({
      workflowsPath: require.resolve('../workflows/src/sale-workflow'),
      logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop },
    }),
    benchPostgres(),
    startChainSimulator({ port: 0, blockIntervalMs: 0 }),
  ]);
  const closers: (() => Promise<void>)[] = [];
  try {
    const run = randomUUID().slice(0, 8); // names and ids only: a reused server never sees the same twice
    const [urlA, urlB] = [await db.database(`bench_${run}_market`), await db.database(`bench_${run}_engine`)];
    for (const databaseUrl of [urlA, urlB]) {
      await migrate({ databaseUrl, schema: 'exchange', dir: EXCHANGE_MIGRATIONS_DIR });
      // The venue in good standing in the register of licensed providers, as the dev stack enters it.
      await seedDevProviders(databaseUrl);
    }
    const a = await side(chain.url, urlA);
    closers.push(a.close);
    const b = await side(chain.url, urlB);
    closers.push(b.close);
    const rules = (await (await fetch(`${a.service.url}/v1/markets/BTC/USDT`)).json()) as SliceRules & {
      marketOrderMaxQty: string;
    };

    // The arrival: the same book on both venues at T0.
    const depth = a.sim.venue.depth('BTCUSDT', 200);
    const bestBid = new Decimal(depth.b[0]?.[0] ?? '0');
    const bestAsk = new Decimal(depth.a[0]?.[0] ?? '0');
    const mid = bestBid.plus(bestAsk).div(2);
    const visible = depth.b.reduce((s, [, q]) => s.plus(q ?? '0'), new Decimal(0));
    const block = visible.mul('0.2').div(rules.stepSize).floor().mul(rules.stepSize);

    // (a) one market order through the exchange service (its pre-trade checks); a block above the
    // venue's market-order limit (4 BTC) goes as back-to-back market orders at the same instant.
    const exchangeA = new ServiceClient({ service: 'exchange', baseUrl: a.service.url, timeoutMs: 10_000 });
    for (let left = block, n = 1; left.gt(0); n++) {
      const amount = Decimal.min(left, rules.marketOrderMaxQty);
      await exchangeA.post(
        '/v1/orders',
        {
          caseId: `BENCH-MKT-${run}`,
          clientOrderId: `bench-mkt-${run}-${n}`,
          symbol: SYMBOL,
          type: 'market',
          amount: amount.toFixed(),
        },
        `bench/${run}/market/${n}`,
      );
      left = left.minus(amount);
    }
    const market = venueRun(a.sim);

    // (b) the engine: saleExecutionWorkflow on the time-skipping server, against the service and venue b
    const taskQueue = `bench-${seed}`;
    const urls = { custody: b.service.url, exchange: b.service.url, fx: b.service.url, treasury: b.service.url };
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: bundle,
      activities: onMarketClock(
        {
          ...createActivities(serviceClients(urls, 10_000)),
          ...createSaleActivities(
            new ServiceClient({ service: 'exchange', baseUrl: b.service.url, timeoutMs: 10_000 }),
          ),
        },
        b.clock,
      ),
    });
    const caseId = `BENCH-ENG-${run}`;
    const input: SaleExecutionInput = {
      caseId,
      parentOrderId: `case-${caseId}/sale/BTC-USDT/1`,
      symbol: SYMBOL,
      amount: block.toFixed(),
      rules: {
        stepSize: rules.stepSize,
        tickSize: rules.tickSize,
        minQty: rules.minQty,
        minNotional: rules.minNotional,
        maxQty: rules.maxQty,
      },
      params: ENGINE,
    };
    const result = (await worker.runUntil(
      env.client.workflow.execute('saleExecutionWorkflow', {
        taskQueue,
        workflowId: `bench-sale-${seed}`,
        // Workflow time (skipped): a benchmark that cannot sell stops instead of retrying forever.
        workflowRunTimeout: '1 day',
        args: [input],
      }),
    )) as SaleExecutionResult;
    const engine = venueRun(b.sim);
    if (process.env.BENCH_DEBUG) {
      for (const o of b.sim.venue.state.orders) {
        const ts = b.sim.venue.state.trades.filter((t) => t.clientOrderId === o.clientOrderId);
        console.error(
          `${new Date(o.time).toISOString().slice(11, 19)} ${o.clientOrderId.slice(-8)} qty ${o.origQty} @ ${o.price} filled ${o.executedQty} maker ${ts
            .filter((t) => t.isMaker)
            .reduce((s, t) => s.plus(t.qty), new Decimal(0))
            .toFixed()} vs arrival ${new Decimal(o.price).div(mid).minus(1).mul(10000).toFixed(2)}bp`,
        );
      }
    }

    const params = { ...DEFAULT_EXECUTION, ...ENGINE };
    const line = (name: string, r: Run) =>
      `${name.padEnd(14)} sold ${r.sold.toFixed()} BTC in ${r.orders} order(s) (${r.makerQty.toFixed()} as maker)  proceeds ${r.cost.minus(r.fee).toFixed(2)} USDT  fees ${r.fee.toFixed(2)} USDT  shortfall ${shortfallBp(r, mid).toFixed(2)} bp (with fees ${shortfallWithFeesBp(r, mid).toFixed(2)} bp)  duration ${(r.durationMs / 1000).toFixed(0)} s`;
    console.log(
      `seed ${seed}: arrival mid ${mid.toFixed(2)} (bid ${bestBid.toFixed()}, ask ${bestAsk.toFixed()}), visible bid depth ${visible.toFixed()} BTC, block ${block.toFixed()} BTC (20%)`,
    );
    const pricing =
      params.slicePricing === 'PASSIVE'
        ? `resting +${params.passiveOffsetBp} bp over the reference (re-priced up to ${params.checksPerSlice}x a round), the last round -${params.priceOffsetBp} bp`
        : `every round -${params.priceOffsetBp} bp under the reference`;
    console.log(
      `engine: saleExecutionWorkflow ${result.status}, ${params.slices} slices over ${params.horizonSeconds} s and up to ${params.maxRepricings} re-pricings, ${pricing}; ${result.remaining} BTC left`,
    );
    console.log(line('market order', market));
    console.log(line('engine', engine));
    const ratio = (x: Decimal, y: Decimal) => (y.isZero() ? 'n/a' : x.div(y).toFixed(3));
    console.log(
      `engine / market shortfall (before fees): ${ratio(shortfallBp(engine, mid), shortfallBp(market, mid))}`,
    );
    console.log(
      `engine / market shortfall (with fees):   ${ratio(shortfallWithFeesBp(engine, mid), shortfallWithFeesBp(market, mid))}`,
    );
  } finally {
    for (const close of closers.reverse()) await close();
    await chain.close();
    await env.teardown();
    await db.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
