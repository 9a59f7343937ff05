/** The ccxt client's request signing through node:crypto gives the very requests ccxt's own would. */
import ccxt, { type Exchange } from 'ccxt';
import { signWithNodeCrypto } from '../src/venue-signing';

const client = () => {
  const exchange = new ccxt.hashkey({ apiKey: 'key', secret: 'a-secret-of-some-length' }) as Exchange;
  // A fixed clock: the signed timestamp is the same in both requests.
  exchange.milliseconds = () => 1_764_806_400_000;
  return exchange;
};

test('a signed HashKey request is byte for byte the one ccxt signs itself, for a GET and a POST', () => {
  for (const [path, method, params] of [
    ['api/v1/account/trades', 'GET', { symbol: 'BTCUSDT', clientOrderId: 'case-1-lot-1-sell-1', limit: 1000 }],
    ['api/v1/spot/order', 'POST', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.01' }],
  ] as const) {
    const theirs = client().sign(path, 'private', method, { ...params });
    const node = client();
    signWithNodeCrypto(node);
    const ours = node.sign(path, 'private', method, { ...params });
    expect(ours).toEqual(theirs);
    expect(JSON.stringify(ours)).toMatch(/signature=[0-9a-f]{64}/);
  }
});

test('another hash is signed by ccxt as before', () => {
  const exchange = client();
  const ccxtHmac = jest.fn(() => 'ccxt-signature');
  (exchange as unknown as { hmac: unknown }).hmac = ccxtHmac;
  signWithNodeCrypto(exchange);
  const hmac = (exchange as unknown as { hmac: (...a: unknown[]) => unknown }).hmac;
  // Not SHA-256 (its hash of "abc" is not SHA-256's).
  const notSha256 = (data: Uint8Array) => Uint8Array.from(data.subarray(0, 1));
  expect(hmac('message', 'secret', notSha256, 'hex')).toBe('ccxt-signature');
  expect(ccxtHmac).toHaveBeenCalledWith('message', 'secret', notSha256, 'hex');
});
