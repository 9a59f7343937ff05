/**
 * The exchange service as it runs (startExchangeService from its configuration) with OSL configured
 * beside HashKey in TRADING_VENUES: OSL's routes answer from the simulated OSL through our adapter,
 * the default venue's stay HashKey's, and a malformed entry stops the service at start-up.
 */
import { parseConfig, silentLogger } from '@vcdc/shared';
import { type RunningChainSimulator, startChainSimulator } from '../../../simulators/src/chain';
import {
  DEV_OSL_API_KEY,
  DEV_OSL_SECRET,
  type RunningOslSimulator,
  startOslSimulator,
} from '../../../simulators/src/osl';
import { type RunningVenueSimulator, startVenueSimulator } from '../../../simulators/src/venue';
import { seedProviderRegisterAt } from '../../../test/support/provider-register';
import { serviceDatabaseForTest } from '../../../test/support/provision';
import { ExchangeConfig } from '../src/config';
import { type RunningExchangeService, startExchangeService } from '../src/service';

let chain: RunningChainSimulator;
let hashkey: RunningVenueSimulator;
let osl: RunningOslSimulator;
let service: RunningExchangeService;

beforeAll(async () => {
  chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  hashkey = await startVenueSimulator({ port: 0, seed: 12, chainUrl: chain.url, pollIntervalMs: 60_000 });
  osl = await startOslSimulator({
    port: 0,
    chainUrl: chain.url,
    pollIntervalMs: 60_000,
    initialBalances: { ETH: '10' },
  });
  const config = parseConfig(ExchangeConfig, {
    PORT: '0',
    LOG_LEVEL: 'silent',
    DATABASE_URL: await serviceDatabaseForTest('exchange_venues', 'exchange'),
    VENUE_API_URL: hashkey.url,
    TRADING_VENUES: JSON.stringify([
      { id: 'osl', adapter: 'osl', url: osl.url, apiKey: DEV_OSL_API_KEY, secret: DEV_OSL_SECRET },
    ]),
  });
  await seedProviderRegisterAt(config.DATABASE_URL);
  service = await startExchangeService(config, silentLogger());
}, 120_000);

afterAll(async () => {
  await service?.close();
  await osl?.close();
  await hashkey?.close();
  await chain?.close();
});

test('an ETH order placed at /v1/venues/osl fills at the simulated OSL; the default routes stay HashKey', async () => {
  const res = await fetch(`${service.url}/v1/venues/osl/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': 'venues-1' },
    body: JSON.stringify({
      caseId: 'CASE-V1',
      clientOrderId: 'venues-1',
      symbol: 'ETH/USDT',
      type: 'market',
      amount: '2.5',
    }),
  });
  expect(res.status).toBe(201);
  expect(await res.json()).toMatchObject({ venue: 'osl', status: 'closed', filled: '2.5' });
  expect(osl.venue.state.orders.map((o) => o.clientOrderId)).toEqual(['venues-1']);
  expect(hashkey.venue.state.orders).toEqual([]);
  const rules = (await (await fetch(`${service.url}/v1/markets/ETH/USDT`)).json()) as { venue: string };
  expect(rules.venue).toBe('hashkey');
});

test('a TRADING_VENUES entry with an adapter we do not have is refused at start-up, naming the variable', () => {
  expect(() =>
    parseConfig(ExchangeConfig, {
      DATABASE_URL: 'postgres://x@127.0.0.1/x',
      TRADING_VENUES: JSON.stringify([{ id: 'osl', adapter: 'kraken', url: osl.url, apiKey: 'k', secret: 's' }]),
    }),
  ).toThrow(/TRADING_VENUES/);
});
