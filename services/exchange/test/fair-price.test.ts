/**
 * Fair-price guards of the exchange service against three venue simulators reached through real ccxt:
 * the reference price (median of the venues' mids, refused when stale or diverging), the legal floor
 * (20-day average of daily closes) and the pre-trade checks that refuse a bad order with a problem
 * naming the field before anything reaches the venue (asserted against the simulator's own order log).
 */
import { createPool, migrate, type Pool, silentLogger } from '@vcdc/shared';
import { Decimal } from '@vcdc/shared/money';
import ccxt from 'ccxt';
import type { Express } from 'express';
import request from 'supertest';
import { type RunningChainSimulator, startChainSimulator } from '../../../simulators/src/chain';
import {
  DEV_VENUE_API_KEY,
  DEV_VENUE_SECRET,
  type RunningVenueSimulator,
  startVenueSimulator,
  type VenueSimulatorOptions,
} from '../../../simulators/src/venue';
import { DEFAULT_MARKETS } from '../../../simulators/src/venue/markets';
import { createTestDatabase } from '../../../test/support/database';
import { seedProviderRegister } from '../../../test/support/provider-register';
import { createApp, EXCHANGE_MIGRATIONS_DIR } from '../src/app';
import { type CapabilityTable, DEFAULT_CAPABILITIES } from '../src/capabilities';
import { CcxtVenue } from '../src/ccxt-venue';
import { FairPriceGuard, type FairPriceOptions } from '../src/fair-price';
import { CcxtMarketData } from '../src/market-data';

let pool: Pool;
let chain: RunningChainSimulator;
const sims: RunningVenueSimulator[] = [];
let trading: RunningVenueSimulator;
let others: RunningVenueSimulator[];

async function sim(options: Partial<VenueSimulatorOptions>): Promise<RunningVenueSimulator> {
  const s = await startVenueSimulator({ port: 0, chainUrl: chain.url, pollIntervalMs: 60_000, ...options });
  sims.push(s);
  return s;
}

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('exchange_fair_price');
  await migrate({ databaseUrl, schema: 'exchange', dir: EXCHANGE_MIGRATIONS_DIR });
  pool = createPool(databaseUrl, 'exchange');
  await seedProviderRegister(pool);
  chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  trading = await sim({ seed: 501, initialBalances: { BTC: '30', ETH: '50' } });
  others = [await sim({ seed: 502 }), await sim({ seed: 503 })];
});

afterAll(async () => {
  for (const s of sims) await s.close();
  await chain.close();
  await pool.end();
});

const venueOf = (s: RunningVenueSimulator) =>
  new CcxtVenue({
    venueId: 'hashkey',
    apiUrl: s.url,
    apiKey: DEV_VENUE_API_KEY,
    secret: DEV_VENUE_SECRET,
    timeoutMs: 3000,
    enableRateLimit: false,
  });
const dataOf = (s: RunningVenueSimulator, id: string) =>
  new CcxtMarketData({ id, exchange: 'hashkey', url: s.url, timeoutMs: 3000, enableRateLimit: false });

function appWith(options: Partial<FairPriceOptions> = {}, sources = [trading, ...others]): Express {
  const venue = venueOf(trading);
  const fairPrice = new FairPriceGuard(venue, {
    referenceSources: sources.map((s, i) => dataOf(s, `venue-${i}`)),
    policy: { maxAgeMs: 5000, maxDispersionBp: '50', minSources: sources.length },
    capabilities: DEFAULT_CAPABILITIES,
    investorClass: 'professional',
    ...options,
  });
  return createApp({ pool, logger: silentLogger(), venue, fairPrice });
}

const mid = (s: RunningVenueSimulator, symbol = 'BTCUSDT') => {
  const book = s.venue.state.books[symbol]!;
  return new Decimal(book.bids[0]!.price).plus(book.asks[0]!.price).div(2);
};
const venueOrders = (clientOrderId: string) =>
  trading.venue.state.orders.filter((o) => o.clientOrderId === clientOrderId);
let n = 0;
function sell(app: Express, order: Record<string, unknown>) {
  n += 1;
  const clientOrderId = `fp-${n}`;
  return {
    clientOrderId,
    response: request(app)
      .post('/v1/orders')
      .set('Idempotency-Key', `fp-key-${n}`)
      .send({ caseId: 'case-fp', clientOrderId, symbol: 'BTC/USDT', type: 'limit', ...order }),
  };
}

