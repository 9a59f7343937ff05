/**
 * Custody on a real local EVM chain (Hardhat node on loopback, USDT-like ERC-20 deployed): intake of
 * ETH and USDT sweeps verified on chain, transfers signed by the case wallet and sent once and only
 * once, and the custody key kept out of every log line and every answer.
 */
import { Writable } from 'node:stream';
import { createPool, migrate, type Pool } from '@vcdc/shared';
import { formatEther, getAddress, HDNodeWallet, Mnemonic, parseEther, Wallet } from 'ethers';
import type { Express } from 'express';
import pino from 'pino';
import request from 'supertest';
import { type RunningEvmNode, startEvmNode } from '../../../simulators/src/evm';
import { createTestDatabase } from '../../../test/support/database';
import { registerHolding } from '../../../test/support/provider-register';
import { createApp } from '../src/app';
import type { ChainAdapter, ChainTransaction, SendRequest } from '../src/chain-adapter';
import type { ConfirmationDepth } from '../src/confirmation-depth';
import { CustodyAddressBook } from '../src/custody-addresses';
import { CustodyKeyring } from '../src/custody-keyring';
import { EvmChainAdapter } from '../src/evm-chain';
import { CUSTODY_MIGRATIONS_DIR } from '../src/service';
import { actAsServiceRole } from '../src/service-role';
import { ACTS, actPost, approveEntry, authorised, EVIDENCE, type Json, newKey, PEOPLE, requestEntry } from './harness';

const MNEMONIC = 'test test test test test test test test test test test junk';
const MIN_CONFIRMATIONS = 3;

let node: RunningEvmNode;
let pool: Pool;
let servicePool: Pool;
let keyring: CustodyKeyring;
let evm: EvmChainAdapter;
let app: Express;
const logLines: string[] = [];
const answers: string[] = [];

function appWith(chain: ChainAdapter, minConfirmations: ConfirmationDepth = MIN_CONFIRMATIONS): Express {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  return createApp({
    pool: servicePool,
    chain,
    addresses: new CustodyAddressBook(keyring),
    minConfirmations,
    whitelistCoolingOffSeconds: 0,
    logger: pino({ level: 'trace' }, sink),
    migrationsDir: CUSTODY_MIGRATIONS_DIR,
    providerRegister: registerHolding(),
    actVerifyKeys: ACTS.verifyKeys,
  });
}

async function call(target: Express, method: 'get' | 'post', path: string, body?: unknown, key = newKey()) {
  // Every transfer carries the case's signed DISPOSAL_PLAN authorisation (the same one for the case).
  if (method === 'post' && path === '/v1/transfers' && body && typeof body === 'object' && 'caseId' in body) {
    body = authorised(body as { caseId: string });
  }
  const response =
    method === 'get'
      ? await request(target).get(path)
      : await request(target)
          .post(path)
          .set('Idempotency-Key', key)
          .send(body as object);
  answers.push(response.text);
  return response as { status: number; body: Json };
}

beforeAll(async () => {
  node = await startEvmNode();
  const databaseUrl = await createTestDatabase('custody_evm');
  await migrate({ databaseUrl, schema: 'custody', dir: CUSTODY_MIGRATIONS_DIR });
  pool = createPool(databaseUrl, 'custody');
  servicePool = createPool(databaseUrl, 'custody');
  actAsServiceRole(servicePool, 'custody');
  keyring = CustodyKeyring.fromSecret(MNEMONIC);
  evm = new EvmChainAdapter({
    rpcUrl: node.url,
    pool,
    keyring,
    tokens: { USDT: { address: node.usdtAddress, decimals: 6 } },
  });
  // The gas station pays the ETH gas of token transfers out of case wallets.
  await node.fundEth(evm.gasStationAddress(), '10');
  app = appWith(evm);
}, 60_000);

afterAll(async () => {
  evm?.close();
  await servicePool?.end();
  await pool?.end();
  await node?.close();
});

