/**
 * What the engine reads about a market besides its price, through real ccxt against a moving venue
 * simulator on a hand-stepped clock: the venue's traded volume in an interval (GET …/volume, from 1m
 * candles; the participation cap) and the bids visible within a band (GET …/depth; the route choice).
 * Each answer is held against the simulator's own candles and book.
 */
import { Decimal } from '@vcdc/shared/money';
import type { Express } from 'express';
import request from 'supertest';
import { type RunningChainSimulator, startChainSimulator } from '../../../simulators/src/chain';
import type { RunningVenueSimulator } from '../../../simulators/src/venue';
import { type SimulatedExchange, startSimulatedExchange } from '../../../test/support/simulated-exchange';
import { depthWithin, volumeOf } from '../src/market-activity';

const MINUTE = 60_000;
/** The market's clock: a whole minute, stepped by hand. */
const t0 = Date.UTC(2026, 10, 25, 9, 0, 0);
let t = t0;

let chain: RunningChainSimulator;
let stack: SimulatedExchange;
let sim: RunningVenueSimulator;
let app: Express;

beforeAll(async () => {
  chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  stack = await startSimulatedExchange({
    database: 'exchange_market_activity',
    chainUrl: chain.url,
    venue: { seed: 8101, dynamics: {}, clock: () => t, initialBalances: { BTC: '10' } },
    clock: () => new Date(t),
  });
  ({ sim, app } = stack);
});

afterAll(async () => {
  await stack?.close();
  await chain?.close();
});

const iso = (ms: number) => new Date(ms).toISOString();
/** The simulator's own volume of the whole minutes in [from, to). */
function simVolume(symbol: string, from: number, to: number): Decimal {
  const spec = sim.venue.market(symbol);
  return sim.venue
    .candles(spec, MINUTE, from, to - 1)
    .filter((c) => c.openTime >= from && c.openTime < to)
    .reduce((s, c) => s.plus(c.volume), new Decimal(0));
}

describe('traded volume', () => {
  test('the volume of an interval is the sum of the venue’s minute candles in it', async () => {
    t = t0 + 3 * MINUTE + 20_000;
    const res = await request(app)
      .get('/v1/markets/BTC/USDT/volume')
      .query({ since: iso(t0 + MINUTE), until: iso(t0 + 3 * MINUTE) })
      .expect(200);
    expect(res.body).toMatchObject({ venue: 'hashkey', symbol: 'BTC/USDT', candles: 2, source: 'ccxt fetchOHLCV 1m' });
    const expected = simVolume('BTCUSDT', t0 + MINUTE, t0 + 3 * MINUTE);
    expect(expected.gt(0)).toBe(true);
    expect(res.body.volume).toBe(expected.toFixed());
  });

  test('until defaults to now; the minute since falls in counts for its share after since', async () => {
    t = t0 + 3 * MINUTE + 20_000;
    const res = await request(app)
      .get('/v1/markets/BTC/USDT/volume')
      .query({ since: iso(t0 + 2 * MINUTE + 30_000) })
      .expect(200);
    expect(res.body.until).toBe(iso(t));
    const half = simVolume('BTCUSDT', t0 + 2 * MINUTE, t0 + 3 * MINUTE).div(2);
    const current = simVolume('BTCUSDT', t0 + 3 * MINUTE, t0 + 4 * MINUTE); // 20 s of it so far
    expect(res.body.volume).toBe(half.plus(current).toDecimalPlaces(8, Decimal.ROUND_DOWN).toFixed());
    expect(res.body.candles).toBe(2);
  });

  test('or the last `seconds` before now', async () => {
    t = t0 + 4 * MINUTE;
    const res = await request(app).get('/v1/markets/BTC/USDT/volume').query({ seconds: '120' }).expect(200);
    expect(res.body).toMatchObject({ since: iso(t0 + 2 * MINUTE), until: iso(t0 + 4 * MINUTE), candles: 2 });
    expect(res.body.volume).toBe(simVolume('BTCUSDT', t0 + 2 * MINUTE, t0 + 4 * MINUTE).toFixed());
  });

  test('a bad interval is refused with a problem naming the field', async () => {
    const missing = await request(app).get('/v1/markets/BTC/USDT/volume').expect(400);
    expect(missing.headers['content-type']).toContain('application/problem+json');
    expect(JSON.stringify(missing.body)).toContain('since');
    const backwards = await request(app)
      .get('/v1/markets/BTC/USDT/volume')
      .query({ since: iso(t0 + 2 * MINUTE), until: iso(t0 + MINUTE) })
      .expect(400);
    expect(backwards.body.field).toBe('until');
  });

  test('volumeOf: whole minutes whole, the first minute pro rata, nothing outside the interval', () => {
    const c = (minute: number, volume: string) => ({ day: new Date(t0 + minute * MINUTE), close: '1', volume });
    const candles = [c(0, '60'), c(1, '6'), c(2, '12'), c(3, '99')];
    const { volume, candles: n } = volumeOf(candles, new Date(t0 + 40_000), new Date(t0 + 3 * MINUTE));
    expect(volume.toFixed()).toBe('38'); // 20 s of 60 + 6 + 12
    expect(n).toBe(3);
  });
});

describe('visible depth within a band', () => {
  test('the bid quantity within bandBp under the best bid, as the venue shows it', async () => {
    t = t0 + 5 * MINUTE;
    const res = await request(app).get('/v1/markets/BTC/USDT/depth').query({ bandBp: '10' }).expect(200);
    const bids = sim.venue.depth('BTCUSDT', 200).b.map(([price, qty]) => ({ price: price!, qty: qty! }));
    const best = new Decimal(bids[0]!.price);
    const lowest = best.mul('0.999');
    const expected = bids
      .filter((b) => new Decimal(b.price).gte(lowest))
      .reduce((s, b) => s.plus(b.qty), new Decimal(0));
    expect(res.body).toMatchObject({ venue: 'hashkey', symbol: 'BTC/USDT', bandBp: '10', bestBid: best.toFixed() });
    expect(res.body.bidDepth).toBe(expected.toFixed());
    expect(new Decimal(res.body.bidDepth).gt(0)).toBe(true);
    // a wider band sees at least as much
    const wide = await request(app).get('/v1/markets/BTC/USDT/depth').query({ bandBp: '100' }).expect(200);
    expect(new Decimal(wide.body.bidDepth).gte(res.body.bidDepth)).toBe(true);
  });

  test('a bad band or an unknown market is refused', async () => {
    const bad = await request(app).get('/v1/markets/BTC/USDT/depth').query({ bandBp: 'wide' }).expect(400);
    expect(JSON.stringify(bad.body)).toContain('bandBp');
    await request(app).get('/v1/markets/DOGE/USDT/depth').query({ bandBp: '10' }).expect(404);
  });

  test('depthWithin: levels from the best bid down to the band, none under it', () => {
    const bids = [
      { price: '100', qty: '1' },
      { price: '99.95', qty: '2' },
      { price: '99.9', qty: '4' },
      { price: '99.8', qty: '8' },
    ];
    expect(depthWithin(bids, '10').depth.toFixed()).toBe('7');
    expect(depthWithin(bids, '10').lowest?.toFixed()).toBe('99.9');
    expect(depthWithin([], '10').depth.toFixed()).toBe('0');
  });
});
