/**
 * Benchmark (a script, not a test) over many seeds (issue 16, part 6): per seed, the same lot — 20% of
 * the visible BTC/USDT bid depth at HashKey at arrival — sold four ways, each through the real stack
 * (lib/sale-stack.ts: venue simulators, the exchange service, ccxt over HTTP, the engine on the
 * Temporal time-skipping test server), and each one's shortfall with fees against the same arrival mid
 * (HashKey's: the venue of the first two):
 *
 *  (a) one market order on HashKey (back-to-back at the same instant above its 4 BTC market-order limit);
 *  (b) the engine (`saleExecutionWorkflow`, 10 slices over 600 s) on HashKey;
 *  (c) the engine across both venues: the exchange service with HashKey and OSL as trading venues, the
 *      plan (@vcdc/shared/sale-plan) costed on the books both show at arrival, no desk, the engine on
 *      each venue for its leg;
 *  (d) the chosen route: as (c) with three OTC desks, asked first for the lot (POST /v1/rfqs) with the
 *      plan's hurdle as the lowest price worth taking (`deskHurdle`: the engine's expected price for the
 *      lot across the venues); a desk's trade takes the lot, none leaves it to the engine across the venues.
 *
 * Every engine runs from T0 on its venue's own market clock, so all sell over the same market minutes.
 *
 * Shortfall with fees of a way = Σ over its legs (arrival mid × amount − net proceeds) / (arrival mid ×
 * amount sold), in bp; a desk's trade has no fee (the desk pays price × amount to the last unit). All
 * four sell for USDT, so the stablecoin's second leg (USDT to USD) is the same for each and left out.
 * The desk's trade is not settled here (coins delivered, fiat paid): that is the case workflow's.
 *
 * Each seed has its own markets: HashKey's from the seed, OSL's from another seed of its own (the
 * simulated OSL's book, anchor and moves; its market id differs, so its moves are its own), the desks'
 * prices and dice (silence, last look) from the seed. Same seeds, same figures.
 *
 *   node --import tsx bench/sale-seeds.ts [first seed] [count]     # default seeds 1 to 9
 *   npm run bench:sale-seeds
 *
 * Needs what bench/sale-shortfall.ts needs (the Temporal test server; DATABASE_URL or an embedded
 * PostgreSQL). BENCH_DEBUG=1 prints every activity.
 */
import { randomUUID } from 'node:crypto';
import { ServiceClient } from '../packages/shared/src';
import type { exchange } from '../packages/shared/src/contracts';
import { Decimal } from '../packages/shared/src/money';
import {
  type DeskOffer,
  deskHurdle,
  type PlanInput,
  planSale,
  type SalePlan,
  type VenueWay,
} from '../packages/shared/src/sale-plan';
import { OslVenue } from '../services/exchange/src/osl/osl-venue';
import { DeskClient } from '../services/exchange/src/rfq/desk-client';
import type { RfqPrices } from '../services/exchange/src/rfq/rfq';
import { RequestForQuotes } from '../services/exchange/src/rfq/rfq-contract';
import type { Venue } from '../services/exchange/src/venue';
import { startChainSimulator } from '../simulators/src/chain';
import { type DeskTerms, devDeskCredentials, type RunningDesk, startDesks } from '../simulators/src/desks';
import { DEV_OSL_API_KEY, DEV_OSL_SECRET, startOslSimulator } from '../simulators/src/osl';
import { type RunningVenueSimulator, startVenueSimulator } from '../simulators/src/venue';
import type { ExecutionParams, SliceRules } from '../workflows/src/workflow/sale-execution';
import type { SaleExecutionInput } from '../workflows/src/workflow/sale-workflow';
import { type BenchPostgres, benchPostgres } from './lib/postgres';
import {
  arrivalOf,
  type EngineEnvironment,
  type EngineLeg,
  engineEnvironment,
  exchangeDatabase,
  guardOn,
  hashkeyVenue,
  type MarketClock,
  runEngines,
  SYMBOL,
  sellAtMarket,
  startExchange,
  T0,
  VenueRoutesClient,
  venueRun,
} from './lib/sale-stack';

const FIRST_SEED = Number(process.argv[2] ?? 1);
const SEEDS = Number(process.argv[3] ?? 9);
/** The engine's schedule, as in bench/sale-shortfall.ts: its defaults over 10 minutes in 10 slices. */
const ENGINE: Partial<ExecutionParams> = { slices: 10, horizonSeconds: 600 };
/** The simulated OSL's seed for a benchmark seed: a market of its own, not HashKey's. */
const oslSeed = (seed: number) => 7702 + seed;