describe('reference price', () => {
  test('is the median of the venues’ mids, each quote recorded', async () => {
    const res = await request(appWith()).get('/v1/markets/BTC/USDT/reference-price').expect(200);
    const mids = [trading, ...others].map((s) => mid(s)).sort((a, b) => a.comparedTo(b));
    expect(res.body.price).toBe(mids[1]!.toFixed());
    expect(res.body.quotes).toHaveLength(3);
    expect(res.body.quotes.map((q: { mid: string }) => q.mid).sort()).toEqual(mids.map((m) => m.toFixed()).sort());
    expect(Number(res.body.dispersionBp)).toBeLessThan(50);
  });

  test('a venue whose book is stale does not count; too few fresh venues and there is no reference (503)', async () => {
    const lagging = await sim({ seed: 504, dynamics: {}, clock: () => Date.now() - 60_000 });
    const res = await request(appWith({}, [trading, others[0]!, lagging]))
      .get('/v1/markets/BTC/USDT/reference-price')
      .expect(503);
    expect(res.body.type).toBe('urn:vcdc:problem:reference-stale');
    expect(res.body.quotes.find((q: { excluded?: string }) => q.excluded === 'stale')).toBeDefined();
  });

  test('a venue whose mid diverges past the limit stops the reference (503 reference-diverging), and orders with it', async () => {
    const far = await sim({
      seed: 505,
      markets: DEFAULT_MARKETS.map((m) => (m.id === 'BTCUSDT' ? { ...m, mid: '97000' } : m)),
    });
    const app = appWith({}, [trading, others[0]!, far]);
    const res = await request(app).get('/v1/markets/BTC/USDT/reference-price').expect(503);
    expect(res.body.type).toBe('urn:vcdc:problem:reference-diverging');
    const order = sell(app, { amount: '0.1', limitPrice: '94000' });
    expect((await order.response.expect(503)).body.type).toBe('urn:vcdc:problem:reference-diverging');
    expect(venueOrders(order.clientOrderId)).toHaveLength(0);
  });
});

describe('legal floor', () => {
  test('is the average of the 20 daily closes before the trade date (median across venues), rounded up to the tick', async () => {
    const res = await request(appWith()).get('/v1/markets/BTC/USDT/legal-floor').expect(200);
    expect(res.body.rule).toBe('average-close:20');
    expect(res.body.days).toHaveLength(20);
    // recompute from the venues' own candles through ccxt
    const dayStart = Math.floor(Date.now() / 86_400_000) * 86_400_000;
    const perVenue = await Promise.all(
      [trading, ...others].map((s) =>
        new ccxt.hashkey({ enableRateLimit: false, urls: { api: { public: s.url, private: s.url } } }).fetchOHLCV(
          'BTC/USDT',
          '1d',
          dayStart - 20 * 86_400_000,
          20,
          { endTime: dayStart - 1 },
        ),
      ),
    );
    let total = new Decimal(0);
    for (let d = 0; d < 20; d++) {
      const closes = perVenue.map((c) => new Decimal(String(c[d]![4]))).sort((a, b) => a.comparedTo(b));
      expect(res.body.days[d].close).toBe(closes[1]!.toFixed());
      total = total.plus(closes[1]!);
    }
    expect(res.body.price).toBe(total.div(20).div('0.01').ceil().mul('0.01').toFixed());
    expect(new Decimal(res.body.price).lt(mid(trading))).toBe(true);
  });
});

describe("a market's rules are what the service lets an order be", () => {
  test('the venue’s rules tightened by the capability table: largest orders, minimum notional and step', async () => {
    const stricter: CapabilityTable = {
      hashkey: {
        ...DEFAULT_CAPABILITIES.hashkey!,
        markets: {
          ...DEFAULT_CAPABILITIES.hashkey!.markets,
          'BTC/USDT': {
            ...DEFAULT_CAPABILITIES.hashkey!.markets['BTC/USDT']!,
            maxOrderQty: '5',
            maxMarketOrderQty: '2.5',
            minNotional: '20',
            stepSize: '0.0001',
          },
        },
      },
    };
    const res = await request(appWith({ capabilities: stricter }))
      .get('/v1/markets/BTC/USDT')
      .expect(200);
    // the simulator's own: limit 8, market 4, minimum notional 1, step 0.00001, tick 0.01
    expect(res.body).toMatchObject({
      symbol: 'BTC/USDT',
      maxQty: '5',
      marketOrderMaxQty: '2.5',
      minNotional: '20',
      stepSize: '0.0001',
      tickSize: '0.01',
    });
    // where the venue is the stricter one, its rule stands
    const looser: CapabilityTable = {
      hashkey: {
        ...DEFAULT_CAPABILITIES.hashkey!,
        markets: {
          ...DEFAULT_CAPABILITIES.hashkey!.markets,
          'BTC/USDT': { ...DEFAULT_CAPABILITIES.hashkey!.markets['BTC/USDT']!, maxOrderQty: '50' },
        },
      },
    };
    const venueRule = await request(appWith({ capabilities: looser }))
      .get('/v1/markets/BTC/USDT')
      .expect(200);
    expect(venueRule.body).toMatchObject({ maxQty: '8', marketOrderMaxQty: '4', minNotional: '1' });
  });
});

