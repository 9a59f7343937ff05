/**
 * The sale benchmarks' stack (bench/sale-shortfall.ts, bench/sale-seeds.ts): seeded venue simulators
 * on a market clock of their own, the real exchange service in front of them (pre-trade checks,
 * reference price, legal floor; a database of its own), real ccxt over HTTP, and the execution engine
 * (`saleExecutionWorkflow`) run by workers on the Temporal time-skipping test server.
 *
 * A venue's market clock follows the workflow that sells on it: each activity moves it by the whole
 * seconds of workflow time since the previous activity was scheduled (the slices' timers, retry
 * back-offs), leaving out the milliseconds the machine spends between them, so the same seed gives
 * the same result. Engines on different venues at once each move their own venue's clock: a venue's
 * market is a function of its seed and its clock only, so they sell over the same market minutes.
 */
import { Context } from '@temporalio/activity';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import {
  createLogger,
  createPool,
  listen,
  migrate,
  type RunningServer,
  ServiceClient,
  silentLogger,
} from '../../packages/shared/src';
import { Decimal } from '../../packages/shared/src/money';
import { seedDevProviders } from '../../scripts/lib/dev-providers';
import { findTemporalBinary } from '../../scripts/lib/temporal-binaries';
import { createApp, EXCHANGE_MIGRATIONS_DIR, type ExchangeAppDeps } from '../../services/exchange/src/app';
import { DEFAULT_CAPABILITIES } from '../../services/exchange/src/capabilities';
import { CcxtVenue } from '../../services/exchange/src/ccxt-venue';
import { FairPriceGuard } from '../../services/exchange/src/fair-price';
import type { Venue } from '../../services/exchange/src/venue';
import { DEV_VENUE_API_KEY, DEV_VENUE_SECRET, type RunningVenueSimulator } from '../../simulators/src/venue';
import { createActivities } from '../../workflows/src/activities/case-activities';
import { createSaleActivities } from '../../workflows/src/activities/sale-activities';
import type { SaleExecutionInput, SaleExecutionResult } from '../../workflows/src/workflow/sale-workflow';
import type { BenchPostgres } from './postgres';

export const SYMBOL = 'BTC/USDT';
/** The market's start: a fixed date, so the legal floor's 20 days of history are the same every run. */
export const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);

/** A venue's market clock (ms), moved by the engine selling on it. */
export interface MarketClock {
  t: number;
}

export const debug = Boolean(process.env.BENCH_DEBUG);

/** A fresh database for one exchange service: migrated, the register holding the dev providers in good standing. */
export async function exchangeDatabase(db: BenchPostgres, name: string): Promise<string> {
  const url = await db.database(name);
  await migrate({ databaseUrl: url, schema: 'exchange', dir: EXCHANGE_MIGRATIONS_DIR });
  // The venues and desks in good standing in the register of licensed providers, as the dev stack enters them.
  await seedDevProviders(url);
  return url;
}

export function hashkeyVenue(url: string): CcxtVenue {
  return new CcxtVenue({
    venueId: 'hashkey',
    apiUrl: url,
    apiKey: DEV_VENUE_API_KEY,
    secret: DEV_VENUE_SECRET,
    timeoutMs: 5000,
    enableRateLimit: false,
  });
}

/** The service judges a venue's prices (staleness of its book, the floor's trade date) on that venue's market clock. */
export function guardOn(venue: Venue, clock: MarketClock): FairPriceGuard {
  return new FairPriceGuard(venue, {
    capabilities: DEFAULT_CAPABILITIES,
    investorClass: 'professional',
    now: () => new Date(clock.t),
  });
}

/**
 * The exchange service in front of `venue` (and `otherVenues` at /v1/venues/:venueId/...), on a pool of
 * its own; the service's own clock (RFQs, volume windows) is `clock`.
 */
export async function startExchange(
  databaseUrl: string,
  clock: MarketClock,
  deps: Pick<ExchangeAppDeps, 'venue' | 'fairPrice' | 'otherVenues' | 'desks' | 'rfqPrices'>,
): Promise<RunningServer & { close: () => Promise<void> }> {
  const pool = createPool(databaseUrl, 'exchange');
  const service = await listen(
    createApp({
      pool,
      logger: debug ? createLogger('exchange', 'error') : silentLogger(),
      clock: () => new Date(clock.t),
      ...deps,
    }),
    0,
  );
  return {
    ...service,
    close: async () => {
      await service.close();
      await pool.end();
    },
  };
}

/** What the account sold on a venue simulator, from the venue's own trade records. */
export interface Run {
  sold: Decimal;
  cost: Decimal;
  fee: Decimal;
  durationMs: number;
  orders: number;
  makerQty: Decimal;
}