/**
 * The desks asked for the lot. OTC desks buy BTC blocks a few bp under mid: The Block ("Declining
 * spreads in crypto causing OTC desks to remain on edge", 2019-12-24, on Skew's data) found OTC desks'
 * spreads had narrowed from nearly 200 bp at the 2017 peak to roughly 10 bp (bid to offer: some 5 bp
 * each side of mid), and BTC's liquidity has deepened since. So a typical desk here bids 5 bp under the
 * mid, one keener desk for smaller blocks 3 bp, one wider desk for very large blocks 8 bp, each with
 * seeded noise; quotes hold a few seconds (3-8 s; Coinbase Prime's hold at most 2.5 s), and each desk
 * sometimes stays silent or refuses at last look. Chosen before measuring, not fitted to the result.
 * The ids are the register's dev desks (scripts/lib/dev-providers.ts).
 */
function benchDesks(seed: number, reference: (symbol: string) => string, clock: MarketClock): DeskTerms[] {
  return [
    {
      id: 'desk-alpha',
      spreadBp: 3,
      jitterBp: 1,
      minAmount: '0.5',
      maxAmount: '5',
      validityMs: 3000,
      lastLook: 0.15,
      noAnswer: 0.1,
    },
    {
      id: 'desk-beta',
      spreadBp: 5,
      jitterBp: 2,
      minAmount: '1',
      maxAmount: '50',
      validityMs: 5000,
      lastLook: 0.1,
      noAnswer: 0.05,
    },
    {
      id: 'desk-gamma',
      spreadBp: 8,
      jitterBp: 3,
      minAmount: '2',
      maxAmount: '200',
      validityMs: 8000,
      lastLook: 0.05,
      noAnswer: 0.15,
    },
  ].map((t, i) => ({
    ...t,
    credentials: devDeskCredentials(t.id),
    seed: seed * 100 + i,
    reference,
    clock: () => new Date(clock.t),
  }));
}

interface Leg {
  /** "desk-beta", "hashkey", "osl". */
  where: string;
  amount: Decimal;
  /** Net proceeds (USDT): after fees. */
  net: Decimal;
}

/** Shortfall with fees of legs against the arrival mid, in bp. */
function shortfallWithFees(legs: readonly Leg[], mid: Decimal): Decimal {
  const sold = legs.reduce((s, l) => s.plus(l.amount), new Decimal(0));
  const net = legs.reduce((s, l) => s.plus(l.net), new Decimal(0));
  return mid.mul(sold).minus(net).div(mid.mul(sold)).mul(10_000);
}

function venueLeg(where: string, sim: RunningVenueSimulator): Leg[] {
  const r = venueRun(sim);
  return r.sold.gt(0) ? [{ where, amount: r.sold, net: r.cost.minus(r.fee) }] : [];
}

type Rules = SliceRules & { marketOrderMaxQty: string };

async function get<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const sliceRules = (r: Rules): SliceRules => ({
  stepSize: r.stepSize,
  tickSize: r.tickSize,
  minQty: r.minQty,
  minNotional: r.minNotional,
  maxQty: r.maxQty,
});

/** HashKey's simulator for the seed, its market on `clock`. */
function hashkeySim(seed: number, chainUrl: string, clock: MarketClock) {
  return startVenueSimulator({
    port: 0,
    seed,
    chainUrl,
    pollIntervalMs: 600_000,
    dynamics: {},
    clock: () => clock.t,
    initialBalances: { BTC: '100' },
  });
}

/** The RFQ's prices: the guard's, with the floor raised to the hurdle (until POST /v1/rfqs takes `minPrice`). */
function pricesWithHurdle(venue: Venue, clock: MarketClock, hurdle: { price?: string }): RfqPrices {
  const guard = guardOn(venue, clock);
  return {
    reference: async (symbol) => {
      const r = await guard.reference(symbol);
      return { price: r.price };
    },
    floor: async (symbol) => {
      const rules = await venue.marketRules(symbol);
      if (!rules) throw new Error(`${venue.id} has no ${symbol}`);
      const legal = await guard.floor(symbol, rules);
      const price = Decimal.max(legal.price ?? '0', hurdle.price ?? '0').toFixed();
      return { rule: `${legal.rule}, raised to the sale plan's hurdle`, price };
    },
    band: (symbol) => guard.priceBand(symbol) ?? '0',
    now: () => new Date(clock.t),
  };
}

/** Whether POST /v1/rfqs takes the hurdle itself (the exchange service's RFQ with `minPrice`). */
const RFQ_TAKES_MIN_PRICE = 'minPrice' in RequestForQuotes.shape;

