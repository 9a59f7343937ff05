/**
 * The sale benchmarks' stack (bench/lib/sale-stack.ts): an engine leg on a trading venue other than the
 * exchange service's default one reaches it through /v1/venues/:venueId/... and sells there only, on
 * that venue's own market clock (bench/sale-seeds.ts runs the chosen route's OSL leg so).
 */
import { Decimal } from '@vcdc/shared/money';
import {
  type EngineEnvironment,
  engineEnvironment,
  exchangeDatabase,
  guardOn,
  hashkeyVenue,
  runEngines,
  startExchange,
  T0,
  VenueRoutesClient,
} from '../../bench/lib/sale-stack';
import { OslVenue } from '../../services/exchange/src/osl/osl-venue';
import { startChainSimulator } from '../../simulators/src/chain';
import { DEV_OSL_API_KEY, DEV_OSL_SECRET, startOslSimulator } from '../../simulators/src/osl';
import { startVenueSimulator } from '../../simulators/src/venue';
import { createTestDatabase } from '../support/database';

const closers: (() => Promise<void>)[] = [];
let engine: EngineEnvironment;

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await engine?.env.teardown();
});

test("an engine leg on OSL sells at the simulated OSL through /v1/venues/osl, on OSL's clock only", async () => {
  engine = await engineEnvironment();
  const chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  closers.push(chain.close);
  const hkClock = { t: T0 };
  const oslClock = { t: T0 };
  const market = { chainUrl: chain.url, pollIntervalMs: 600_000, dynamics: {}, initialBalances: { BTC: '10' } };
  const hk = await startVenueSimulator({ port: 0, seed: 3, clock: () => hkClock.t, ...market });
  closers.push(hk.close);
  const osl = await startOslSimulator({ port: 0, seed: 7705, clock: () => oslClock.t, ...market });
  closers.push(osl.close);
  const hkVenue = hashkeyVenue(hk.url);
  const oslVenue = new OslVenue({
    apiUrl: osl.url,
    apiKey: DEV_OSL_API_KEY,
    secret: DEV_OSL_SECRET,
    timeoutMs: 5000,
    enableRateLimit: false,
  });
  const databaseUrl = await exchangeDatabase(
    { database: createTestDatabase, stop: async () => {}, postmaster: () => undefined },
    'bench_stack',
  );
  const service = await startExchange(databaseUrl, hkClock, {
    venue: hkVenue,
    fairPrice: guardOn(hkVenue, hkClock),
    otherVenues: [{ venue: oslVenue, fairPrice: guardOn(oslVenue, oslClock) }],
  });
  closers.push(service.close);
  const rules = (await (await fetch(`${service.url}/v1/venues/osl/markets/BTC/USDT`)).json()) as Record<string, string>;
  expect(rules.stepSize).toBe('0.0001');

  const [result] = await runEngines(engine, [
    {
      id: 'bench-stack-osl',
      exchange: new VenueRoutesClient(service.url, 'osl'),
      clock: oslClock,
      input: {
        caseId: 'BENCH-STACK-1',
        parentOrderId: 'case-BENCH-STACK-1/sale/BTC-USDT/osl',
        symbol: 'BTC/USDT',
        amount: '0.6',
        rules: {
          stepSize: rules.stepSize as string,
          tickSize: rules.tickSize as string,
          minQty: rules.minQty as string,
          minNotional: rules.minNotional as string,
          maxQty: rules.maxQty as string,
        },
        params: { slices: 2, horizonSeconds: 120 },
      },
    },
  ]);

  expect(result?.status).toBe('COMPLETED');
  const sold = osl.venue.state.trades.reduce((s, t) => s.plus(t.qty), new Decimal(0));
  expect(sold.toFixed()).toBe('0.6');
  expect(osl.venue.state.orders.every((o) => o.symbol === 'BTC-USDT')).toBe(true);
  expect(hk.venue.state.orders).toEqual([]);
  // OSL's market moved with the workflow's time (two slices of a minute); HashKey's stayed at the arrival.
  expect(oslClock.t - T0).toBeGreaterThanOrEqual(60_000);
  expect(hkClock.t).toBe(T0);
}, 180_000);