async function openAccount(caseId: string, asset: 'ETH' | 'USDT'): Promise<string> {
  const opened = await call(app, 'post', '/v1/accounts', { caseId, asset, chain: 'ethereum' });
  expect(opened.status).toBe(201);
  return opened.body.address;
}

async function intake(caseId: string, asset: 'ETH' | 'USDT', declared: string, txHash: string) {
  return call(app, 'post', '/v1/intakes', {
    caseId,
    lotId: `${caseId}-LOT-${asset}`,
    asset,
    chain: 'ethereum',
    declaredAmount: declared,
    txHash,
    evidence: EVIDENCE,
  });
}

async function takeIn(caseId: string, asset: 'ETH' | 'USDT', amount: string): Promise<string> {
  const address = await openAccount(caseId, asset);
  const { txHash } = await node.sweep(asset, address, amount);
  await node.mine(MIN_CONFIRMATIONS);
  const taken = await intake(caseId, asset, amount, txHash);
  expect(taken.status).toBe(201);
  return address;
}

async function whitelist(address: string): Promise<void> {
  const listed = await requestEntry(app, { chain: 'ethereum', address, label: 'venue deposit address (test)' });
  expect([200, 201]).toContain(listed.status);
  for (const approver of [PEOPLE.secondCustodian, PEOPLE.thirdCustodian]) {
    await approveEntry(app, listed.body.entryId, approver).expect(201);
  }
}

let proofs = 0;
/**
 * The first transfer of an asset to a new address is a test deposit: a case of its own proves `venue`
 * with a small TEST_DEPOSIT, mined to CONFIRMED. Returns what the venue received from it.
 */
async function prove(venue: string, asset: 'ETH' | 'USDT'): Promise<string> {
  proofs += 1;
  const caseId = `EVM-PROOF-${proofs}`;
  await takeIn(caseId, asset, asset === 'ETH' ? '0.1' : '10');
  const test = await call(app, 'post', '/v1/transfers', {
    caseId,
    asset,
    chain: 'ethereum',
    toAddress: venue,
    amount: asset === 'ETH' ? '0.01' : '1',
    purpose: 'TEST_DEPOSIT',
  });
  expect(test.status).toBe(201);
  await node.mine(MIN_CONFIRMATIONS);
  const confirmed = await call(app, 'get', `/v1/transfers/${test.body.transferId}`);
  expect(confirmed.body.status).toBe('CONFIRMED');
  return confirmed.body.netAmount;
}

