import { ConfigError, parseConfig, ServiceClient, silentLogger } from '@vcdc/shared';
import { type RunningFxRateSimulator, startFxRateSimulator } from '../../../simulators/src/fx-rates';
import { PEOPLE, signedDecision, testActKeys } from '../../../test/support/acts';
import { serviceDatabaseForTest } from '../../../test/support/provision';
import { FxConfig } from '../src/config';
import { type RunningFxService, startFxService } from '../src/service';

const acts = testActKeys();
let sim: RunningFxRateSimulator;
let service: RunningFxService;

beforeAll(async () => {
  sim = await startFxRateSimulator({ port: 0, seed: 1234 });
  const config = parseConfig(FxConfig, {
    DATABASE_URL: await serviceDatabaseForTest('fx_service', 'fx'),
    PORT: '0',
    FX_RATE_SOURCE_URL: sim.url,
    ACT_VERIFY_KEYS: acts.env.verifyKey,
  });
  service = await startFxService(config, silentLogger());
});
afterAll(async () => {
  await service?.close();
  await sim?.close();
});

test('the configuration has the documented defaults and names a bad variable in one line', () => {
  const config = parseConfig(FxConfig, { DATABASE_URL: 'postgres://localhost/x', ACT_VERIFY_KEYS: acts.env.verifyKey });
  expect(config).toMatchObject({
    PORT: 7103,
    HOST: '127.0.0.1',
    DB_SCHEMA: 'fx',
    FX_RATE_SOURCE_URL: 'http://127.0.0.1:7203',
  });
  expect(config.ACT_VERIFY_KEYS).toHaveLength(1);
  expect(() =>
    parseConfig(FxConfig, {
      DATABASE_URL: 'postgres://x',
      FX_RATE_SOURCE_URL: 'nope',
      ACT_VERIFY_KEYS: acts.env.verifyKey,
    }),
  ).toThrow(ConfigError);
  // Without the control API's act keys the service cannot check a decision: it does not start.
  expect(() => parseConfig(FxConfig, { DATABASE_URL: 'postgres://x' })).toThrow(/ACT_VERIFY_KEYS/);
  expect(() => parseConfig(FxConfig, { DATABASE_URL: 'postgres://x', ACT_VERIFY_KEYS: 'not-a-key' })).toThrow(
    /ACT_VERIFY_KEYS/,
  );
  expect(() => parseConfig(FxConfig, {})).toThrow(/DATABASE_URL/);
});

test('the started service is ready, and settles over real HTTP at the rate of the configured source', async () => {
  const ready = await fetch(`${service.url}/readyz`);
  expect(ready.status).toBe(200);
  const fx = new ServiceClient({ service: 'fx', baseUrl: service.url });
  const d = await fx.post<{ declarationId: string }>(
    '/v1/declarations',
    {
      caseId: 'CASE-PROC',
      currency: 'USD',
      amount: '12.34',
      transactionCode: '622011',
      purpose: 'disposal proceeds',
      remitter: { name: 'r', account: 'a', bank: 'b' },
      beneficiary: { name: 'r', account: 'a', bank: 'b' },
      workflowId: 'case-CASE-PROC',
    },
    'proc-create',
  );
  await fx.post(`/v1/declarations/${d.declarationId}/submit`, { workflowId: 'case-CASE-PROC' }, 'proc-submit');
  const decision = (stage: 'FX_DECLARATION' | 'FX_SETTLEMENT', extra: object) =>
    signedDecision(acts.signingKey, 'CASE-PROC', PEOPLE.fxOfficer, { stage, outcome: 'APPROVE', ...extra });
  await fx.post(
    `/v1/declarations/${d.declarationId}/decision`,
    { decision: decision('FX_DECLARATION', { reference: 'SAFE-1' }) },
    'proc-decide',
  );
  const settlement = await fx.post<{ rate: string; recordedBy: string }>(
    `/v1/declarations/${d.declarationId}/settlements`,
    { decision: decision('FX_SETTLEMENT', { settlement: { amount: '12.34', bankReference: 'BANK-1' } }) },
    'proc-settle',
  );
  expect(settlement.recordedBy).toBe(PEOPLE.fxOfficer.id);
  const today = new Date().toISOString().slice(0, 10);
  const published = (await (await fetch(`${sim.url}/v1/rates/USD/CNY?date=${today}`)).json()) as {
    bankBuyRate: string;
  };
  expect(settlement.rate).toBe(published.bankBuyRate);
});
