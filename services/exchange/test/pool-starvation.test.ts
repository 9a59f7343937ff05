/**
 * Twenty orders at once on the exchange service as it runs (startExchangeService, its pool of ten):
 * each order's transaction holds a connection while its reference prices are recorded, and the
 * recording must never wait on a connection those transactions hold (issue 14: twenty cases at once
 * left all ten connections "idle in transaction" and the service hung). Every order is answered.
 */
import { createLogger, parseConfig, silentLogger } from '@vcdc/shared';
import { type RunningChainSimulator, startChainSimulator } from '../../../simulators/src/chain';
import { type RunningVenueSimulator, startVenueSimulator } from '../../../simulators/src/venue';
import { seedProviderRegisterAt } from '../../../test/support/provider-register';
import { serviceDatabaseForTest } from '../../../test/support/provision';
import { ExchangeConfig } from '../src/config';
import { type RunningExchangeService, startExchangeService } from '../src/service';

let chain: RunningChainSimulator;
let sim: RunningVenueSimulator;
let service: RunningExchangeService;

beforeAll(async () => {
  chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  sim = await startVenueSimulator({
    port: 0,
    seed: 11,
    chainUrl: chain.url,
    bankAccounts: [],
    pollIntervalMs: 60_000,
    initialBalances: { BTC: '50', USDT: '1000000' },
  });
  const config = parseConfig(ExchangeConfig, {
    PORT: '0',
    LOG_LEVEL: 'silent',
    DATABASE_URL: await serviceDatabaseForTest('exchange_starve', 'exchange'),
    VENUE_API_URL: sim.url,
  });
  await seedProviderRegisterAt(config.DATABASE_URL);
  service = await startExchangeService(
    config,
    process.env.TEST_LOG ? createLogger('exchange', 'error') : silentLogger(),
  );
}, 120_000);

afterAll(async () => {
  await service?.close();
  await sim?.close();
  await chain?.close();
});

/** One order as the worker's activity sends it: a 5xx or no answer is retried with the same Idempotency-Key. */
async function placeAsTheWorkerWould(i: number): Promise<readonly [number, string | undefined]> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${service.url}/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `starve-${i}` },
      body: JSON.stringify({
        caseId: `CASE-STARVE-${i}`,
        clientOrderId: `starve-${i}`,
        symbol: 'BTC/USDT',
        type: 'market',
        amount: '0.01',
      }),
      signal: AbortSignal.timeout(15_000),
    }).catch(() => undefined);
    if (res && res.status < 500) return [res.status, ((await res.json()) as { status?: string }).status] as const;
    // A busy service answers 503 (no connection free in time), never a hang; the worker comes back.
    if (res) expect([503]).toContain(res.status);
    if (attempt >= 8) throw new Error(`order ${i}: still ${res?.status ?? 'no answer'} after ${attempt} attempts`);
    await new Promise((r) => setTimeout(r, 500 * attempt));
  }
}

test('twenty orders at once, more than the pool has connections: every one is placed, once, none hangs', async () => {
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => placeAsTheWorkerWould(i)));
  expect(answers).toEqual(Array(20).fill([201, 'closed']));
  // Each order reached the venue once, whatever the retries.
  const statements = await Promise.all(
    Array.from(
      { length: 20 },
      async (_, i) => (await fetch(`${service.url}/v1/orders/starve-${i}`)).json() as Promise<{ filled: string }>,
    ),
  );
  expect(statements.map((o) => o.filled)).toEqual(Array(20).fill('0.01'));
}, 120_000);