describe('intake on the EVM chain', () => {
  test('an ETH sweep is taken in only once it has N confirmations, then RECEIVED with what the chain shows', async () => {
    const address = await openAccount('EVM-I1', 'ETH');
    expect(address).toBe(keyring.addressFor('EVM-I1', 'ETH'));
    const { txHash, suspect } = await node.sweep('ETH', address, '1.25');

    const early = await intake('EVM-I1', 'ETH', '1.25', txHash);
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ confirmations: 1, required: MIN_CONFIRMATIONS });

    await node.mine(MIN_CONFIRMATIONS - 1);
    const taken = await intake('EVM-I1', 'ETH', '1.25', txHash);
    expect(taken.status).toBe(201);
    expect(taken.body).toMatchObject({ status: 'RECEIVED', receivedAmount: '1.25', difference: '0', confirmations: 3 });
    const { rows } = await pool.query('SELECT from_address FROM intakes WHERE intake_id = $1', [taken.body.intakeId]);
    expect(rows[0].from_address).toBe(getAddress(suspect));

    const ledger = await call(app, 'get', '/v1/cases/EVM-I1/ledger');
    expect(ledger.body.balances.ETH).toBe(formatEther(await node.provider.getBalance(address)).replace(/\.0$/, ''));
  });

  test('a short USDT receipt is a DISCREPANCY: received what the Transfer event shows, the difference negative', async () => {
    const address = await openAccount('EVM-I2', 'USDT');
    const { txHash } = await node.sweep('USDT', address, '990.5');
    await node.mine(MIN_CONFIRMATIONS);
    const taken = await intake('EVM-I2', 'USDT', '1000', txHash);
    expect(taken.status).toBe(201);
    expect(taken.body).toMatchObject({
      status: 'DISCREPANCY',
      receivedAmount: '990.5',
      declaredAmount: '1000',
      difference: '-9.5',
      differenceStatus: 'UNCLASSIFIED',
      final: false,
    });
    // Classified against the sweep on chain, then countersigned by the officer and the custodian: final.
    const intakeId = taken.body.intakeId;
    const classified = await actPost(
      app,
      PEOPLE.custodian,
      'custody.intake.classify',
      `/v1/intakes/${intakeId}/difference`,
      {
        classification: 'SHORT_DELIVERY',
        explanation: `sweep ${txHash} moved 990.5 USDT: the seized wallet held less than the seizure list`,
        amount: '9.5',
      },
    );
    expect(classified.status).toBe(201);
    // The people the handover evidence names: the handing-over officer and the receiving custodian.
    for (const [person, role] of [
      [PEOPLE.caseOfficer, 'handing-officer'],
      [PEOPLE.custodian, 'custodian'],
    ] as const) {
      const path = `/v1/intakes/${intakeId}/difference/countersignatures`;
      expect((await actPost(app, person, 'custody.intake.countersign', path, { role })).status).toBe(201);
    }
    const final = await call(app, 'get', `/v1/intakes/${intakeId}`);
    expect(final.body).toMatchObject({ differenceStatus: 'COUNTERSIGNED', final: true, receivedAmount: '990.5' });
  });

  test('the confirmation depth can be set per chain', async () => {
    const address = await openAccount('EVM-I5', 'ETH');
    const { txHash } = await node.sweep('ETH', address, '0.5');
    await node.mine(MIN_CONFIRMATIONS);
    const deeper = appWith(evm, { bitcoin: 1, ethereum: 6 });
    const body = {
      caseId: 'EVM-I5',
      lotId: 'L',
      asset: 'ETH',
      chain: 'ethereum',
      declaredAmount: '0.5',
      txHash,
      evidence: EVIDENCE,
    };
    const early = await call(deeper, 'post', '/v1/intakes', body);
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ confirmations: MIN_CONFIRMATIONS + 1, required: 6 });
    await node.mine(2);
    const taken = await call(deeper, 'post', '/v1/intakes', body);
    expect(taken.body).toMatchObject({ status: 'RECEIVED', confirmations: 6 });
  });

  test('a sweep to another address (here: another case’s wallet) is refused', async () => {
    await openAccount('EVM-I3', 'USDT');
    const other = await openAccount('EVM-I4', 'USDT');
    const { txHash } = await node.sweep('USDT', other, '5');
    await node.mine(MIN_CONFIRMATIONS);
    const refused = await intake('EVM-I3', 'USDT', '5', txHash);
    expect(refused.status).toBe(422);
    expect(refused.body.type).toMatch(/transaction-mismatch/);
  });
});

