import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, contracts, parseConfig } from '@vcdc/shared';
import { encryptKeystoreJson, getAddress, HDNodeWallet } from 'ethers';
import request from 'supertest';
import { serviceDatabaseForTest } from '../../../test/support/provision';
import { CustodyConfigSchema, DEV_CUSTODY_MASTER_SECRET } from '../src/config';
import { CustodyAddressBook } from '../src/custody-addresses';
import { CustodyKeyring } from '../src/custody-keyring';
import { startCustodyService } from '../src/service';
import { ACTS, type Harness, newKey, post, startHarness, TEST_SECRET } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('custody_accounts');
});
afterAll(() => h.close());

describe('custody accounts', () => {
  test('opening an account answers 201 with a bitcoin-style address derived for the case, and opening again answers 200 with the same account', async () => {
    const first = await post(h.app, '/v1/accounts', { caseId: 'CASE-A1', asset: 'BTC', chain: 'bitcoin' }).expect(201);
    expect(contracts.custody.CustodyAccount.parse(first.body)).toEqual(first.body);
    expect(first.body).toMatchObject({ caseId: 'CASE-A1', asset: 'BTC', chain: 'bitcoin', balance: '0' });
    expect(first.body.address).toMatch(/^bc1q[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{38}$/);
    expect(first.body.address).toBe(new CustodyAddressBook(TEST_SECRET).addressFor('bitcoin', 'CASE-A1', 'BTC'));

    const again = await post(h.app, '/v1/accounts', { caseId: 'CASE-A1', asset: 'BTC', chain: 'bitcoin' }).expect(200);
    expect(again.body).toEqual(first.body);
    const read = await request(h.app).get('/v1/accounts/CASE-A1/BTC').expect(200);
    expect(read.body).toEqual(first.body);
  });

  test('each case and asset gets its own address; ethereum addresses are EIP-55 checksummed 0x + 40 hex', async () => {
    const eth = await post(h.app, '/v1/accounts', { caseId: 'CASE-A2', asset: 'ETH', chain: 'ethereum' }).expect(201);
    const usdt = await post(h.app, '/v1/accounts', { caseId: 'CASE-A2', asset: 'USDT', chain: 'ethereum' }).expect(201);
    const other = await post(h.app, '/v1/accounts', { caseId: 'CASE-A3', asset: 'ETH', chain: 'ethereum' }).expect(201);
    expect(eth.body.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(getAddress(eth.body.address)).toBe(eth.body.address);
    expect(new Set([eth.body.address, usdt.body.address, other.body.address]).size).toBe(3);
  });

  test('the address depends on the master secret, which is never part of an answer', async () => {
    const a = new CustodyAddressBook(TEST_SECRET).addressFor('ethereum', 'CASE-X', 'ETH');
    const b = new CustodyAddressBook(`${TEST_SECRET}-other`).addressFor('ethereum', 'CASE-X', 'ETH');
    expect(a).not.toBe(b);
    expect(JSON.stringify(new CustodyAddressBook(TEST_SECRET))).not.toContain(TEST_SECRET);
    const opened = await post(h.app, '/v1/accounts', { caseId: 'CASE-A4', asset: 'BTC', chain: 'bitcoin' }).expect(201);
    expect(JSON.stringify(opened.body)).not.toContain(TEST_SECRET);
  });

  test('an asset on the wrong chain is a 400 naming chain, and no account is opened', async () => {
    const res = await post(h.app, '/v1/accounts', { caseId: 'CASE-A5', asset: 'BTC', chain: 'ethereum' }).expect(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'chain' })]);
    await request(h.app).get('/v1/accounts/CASE-A5/BTC').expect(404);
  });

  test('invalid fields are a 400 naming each field', async () => {
    const res = await post(h.app, '/v1/accounts', { caseId: '', asset: 'DOGE', chain: 'bitcoin' }).expect(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['asset', 'caseId']);
    await request(h.app).get('/v1/accounts/CASE-A1/DOGE').expect(400);
  });

  test('an unknown account is a 404', async () => {
    const res = await request(h.app).get('/v1/accounts/NO-SUCH-CASE/BTC').expect(404);
    expect(res.body.type).toBe('urn:vcdc:problem:not-found');
  });

  test('an Idempotency-Key replay answers the stored response; reusing it for another body is a 409 and opens nothing', async () => {
    const key = newKey('open');
    const first = await post(h.app, '/v1/accounts', { caseId: 'CASE-A6', asset: 'BTC', chain: 'bitcoin' }, key).expect(
      201,
    );
    const replay = await post(h.app, '/v1/accounts', { caseId: 'CASE-A6', asset: 'BTC', chain: 'bitcoin' }, key).expect(
      201,
    );
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    const reused = await post(h.app, '/v1/accounts', { caseId: 'CASE-A7', asset: 'BTC', chain: 'bitcoin' }, key).expect(
      409,
    );
    expect(reused.body.type).toBe('urn:vcdc:problem:idempotency-key-reused');
    await request(h.app).get('/v1/accounts/CASE-A7/BTC').expect(404);
  });
});

