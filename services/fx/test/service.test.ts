import {
  ConfigError,
  type ProviderTerms,
  parseConfig,
  ServiceCallError,
  ServiceClient,
  silentLogger,
} from '@vcdc/shared';
import { type RunningFxRateSimulator, startFxRateSimulator } from '../../../simulators/src/fx-rates';
import { PEOPLE, signedDecision, testActKeys } from '../../../test/support/acts';
import { DEV_PROVIDERS, enterProvider, startProviderRegister } from '../../../test/support/provider-register';
import { serviceDatabaseForTest } from '../../../test/support/provision';
import { FxConfig } from '../src/config';
import { type RunningFxService, startFxService } from '../src/service';

const acts = testActKeys();
let sim: RunningFxRateSimulator;
let service: RunningFxService;
let register: Awaited<ReturnType<typeof startProviderRegister>>;

beforeAll(async () => {
  sim = await startFxRateSimulator({ port: 0, seed: 1234 });
  // The exchange's register of licensed providers, holding the dev bank fx settles with.
  register = await startProviderRegister('fx_service_register');
  const config = parseConfig(FxConfig, {
    DATABASE_URL: await serviceDatabaseForTest('fx_service', 'fx'),
    PORT: '0',
    FX_RATE_SOURCE_URL: sim.url,
    ACT_VERIFY_KEYS: acts.env.verifyKey,
    PROVIDER_REGISTER_URL: register.url,
  });
  service = await startFxService(config, silentLogger());
});
afterAll(async () => {
  await service?.close();
  await register?.close();
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

test('a settlement with a bank whose bond has expired is refused before anything is booked, and recorded; renewed, it settles', async () => {
  const fx = new ServiceClient({ service: 'fx', baseUrl: service.url });
  const bank = DEV_PROVIDERS.find((p) => p.providerId === 'hk-trust-bank') as ProviderTerms;
  await enterProvider(register.pool, { ...bank, bond: { ...bank.bond, expires: '2025-12-31' } }, 1);
  const d = await fx.post<{ declarationId: string }>(
    '/v1/declarations',
    {
      caseId: 'CASE-BANK',
      currency: 'USD',
      amount: '50.00',
      transactionCode: '622011',
      purpose: 'disposal proceeds',
      remitter: { name: 'r', account: 'a', bank: 'b' },
      beneficiary: { name: 'r', account: 'a', bank: 'b' },
      workflowId: 'case-CASE-BANK',
    },
    'bank-create',
  );
  await fx.post(`/v1/declarations/${d.declarationId}/submit`, { workflowId: 'case-CASE-BANK' }, 'bank-submit');
  const decision = (stage: 'FX_DECLARATION' | 'FX_SETTLEMENT', extra: object) =>
    signedDecision(acts.signingKey, 'CASE-BANK', PEOPLE.fxOfficer, { stage, outcome: 'APPROVE', ...extra });
  await fx.post(
    `/v1/declarations/${d.declarationId}/decision`,
    { decision: decision('FX_DECLARATION', { reference: 'SAFE-2' }) },
    'bank-decide',
  );
  const settle = { decision: decision('FX_SETTLEMENT', { settlement: { amount: '50.00', bankReference: 'BANK-2' } }) };
  const refused = await fx
    .post(`/v1/declarations/${d.declarationId}/settlements`, settle, 'bank-settle-1')
    .catch((error: ServiceCallError) => error);
  expect(refused).toBeInstanceOf(ServiceCallError);
  expect((refused as ServiceCallError).status).toBe(422);
  expect((refused as ServiceCallError).problem).toMatchObject({
    type: 'urn:vcdc:problem:provider-bond-expired',
    providerId: 'hk-trust-bank',
    registerVersion: 2,
  });
  const declaration = await fx.get<{ status: string }>(`/v1/declarations/${d.declarationId}`);
  expect(declaration.status).toBe('APPROVED');
  // The refusal is in fx's chain (the route names the declaration, not the case).
  const { records } = await fx.get<{ records: Array<{ kind: string; data: { type?: string; path?: string } }> }>(
    '/v1/audit/records?limit=1000',
  );
  const path = `/v1/declarations/${d.declarationId}/settlements`;
  expect(records.filter((r) => r.kind === 'request.refused' && r.data.path === path).map((r) => r.data.type)).toEqual([
    'urn:vcdc:problem:provider-bond-expired',
  ]);

  await enterProvider(register.pool, bank, 2);
  const settled = await fx.post<{ foreignAmount: string }>(
    `/v1/declarations/${d.declarationId}/settlements`,
    settle,
    'bank-settle-2',
  );
  expect(settled.foreignAmount).toBe('50.00');
});
