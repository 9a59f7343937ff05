/**
 * The simulated OSL's own API over HTTP, without ccxt: OSL's signing is checked on the exact bytes
 * (a wrong key, a tampered body, an old nonce are refused and change nothing), and its answers carry
 * OSL's precision and named error codes.
 */
import { type RunningChainSimulator, startChainSimulator } from '../src/chain';
import { DEV_OSL_API_KEY, DEV_OSL_SECRET, oslSignature, type RunningOslSimulator, startOslSimulator } from '../src/osl';

let chain: RunningChainSimulator;
let osl: RunningOslSimulator;

beforeAll(async () => {
  chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  osl = await startOslSimulator({
    port: 0,
    chainUrl: chain.url,
    pollIntervalMs: 60_000,
    initialBalances: { BTC: '1' },
  });
});

afterAll(async () => {
  await osl.close();
  await chain.close();
});

function signed(
  method: string,
  path: string,
  body = '',
  opts: { secret?: string; nonce?: number; sentBody?: string } = {},
) {
  const nonce = String(opts.nonce ?? Date.now());
  return fetch(`${osl.url}${path}`, {
    method,
    headers: {
      'X-OSL-APIKEY': DEV_OSL_API_KEY,
      'X-OSL-NONCE': nonce,
      'X-OSL-SIGNATURE': oslSignature(opts.secret ?? DEV_OSL_SECRET, nonce, method, path, body),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body || opts.sentBody ? { body: opts.sentBody ?? body } : {}),
  });
}

const order = (clientReference: string, quantity = '0.1000') =>
  JSON.stringify({ symbol: 'BTC-USDT', side: 'SELL', orderType: 'MARKET', quantity, clientReference });

test('a correctly signed order fills and is answered at OSL precision', async () => {
  const res = await signed('POST', '/api/v4/order', order('sim-1'));
  expect(res.status).toBe(200);
  const { order: o } = (await res.json()) as { order: Record<string, unknown> };
  expect(o).toMatchObject({ clientReference: 'sim-1', quantity: '0.1000', filledQuantity: '0.1000', state: 'FILLED' });
  expect(String(o.averagePrice)).toMatch(/^\d+\.\d{2}$/);
});

test('a wrong secret, a body changed after signing and a stale nonce are refused; nothing is placed', async () => {
  const before = osl.venue.state.orders.length;
  const wrong = await signed('POST', '/api/v4/order', order('sim-2'), { secret: Buffer.from('x').toString('base64') });
  expect(wrong.status).toBe(401);
  expect(await wrong.json()).toEqual({ error: { code: 'INVALID_SIGNATURE', message: expect.any(String) } });
  const tampered = await signed('POST', '/api/v4/order', order('sim-2'), { sentBody: order('sim-2', '0.9000') });
  expect(tampered.status).toBe(401);
  const stale = await signed('POST', '/api/v4/order', order('sim-2'), { nonce: Date.now() - 120_000 });
  expect(((await stale.json()) as { error: { code: string } }).error.code).toBe('INVALID_NONCE');
  expect(osl.venue.state.orders.length).toBe(before);
});

test("HashKey's paths are not OSL's", async () => {
  const res = await fetch(`${osl.url}/api/v1/exchangeInfo`);
  expect(res.status).toBe(404);
});
