/**
 * The venue simulator as a market, driven by the real ccxt `hashkey` class over HTTP: a seeded price
 * process, depth that our orders consume and that returns, other participants' buying that fills a
 * resting sell, correlated venues, daily candles for the legal floor, and the faults a test injects.
 * The market clock is stepped by hand, so every assertion is about a known market.
 */
import ccxt, { type Exchange } from 'ccxt';
import { Decimal } from '../../packages/shared/src/money';
import { type RunningChainSimulator, startChainSimulator } from '../src/chain';
import {
  DEV_VENUE_API_KEY,
  DEV_VENUE_SECRET,
  type RunningVenueSimulator,
  startVenueSimulator,
  type VenueSimulatorOptions,
} from '../src/venue';

let chain: RunningChainSimulator;
const venues: RunningVenueSimulator[] = [];

beforeAll(async () => {
  chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
});
afterAll(async () => {
  for (const v of venues) await v.close();
  await chain.close();
});

/** A hand-stepped market clock starting at a fixed instant (so two venues can share it). */
function handClock(start = Date.UTC(2026, 10, 25, 9, 0, 0)) {
  const clock = { t: start, now: () => clock.t, advance: (ms: number) => (clock.t += ms) };
  return clock;
}

async function marketVenue(options: Partial<VenueSimulatorOptions> = {}): Promise<RunningVenueSimulator> {
  const venue = await startVenueSimulator({
    port: 0,
    seed: 7,
    chainUrl: chain.url,
    pollIntervalMs: 60_000,
    dynamics: {},
    initialBalances: { BTC: '50', ETH: '100' },
    ...options,
  });
  venues.push(venue);
  return venue;
}

function client(venue: RunningVenueSimulator): Exchange {
  return new ccxt.hashkey({
    apiKey: DEV_VENUE_API_KEY,
    secret: DEV_VENUE_SECRET,
    enableRateLimit: false,
    urls: { api: { public: venue.url, private: venue.url } },
  });
}

const bidDepth = (levels: [number, number][]) => levels.reduce((s, [, q]) => s.plus(String(q)), new Decimal(0));

