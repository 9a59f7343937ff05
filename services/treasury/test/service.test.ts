import { parseConfig, ServiceClient, silentLogger } from '@vcdc/shared';
import { PEOPLE, signedDecision, testActKeys } from '../../../test/support/acts';
import { serviceDatabaseForTest } from '../../../test/support/provision';
import { TreasuryConfig } from '../src/config';
import { type RunningTreasuryService, startTreasuryService } from '../src/service';

const acts = testActKeys();
let service: RunningTreasuryService;

beforeAll(async () => {
  const config = parseConfig(TreasuryConfig, {
    DATABASE_URL: await serviceDatabaseForTest('treasury_service', 'treasury'),
    PORT: '0',
    ACT_VERIFY_KEYS: acts.env.verifyKey,
  });
  service = await startTreasuryService(config, silentLogger());
});
afterAll(async () => {
  await service?.close();
});

test('the configuration has the documented defaults, and needs the control API act keys', () => {
  expect(
    parseConfig(TreasuryConfig, { DATABASE_URL: 'postgres://localhost/x', ACT_VERIFY_KEYS: acts.env.verifyKey }),
  ).toMatchObject({
    PORT: 7104,
    HOST: '127.0.0.1',
    DB_SCHEMA: 'treasury',
  });
  // Without them no decision or act could be checked: the service does not start.
  expect(() => parseConfig(TreasuryConfig, { DATABASE_URL: 'postgres://localhost/x' })).toThrow(/ACT_VERIFY_KEYS/);
  expect(() =>
    parseConfig(TreasuryConfig, { DATABASE_URL: 'postgres://localhost/x', ACT_VERIFY_KEYS: 'not-a-key' }),
  ).toThrow(/ACT_VERIFY_KEYS/);
});

test('the started service is ready and books a credit and a remittance over real HTTP', async () => {
  expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
  const treasury = new ServiceClient({ service: 'treasury', baseUrl: service.url });
  await treasury.post(
    '/v1/credits',
    { caseId: 'CASE-P', agency: 'Agency', amount: '8.76', fxSettlementId: 'fxs-p', bankReference: 'b' },
    'p-credit',
  );
  await treasury.post(
    '/v1/remittances',
    {
      caseId: 'CASE-P',
      amount: '8.76',
      budgetClassificationCode: '1030501',
      decision: signedDecision(acts.signingKey, 'CASE-P', PEOPLE.supervisor, {
        stage: 'REMITTANCE',
        outcome: 'APPROVE',
        payout: { caseId: 'CASE-P', kind: 'TREASURY', amount: '8.76' },
      }),
    },
    'p-remit',
  );
  const statement = await treasury.get<{ balance: string; lines: unknown[] }>('/v1/cases/CASE-P/statement');
  expect(statement).toMatchObject({ balance: '0.00', totalCredited: '8.76', totalRemitted: '8.76' });
  expect(statement.lines).toHaveLength(2);
});
