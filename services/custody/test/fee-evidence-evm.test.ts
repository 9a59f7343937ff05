/**
 * A NETWORK_FEE classification on a real local EVM chain (Hardhat node on loopback): custody asks the
 * node for the named transaction; it must exist, be sent from the case's source (the sweep's sender)
 * and have paid exactly the difference as its fee. A fake txid is refused, naming feeTxHash, audited.
 */
import { createPool, Decimal, migrate, type Pool, silentLogger } from '@vcdc/shared';
import { formatEther } from 'ethers';
import type { Express } from 'express';
import request from 'supertest';
import { type RunningEvmNode, startEvmNode } from '../../../simulators/src/evm';
import { createTestDatabase } from '../../../test/support/database';
import { registerHolding } from '../../../test/support/provider-register';
import { createApp } from '../src/app';
import { CustodyAddressBook } from '../src/custody-addresses';
import { CustodyKeyring } from '../src/custody-keyring';
import { EvmChainAdapter } from '../src/evm-chain';
import { CUSTODY_MIGRATIONS_DIR } from '../src/service';
import { actAsServiceRole } from '../src/service-role';
import { ACTS, actPost, EVIDENCE, type Json, PEOPLE, post } from './harness';

const MIN_CONFIRMATIONS = 2;
let node: RunningEvmNode;
let pool: Pool;
let servicePool: Pool;
let evm: EvmChainAdapter;
let app: Express;

beforeAll(async () => {
  node = await startEvmNode();
  const databaseUrl = await createTestDatabase('custody_fee_evm');
  await migrate({ databaseUrl, schema: 'custody', dir: CUSTODY_MIGRATIONS_DIR });
  pool = createPool(databaseUrl, 'custody');
  servicePool = createPool(databaseUrl, 'custody');
  actAsServiceRole(servicePool, 'custody');
  const keyring = CustodyKeyring.fromSecret('test test test test test test test test test test test junk');
  evm = new EvmChainAdapter({
    rpcUrl: node.url,
    pool,
    keyring,
    tokens: { USDT: { address: node.usdtAddress, decimals: 6 } },
  });
  app = createApp({
    pool: servicePool,
    chain: evm,
    addresses: new CustodyAddressBook(keyring),
    minConfirmations: MIN_CONFIRMATIONS,
    whitelistCoolingOffSeconds: 0,
    logger: silentLogger(),
    migrationsDir: CUSTODY_MIGRATIONS_DIR,
    providerRegister: registerHolding(),
    actVerifyKeys: ACTS.verifyKeys,
  });
}, 60_000);

afterAll(async () => {
  evm?.close();
  await servicePool?.end();
  await pool?.end();
  await node?.close();
});

/** The fee the node says a transaction paid, in ETH. */
async function feeOf(txHash: string): Promise<string> {
  const receipt = await node.provider.getTransactionReceipt(txHash);
  if (!receipt) throw new Error(`no receipt for ${txHash}`);
  return new Decimal(formatEther(receipt.fee)).toFixed();
}

/**
 * An ETH lot whose seizure list said `declared(fee)` and whose sweep moved 0.5 ETH: the suspect's wallet
 * paid the sweep's fee out of the seized coins.
 */
async function intakeOf(caseId: string, declared: (fee: string) => string) {
  const opened = await post(app, '/v1/accounts', { caseId, asset: 'ETH', chain: 'ethereum' }).expect(201);
  const { txHash, suspect } = await node.sweep('ETH', opened.body.address, '0.5');
  await node.mine(MIN_CONFIRMATIONS);
  const fee = await feeOf(txHash);
  const intake = await post(app, '/v1/intakes', {
    caseId,
    lotId: 'LOT-ETH',
    asset: 'ETH',
    chain: 'ethereum',
    declaredAmount: declared(fee),
    txHash,
    evidence: EVIDENCE,
  }).expect(201);
  expect(intake.body.status).toBe('DISCREPANCY');
  return { intake: intake.body as Json, txHash, suspect, fee };
}