describe('a seeded market', () => {
  test('same seed and clock give the same book and candles; another seed another book', async () => {
    const c1 = handClock();
    const c2 = handClock();
    const a = await marketVenue({ seed: 7, clock: c1.now });
    const b = await marketVenue({ seed: 7, clock: c2.now });
    const other = await marketVenue({ seed: 8, clock: handClock().now });
    c1.advance(90_000);
    c2.advance(90_000);
    const bookA = await client(a).fetchOrderBook('BTC/USDT');
    const bookB = await client(b).fetchOrderBook('BTC/USDT');
    const bookOther = await client(other).fetchOrderBook('BTC/USDT');
    expect(bookA.bids).toEqual(bookB.bids);
    expect(bookA.asks).toEqual(bookB.asks);
    expect(bookOther.bids).not.toEqual(bookA.bids);
    const since = c1.t - 90_000;
    const candlesA = await client(a).fetchOHLCV('BTC/USDT', '1m', since);
    const candlesB = await client(b).fetchOHLCV('BTC/USDT', '1m', since);
    expect(candlesA.length).toBe(2);
    expect(candlesA).toEqual(candlesB);
  });

  test('the mid moves step by step, and venues sharing a market seed move together', async () => {
    const c1 = handClock();
    const c2 = handClock();
    const a = await marketVenue({ seed: 21, clock: c1.now, dynamics: { marketSeed: 99, correlation: '0.9' } });
    const b = await marketVenue({ seed: 22, clock: c2.now, dynamics: { marketSeed: 99, correlation: '0.9' } });
    const mids = (v: RunningVenueSimulator, steps: number) =>
      Array.from({ length: steps }, (_, k) => v.venue.midAtStep(v.venue.market('BTCUSDT'), k));
    const ma = mids(a, 400);
    const mb = mids(b, 400);
    expect(new Set(ma.map((m) => m.toFixed())).size).toBeGreaterThan(300); // it moves
    const returns = (m: Decimal[]) =>
      m.slice(1).map((x, i) =>
        x
          .div(m[i] as Decimal)
          .minus(1)
          .toNumber(),
      );
    const ra = returns(ma);
    const rb = returns(mb);
    const mean = (r: number[]) => r.reduce((s, x) => s + x, 0) / r.length;
    const cov = (x: number[], y: number[]) => mean(x.map((v, i) => (v - mean(x)) * ((y[i] as number) - mean(y))));
    const correlation = cov(ra, rb) / Math.sqrt(cov(ra, ra) * cov(rb, rb));
    expect(correlation).toBeGreaterThan(0.7);
    expect(correlation).toBeLessThan(0.99);
    // ...and both stay near each other: within 1% after 400 steps
    expect(ma[399]!.div(mb[399]!).minus(1).abs().toNumber()).toBeLessThan(0.01);
  });

  test('a market sell consumes bid depth, which returns over the following steps', async () => {
    const clock = handClock();
    const venue = await marketVenue({ seed: 31, clock: clock.now, dynamics: { replenishRate: '0.05' } });
    const ex = client(venue);
    const before = bidDepth((await ex.fetchOrderBook('BTC/USDT', 25)).bids as [number, number][]);
    await ex.createOrder('BTC/USDT', 'market', 'sell', 3, undefined, { newClientOrderId: 'mkt-deplete-1' });
    const after = bidDepth((await ex.fetchOrderBook('BTC/USDT', 25)).bids as [number, number][]);
    // the fresh book at the same step, minus exactly what we took
    expect(before.minus(after).toNumber()).toBeGreaterThan(2.5);
    clock.advance(120_000); // 120 steps at 5% a step: (0.95)^120 ≈ 0.2% of the 3 BTC still missing
    const state = venue.venue.state.market!;
    await ex.fetchOrderBook('BTC/USDT');
    expect(new Decimal(state.depletion.BTCUSDT!).toNumber()).toBeLessThan(0.01);
  });

  test("other participants' buying fills a resting sell at its price, as maker, with the maker fee", async () => {
    const clock = handClock();
    const venue = await marketVenue({ seed: 41, clock: clock.now });
    const ex = client(venue);
    const book = await ex.fetchOrderBook('BTC/USDT');
    // one tick under the best other offer: the first in line for buyers
    const price = new Decimal(String(book.asks[0]![0])).minus('0.01').toFixed();
    await ex.createOrder('BTC/USDT', 'limit', 'sell', 0.5, Number(price), { newClientOrderId: 'rest-1' });
    const open = await ex.fetchOrder('', 'BTC/USDT', { clientOrderId: 'rest-1' });
    expect((open.info as { executedQty: string }).executedQty).toBe('0');
    clock.advance(30_000);
    const later = await ex.fetchOrder('', 'BTC/USDT', { clientOrderId: 'rest-1' });
    const executed = new Decimal((later.info as { executedQty: string }).executedQty);
    expect(executed.gt(0)).toBe(true);
    const trades = venue.venue.state.trades.filter((t) => t.clientOrderId === 'rest-1');
    expect(trades.length).toBeGreaterThan(0);
    for (const t of trades) {
      expect(t.isMaker).toBe(true);
      if (new Decimal(t.price).lt(price)) throw new Error(`filled below the limit: ${t.price}`);
      // maker fee 0.08%: credited = cost × 0.9992 rounded toward zero; the fee is the rest
      const cost = new Decimal(t.quoteQty);
      expect(new Decimal(t.commission).toFixed()).toBe(
        cost.minus(cost.mul('0.9992').toDecimalPlaces(6, Decimal.ROUND_DOWN)).toFixed(),
      );
    }
    // the minute's candle counts our fills in its volume
    const candles = await ex.fetchOHLCV('BTC/USDT', '1m', clock.t - 60_000);
    expect(candles.length).toBeGreaterThan(0);
  });

  test('a market that rises through a resting sell fills it at its own price, as maker, never at the higher bids', async () => {
    const clock = handClock();
    // no other participants' buying: only the rising book can fill the order
    const venue = await marketVenue({ seed: 41, clock: clock.now, dynamics: { flowPerStep: '0' } });
    const ex = client(venue);
    const book = await ex.fetchOrderBook('BTC/USDT');
    const price = new Decimal(String(book.bids[0]![0])).mul('1.0003').toDecimalPlaces(2, Decimal.ROUND_UP).toFixed();
    await ex.createOrder('BTC/USDT', 'limit', 'sell', 0.5, Number(price), { newClientOrderId: 'crossed-1' });
    const trades = () => venue.venue.state.trades.filter((t) => t.clientOrderId === 'crossed-1');
    // step the market a second at a time (at most 20 minutes) until the bids reach the offer
    for (let step = 0; step < 1200 && trades().length === 0; step++) {
      clock.advance(1000);
      await ex.fetchOrderBook('BTC/USDT', 5);
    }
    expect(trades().length).toBeGreaterThan(0);
    // what the market rose to: the bids of the step that filled it (before it took them) reached the offer
    const filledAt = Math.floor((trades()[0]!.time - venue.venue.state.market!.epoch) / 1000);
    const mid = venue.venue.midAtStep(venue.venue.market('BTCUSDT'), filledAt);
    expect(mid.gt(price)).toBe(true);
    for (const t of trades()) {
      expect(t.price).toBe(price);
      expect(t.isMaker).toBe(true);
      const cost = new Decimal(t.quoteQty);
      expect(new Decimal(t.commission).toFixed()).toBe(
        cost.minus(cost.mul('0.9992').toDecimalPlaces(6, Decimal.ROUND_DOWN)).toFixed(),
      );
    }
  });

  test('daily candles cover the 20 days before the trade date, rising into it (the floor sits below the price)', async () => {
    const clock = handClock();
    const venue = await marketVenue({ seed: 51, clock: clock.now });
    const ex = client(venue);
    const dayStart = Math.floor(clock.t / 86_400_000) * 86_400_000;
    const candles = await ex.fetchOHLCV('BTC/USDT', '1d', dayStart - 20 * 86_400_000, 20, {
      endTime: dayStart - 1,
    });
    expect(candles.length).toBe(20);
    expect(candles.every((c) => (c[0] as number) < dayStart)).toBe(true);
    const average = candles.reduce((s, c) => s + (c[4] as number), 0) / 20;
    const mid = venue.venue.referencePrice(venue.venue.market('BTCUSDT')).toNumber();
    expect(average).toBeLessThan(mid);
    expect(average).toBeGreaterThan(mid * 0.95);
  });
});

