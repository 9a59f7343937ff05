/**
 * The venue simulator's fault profile and market driver (issue 14, part 3), through real HTTP: each
 * fault kind as real ccxt sees it, the profile from the environment (VENUE_FAULTS) and from the admin
 * route, the admin routes' door (loopback and a token), and the market driver moving the price,
 * the volatility and other participants' flow — on a hand-stepped clock, so every price is known.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import ccxt, { type Exchange } from 'ccxt';
import { Decimal } from '../../packages/shared/src/money';
import { type RunningChainSimulator, startChainSimulator } from '../src/chain';
import {
  DEV_VENUE_API_KEY,
  DEV_VENUE_SECRET,
  FaultProfileError,
  parseFaultProfile,
  type RunningVenueSimulator,
  startVenueSimulator,
  type VenueSimulatorOptions,
} from '../src/venue';
import { parseCommand, UsageError } from '../src/venue/cli';

const TOKEN = 'test-admin-token-0123456789';
let chain: RunningChainSimulator;
const venues: RunningVenueSimulator[] = [];
let nextSeed = 700;

beforeAll(async () => {
  chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
});
afterAll(async () => {
  for (const v of venues) await v.close();
  await chain.close();
});

function handClock(start = Date.UTC(2026, 10, 25, 9, 0, 0)) {
  const clock = { t: start, now: () => clock.t, advance: (ms: number) => (clock.t += ms) };
  return clock;
}

async function venueWith(options: Partial<VenueSimulatorOptions> = {}): Promise<RunningVenueSimulator> {
  const venue = await startVenueSimulator({
    port: 0,
    seed: nextSeed++,
    chainUrl: chain.url,
    pollIntervalMs: 60_000,
    initialBalances: { BTC: '50' },
    adminToken: TOKEN,
    ...options,
  });
  venues.push(venue);
  return venue;
}

function client(venue: RunningVenueSimulator, timeout = 10_000): Exchange {
  return new ccxt.hashkey({
    apiKey: DEV_VENUE_API_KEY,
    secret: DEV_VENUE_SECRET,
    enableRateLimit: false,
    timeout,
    urls: { api: { public: venue.url, private: venue.url } },
  });
}

/** What the admin routes answer (a view, a profile or a problem); tests read the fields they expect. */
type AdminAnswer = Record<string, string | number | undefined> & {
  mid: string;
  step: number;
  untilStep: number;
  detail: string;
  plan: unknown;
  injected: Record<string, number>;
};