describe('configuration', () => {
  const base = { DATABASE_URL: 'postgres://localhost/x', ACT_VERIFY_KEYS: ACTS.env.verifyKey };

  test('ACT_VERIFY_KEYS is required: without the control API’s verify keys no person could act', () => {
    const { ACT_VERIFY_KEYS: _keys, ...without } = base;
    expect(() => parseConfig(CustodyConfigSchema, without)).toThrow(/ACT_VERIFY_KEYS/);
    expect(() => parseConfig(CustodyConfigSchema, { ...base, ACT_VERIFY_KEYS: 'not-a-key' })).toThrow(
      /ACT_VERIFY_KEYS/,
    );
    const config = parseConfig(CustodyConfigSchema, {
      ...base,
      ACT_VERIFY_KEYS: `${ACTS.env.verifyKey}, ${ACTS.env.verifyKey}`,
    });
    expect(config.ACT_VERIFY_KEYS).toHaveLength(2);
    // Zero cooling-off is allowed (tests); the default is a day.
    expect(parseConfig(CustodyConfigSchema, { ...base, CUSTODY_WHITELIST_COOLING_OFF_SECONDS: '0' })).toMatchObject({
      CUSTODY_WHITELIST_COOLING_OFF_SECONDS: 0,
    });
  });

  test('outside production the documented dev-only secret is used by default', () => {
    const config = parseConfig(CustodyConfigSchema, base);
    expect(config.CUSTODY_MASTER_SECRET).toBe(DEV_CUSTODY_MASTER_SECRET);
    expect(config).toMatchObject({ PORT: 7101, DB_SCHEMA: 'custody', CUSTODY_MIN_CONFIRMATIONS: 2 });
    expect(config.CHAIN_RPC_URL).toBe('http://127.0.0.1:7202');
  });

  test('in production a missing or dev-only secret stops start-up with a line naming CUSTODY_MASTER_SECRET', () => {
    expect(() => parseConfig(CustodyConfigSchema, { ...base, NODE_ENV: 'production' })).toThrow(
      /CUSTODY_MASTER_SECRET: must be set/,
    );
    expect(() =>
      parseConfig(CustodyConfigSchema, {
        ...base,
        NODE_ENV: 'production',
        CUSTODY_MASTER_SECRET: DEV_CUSTODY_MASTER_SECRET,
      }),
    ).toThrow(ConfigError);
    const ok = parseConfig(CustodyConfigSchema, {
      ...base,
      NODE_ENV: 'production',
      CUSTODY_MASTER_SECRET: TEST_SECRET,
    });
    expect(ok.CUSTODY_MASTER_SECRET).toBe(TEST_SECRET);
  });

  test('new settings: defaults, and the ones that need a partner name it', () => {
    expect(parseConfig(CustodyConfigSchema, base)).toMatchObject({
      CUSTODY_WHITELIST_COOLING_OFF_SECONDS: 24 * 60 * 60,
      EVM_USDT_DECIMALS: 6,
    });
    expect(() => parseConfig(CustodyConfigSchema, { ...base, EVM_RPC_URL: 'http://127.0.0.1:8545' })).toThrow(
      /EVM_USDT_CONTRACT: must be set with EVM_RPC_URL/,
    );
    expect(() => parseConfig(CustodyConfigSchema, { ...base, EVM_USDT_CONTRACT: '0x12' })).toThrow(/EVM_USDT_CONTRACT/);
    expect(() => parseConfig(CustodyConfigSchema, { ...base, CUSTODY_KEYSTORE_FILE: '/k.json' })).toThrow(
      /CUSTODY_KEYSTORE_PASSWORD/,
    );
    // A keystore is the production way: no master secret needed then.
    const production = parseConfig(CustodyConfigSchema, {
      ...base,
      NODE_ENV: 'production',
      CUSTODY_KEYSTORE_FILE: '/k.json',
      CUSTODY_KEYSTORE_PASSWORD: 'pw',
    });
    expect(production.CUSTODY_KEYSTORE_FILE).toBe('/k.json');
    expect(parseConfig(CustodyConfigSchema, { ...base, CUSTODY_MIN_CONFIRMATIONS_ETHEREUM: '12' })).toMatchObject({
      CUSTODY_MIN_CONFIRMATIONS_ETHEREUM: 12,
    });
  });

  test('the largest test deposit per asset: defaults, overrides, and a bad value named', () => {
    expect(parseConfig(CustodyConfigSchema, base).CUSTODY_TEST_DEPOSIT_MAX).toEqual({
      ETH: '0.01',
      USDT: '10',
      BTC: '0.001',
    });
    expect(
      parseConfig(CustodyConfigSchema, { ...base, CUSTODY_TEST_DEPOSIT_MAX: 'USDT=5, BTC=0.0005' })
        .CUSTODY_TEST_DEPOSIT_MAX,
    ).toEqual({ ETH: '0.01', USDT: '5', BTC: '0.0005' });
    for (const bad of ['DOGE=1', 'BTC', 'BTC=-1', 'BTC=0', 'USDT=0.0000001']) {
      expect(() => parseConfig(CustodyConfigSchema, { ...base, CUSTODY_TEST_DEPOSIT_MAX: bad })).toThrow(
        /CUSTODY_TEST_DEPOSIT_MAX/,
      );
    }
  });

  test('a short secret or a zero confirmation count is refused', () => {
    expect(() => parseConfig(CustodyConfigSchema, { ...base, CUSTODY_MASTER_SECRET: 'short' })).toThrow(
      /CUSTODY_MASTER_SECRET/,
    );
    expect(() => parseConfig(CustodyConfigSchema, { ...base, CUSTODY_MIN_CONFIRMATIONS: '0' })).toThrow(
      /CUSTODY_MIN_CONFIRMATIONS/,
    );
  });
});