type Closers = (() => Promise<void>)[];

/**
 * A route's stack for the seed: HashKey and OSL behind one exchange service, with the desks or without;
 * the plan on what both venues show at arrival (with desks: the desks asked for the lot first, with the
 * plan's hurdle), and the engine legs it leaves to the venues.
 */
async function routeSide(
  seed: number,
  name: string,
  withDesks: boolean,
  db: BenchPostgres,
  chainUrl: string,
  closers: Closers,
) {
  const hkClock = { t: T0 };
  const oslClock = { t: T0 };
  const hk = await hashkeySim(seed, chainUrl, hkClock);
  closers.push(hk.close);
  const osl = await startOslSimulator({
    port: 0,
    seed: oslSeed(seed),
    chainUrl,
    pollIntervalMs: 600_000,
    dynamics: {},
    clock: () => oslClock.t,
    initialBalances: { BTC: '100' },
  });
  closers.push(osl.close);
  // The desks price from HashKey's mid now (as the dev stack's desks price from its venue).
  const desks: RunningDesk[] = withDesks
    ? await startDesks(benchDesks(seed, () => arrivalOf(hk, 'BTCUSDT').mid.toFixed(2), hkClock))
    : [];
  closers.push(async () => {
    for (const d of desks) await d.close();
  });
  const hkVenue = hashkeyVenue(hk.url);
  const oslVenue = new OslVenue({
    apiUrl: osl.url,
    apiKey: DEV_OSL_API_KEY,
    secret: DEV_OSL_SECRET,
    timeoutMs: 5000,
    enableRateLimit: false,
  });
  const hurdle: { price?: string } = {};
  const service = await startExchange(await exchangeDatabase(db, name), hkClock, {
    venue: hkVenue,
    fairPrice: guardOn(hkVenue, hkClock),
    otherVenues: [{ venue: oslVenue, fairPrice: guardOn(oslVenue, oslClock) }],
    desks: desks.map((d) => new DeskClient({ id: d.id, url: d.url, credentials: devDeskCredentials(d.id) })),
    ...(RFQ_TAKES_MIN_PRICE ? {} : { rfqPrices: pricesWithHurdle(hkVenue, hkClock, hurdle) }),
  });
  closers.push(service.close);
  const rules: Record<string, Rules> = {
    hashkey: await get<Rules>(`${service.url}/v1/markets/BTC/USDT`),
    osl: await get<Rules>(`${service.url}/v1/venues/osl/markets/BTC/USDT`),
  };
  const clocks: Record<string, MarketClock> = { hashkey: hkClock, osl: oslClock };

  /** The plan for `lot`, the desks asked first when there are any; the venues' legs for the engine. */
  const plan = async (caseId: string, lot: Decimal) => {
    const way = async (venue: Venue, sim: RunningVenueSimulator, prefix: string): Promise<VenueWay> => ({
      venue: venue.id,
      route: 'VIA_STABLECOIN',
      symbol: SYMBOL,
      reference: (await get<exchange.ReferencePrice>(`${service.url}${prefix}/markets/BTC/USDT/reference-price`)).price,
      bids: (await venue.bids(SYMBOL)).map((l) => [l.price, l.qty] as const),
      takerFee: sim.venue.rules.takerFee,
      // The engine rests its slices (maker); only its last round crosses.
      engineFee: sim.venue.rules.makerFee,
      extraCostBp: '0',
    });
    const input: PlanInput = {
      asset: 'BTC',
      lot: lot.toFixed(),
      stepSize: coarserStep(rules),
      slices: ENGINE.slices as number,
      ways: [await way(hkVenue, hk, '/v1'), await way(oslVenue, osl, '/v1/venues/osl')],
    };
    let rfq: exchange.Rfq | undefined;
    if (withDesks) {
      hurdle.price = deskHurdle(input, input.ways[0]?.reference as string).price;
      rfq = await new ServiceClient({
        service: 'exchange',
        baseUrl: service.url,
        timeoutMs: 30_000,
      }).post<exchange.Rfq>(
        '/v1/rfqs',
        {
          rfqId: `rfq-${caseId}`.slice(0, 36),
          caseId,
          symbol: SYMBOL,
          amount: lot.toFixed(),
          ...(RFQ_TAKES_MIN_PRICE ? { minPrice: hurdle.price } : {}),
        },
        `bench/${caseId}/rfq`,
      );
    }
    const offer: DeskOffer | undefined = rfq?.trade && {
      rfqId: rfq.rfqId,
      desk: rfq.trade.desk,
      symbol: SYMBOL,
      reference: rfq.referencePrice,
      price: rfq.trade.price,
      amount: rfq.trade.amount,
    };
    const chosen = planSale(input, offer);
    const engineLegs: EngineLeg[] = chosen.legs.flatMap((leg) =>
      leg.kind === 'VENUE'
        ? [
            {
              id: `bench-${caseId}-${leg.venue}`,
              exchange:
                leg.venue === 'hashkey'
                  ? new ServiceClient({ service: 'exchange', baseUrl: service.url, timeoutMs: 10_000 })
                  : new VenueRoutesClient(service.url, leg.venue),
              clock: clocks[leg.venue] as MarketClock,
              input: engineInput(caseId, leg.venue, leg.amount, rules),
            },
          ]
        : [],
    );
    return { plan: chosen, rfq, hurdle: hurdle.price, engineLegs };
  };

  /** What the route sold, leg by leg, after its engines ran. */
  const sold = (chosen: SalePlan): Leg[] => [
    ...chosen.legs.flatMap((l) =>
      l.kind === 'DESK'
        ? [{ where: l.desk, amount: new Decimal(l.amount), net: new Decimal(l.price).mul(l.amount) }]
        : [],
    ),
    ...venueLeg('hashkey', hk),
    ...venueLeg('osl', osl),
  ];
  return { hk, osl, rules, plan, sold };
}

