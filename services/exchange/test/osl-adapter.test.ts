/**
 * Our OSL class (a ccxt Exchange subclass: ccxt has none) against the simulated OSL over real HTTP:
 * OSL's signing checked by the venue, its markets' precision, and orders, fills and balances parsed
 * into ccxt's unified structures with OSL's raw decimal strings kept in `info`.
 */
import ccxt from 'ccxt';
import { type RunningChainSimulator, startChainSimulator } from '../../../simulators/src/chain';
import {
  DEV_OSL_API_KEY,
  DEV_OSL_SECRET,
  type RunningOslSimulator,
  startOslSimulator,
} from '../../../simulators/src/osl';
import { Osl } from '../src/osl/osl-exchange';

let chain: RunningChainSimulator;
let osl: RunningOslSimulator;

beforeAll(async () => {
  chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  osl = await startOslSimulator({
    port: 0,
    chainUrl: chain.url,
    pollIntervalMs: 60_000,
    initialBalances: { BTC: '3' },
  });
});

afterAll(async () => {
  await osl.close();
  await chain.close();
});

function client(secret = DEV_OSL_SECRET) {
  return new Osl({
    apiKey: DEV_OSL_API_KEY,
    secret,
    timeout: 5000,
    enableRateLimit: false,
    urls: { api: { public: osl.url, private: osl.url } },
  });
}

test("OSL's markets carry its own precision, limits and who may trade them", async () => {
  const markets = await client().fetchMarkets();
  const btc = markets.find((m) => m?.symbol === 'BTC/USD');
  expect(btc).toMatchObject({ id: 'BTC-USD', precision: { amount: 0.0001, price: 0.01 }, spot: true });
  expect(btc?.info).toMatchObject({ quantityScale: 4, priceScale: 2, investorClasses: ['professional'] });
  expect(btc?.limits.market?.max).toBe(2);
});

test('a request signed with another secret is refused by the venue (AuthenticationError), and nothing is placed', async () => {
  const wrong = client(Buffer.from('not-the-secret').toString('base64'));
  await expect(wrong.fetchBalance()).rejects.toBeInstanceOf(ccxt.AuthenticationError);
  const before = osl.venue.state.orders.length;
  await expect(
    wrong.createOrder('BTC/USDT', 'market', 'sell', '0.1' as unknown as number, undefined, { clientOrderId: 'x-1' }),
  ).rejects.toBeInstanceOf(ccxt.AuthenticationError);
  expect(osl.venue.state.orders.length).toBe(before);
});

test('a market sell fills; the order, its fills at OSL precision and the balance come back unified', async () => {
  const c = client();
  const order = await c.createOrder('BTC/USDT', 'market', 'sell', '0.25' as unknown as number, undefined, {
    clientOrderId: 'adapter-sell-1',
  });
  expect(order).toMatchObject({ clientOrderId: 'adapter-sell-1', symbol: 'BTC/USDT', side: 'sell', status: 'closed' });
  expect(order.info).toMatchObject({ quantity: '0.2500', filledQuantity: '0.2500', state: 'FILLED' });
  const found = await c.fetchOrder(undefined, 'BTC/USDT', { clientOrderId: 'adapter-sell-1' });
  expect(found.id).toBe(order.id);
  const fills = await c.fetchMyTrades('BTC/USDT', undefined, undefined, { orderId: order.id });
  expect(fills.length).toBeGreaterThan(0);
  for (const f of fills) expect((f.info as { price: string }).price).toMatch(/^\d+\.\d{2}$/);
  const booked = osl.venue.state.trades.filter((t) => t.orderId === order.id);
  // OSL's fee schedule: 0.15% taker, exactly as the venue booked it
  expect(fills.map((f) => (f.info as { fee: string }).fee)).toEqual(booked.map((t) => t.commission));
  const balance = await c.fetchBalance();
  expect((balance.info as { balances: { currency: string; available: string }[] }).balances).toContainEqual(
    expect.objectContaining({ currency: 'BTC', available: '2.75' }),
  );
  // a repeat of the client reference is refused as a duplicate
  await expect(
    c.createOrder('BTC/USDT', 'market', 'sell', '0.1' as unknown as number, undefined, {
      clientOrderId: 'adapter-sell-1',
    }),
  ).rejects.toBeInstanceOf(ccxt.DuplicateOrderId);
});

test('more decimals than OSL takes is refused (InvalidOrder)', async () => {
  await expect(
    client().createOrder('BTC/USDT', 'market', 'sell', '0.12345' as unknown as number, undefined, {
      clientOrderId: 'adapter-precision',
    }),
  ).rejects.toBeInstanceOf(ccxt.InvalidOrder);
});