describe('transfers on the EVM chain', () => {
  test('a transfer to a non-whitelisted address is refused before anything is signed', async () => {
    const address = await takeIn('EVM-T1', 'ETH', '2');
    const refused = await call(app, 'post', '/v1/transfers', {
      caseId: 'EVM-T1',
      asset: 'ETH',
      chain: 'ethereum',
      toAddress: Wallet.createRandom().address,
      amount: '1',
      purpose: 'VENUE_DEPOSIT',
    });
    expect(refused.status).toBe(422);
    expect(refused.body.type).toMatch(/destination-not-whitelisted/);
    const { rows } = await pool.query(
      'SELECT count(*)::int AS n FROM evm_signed_transactions WHERE from_address = $1',
      [address],
    );
    expect(rows[0].n).toBe(0);
    expect(await node.provider.getTransactionCount(address)).toBe(0);
  });

  test('an ETH transfer is signed by the case wallet; the fee comes out of the amount; ledger = chain balance', async () => {
    const address = await takeIn('EVM-T2', 'ETH', '3');
    const venue = Wallet.createRandom().address;
    await whitelist(venue);
    const body = { caseId: 'EVM-T2', asset: 'ETH', chain: 'ethereum', toAddress: venue, purpose: 'VENUE_DEPOSIT' };

    // A new address: the bulk transfer waits for a confirmed test deposit, and nothing is signed before.
    const early = await call(app, 'post', '/v1/transfers', { ...body, amount: '1.5' });
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ type: 'urn:vcdc:problem:test-deposit-required', maxAmount: '0.01' });
    expect(await node.provider.getTransactionCount(address)).toBe(0);
    const tooMuch = await call(app, 'post', '/v1/transfers', { ...body, amount: '0.02', purpose: 'TEST_DEPOSIT' });
    expect(tooMuch.status).toBe(422);
    const test = await call(app, 'post', '/v1/transfers', { ...body, amount: '0.01', purpose: 'TEST_DEPOSIT' });
    expect(test.status).toBe(201);
    expect(formatEther(await node.provider.getBalance(venue))).toBe(test.body.netAmount);
    const pending = await call(app, 'get', `/v1/test-deposits/requirement?chain=ethereum&address=${venue}&asset=ETH`);
    expect(pending.body).toMatchObject({ required: true, pendingTransferIds: [test.body.transferId] });
    expect((await call(app, 'post', '/v1/transfers', { ...body, amount: '1.5' })).status).toBe(409);
    await node.mine(MIN_CONFIRMATIONS);
    const proven = await call(app, 'get', `/v1/test-deposits/requirement?chain=ethereum&address=${venue}&asset=ETH`);
    expect(proven.body).toMatchObject({ required: false, provenBy: test.body.transferId });
    // Proven for ETH only: a USDT bulk transfer to the same address would need its own test deposit.
    const usdt = await call(app, 'get', `/v1/test-deposits/requirement?chain=ethereum&address=${venue}&asset=USDT`);
    expect(usdt.body).toMatchObject({ required: true, maxAmount: '10' });

    const sent = await call(app, 'post', '/v1/transfers', { ...body, amount: '1.5' });
    expect(sent.status).toBe(201);
    const { fee, netAmount, txHash } = sent.body;
    expect(Number(fee)).toBeGreaterThan(0);
    const tx = await node.provider.getTransaction(txHash);
    expect(getAddress(tx!.from)).toBe(address);
    expect(await node.provider.getBalance(venue)).toBe(parseEther(netAmount) + parseEther(test.body.netAmount));
    await node.mine(MIN_CONFIRMATIONS);
    const refreshed = await call(app, 'get', `/v1/transfers/${sent.body.transferId}`);
    expect(refreshed.body.status).toBe('CONFIRMED');
    const ledger = await call(app, 'get', '/v1/cases/EVM-T2/ledger');
    expect(parseEther(ledger.body.balances.ETH)).toBe(await node.provider.getBalance(address));
    expect(ledger.body.balances.ETH).toBe('1.49');
  });

  /** The process "dies" after the chain accepted the transaction and before custody recorded it. */
  class CrashAfterBroadcast implements ChainAdapter {
    constructor(private readonly real: ChainAdapter) {}
    getHead = (chain: 'bitcoin' | 'ethereum') => this.real.getHead(chain);
    getFees = (chain: 'bitcoin' | 'ethereum') => this.real.getFees(chain);
    getTransaction = (chain: 'bitcoin' | 'ethereum', hash: string) => this.real.getTransaction(chain, hash);
    async send(chain: 'bitcoin' | 'ethereum', req: SendRequest): Promise<ChainTransaction> {
      await this.real.send(chain, req);
      throw new Error('connection lost after broadcast');
    }
  }

  test.each(['ETH', 'USDT'] as const)(
    'a %s transfer retried after a crash between broadcast and recording sends exactly one transaction',
    async (asset) => {
      const caseId = `EVM-R-${asset}`;
      const address = await takeIn(caseId, asset, '10');
      const venue = Wallet.createRandom().address;
      await whitelist(venue);
      const proof = await prove(venue, asset);
      const body = { caseId, asset, chain: 'ethereum', toAddress: venue, amount: '4', purpose: 'VENUE_DEPOSIT' };
      const key = newKey('transfer');

      const lost = await call(appWith(new CrashAfterBroadcast(evm)), 'post', '/v1/transfers', body, key);
      expect(lost.status).toBe(503);
      expect(lost.body.type).toMatch(/broadcast-outcome-unknown/);
      expect(await node.provider.getTransactionCount(address)).toBe(1); // it did reach the chain
      const retried = await call(app, 'post', '/v1/transfers', body, key);
      expect(retried.status).toBe(201);
      const again = await call(app, 'post', '/v1/transfers', body, key);
      expect(again.body).toEqual(retried.body);

      // On chain: the case wallet signed exactly one transaction, and the destination got the amount once.
      expect(await node.provider.getTransactionCount(address)).toBe(1);
      if (asset === 'ETH') {
        expect(await node.provider.getBalance(venue)).toBe(parseEther(retried.body.netAmount) + parseEther(proof));
      } else {
        expect(await node.usdtBalance(venue)).toBe(4_000_000n + 1_000_000n);
        expect(await node.usdtBalance(address)).toBe(6_000_000n);
      }
      const { rows } = await pool.query('SELECT tx_hash FROM evm_signed_transactions WHERE from_address = $1', [
        address,
      ]);
      expect(rows.map((r) => r.tx_hash)).toEqual([retried.body.txHash]);
      const ledger = await call(app, 'get', `/v1/cases/${caseId}/ledger`);
      if (asset === 'ETH') expect(parseEther(ledger.body.balances.ETH)).toBe(await node.provider.getBalance(address));
      else expect(ledger.body.balances.USDT).toBe('6');
    },
  );

  test('a return from the venue comes back into the same case wallet, verified on chain, never more than was sent', async () => {
    const address = await takeIn('EVM-RET', 'ETH', '3');
    const venue = Wallet.createRandom(node.provider);
    await whitelist(venue.address);
    await prove(venue.address, 'ETH');
    const sent = await call(app, 'post', '/v1/transfers', {
      caseId: 'EVM-RET',
      asset: 'ETH',
      chain: 'ethereum',
      toAddress: venue.address,
      amount: '2',
      purpose: 'VENUE_DEPOSIT',
    });
    expect(sent.status).toBe(201);
    await node.fundEth(venue.address, '1'); // the venue pays its own gas
    const back = await venue.sendTransaction({ to: address, value: parseEther('1.5') });
    await back.wait();
    const body = { caseId: 'EVM-RET', transferId: sent.body.transferId, txHash: back.hash };

    const early = await call(app, 'post', '/v1/returns', body);
    expect(early.status).toBe(409);
    await node.mine(MIN_CONFIRMATIONS);
    const returned = await call(app, 'post', '/v1/returns', body);
    expect(returned.status).toBe(201);
    expect(returned.body).toMatchObject({ asset: 'ETH', amount: '1.5', transferId: sent.body.transferId });
    const ledger = await call(app, 'get', '/v1/cases/EVM-RET/ledger');
    expect(ledger.body.entries).toContainEqual(expect.objectContaining({ kind: 'RETURN', amount: '1.5' }));
    expect(parseEther(ledger.body.balances.ETH)).toBe(await node.provider.getBalance(address));

    // More than the transfer delivered cannot come back as its return.
    const tooMuch = await venue.sendTransaction({ to: address, value: parseEther('0.9') });
    await tooMuch.wait();
    await node.mine(MIN_CONFIRMATIONS);
    const refused = await call(app, 'post', '/v1/returns', { ...body, txHash: tooMuch.hash });
    expect(refused.status).toBe(422);
    expect(refused.body.type).toMatch(/return-exceeds-transfer/);

    // A payment to another case's wallet is not this case's return.
    const other = await openAccount('EVM-RET-2', 'ETH');
    const elsewhere = await venue.sendTransaction({ to: other, value: parseEther('0.1') });
    await elsewhere.wait();
    await node.mine(MIN_CONFIRMATIONS);
    const wrong = await call(app, 'post', '/v1/returns', { ...body, txHash: elsewhere.hash });
    expect(wrong.status).toBe(422);
    expect(wrong.body.type).toMatch(/return-not-to-case-wallet/);
  });

  test('signed transactions cannot be edited or deleted', async () => {
    const { rows } = await pool.query('SELECT client_ref FROM evm_signed_transactions LIMIT 1');
    await expect(
      pool.query(`UPDATE evm_signed_transactions SET raw = '0x' WHERE client_ref = $1`, [rows[0].client_ref]),
    ).rejects.toThrow(/append-only/);
    await expect(
      pool.query('DELETE FROM evm_signed_transactions WHERE client_ref = $1', [rows[0].client_ref]),
    ).rejects.toThrow(/append-only/);
  });
});

