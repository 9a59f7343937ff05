/**
 * A venue that fails once must not be unreachable for ever (issue 14): one 502 while ccxt loads the
 * venue's markets used to be cached by ccxt and handed to every later call until a restart. Real
 * ccxt over HTTP to the venue simulator, through a loopback proxy that answers the first N requests
 * with 502 Bad Gateway.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RunningChainSimulator, startChainSimulator } from '../../../simulators/src/chain';
import {
  DEV_VENUE_API_KEY,
  DEV_VENUE_SECRET,
  type RunningVenueSimulator,
  startVenueSimulator,
} from '../../../simulators/src/venue';
import { CcxtVenue } from '../src/ccxt-venue';
import { CcxtMarketData } from '../src/market-data';
import { VenueCallError } from '../src/venue';

let chain: RunningChainSimulator;
let sim: RunningVenueSimulator;

beforeAll(async () => {
  chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  sim = await startVenueSimulator({ port: 0, seed: 3, chainUrl: chain.url, bankAccounts: [], pollIntervalMs: 60_000 });
});

afterAll(async () => {
  await sim?.close();
  await chain?.close();
});

/** A proxy to the simulator whose first `failures` requests get 502; the rest pass through. */
async function flakyProxy(failures: number): Promise<{ url: string; seen: () => number; close: () => Promise<void> }> {
  const target = new URL(sim.url);
  let seen = 0;
  const server = http.createServer((req, res) => {
    seen++;
    if (seen <= failures) {
      res.writeHead(502, { 'content-type': 'text/plain' }).end('Bad Gateway');
      return;
    }
    const upstream = http.request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen: () => seen,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

test('the trading venue: a 502 while loading the markets fails that call only; the next one reaches the venue', async () => {
  const proxy = await flakyProxy(1);
  try {
    const venue = new CcxtVenue({
      venueId: 'hashkey',
      apiUrl: proxy.url,
      apiKey: DEV_VENUE_API_KEY,
      secret: DEV_VENUE_SECRET,
      timeoutMs: 5000,
      enableRateLimit: false,
    });
    const first = await venue.bids('BTC/USDT').catch((e: unknown) => e);
    expect(first).toBeInstanceOf(VenueCallError);
    expect(first).toMatchObject({ kind: 'unavailable' });
    const bids = await venue.bids('BTC/USDT');
    expect(bids.length).toBeGreaterThan(0);
  } finally {
    await proxy.close();
  }
});

test('a reference source: the same, a failed load is not kept', async () => {
  const proxy = await flakyProxy(1);
  try {
    const data = new CcxtMarketData({
      id: 'hashkey',
      exchange: 'hashkey',
      url: proxy.url,
      timeoutMs: 5000,
      enableRateLimit: false,
    });
    await expect(data.topOfBook('BTC/USDT')).rejects.toMatchObject({ kind: 'unavailable' });
    await expect(data.topOfBook('BTC/USDT')).resolves.toMatchObject({ venue: 'hashkey' });
  } finally {
    await proxy.close();
  }
});