/** The coarser step of the venues: every leg is a whole number of steps at each. */
const coarserStep = (rules: Record<string, Rules>) =>
  Decimal.max(...Object.values(rules).map((r) => r.stepSize)).toFixed();

function engineInput(caseId: string, venue: string, amount: string, rules: Record<string, Rules>): SaleExecutionInput {
  return {
    caseId,
    parentOrderId: `case-${caseId}/sale/BTC-USDT/${venue}`,
    symbol: SYMBOL,
    amount,
    rules: sliceRules(rules[venue] as Rules),
    params: ENGINE,
  };
}

async function runSeed(seed: number, engineEnv: EngineEnvironment, db: BenchPostgres, chainUrl: string) {
  const run = randomUUID().slice(0, 8); // names and ids only: a reused server never sees the same twice
  const closers: Closers = [];
  try {
    // (a) and (b): a HashKey each, the exchange service in front of it.
    const sides = [];
    for (const name of ['market', 'engine']) {
      const clock = { t: T0 };
      const sim = await hashkeySim(seed, chainUrl, clock);
      closers.push(sim.close);
      const venue = hashkeyVenue(sim.url);
      const service = await startExchange(await exchangeDatabase(db, `bench_${run}_${name}`), clock, {
        venue,
        fairPrice: guardOn(venue, clock),
      });
      closers.push(service.close);
      sides.push({ clock, sim, service });
    }
    const [a, b] = sides as [(typeof sides)[0], (typeof sides)[0]];
    // (c) the engine across both venues (no desks), (d) the chosen route: desks, then both venues.
    const split = await routeSide(seed, `bench_${run}_split`, false, db, chainUrl, closers);
    const route = await routeSide(seed, `bench_${run}_route`, true, db, chainUrl, closers);

    // The arrival: HashKey's book at T0 (the same at every HashKey here), the lot cut to the coarser step of the two venues.
    const { mid, visible } = arrivalOf(a.sim, 'BTCUSDT');
    const oslMid = arrivalOf(route.osl, 'BTC-USDT').mid;
    const lot = visible.mul('0.2').div(coarserStep(route.rules)).floor().mul(coarserStep(route.rules));

    // (a) one market order.
    await sellAtMarket(
      new ServiceClient({ service: 'exchange', baseUrl: a.service.url, timeoutMs: 10_000 }),
      run,
      lot,
      route.rules.hashkey?.marketOrderMaxQty as string,
    );
    const splitPlan = await split.plan(`BENCH-SPLIT-${run}`, lot);
    const routePlan = await route.plan(`BENCH-ROUTE-${run}`, lot);

    // Every engine: (b), and (c)'s and (d)'s venue legs, each venue's market on its own clock from T0, so
    // the legs sell over the same market minutes. One after the other: at once on the time-skipping
    // server, a leg's activities wait behind another's and the seconds they wait leak into its market's clock.
    const legs: EngineLeg[] = [
      {
        id: `bench-${run}-engine`,
        exchange: new ServiceClient({ service: 'exchange', baseUrl: b.service.url, timeoutMs: 10_000 }),
        clock: b.clock,
        input: engineInput(`BENCH-ENG-${run}`, 'hashkey', lot.toFixed(), route.rules),
      },
      ...splitPlan.engineLegs,
      ...routePlan.engineLegs,
    ];
    const results = [];
    for (const leg of legs) results.push(...(await runEngines(engineEnv, [leg])));
    const left = results.reduce((s, r) => s.plus(r.remaining), new Decimal(0));
    return {
      seed,
      mid,
      oslMid,
      lot,
      market: venueLeg('hashkey', a.sim),
      engine: venueLeg('hashkey', b.sim),
      split: split.sold(splitPlan.plan),
      splitReason: splitPlan.plan.reason,
      route: route.sold(routePlan.plan),
      routeReason: routePlan.plan.reason,
      hurdle: routePlan.hurdle as string,
      rfq: routePlan.rfq as exchange.Rfq,
      left,
    };
  } finally {
    for (const close of closers.reverse()) await close();
  }
}
type SeedResult = Awaited<ReturnType<typeof runSeed>>;