describe('faults injected per test', () => {
  test('a request rate above the limit answers 429, which ccxt raises as RateLimitExceeded', async () => {
    const venue = await marketVenue({ seed: 61, faults: { maxRequestsPerSecond: 3 } });
    const ex = client(venue);
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => ex.fetchOrderBook('BTC/USDT')));
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused.length).toBeGreaterThanOrEqual(3);
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ccxt.RateLimitExceeded);
  });

  test('a maintenance window closes trading (ExchangeNotAvailable) but not market data', async () => {
    const now = Date.now();
    const venue = await marketVenue({ seed: 62, faults: { maintenance: [{ start: now - 1000, end: now + 60_000 }] } });
    const ex = client(venue);
    await expect(ex.fetchOrderBook('BTC/USDT')).resolves.toBeDefined();
    await expect(
      ex.createOrder('BTC/USDT', 'market', 'sell', 0.1, undefined, { newClientOrderId: 'maint-1' }),
    ).rejects.toBeInstanceOf(ccxt.ExchangeNotAvailable);
    expect(venue.venue.state.orders).toHaveLength(0);
  });

  test('5xx answers arrive as ExchangeNotAvailable and leave no order behind', async () => {
    const venue = await marketVenue({ seed: 63, faults: { serverErrorRate: 1 } });
    await expect(
      client(venue).createOrder('BTC/USDT', 'market', 'sell', 0.1, undefined, { newClientOrderId: 'five-1' }),
    ).rejects.toBeInstanceOf(ccxt.ExchangeNotAvailable);
    expect(venue.venue.state.orders).toHaveLength(0);
    expect(venue.faults.injected.serverErrors).toBe(1);
  });

  test('a timeout after accept: the client sees a network error, the order exists and is found by its client id', async () => {
    const venue = await marketVenue({ seed: 64, faults: { timeoutAfterAcceptRate: 1 } });
    const ex = client(venue);
    await expect(
      ex.createOrder('BTC/USDT', 'market', 'sell', 0.2, undefined, { newClientOrderId: 'lost-1' }),
    ).rejects.toBeInstanceOf(ccxt.NetworkError);
    venue.faults.configure({});
    const found = await ex.fetchOrder('', 'BTC/USDT', { clientOrderId: 'lost-1' });
    expect((found.info as { executedQty: string }).executedQty).toBe('0.2');
    expect(venue.venue.state.orders.filter((o) => o.clientOrderId === 'lost-1')).toHaveLength(1);
  });

  test('rejected orders (OperationRejected) and partial fills, as configured', async () => {
    const venue = await marketVenue({ seed: 65, faults: { rejectRate: 1 } });
    const ex = client(venue);
    await expect(
      ex.createOrder('BTC/USDT', 'market', 'sell', 0.2, undefined, { newClientOrderId: 'rej-1' }),
    ).rejects.toBeInstanceOf(ccxt.OperationRejected);
    expect(venue.venue.state.orders).toHaveLength(0);

    venue.faults.configure({ partialFillRate: 1, seed: 3 });
    await ex.createOrder('BTC/USDT', 'market', 'sell', 1, undefined, { newClientOrderId: 'part-1' });
    const order = venue.venue.state.orders.find((o) => o.clientOrderId === 'part-1')!;
    expect(order.status).toBe('PARTIALLY_CANCELED');
    const executed = new Decimal(order.executedQty);
    expect(executed.gte('0.25')).toBe(true);
    expect(executed.lt('0.75')).toBe(true);
  });

  test('latency is added to every answer', async () => {
    const venue = await marketVenue({ seed: 66, faults: { latencyMs: 150 } });
    const started = Date.now();
    await client(venue).fetchOrderBook('BTC/USDT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  test('the same fault seed injects the same faults in the same places', async () => {
    const pattern = async (seed: number) => {
      const venue = await marketVenue({ seed: 67, faults: { seed, serverErrorRate: 0.3 } });
      const ex = client(venue);
      const out: boolean[] = [];
      for (let i = 0; i < 12; i++)
        out.push(
          await ex.fetchOrderBook('BTC/USDT').then(
            () => true,
            () => false,
          ),
        );
      return out;
    };
    const first = await pattern(5);
    expect(await pattern(5)).toEqual(first);
    expect(first.filter((ok) => !ok).length).toBeGreaterThan(0);
  });
});