export function venueRun(sim: RunningVenueSimulator): Run {
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
export const shortfallBp = (run: Run, mid: Decimal) =>
  mid.mul(run.sold).minus(run.cost).div(mid.mul(run.sold)).mul(10_000);
/** The same with fees: what the state actually receives against the arrival value. */
export const shortfallWithFeesBp = (run: Run, mid: Decimal) =>
  mid.mul(run.sold).minus(run.cost.minus(run.fee)).div(mid.mul(run.sold)).mul(10_000);

/** The arrival: the venue's book at its clock now, its mid and visible bid depth. */
export function arrivalOf(sim: RunningVenueSimulator, market: string) {
  const depth = sim.venue.depth(market, 200);
  const bestBid = new Decimal(depth.b[0]?.[0] ?? '0');
  const bestAsk = new Decimal(depth.a[0]?.[0] ?? '0');
  return {
    bestBid,
    bestAsk,
    mid: bestBid.plus(bestAsk).div(2),
    visible: depth.b.reduce((s, [, q]) => s.plus(q ?? '0'), new Decimal(0)),
  };
}

/**
 * One market order through the exchange service (its pre-trade checks); a block above the venue's
 * market-order limit goes as back-to-back market orders at the same instant.
 */
export async function sellAtMarket(
  exchange: ServiceClient,
  run: string,
  block: Decimal,
  marketOrderMaxQty: string,
): Promise<void> {
  for (let left = block, n = 1; left.gt(0); n++) {
    const amount = Decimal.min(left, marketOrderMaxQty);
    await exchange.post(
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
}

/**
 * The exchange service's routes of a trading venue other than its default one: the engine's calls to
 * /v1/markets/... and /v1/orders/... go to /v1/venues/:venueId/markets/... and /v1/venues/:venueId/orders/...
 */
export class VenueRoutesClient extends ServiceClient {
  constructor(
    baseUrl: string,
    private readonly venueId: string,
    timeoutMs = 10_000,
  ) {
    super({ service: 'exchange', baseUrl, timeoutMs });
  }

  override request<T>(method: string, path: string, body?: unknown, idempotencyKey?: string): Promise<T> {
    const at = path.replace(/^\/v1\/(markets|orders)(?=[/?]|$)/, `/v1/venues/${this.venueId}/$1`);
    return super.request<T>(method, at, body, idempotencyKey);
  }
}

/**
 * The activities the engine calls, each first moving the market's clock to the workflow time it was
 * scheduled at: whole seconds since the previous one (timers and back-offs), not the machine's milliseconds.
 */
export function onMarketClock<T extends Record<string, (...args: never[]) => Promise<unknown>>>(
  activities: T,
  clock: MarketClock,
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
        if (debug) console.error(name, new Date(clock.t).toISOString(), JSON.stringify(args).slice(0, 200));
        try {
          return await fn(...args);
        } catch (e) {
          if (debug) console.error('  failed', String(e).slice(0, 300));
          throw e;
        }
      },
    ]),
  ) as T;
}

export interface EngineEnvironment {
  env: TestWorkflowEnvironment;
  bundle: WorkflowBundleWithSourceMap;
}

/** The Temporal time-skipping test server and the sale workflow's bundle. */
export async function engineEnvironment(): Promise<EngineEnvironment> {
  const testServer = findTemporalBinary('testServer');
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const noop = () => undefined;
  const [env, bundle] = await Promise.all([
    TestWorkflowEnvironment.createTimeSkipping(
      testServer ? { server: { executable: { type: 'existing-path', path: testServer } } } : {},
    ),
    bundleWorkflowCode({
      workflowsPath: require.resolve('../../workflows/src/workflow/sale-workflow'),
      logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop },
    }),
  ]);
  return { env, bundle };
}

/** One parent order for the engine: its venue's routes at the exchange service and that venue's clock. */
export interface EngineLeg {
  /** Unique on the server: the leg's task queue and workflow id. */
  id: string;
  exchange: ServiceClient;
  clock: MarketClock;
  input: SaleExecutionInput;
}

/** The legs' engines at once, each by a worker of its own; their results in the legs' order. */
export async function runEngines(
  engine: EngineEnvironment,
  legs: readonly EngineLeg[],
): Promise<SaleExecutionResult[]> {
  const workers = await Promise.all(
    legs.map((leg) =>
      Worker.create({
        connection: engine.env.nativeConnection,
        taskQueue: leg.id,
        workflowBundle: engine.bundle,
        activities: onMarketClock(
          {
            // The sale workflow reaches only the exchange service.
            ...createActivities({
              custody: leg.exchange,
              exchange: leg.exchange,
              fx: leg.exchange,
              treasury: leg.exchange,
            }),
            ...createSaleActivities(leg.exchange),
          },
          leg.clock,
        ),
      }),
    ),
  );
  const all = Promise.all(
    legs.map(
      (leg) =>
        engine.env.client.workflow.execute('saleExecutionWorkflow', {
          taskQueue: leg.id,
          workflowId: leg.id,
          // Workflow time (skipped): a benchmark that cannot sell stops instead of retrying forever.
          workflowRunTimeout: '1 day',
          args: [leg.input],
        }) as Promise<SaleExecutionResult>,
    ),
  );
  // Every worker runs until every leg has ended (each worker's run around the next one's).
  return workers.reduce<Promise<SaleExecutionResult[]>>((inner, worker) => worker.runUntil(inner), all);
}
