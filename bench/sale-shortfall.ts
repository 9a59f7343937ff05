/**
 * Benchmark (a script, not a test): on the same seeded market, sell a block worth 20% of the visible
 * bid depth (a) as one market order and (b) with the execution engine, and print each one's
 * implementation shortfall against the arrival mid in basis points (before and with fees), their
 * ratio, the fees and the (market) duration.
 *
 * Both runs go through the real stack (lib/sale-stack.ts): a fresh venue simulator each (same seed,
 * same moving market), the real exchange service in front of it (pre-trade checks, reference price,
 * legal floor; a database of its own), real ccxt over HTTP. (a) is one market order placed through the
 * service (back-to-back market orders at the same instant when the block passes the venue's 4 BTC
 * market-order limit); (b) is `saleExecutionWorkflow` itself, run by a worker on the Temporal
 * time-skipping test server, with the engine's default parameters except its schedule (10 slices over
 * 600 s). The market's clock follows the workflow's (lib/sale-stack.ts), so the same seed gives the
 * same result. bench/sale-seeds.ts runs nine seeds and adds the chosen route (desks and both venues).
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
import { ServiceClient } from '../packages/shared/src';
import { Decimal } from '../packages/shared/src/money';
import { startChainSimulator } from '../simulators/src/chain';
import { type RunningVenueSimulator, startVenueSimulator } from '../simulators/src/venue';
import { DEFAULT_EXECUTION } from '../workflows/src/workflow/case-policy';
import type { ExecutionParams, SliceRules } from '../workflows/src/workflow/sale-execution';
import type { SaleExecutionInput } from '../workflows/src/workflow/sale-workflow';
import { benchPostgres } from './lib/postgres';
import {
  arrivalOf,
  debug,
  engineEnvironment,
  exchangeDatabase,
  guardOn,
  hashkeyVenue,
  type MarketClock,
  type Run,
  runEngines,
  SYMBOL,
  sellAtMarket,
  shortfallBp,
  shortfallWithFeesBp,
  startExchange,
  T0,
  venueRun,
} from './lib/sale-stack';

const seed = Number(process.argv[2] ?? 20261125);
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

interface Side {
  sim: RunningVenueSimulator;
  clock: MarketClock;
  service: { url: string };
  close: () => Promise<void>;
}

/** A HashKey simulator on its own market clock from T0 and the exchange service in front of it. */
async function side(chainUrl: string, databaseUrl: string): Promise<Side> {
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
  const venue = hashkeyVenue(sim.url);
  const service = await startExchange(databaseUrl, clock, { venue, fairPrice: guardOn(venue, clock) });
  return {
    sim,
    clock,
    service,
    close: async () => {
      await service.close();
      await sim.close();
    },
  };
}

async function main() {
  const [engineEnv, db, chain] = await Promise.all([
    engineEnvironment(),
    benchPostgres(),
    startChainSimulator({ port: 0, blockIntervalMs: 0 }),
  ]);
  const closers: (() => Promise<void>)[] = [];
  try {
    const run = randomUUID().slice(0, 8); // names and ids only: a reused server never sees the same twice
    const [urlA, urlB] = [
      await exchangeDatabase(db, `bench_${run}_market`),
      await exchangeDatabase(db, `bench_${run}_engine`),
    ];
    const a = await side(chain.url, urlA);
    closers.push(a.close);
    const b = await side(chain.url, urlB);
    closers.push(b.close);
    const rules = (await (await fetch(`${a.service.url}/v1/markets/BTC/USDT`)).json()) as SliceRules & {
      marketOrderMaxQty: string;
    };

    // The arrival: the same book on both venues at T0.
    const { bestBid, bestAsk, mid, visible } = arrivalOf(a.sim, 'BTCUSDT');
    const block = visible.mul('0.2').div(rules.stepSize).floor().mul(rules.stepSize);

    // (a) one market order through the exchange service (its pre-trade checks).
    const exchangeA = new ServiceClient({ service: 'exchange', baseUrl: a.service.url, timeoutMs: 10_000 });
    await sellAtMarket(exchangeA, run, block, rules.marketOrderMaxQty);
    const market = venueRun(a.sim);

    // (b) the engine: saleExecutionWorkflow on the time-skipping server, against the service and venue b
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
    const [result] = await runEngines(engineEnv, [
      {
        id: `bench-sale-${seed}-${run}`,
        exchange: new ServiceClient({ service: 'exchange', baseUrl: b.service.url, timeoutMs: 10_000 }),
        clock: b.clock,
        input,
      },
    ]);
    if (!result) throw new Error('the engine gave no result');
    const engine = venueRun(b.sim);
    if (debug) {
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
    await engineEnv.env.teardown();
    await db.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