test('a static venue (no dynamics) still serves the seeded daily history the legal floor reads', async () => {
  const venue = await startVenueSimulator({ port: 0, seed: 71, chainUrl: chain.url, pollIntervalMs: 60_000 });
  venues.push(venue);
  const ex = client(venue);
  const dayStart = Math.floor(Date.now() / 86_400_000) * 86_400_000;
  const first = await ex.fetchOHLCV('BTC/USDT', '1d', dayStart - 20 * 86_400_000, 20, { endTime: dayStart - 1 });
  const again = await ex.fetchOHLCV('BTC/USDT', '1d', dayStart - 20 * 86_400_000, 20, { endTime: dayStart - 1 });
  expect(first).toHaveLength(20);
  expect(again).toEqual(first);
  expect(await ex.fetchOHLCV('BTC/USDT', '1m')).toEqual([]); // no intraday data without a moving market
});

describe('the book refills (issue 19: demo-size lots emptied the bids and later cases waited for ever)', () => {
  /** Market sells of the largest market size until the bid side shows nothing. */
  async function emptyTheBids(ex: Exchange, prefix: string): Promise<void> {
    for (let i = 0; i < 20 && (await ex.fetchOrderBook('BTC/USDT', 50)).bids.length > 0; i++) {
      await ex.createOrder('BTC/USDT', 'market', 'sell', 4, undefined, { newClientOrderId: `${prefix}-${i}` });
    }
    expect((await ex.fetchOrderBook('BTC/USDT', 50)).bids).toEqual([]);
  }

  test('a moving market emptied by large sells shows its full depth again after the refill time', async () => {
    const clock = handClock();
    const options = { seed: 61, clock: clock.now, dynamics: { flowPerStep: '0', replenishRate: '0.05' } };
    const venue = await marketVenue(options);
    const untouched = client(await marketVenue(options)); // same seed, same clock: the book without our sells
    const ex = client(venue);
    await emptyTheBids(ex, 'moving-empty');

    clock.advance(10_000); // ten steps: (0.95)^10, about 60% of what we took, is still missing
    const early = bidDepth((await ex.fetchOrderBook('BTC/USDT', 50)).bids as [number, number][]);
    const fresh = bidDepth((await untouched.fetchOrderBook('BTC/USDT', 50)).bids as [number, number][]);
    expect(early.gt(0)).toBe(true);
    expect(early.lt(fresh.mul('0.8'))).toBe(true);

    clock.advance(180_000); // (0.95)^190: about 0.01% still missing
    const refilled = await ex.fetchOrderBook('BTC/USDT', 50);
    const reference = await untouched.fetchOrderBook('BTC/USDT', 50);
    expect(refilled.bids[0]![0]).toBe(reference.bids[0]![0]);
    expect(
      bidDepth(refilled.bids as [number, number][]).gte(bidDepth(reference.bids as [number, number][]).mul('0.999')),
    ).toBe(true);
  });

  test('a static book with a refill gets back part of what is missing each interval, then exactly its seeded depth', async () => {
    const clock = handClock();
    const options = { seed: 62, clock: clock.now, dynamics: undefined, bookRefill: { intervalMs: 1000, rate: '0.05' } };
    const venue = await marketVenue(options);
    const seeded = await client(await marketVenue(options)).fetchOrderBook('BTC/USDT', 50);
    const ex = client(venue);
    await emptyTheBids(ex, 'static-empty');

    clock.advance(999); // not a whole interval yet
    expect((await ex.fetchOrderBook('BTC/USDT', 50)).bids).toEqual([]);
    clock.advance(1); // one interval: every level has 5% of its depth back (what stays missing rounded down to the lot)
    const first = await ex.fetchOrderBook('BTC/USDT', 50);
    expect(first.bids.map(([price]) => price)).toEqual(seeded.bids.map(([price]) => price));
    const depth = bidDepth(first.bids as [number, number][]);
    const full = bidDepth(seeded.bids as [number, number][]);
    expect(depth.gt(full.mul('0.04'))).toBe(true);
    expect(depth.lte(full.mul('0.05').plus(new Decimal('0.00001').mul(first.bids.length)))).toBe(true);

    clock.advance(600_000);
    expect((await ex.fetchOrderBook('BTC/USDT', 50)).bids).toEqual(seeded.bids);
    // and a sell meets the book again at its best price
    await ex.createOrder('BTC/USDT', 'market', 'sell', 0.1, undefined, { newClientOrderId: 'static-after-refill' });
    const trades = await ex.fetchMyTrades('BTC/USDT', undefined, undefined, { clientOrderId: 'static-after-refill' });
    expect(trades.map((t) => t.price)).toEqual([seeded.bids[0]![0]]);
  });

  test('a static book without a refill (the tests’ default) stays consumed', async () => {
    const clock = handClock();
    const venue = await marketVenue({ seed: 63, clock: clock.now, dynamics: undefined });
    const ex = client(venue);
    await emptyTheBids(ex, 'static-kept');
    clock.advance(600_000);
    expect((await ex.fetchOrderBook('BTC/USDT', 50)).bids).toEqual([]);
  });
});
