/**
 * The OTC desks as the dev stack wires them (scripts/dev.ts → lib/stack-environment.ts): the simulators
 * get DESK_SIM_PORTS, the exchange service RFQ_DESKS naming the register's dev desks with their dev
 * secrets. Here the exchange service starts from that RFQ_DESKS over the venue simulator, the dev desks
 * price from the venue and watch the ledger chain: an RFQ trades with a registered desk, and the trade
 * settles only once the coins are on the chain at the desk's address.
 */
import { parseConfig, silentLogger } from '@vcdc/shared';
import { DEV_PROVIDERS, seedDevProviders } from '../scripts/lib/dev-providers';
import { type StackSettings, stackEnvironments } from '../scripts/lib/stack-environment';
import { ExchangeConfig } from '../services/exchange/src/config';
import { type RunningExchangeService, startExchangeService } from '../services/exchange/src/service';
import { type RunningChainSimulator, startChainSimulator } from '../simulators/src/chain';
import { startDevDesks } from '../simulators/src/desks';
import { type RunningVenueSimulator, startVenueSimulator } from '../simulators/src/venue';
import { newDecisionKeyPair } from '../workflows/src/activities/decision-signature';
import { newCodecKey } from '../workflows/src/codec/payload-codec';
import { serviceDatabaseForTest } from './support/provision';

let chain: RunningChainSimulator;
let venue: RunningVenueSimulator;
let desks: Awaited<ReturnType<typeof startDevDesks>>;
let service: RunningExchangeService;
let environments: ReturnType<typeof stackEnvironments>;

beforeAll(async () => {
  chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  venue = await startVenueSimulator({ port: 0, seed: 16, chainUrl: chain.url, pollIntervalMs: 60_000 });
  desks = await startDevDesks({ venueUrl: venue.url, ports: [0, 0, 0], chain: { ledgerUrl: chain.url } });
  // Reliable for this test: every desk answers and none refuses at last look.
  for (const d of desks.desks) d.state.set({ lastLook: 0, noAnswer: 0 });
  const url = (port: number) => `http://127.0.0.1:${port}`;
  const settings: StackSettings = {
    logLevel: 'silent',
    ports: {
      controlApi: 1,
      custody: 2,
      exchange: 3,
      fx: 4,
      treasury: 5,
      venue: venue.port,
      chain: 6,
      fxRates: 7,
      evm: 8,
      temporalUi: 9,
      desks: desks.desks.map((d) => d.port),
    },
    urls: {
      controlApi: url(1),
      custody: url(2),
      exchange: url(3),
      fx: url(4),
      treasury: url(5),
      venue: venue.url,
      chain: chain.url,
      fxRates: url(7),
      evm: { rpcUrl: url(8), usdtAddress: '0x5FbDB2315678afecb367f032d93F642f64180aa3' },
      desks: desks.desks.map((d) => d.url),
    },
    roleUrls: {} as StackSettings['roleUrls'],
    serviceTokens: { custody: 'c'.repeat(64), exchange: 'e'.repeat(64), fx: 'f'.repeat(64), treasury: 't'.repeat(64) },
    controlApiToken: 'a'.repeat(64),
    registerReadToken: 'r'.repeat(64),
    decisionKeys: newDecisionKeyPair(),
    temporal: { address: '127.0.0.1:7233', namespace: 'default', payloadCodecKeys: newCodecKey('k1') },
    devKeyDir: '/tmp/dev-issuer',
    codecUiSecret: 's'.repeat(43),
    evmFundAddresses: '',
    simulatorStateDir: '/tmp/simulators',
  };
  environments = stackEnvironments(settings);
  const config = parseConfig(ExchangeConfig, {
    PORT: '0',
    LOG_LEVEL: 'silent',
    DATABASE_URL: await serviceDatabaseForTest('exchange_desks_stack', 'exchange'),
    VENUE_API_URL: venue.url,
    RFQ_DESKS: environments.exchange.RFQ_DESKS,
  });
  await seedDevProviders(config.DATABASE_URL);
  service = await startExchangeService(config, silentLogger());
}, 120_000);

afterAll(async () => {
  await service?.close();
  await desks?.close();
  await venue?.close();
  await chain?.close();
});

test('the stack gives the simulators the desks’ ports and the exchange the registered desks', () => {
  expect(environments.simulators.DESK_SIM_PORTS).toBe(desks.desks.map((d) => d.port).join(','));
  const configured = JSON.parse(environments.exchange.RFQ_DESKS as string) as { id: string; url: string }[];
  const registered = DEV_PROVIDERS.filter((p) => p.kind === 'desk').map((p) => p.providerId);
  expect(configured.map((d) => d.id)).toEqual(registered);
  expect(configured.map((d) => d.url)).toEqual(desks.desks.map((d) => d.url));
});

test('an RFQ trades with a dev desk; the trade settles once the coins are on the chain at its address', async () => {
  const post = (path: string, key: string, body: unknown) =>
    fetch(`${service.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
    });
  const res = await post('/v1/rfqs', 'stack-rfq', {
    rfqId: 'stack-rfq',
    caseId: 'CASE-DESKS',
    symbol: 'BTC/USD',
    amount: '1',
  });
  const rfq = (await res.json()) as {
    outcome: string;
    trade?: { desk: string; cost: string; deliverTo: { address: string } };
  };
  expect({ status: res.status, outcome: rfq.outcome }).toEqual({ status: 201, outcome: 'TRADED' });
  const trade = rfq.trade as NonNullable<typeof rfq.trade>;
  const settle = (txHash: string, key: string) =>
    post('/v1/rfqs/stack-rfq/settlement', key, { caseId: 'CASE-DESKS', txHash, bankAccountId: 'trust-usd' });
  const sent = await fetch(`${chain.url}/v1/chains/bitcoin/faucet`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ address: trade.deliverTo.address, asset: 'BTC', amount: '1' }),
  });
  const { txHash } = (await sent.json()) as { txHash: string };
  // Not mined yet: the desk has not seen it, nothing is booked (a retryable "not yet").
  expect((await settle(txHash, 'settle-1')).status).toBe(409);
  chain.mine('bitcoin', 1);
  const settled = await settle(txHash, 'settle-2');
  expect(settled.status).toBe(200);
  expect(await settled.json()).toMatchObject({ desk: trade.desk, amount: '1', paidAmount: trade.cost, txHash });
}, 60_000);