describe('the custody key', () => {
  test('never appears in a log line or an answer', async () => {
    // Provoke errors too: they are where secrets leak.
    await call(app, 'post', '/v1/intakes', { caseId: 'EVM-NOPE' });
    await call(app, 'post', '/v1/transfers', {
      caseId: 'EVM-T2',
      asset: 'ETH',
      chain: 'ethereum',
      toAddress: '0x1',
      amount: '1',
      purpose: 'VENUE_DEPOSIT',
    });
    expect(logLines.length).toBeGreaterThan(10);
    expect(answers.length).toBeGreaterThan(20);
    const root = HDNodeWallet.fromSeed(Mnemonic.fromPhrase(MNEMONIC).computeSeed());
    const secrets = [
      MNEMONIC,
      root.privateKey.slice(2),
      root.extendedKey,
      keyring.walletFor('EVM-T2', 'ETH').privateKey.slice(2),
      keyring.walletFor('EVM-R-USDT', 'USDT').privateKey.slice(2),
      keyring.gasStation().privateKey.slice(2),
    ];
    const everything = [...logLines, ...answers].join('\n').toLowerCase();
    for (const secret of secrets) expect(everything).not.toContain(secret.toLowerCase());
    expect(JSON.stringify(keyring)).toBe('"[CustodyKeyring]"');
  });

  test('loads from an encrypted keystore file to the same wallets; a wrong password is refused without echoing it', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = await mkdtemp(path.join(tmpdir(), 'vcdc-keystore-'));
    const file = path.join(dir, 'custody.json');
    const wallet = HDNodeWallet.fromPhrase(MNEMONIC);
    // Low scrypt cost only to keep the test fast; production keystores use ethers' default.
    const { encryptKeystoreJson } = await import('ethers');
    const account = {
      address: wallet.address,
      privateKey: wallet.privateKey,
      mnemonic: { entropy: wallet.mnemonic!.entropy, path: wallet.path!, locale: 'en' },
    };
    await writeFile(file, await encryptKeystoreJson(account, 'correct horse', { scrypt: { N: 1 << 10 } }));
    const loaded = await CustodyKeyring.fromKeystoreFile(file, 'correct horse');
    expect(loaded.addressFor('EVM-T2', 'ETH')).toBe(keyring.addressFor('EVM-T2', 'ETH'));
    const refused = await CustodyKeyring.fromKeystoreFile(file, 'battery staple').catch((error: Error) => error);
    expect(String(refused)).toMatch(/could not be decrypted/);
    expect(String(refused)).not.toContain('battery staple');
  });
});