describe('pre-trade checks refuse a bad order with a problem naming the field, before the venue', () => {
  const refusedBeforeVenue = async (
    app: Express,
    order: Record<string, unknown>,
    type: string,
    field: string,
  ): Promise<Record<string, unknown>> => {
    const { clientOrderId, response } = sell(app, order);
    const res = await response.expect(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.type).toBe(`urn:vcdc:problem:${type}`);
    expect(res.body.field).toBe(field);
    expect(venueOrders(clientOrderId)).toHaveLength(0);
    return res.body;
  };

  test('unknown market', async () => {
    await refusedBeforeVenue(
      appWith(),
      { symbol: 'DOGE/USDT', amount: '10', limitPrice: '1' },
      'unknown-market',
      'symbol',
    );
  });

  test('wrong precision: amount off the lot step, price off the tick', async () => {
    await refusedBeforeVenue(appWith(), { amount: '0.123456', limitPrice: '94000' }, 'amount-precision', 'amount');
    await refusedBeforeVenue(appWith(), { amount: '0.1', limitPrice: '94000.005' }, 'price-precision', 'limitPrice');
  });

  test('below the minimum notional', async () => {
    const body = await refusedBeforeVenue(
      appWith(),
      { symbol: 'ETH/USDT', amount: '0.0002', limitPrice: '3390' },
      'below-minimum-notional',
      'amount',
    );
    expect(body.minNotional).toBe('1');
  });

  test('larger than the capability table allows (limit 8 BTC, market 4 BTC)', async () => {
    await refusedBeforeVenue(appWith(), { amount: '9', limitPrice: '94000' }, 'above-maximum-order-size', 'amount');
    await refusedBeforeVenue(appWith(), { type: 'market', amount: '5' }, 'above-maximum-order-size', 'amount');
  });

  test('outside the price band: more than 20% under the reference', async () => {
    await refusedBeforeVenue(appWith(), { amount: '0.1', limitPrice: '70000' }, 'outside-price-band', 'limitPrice');
  });

  test('below the legal floor but inside the band: refused, and the floor is named', async () => {
    const floor = new Decimal((await request(appWith()).get('/v1/markets/BTC/USDT/legal-floor')).body.price);
    const body = await refusedBeforeVenue(
      appWith(),
      { amount: '0.1', limitPrice: floor.minus('0.01').toFixed() },
      'below-legal-floor',
      'limitPrice',
    );
    expect(body.floor).toBe(floor.toFixed());
    // one tick higher is the floor itself: allowed (it rests, above the bid or not)
    const { response } = sell(appWith(), { amount: '0.1', limitPrice: floor.toFixed() });
    await response.expect(201);
  });

  // A venue's licence and bond are the register's (provider-register.test.ts), not the capability table's.
  test('a market closed to the investor class', async () => {
    await refusedBeforeVenue(
      appWith({ investorClass: 'retail' }),
      { amount: '0.1', limitPrice: '94000' },
      'investor-class-not-permitted',
      'symbol',
    );
  });

  test('per-case and global daily caps count what was already sold today', async () => {
    const capped: CapabilityTable = {
      hashkey: {
        ...DEFAULT_CAPABILITIES.hashkey!,
        markets: {
          ...DEFAULT_CAPABILITIES.hashkey!.markets,
          'ETH/USDT': {
            ...DEFAULT_CAPABILITIES.hashkey!.markets['ETH/USDT']!,
            dailyCapPerCase: '1',
            dailyCapGlobal: '1.5',
          },
        },
      },
    };
    const app = appWith({ capabilities: capped });
    const eth = (caseId: string, amount: string) => ({ caseId, symbol: 'ETH/USDT', type: 'market', amount });
    await sell(app, eth('case-cap-a', '0.8')).response.expect(201);
    const perCase = await refusedBeforeVenue(app, eth('case-cap-a', '0.3'), 'daily-cap-exceeded', 'amount');
    expect(perCase).toMatchObject({ scope: 'case', soldToday: '0.8' });
    await sell(app, eth('case-cap-b', '0.6')).response.expect(201);
    const global = await refusedBeforeVenue(app, eth('case-cap-c', '0.2'), 'daily-cap-exceeded', 'amount');
    expect(global).toMatchObject({ scope: 'global', soldToday: '1.4' });
  });
});