const classify = (intakeId: string, feeTxHash: string, amount: string) =>
  actPost(app, PEOPLE.custodian, 'custody.intake.classify', `/v1/intakes/${intakeId}/difference`, {
    classification: 'NETWORK_FEE',
    explanation: 'the sweep paid its gas out of the seized ETH',
    feeTxHash,
    amount,
  });

async function refusals(intakeId: string): Promise<Json[]> {
  const { records } = (await request(app).get('/v1/audit/records').expect(200)).body;
  return records.filter(
    (r: Json) => r.kind === 'request.refused' && r.data.path === `/v1/intakes/${intakeId}/difference`,
  );
}

test('the sweep that paid the difference as its gas is accepted; a fake, a stranger or another fee is refused', async () => {
  const plus = (extra: string) => (fee: string) => new Decimal('0.5').plus(fee).plus(extra).toFixed();
  const { intake, txHash, fee } = await intakeOf('CASE-EVM-F1', plus('0'));
  expect(new Decimal(fee).gt(0)).toBe(true);

  const refusedAs = async (feeTxHash: string, type: string) => {
    const res = await classify(intake.intakeId, feeTxHash, fee);
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.type).toBe(`urn:vcdc:problem:${type}`);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'feeTxHash' })]);
    return res.body;
  };
  await refusedAs('not-a-real-tx', 'fee-transaction-not-found');
  await refusedAs(`0x${'ab'.repeat(32)}`, 'fee-transaction-not-found');
  // A real sweep with a real fee, by another suspect's wallet.
  const stranger = await node.sweep('ETH', `0x${'12'.repeat(20)}`, '0.1');
  await node.mine(1);
  const notOurs = await refusedAs(stranger.txHash, 'fee-transaction-mismatch');
  expect(notOurs.actualFrom.toLowerCase()).toBe(stranger.suspect.toLowerCase());

  const found = await refusals(intake.intakeId);
  expect(found.map((r) => r.data.type)).toEqual([
    'urn:vcdc:problem:fee-transaction-not-found',
    'urn:vcdc:problem:fee-transaction-not-found',
    'urn:vcdc:problem:fee-transaction-mismatch',
  ]);
  expect(found[0]).toMatchObject({ actor: PEOPLE.custodian.id, data: { status: 422 } });
  expect((await request(app).get(`/v1/intakes/${intake.intakeId}`).expect(200)).body.differenceStatus).toBe(
    'UNCLASSIFIED',
  );

  const accepted = await classify(intake.intakeId, txHash, fee).expect(201);
  expect(accepted.body.differenceClassification).toMatchObject({ feeTxHash: txHash, amount: fee });

  // The statement in wei is what the node holds at the custody address, to the last wei.
  const ledger = (await request(app).get('/v1/cases/CASE-EVM-F1/ledger').expect(200)).body;
  const { address } = (await request(app).get('/v1/accounts/CASE-EVM-F1/ETH').expect(200)).body;
  expect(BigInt(ledger.balancesBaseUnits.ETH)).toBe(await node.provider.getBalance(address));
  expect(ledger.intakeTotals[0]).toMatchObject({
    unit: 'wei',
    difference: { baseUnits: (-(await node.provider.getTransactionReceipt(txHash))!.fee).toString() },
  });
});

test("the case's own sweep whose gas is not the difference is refused, with both fees", async () => {
  const { intake, txHash, fee } = await intakeOf('CASE-EVM-F2', (f) =>
    new Decimal('0.5').plus(f).plus('0.001').toFixed(),
  );
  const expected = new Decimal(fee).plus('0.001').toFixed();
  const res = await classify(intake.intakeId, txHash, expected).expect(422);
  expect(res.body).toMatchObject({
    type: 'urn:vcdc:problem:fee-transaction-mismatch',
    expectedFee: expected,
    actualFee: fee,
  });
});