describe('the service process', () => {
  test('with an encrypted keystore, the service derives the case wallets from it and works as its restricted role', async () => {
    const mnemonic = 'test test test test test test test test test test test junk';
    const wallet = HDNodeWallet.fromPhrase(mnemonic);
    const dir = await mkdtemp(path.join(tmpdir(), 'vcdc-custody-keystore-'));
    const file = path.join(dir, 'custody.json');
    const account = {
      address: wallet.address,
      privateKey: wallet.privateKey,
      mnemonic: { entropy: wallet.mnemonic!.entropy, path: wallet.path!, locale: 'en' },
    };
    await writeFile(file, await encryptKeystoreJson(account, 'keystore-pw', { scrypt: { N: 1 << 10 } }));
    const config = parseConfig(CustodyConfigSchema, {
      DATABASE_URL: await serviceDatabaseForTest('custody_keystore', 'custody'),
      PORT: '0',
      LOG_LEVEL: 'silent',
      CHAIN_RPC_URL: h.chainSim.url,
      ACT_VERIFY_KEYS: ACTS.env.verifyKey,
      CUSTODY_KEYSTORE_FILE: file,
      CUSTODY_KEYSTORE_PASSWORD: 'keystore-pw',
    });
    const service = await startCustodyService(config);
    try {
      expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
      const opened = await fetch(`${service.url}/v1/accounts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'Idempotency-Key': 'svc-keystore' },
        body: JSON.stringify({ caseId: 'CASE-KS', asset: 'ETH', chain: 'ethereum' }),
      });
      const body = (await opened.json()) as { address: string };
      expect(body.address).toBe(CustodyKeyring.fromSecret(mnemonic).addressFor('CASE-KS', 'ETH'));
    } finally {
      await service.close();
    }
  });

  test('startCustodyService (on its provisioned role) listens on a loopback port, reports ready, and closes', async () => {
    const config = parseConfig(CustodyConfigSchema, {
      DATABASE_URL: await serviceDatabaseForTest('custody_service', 'custody'),
      PORT: '0',
      LOG_LEVEL: 'silent',
      CHAIN_RPC_URL: h.chainSim.url,
      ACT_VERIFY_KEYS: ACTS.env.verifyKey,
    });
    const service = await startCustodyService(config);
    try {
      const ready = await fetch(`${service.url}/readyz`);
      expect(ready.status).toBe(200);
      const opened = await fetch(`${service.url}/v1/accounts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'Idempotency-Key': 'svc-1' },
        body: JSON.stringify({ caseId: 'CASE-SVC', asset: 'ETH', chain: 'ethereum' }),
      });
      expect(opened.status).toBe(201);
    } finally {
      await service.close();
    }
  });
});