const bp = (d: Decimal) => d.toFixed(2);

async function main() {
  const [engineEnv, db, chain] = await Promise.all([
    engineEnvironment(),
    benchPostgres(),
    startChainSimulator({ port: 0, blockIntervalMs: 0 }),
  ]);
  const started = Date.now();
  try {
    console.log(
      `seeds ${FIRST_SEED}..${FIRST_SEED + SEEDS - 1}; the lot: 20% of HashKey's visible BTC/USDT bid depth; the desk hurdle ${RFQ_TAKES_MIN_PRICE ? 'sent as the RFQ minPrice' : "applied as the RFQ's floor (POST /v1/rfqs has no minPrice yet)"}`,
    );
    const rows: SeedResult[] = [];
    const cost = (legs: Leg[], r: SeedResult) => shortfallWithFees(legs, r.mid);
    const madeOf = (legs: Leg[]) => legs.map((l) => `${l.where} ${l.amount.toFixed()}`).join(' + ');
    for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
      const r = await runSeed(seed, engineEnv, db, chain.url);
      rows.push(r);
      const quotes = r.rfq.quotes.map((q) => `${q.desk} ${q.status}${q.price ? ` ${q.price}` : ''}`).join(', ');
      console.log(
        `seed ${seed}: lot ${r.lot.toFixed()} BTC, arrival mid ${r.mid.toFixed(2)} (OSL ${r.oslMid.toFixed(2)}), hurdle ${r.hurdle}; RFQ ${r.rfq.outcome}: ${quotes}`,
      );
      console.log(`  across venues: ${r.splitReason}`);
      console.log(`  chosen route: ${r.routeReason}`);
      console.log(
        `  shortfall with fees: market ${bp(cost(r.market, r))} bp, engine ${bp(cost(r.engine, r))} bp, across venues ${bp(cost(r.split, r))} bp (${madeOf(r.split)}), chosen route ${bp(cost(r.route, r))} bp (${madeOf(r.route)})${r.left.gt(0) ? `; ${r.left.toFixed()} BTC left unsold by the engines` : ''}`,
      );
    }
    const mean = (pick: (r: SeedResult) => Leg[]) =>
      rows.reduce((s, r) => s.plus(cost(pick(r), r)), new Decimal(0)).div(rows.length);
    const [market, engine, split, route] = [
      mean((r) => r.market),
      mean((r) => r.engine),
      mean((r) => r.split),
      mean((r) => r.route),
    ];
    console.log('');
    console.log(
      '| seed | lot (BTC) | market order | engine on HashKey | engine across HashKey and OSL | chosen route | chosen route made of |',
    );
    console.log('|---|---|---|---|---|---|---|');
    for (const r of rows) {
      console.log(
        `| ${r.seed} | ${r.lot.toFixed()} | ${bp(cost(r.market, r))} bp | ${bp(cost(r.engine, r))} bp | ${bp(cost(r.split, r))} bp | ${bp(cost(r.route, r))} bp | ${madeOf(r.route)} |`,
      );
    }
    console.log(`| mean | | ${bp(market)} bp | ${bp(engine)} bp | ${bp(split)} bp | ${bp(route)} bp | |`);
    const ratio = (x: Decimal) => x.div(market).toFixed(3);
    console.log(`| / market order | | 1 | ${ratio(engine)} | ${ratio(split)} | ${ratio(route)} | |`);
    console.log('');
    console.log(
      `chosen route / market order (mean shortfall with fees): ${ratio(route)} (target: at most 0.333); ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
  } finally {
    await chain.close();
    await engineEnv.env.teardown();
    await db.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
