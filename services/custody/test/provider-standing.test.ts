/**
 * Custody asks the register of licensed providers before coins leave (issue 16, part 4): the exchange
 * service's register, real over HTTP on its own PostgreSQL, changed by two people. A transfer to a
 * whitelisted address whose provider is not verified, or whose licence has expired, is refused before
 * anything is written or sent, and the refusal is in custody's audit chain; once the provider is in good
 * standing the same transfer goes; a register that cannot be asked refuses for now (503), never lets it through.
 */
import {
  createPool,
  HttpProviderRegister,
  listen,
  type Pool,
  type ProviderTerms,
  type RunningServer,
  silentLogger,
} from '@vcdc/shared';
import request from 'supertest';
import { migrate } from '../../../packages/shared/src';
import { createTestDatabase } from '../../../test/support/database';
import { DEV_PROVIDERS, enterProvider } from '../../../test/support/provider-register';
import { createApp as createExchangeApp, EXCHANGE_MIGRATIONS_DIR } from '../../exchange/src/app';
import { CcxtVenue } from '../../exchange/src/ccxt-venue';
import {
  authorised,
  caseHolding,
  chainOutgoing,
  type Harness,
  post,
  proveDestination,
  startHarness,
  whitelistActive,
} from './harness';

const HASHKEY = DEV_PROVIDERS.find((p) => p.providerId === 'hashkey') as ProviderTerms;

let h: Harness;
let registerPool: Pool;
let register: RunningServer;

beforeAll(async () => {
  h = await startHarness('custody_provider_standing');
  const databaseUrl = await createTestDatabase('custody_register');
  await migrate({ databaseUrl, schema: 'exchange', dir: EXCHANGE_MIGRATIONS_DIR });
  registerPool = createPool(databaseUrl, 'exchange', 2);
  // The exchange service as the register's keeper; no venue is asked anything here.
  const venue = new CcxtVenue({
    venueId: 'hashkey',
    apiUrl: 'http://127.0.0.1:9',
    apiKey: 'unused',
    secret: 'unused',
    timeoutMs: 500,
    enableRateLimit: false,
  });
  register = await listen(createExchangeApp({ pool: registerPool, logger: silentLogger(), venue }), 0);
});

afterAll(async () => {
  await register?.close();
  await registerPool?.end();
  await h?.close();
});

const appAsking = (url: string) => h.appWith(h.chainClient, { providerRegister: new HttpProviderRegister({ url }) });

const transferRows = async (caseId: string) =>
  (await h.pool.query('SELECT count(*)::int AS n FROM transfers WHERE case_id = $1', [caseId])).rows[0].n;

test('an unverified provider blocks a custody transfer before anything is sent; verified, it goes', async () => {
  const app = appAsking(register.url);
  const caseId = 'CASE-PS1';
  const custody = await caseHolding(h, caseId, '1');
  const address = 'bc1qprovidervenue00000000000000000000000';
  await whitelistActive(app, 'bitcoin', address);
  await enterProvider(registerPool, { ...HASHKEY, verification: null });

  const body = authorised({
    caseId,
    asset: 'BTC',
    chain: 'bitcoin',
    toAddress: address,
    amount: '0.001',
    purpose: 'TEST_DEPOSIT',
  });
  const before = await chainOutgoing(h, custody);
  const refused = await post(app, '/v1/transfers', body, 'ps1-test-deposit').expect(422);
  expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(refused.body).toMatchObject({
    type: 'urn:vcdc:problem:provider-not-verified',
    providerId: 'hashkey',
    failures: ['not-verified'],
    registerVersion: 1,
  });
  expect(await chainOutgoing(h, custody)).toEqual(before);
  expect(await transferRows(caseId)).toBe(0);
  const { records } = (await request(app).get('/v1/audit/records?limit=1000').expect(200)).body;
  expect(
    records.some(
      (r: { kind: string; data: { type?: string; path?: string } }) =>
        r.kind === 'request.refused' &&
        r.data.type === 'urn:vcdc:problem:provider-not-verified' &&
        r.data.path === '/v1/transfers',
    ),
  ).toBe(true);

  // Verified (the register's version 2, by two people): the same destination takes the test deposit and the bulk.
  await enterProvider(registerPool, HASHKEY, 1);
  await proveDestination(h, address, app);
  const sent = await post(
    app,
    '/v1/transfers',
    authorised({ caseId, asset: 'BTC', chain: 'bitcoin', toAddress: address, amount: '0.5', purpose: 'VENUE_DEPOSIT' }),
  ).expect(201);
  expect(sent.body).toMatchObject({ status: 'BROADCAST', toAddress: address });
});

test('an expired licence blocks the transfer; the register unreachable refuses it for now, and nothing is sent', async () => {
  const app = appAsking(register.url);
  const caseId = 'CASE-PS2';
  const custody = await caseHolding(h, caseId, '1');
  const address = 'bc1qprovidervenue00000000000000000000000';
  const body = authorised({
    caseId,
    asset: 'BTC',
    chain: 'bitcoin',
    toAddress: address,
    amount: '0.2',
    purpose: 'VENUE_DEPOSIT',
  });

  await enterProvider(registerPool, { ...HASHKEY, licence: { ...HASHKEY.licence, expires: '2025-03-31' } }, 2);
  const expired = await post(app, '/v1/transfers', body, 'ps2-expired').expect(422);
  expect(expired.body).toMatchObject({ type: 'urn:vcdc:problem:provider-licence-expired', providerId: 'hashkey' });
  expect(expired.body.detail).toMatch(/hashkey .*licence SFC BPX227 expired on 2025-03-31/);

  const unreachable = await post(appAsking('http://127.0.0.1:9'), '/v1/transfers', body, 'ps2-unreachable').expect(503);
  expect(unreachable.body).toMatchObject({
    type: 'urn:vcdc:problem:provider-register-unavailable',
    providerId: 'hashkey',
  });
  expect(await chainOutgoing(h, custody)).toEqual([]);
  expect(await transferRows(caseId)).toBe(0);

  // Renewed: it goes.
  await enterProvider(registerPool, HASHKEY, 3);
  await post(app, '/v1/transfers', body, 'ps2-renewed').expect(201);
});