async function admin(venue: RunningVenueSimulator, method: string, route: string, body?: unknown, token = TOKEN) {
  const response = await fetch(`${venue.url}/sim/v1${route}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: (await response.json()) as AdminAnswer,
  };
}

describe('fault kinds, as ccxt sees them', () => {
  test('a request not answered within the client’s timeout is ccxt’s RequestTimeout, and nothing was done', async () => {
    const venue = await venueWith({
      faults: { requestTimeoutRate: 1, requestTimeoutMs: 3000, requestTimeoutScope: 'trading' },
    });
    const ex = client(venue, 500);
    await ex.loadMarkets(); // market data is outside the trading scope
    await expect(ex.createOrder('BTC/USDT', 'market', 'sell', 0.1)).rejects.toBeInstanceOf(ccxt.RequestTimeout);
    expect(venue.venue.state.orders).toHaveLength(0);
    expect(venue.faults.injected.timeouts).toBe(1);
  });

  test('a delayed fill: the order is accepted open with nothing filled, and filled when its time comes', async () => {
    const clock = handClock();
    const venue = await venueWith({ clock: clock.now, faults: { delayedFillRate: 1, fillDelayMs: 5000 } });
    const ex = client(venue);
    const placed = await ex.createOrder('BTC/USDT', 'market', 'sell', 0.2);
    const early = await ex.fetchOrder(placed.id as string, 'BTC/USDT');
    expect(early.status).toBe('open');
    expect(early.filled).toBe(0);
    expect(await ex.fetchMyTrades('BTC/USDT')).toHaveLength(0);
    clock.advance(4999);
    expect((await ex.fetchOrder(placed.id as string, 'BTC/USDT')).filled).toBe(0);
    clock.advance(1);
    const late = await ex.fetchOrder(placed.id as string, 'BTC/USDT');
    expect(late.status).toBe('closed');
    expect(late.filled).toBe(0.2);
    const trades = await ex.fetchMyTrades('BTC/USDT');
    expect(trades.reduce((s, t) => s.plus(String(t.amount)), new Decimal(0)).toFixed()).toBe('0.2');
    expect(trades.every((t) => t.takerOrMaker === 'taker')).toBe(true);
    const raw = (await ex.fetchBalance()).info as { balances: { asset: string; free: string; locked: string }[] };
    expect(raw.balances.find((b) => b.asset === 'BTC')).toMatchObject({ free: '49.8', locked: '0' });
  });

  test('a delayed order cancelled while it waits never fills and gives its coins back', async () => {
    const clock = handClock();
    const venue = await venueWith({ clock: clock.now, faults: { delayedFillRate: 1, fillDelayMs: 5000 } });
    const ex = client(venue);
    const placed = await ex.createOrder('BTC/USDT', 'market', 'sell', 0.3);
    await ex.cancelOrder(placed.id as string, 'BTC/USDT');
    clock.advance(10_000);
    const order = await ex.fetchOrder(placed.id as string, 'BTC/USDT');
    expect(order.status).toBe('canceled');
    expect(order.filled).toBe(0);
    expect(venue.venue.state.balances.BTC).toEqual({ free: '50', locked: '0' });
  });

  test('deposits held by rate: ccxt sees them pending with the reason, then credited when the hold ends', async () => {
    const clock = handClock();
    const venue = await venueWith({
      clock: clock.now,
      depositConfirmations: 2,
      initialBalances: {},
      faults: {
        seed: 3,
        depositHoldRate: 1,
        depositHoldReason: 'AML review (test)',
        depositHoldReleaseAfterMs: 60_000,
      },
    });
    const ex = client(venue);
    const response = await fetch(`${chain.url}/v1/chains/bitcoin/faucet`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ address: venue.venue.state.depositAddresses.bitcoin, asset: 'BTC', amount: '0.4' }),
    });
    const { txHash } = (await response.json()) as { txHash: string };
    chain.mine('bitcoin', 2);
    await venue.syncDeposits();
    const held = (await ex.fetchDeposits('BTC')).find((d) => d.txid === txHash);
    expect(held?.status).toBe('pending');
    expect(held?.info).toMatchObject({ statusCode: '5', remark: 'AML review (test)' });
    expect(venue.faults.injected.depositHolds).toBe(1);
    clock.advance(60_000);
    expect((await ex.fetchDeposits('BTC')).find((d) => d.txid === txHash)?.status).toBe('ok');
  });
});

describe('the fault profile from the environment', () => {
  test('a valid profile parses; a wrong one is refused naming the field', () => {
    expect(parseFaultProfile('{"seed":7,"serverErrorRate":0.3,"delayedFillRate":0.1,"fillDelayMs":2000}')).toEqual({
      seed: 7,
      serverErrorRate: 0.3,
      delayedFillRate: 0.1,
      fillDelayMs: 2000,
    });
    expect(() => parseFaultProfile('{"serverErrorRate":1.5}')).toThrow(/^serverErrorRate: /);
    expect(() => parseFaultProfile('{"serverEroorRate":0.3}')).toThrow(/serverEroorRate/);
    expect(() => parseFaultProfile('{"maintenance":[{"start":1}]}')).toThrow(/maintenance\.0\.end/);
    expect(() => parseFaultProfile('serverErrorRate=0.3')).toThrow(FaultProfileError);
  });

  test('the simulators refuse to start on a wrong VENUE_FAULTS, naming the variable and the field', () => {
    const root = path.join(__dirname, '..', '..');
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'simulators/src/main.ts'], {
      cwd: root,
      env: { ...process.env, VENUE_FAULTS: '{"seed":7,"requestTimeoutRate":-0.1}' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/VENUE_FAULTS: requestTimeoutRate: /);
  }, 70_000);
});

describe('the admin routes', () => {
  test('refused without the token or with another; with it the profile is read and replaced', async () => {
    const venue = await venueWith();
    for (const token of ['', 'not-the-token']) {
      const refused = await admin(venue, 'PUT', '/faults', { serverErrorRate: 1 }, token);
      expect(refused.status).toBe(401);
      expect(refused.type).toMatch(/application\/problem\+json/);
      expect((await admin(venue, 'GET', '/faults', undefined, token)).status).toBe(401);
      expect((await admin(venue, 'POST', '/market/BTCUSDT/move', { percent: -8, overSeconds: 60 }, token)).status).toBe(
        401,
      );
    }
    expect(venue.faults.current).toEqual({});

    const bad = await admin(venue, 'PUT', '/faults', { serverErrorRate: 2 });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/^serverErrorRate: /);
    expect(venue.faults.current).toEqual({});

    const ex = client(venue);
    await ex.loadMarkets();
    const put = await admin(venue, 'PUT', '/faults', { seed: 5, serverErrorRate: 1, serverErrorScope: 'trading' });
    expect(put.status).toBe(200);
    await expect(ex.createOrder('BTC/USDT', 'market', 'sell', 0.1)).rejects.toBeInstanceOf(ccxt.ExchangeNotAvailable);
    const read = await admin(venue, 'GET', '/faults');
    expect(read.body.plan).toEqual({ seed: 5, serverErrorRate: 1, serverErrorScope: 'trading' });
    expect(read.body.injected.serverErrors).toBe(1);
    expect((await admin(venue, 'PUT', '/faults', {})).status).toBe(200);
    expect((await ex.createOrder('BTC/USDT', 'market', 'sell', 0.1)).status).toBe('closed');
  });

  test('a venue without an admin token refuses every admin request', async () => {
    const venue = await venueWith({ adminToken: undefined });
    expect((await admin(venue, 'GET', '/faults')).status).toBe(403);
  });
});

describe('the market driver', () => {
  const drivenVenue = (clock: ReturnType<typeof handClock>, seed = 41) =>
    venueWith({ seed, clock: clock.now, dynamics: {} });

  test('a move reaches its target over the time given and stays; same seed and commands, same prices', async () => {
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const clock = handClock();
      const venue = await drivenVenue(clock);
      clock.advance(10_000);
      const start = new Decimal((await admin(venue, 'GET', '/market/BTC%2FUSDT')).body.mid);
      const moved = await admin(venue, 'POST', '/market/BTC%2FUSDT/move', { percent: '-8', overSeconds: 60 });
      expect(moved.status).toBe(200);
      expect(moved.body.untilStep).toBe(moved.body.step + 60);
      const mids: Decimal[] = [];
      for (const t of [30_000, 30_000, 60_000]) {
        clock.advance(t);
        mids.push(new Decimal((await admin(venue, 'GET', '/market/BTCUSDT')).body.mid));
      }
      const [half, end, after] = mids as [Decimal, Decimal, Decimal];
      // Half way about half the move; at the end the whole of it; after, it stays (the seeded noise
      // on top is 0.5 bp a step: a few bp over a minute).
      expect(half.div(start).minus('0.96').abs().toNumber()).toBeLessThan(0.003);
      expect(end.div(start).minus('0.92').abs().toNumber()).toBeLessThan(0.003);
      expect(after.div(start).minus('0.92').abs().toNumber()).toBeLessThan(0.005);
      // ccxt sees it: the book's bids are under the moved mid, the 1-minute candles fall.
      const ex = client(venue);
      const book = await ex.fetchOrderBook('BTC/USDT');
      expect(new Decimal(String(book.bids[0]?.[0])).lte(after)).toBe(true);
      const candles = await ex.fetchOHLCV('BTC/USDT', '1m', clock.t - 180_000);
      runs.push({ mids: mids.map((m) => m.toFixed()), candles, book: book.bids.slice(0, 5) });
    }
    expect(runs[1]).toEqual(runs[0]);
    // The first minute opens at the old price; the last closes at the moved one.
    const candles = runs[0]?.candles ?? [];
    const [firstOpen, lastClose] = [candles[0]?.[1] as number, candles[candles.length - 1]?.[4] as number];
    expect(lastClose).toBeLessThan(firstOpen * 0.93);
  });

  test('volatility set to zero freezes the seeded noise; a bad value is refused naming the field', async () => {
    const clock = handClock();
    const venue = await drivenVenue(clock, 42);
    const bad = await admin(venue, 'PUT', '/market/BTCUSDT/volatility', { volatilityBp: '-1' });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/^volatilityBp: /);
    expect((await admin(venue, 'PUT', '/market/BTCUSDT/volatility', { volatilityBp: '0' })).status).toBe(200);
    clock.advance(1000);
    const a = new Decimal((await admin(venue, 'GET', '/market/BTCUSDT')).body.mid);
    clock.advance(1000);
    const b = new Decimal((await admin(venue, 'GET', '/market/BTCUSDT')).body.mid);
    // Only the mean reversion (0.2% of the gap to the anchor a step) is left: well under a basis point.
    expect(b.div(a).minus(1).abs().toNumber()).toBeLessThan(0.00002);
  });

  test('other participants’ flow fills a resting passive sell; with no flow it rests', async () => {
    const clock = handClock();
    const venue = await drivenVenue(clock, 43);
    const ex = client(venue);
    expect((await admin(venue, 'PUT', '/market/BTCUSDT/flow', { flowPerStep: '0' })).status).toBe(200);
    expect((await admin(venue, 'PUT', '/market/BTCUSDT/volatility', { volatilityBp: '0' })).status).toBe(200);
    clock.advance(1000);
    const book = await ex.fetchOrderBook('BTC/USDT');
    const ask = book.asks[0]?.[0] as number;
    const order = await ex.createOrder('BTC/USDT', 'limit', 'sell', 0.5, ask, { postOnly: true });
    clock.advance(20_000);
    expect((await ex.fetchOrder(order.id as string, 'BTC/USDT')).filled).toBe(0);

    expect((await admin(venue, 'PUT', '/market/BTCUSDT/flow', { flowPerStep: '5' })).status).toBe(200);
    clock.advance(20_000);
    const filled = await ex.fetchOrder(order.id as string, 'BTC/USDT');
    expect(filled.filled).toBeGreaterThan(0);
    const trades = await ex.fetchMyTrades('BTC/USDT');
    expect(trades.length).toBeGreaterThan(0);
    expect(trades.every((t) => t.takerOrMaker === 'maker' && t.price === ask)).toBe(true);
    // The flow is the candles' volume too.
    const candles = await ex.fetchOHLCV('BTC/USDT', '1m', clock.t - 120_000);
    expect(candles.some((c) => (c[5] as number) > 0)).toBe(true);
  });

  test('a static venue refuses the driver', async () => {
    const venue = await venueWith();
    const refused = await admin(venue, 'POST', '/market/BTCUSDT/move', { percent: -8, overSeconds: 60 });
    expect(refused.status).toBe(409);
  });
});

describe('the market driver from a terminal (npm run venue)', () => {
  test('command lines become admin calls; a wrong one is refused naming the argument', () => {
    expect(parseCommand(['move', 'BTC/USDT', '-8%', '60s'])).toEqual({
      method: 'POST',
      route: '/market/BTC%2FUSDT/move',
      body: { percent: '-8', overSeconds: 60 },
    });
    expect(parseCommand(['move', 'ETHUSDT', '+2.5%', '5m'])).toMatchObject({
      body: { percent: '+2.5', overSeconds: 300 },
    });
    expect(parseCommand(['volatility', 'BTC/USDT', '5'])).toMatchObject({ method: 'PUT', body: { volatilityBp: '5' } });
    expect(parseCommand(['faults', 'clear'])).toEqual({ method: 'PUT', route: '/faults', body: {} });
    expect(parseCommand(['faults', '{"seed":7,"serverErrorRate":0.3}'])).toMatchObject({
      body: { seed: 7, serverErrorRate: 0.3 },
    });
    expect(() => parseCommand(['move', 'BTC/USDT', 'minus8', '60s'])).toThrow(/^percent: /);
    expect(() => parseCommand(['move', 'BTC/USDT', '-8%', 'a minute'])).toThrow(/^duration: /);
    expect(() => parseCommand(['jump'])).toThrow(UsageError);
  });

  test('the CLI moves the running venue’s market', async () => {
    const clock = handClock();
    const venue = await venueWith({ seed: 44, clock: clock.now, dynamics: {} });
    const root = path.join(__dirname, '..', '..');
    const env = { ...process.env, VENUE_URL: venue.url, VENUE_ADMIN_TOKEN: TOKEN };
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'simulators/src/venue/cli.ts', ...args], {
          cwd: root,
          env,
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c) => (stdout += c));
        child.stderr.on('data', (c) => (stderr += c));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const moved = await run(['move', 'BTC/USDT', '-8%', '60s']);
    expect(moved.stderr).toBe('');
    expect(moved.code).toBe(0);
    expect(JSON.parse(moved.stdout)).toMatchObject({ symbol: 'BTCUSDT', untilStep: 60 });
    expect(venue.venue.state.market?.controls?.BTCUSDT?.moves).toEqual([{ fromStep: 0, steps: 60, factor: '0.92' }]);
    // The venue's refusal (problem+json naming the field) reaches the terminal; the exit code says so.
    const refused = await run(['volatility', 'BTC/USDT', '-3']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stderr)).toMatchObject({ status: 400, detail: expect.stringMatching(/^volatilityBp: /) });
    const usage = await run(['move', 'BTC/USDT', '-8%']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^duration: /);
  }, 60_000);
});
