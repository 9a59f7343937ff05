import { contracts, Decimal, toWire } from '@vcdc/shared';
import fc from 'fast-check';
import request from 'supertest';
import type { ChainAdapter } from '../src/chain-adapter';
import {
  actPost,
  approveEntry,
  caseHolding,
  chainCall,
  chainOutgoing,
  endCoolingOff,
  type Harness,
  newKey,
  PEOPLE,
  post,
  proveDestination,
  requestEntry,
  startHarness,
  venueDeposit,
  whitelistActive,
} from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('custody_transfers');
  await whitelistActive(h.app, 'bitcoin', VENUE_BTC, 'venue deposit address for BTC');
  // A confirmed test deposit has proven the venue's address: bulk transfers may go there.
  await proveDestination(h, VENUE_BTC);
});
afterAll(() => h.close());

const VENUE_BTC = 'bc1qvenuedeposit00000000000000000000000';

/** A transfer with the case's signed DISPOSAL_PLAN authorisation (venue "hashkey", the harness's default). */
function transferBody(caseId: string, amount: string, toAddress = VENUE_BTC) {
  return venueDeposit(caseId, toAddress, amount);
}

async function balanceOf(caseId: string): Promise<string> {
  return (await request(h.app).get(`/v1/accounts/${caseId}/BTC`).expect(200)).body.balance;
}

describe('whitelist', () => {
  test('a new entry waits for approval; adding the same address again returns the existing entry', async () => {
    const body = { chain: 'ethereum', address: '0xvenue', label: 'venue ETH' };
    const first = await requestEntry(h.app, body).expect(201);
    expect(contracts.custody.WhitelistEntry.parse(first.body)).toEqual(first.body);
    expect(first.body).toMatchObject({
      chain: 'ethereum',
      address: '0xvenue',
      label: 'venue ETH',
      venue: 'hashkey',
      requestedBy: PEOPLE.custodian.id,
      status: 'PENDING_APPROVAL',
    });
    const again = await requestEntry(h.app, { ...body, label: 'renamed' }).expect(200);
    expect(again.body).toEqual(first.body);
  });

  test('two distinct approvers, neither the requester; then cooling-off; only then may coins go there', async () => {
    await caseHolding(h, 'CASE-W1', '1');
    const address = 'bc1qnewdestination000000000000000000000';
    const listed = await requestEntry(h.app, { chain: 'bitcoin', address, label: 'new venue address' }).expect(201);
    const { entryId } = listed.body;

    const pending = await post(h.app, '/v1/transfers', transferBody('CASE-W1', '0.5', address)).expect(409);
    expect(pending.body).toMatchObject({ status: 409, entryStatus: 'PENDING_APPROVAL', entryId: listed.body.entryId });

    const waiting = await request(h.app).get('/v1/whitelist?status=PENDING_APPROVAL').expect(200);
    expect(waiting.body.entries.map((e: { entryId: string }) => e.entryId)).toContain(listed.body.entryId);
    const self = await approveEntry(h.app, entryId, PEOPLE.custodian).expect(403);
    expect(self.body.type).toMatch(/approver-is-requester/);
    const one = await approveEntry(h.app, entryId, PEOPLE.secondCustodian).expect(201);
    expect(one.body).toMatchObject({
      status: 'PENDING_APPROVAL',
      approvals: [{ approvedBy: PEOPLE.secondCustodian.id }],
    });
    const twice = await approveEntry(h.app, entryId, PEOPLE.secondCustodian).expect(409);
    expect(twice.body.type).toMatch(/already-approved-by/);
    await post(h.app, '/v1/transfers', transferBody('CASE-W1', '0.5', address)).expect(409);

    // With a 24 h cooling-off (the default), the second approval starts the clock.
    const strict = h.appWith(h.chainClient, { whitelistCoolingOffSeconds: 24 * 60 * 60 });
    const two = await approveEntry(strict, entryId, PEOPLE.thirdCustodian).expect(201);
    expect(two.body.status).toBe('COOLING_OFF');
    const hours = (Date.parse(two.body.activeFrom) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(23.9);
    expect(hours).toBeLessThanOrEqual(24);
    const cooling = await post(h.app, '/v1/transfers', transferBody('CASE-W1', '0.5', address)).expect(409);
    expect(cooling.body).toMatchObject({ status: 409, entryStatus: 'COOLING_OFF', activeFrom: two.body.activeFrom });
    expect(await balanceOf('CASE-W1')).toBe('1');

    // The cooling-off is over (the test moves this entry's clock back a day).
    await endCoolingOff(h, listed.body.entryId);
    expect((await request(h.app).get(`/v1/whitelist/${listed.body.entryId}`).expect(200)).body.status).toBe('ACTIVE');
    // A new address: a test deposit first.
    await post(h.app, '/v1/transfers', {
      ...transferBody('CASE-W1', '0.001', address),
      purpose: 'TEST_DEPOSIT',
    }).expect(201);
  });

  test('approvals are append-only', async () => {
    await expect(h.servicePool.query(`DELETE FROM whitelist_approvals`)).rejects.toMatchObject({ code: '42501' });
    await expect(h.pool.query(`UPDATE whitelist_approvals SET approved_by = 'x'`)).rejects.toThrow(/append-only/);
  });

  test('a missing label is a 400 naming it', async () => {
    const res = await actPost(h.app, PEOPLE.custodian, 'custody.whitelist.request', '/v1/whitelist', {
      chain: 'bitcoin',
      address: 'x',
      venue: 'hashkey',
    }).expect(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'label' })]);
  });
});

describe('transfers out of custody', () => {
  test('the whole balance goes to the venue: fee line, destination receives amount - fee, the account is at zero and matches the chain', async () => {
    const custody = await caseHolding(h, 'CASE-T1', '1.5');
    const res = await post(h.app, '/v1/transfers', transferBody('CASE-T1', '1.5')).expect(201);
    expect(contracts.custody.Transfer.parse(res.body)).toEqual(res.body);
    expect(res.body).toMatchObject({
      caseId: 'CASE-T1',
      toAddress: VENUE_BTC,
      amount: '1.5',
      fee: '0.00002',
      netAmount: '1.49998',
      status: 'BROADCAST',
      confirmations: 0,
    });
    expect(await balanceOf('CASE-T1')).toBe('0');
    const ledger = (await request(h.app).get('/v1/cases/CASE-T1/ledger').expect(200)).body;
    expect(ledger.entries.map((e: { kind: string; amount: string }) => [e.kind, e.amount])).toEqual([
      ['INTAKE', '1.5'],
      ['TRANSFER_OUT', '-1.49998'],
      ['NETWORK_FEE', '-0.00002'],
    ]);
    expect(ledger.balances).toEqual({ BTC: '0' });

    h.chainSim.mine('bitcoin');
    const oneConf = await request(h.app).get(`/v1/transfers/${res.body.transferId}`).expect(200);
    expect(oneConf.body).toMatchObject({ status: 'BROADCAST', confirmations: 1 });
    h.chainSim.mine('bitcoin');
    const confirmed = await request(h.app).get(`/v1/transfers/${res.body.transferId}`).expect(200);
    expect(confirmed.body).toMatchObject({ status: 'CONFIRMED', confirmations: 2, txHash: res.body.txHash });

    const onChain = await chainCall(h, 'GET', `/v1/chains/bitcoin/transactions/${res.body.txHash}`);
    expect(onChain).toMatchObject({ from: custody, to: VENUE_BTC, amount: '1.49998', fee: '0.00002' });
    const custodyOnChain = await chainCall(h, 'GET', `/v1/chains/bitcoin/addresses/${custody}/balances`);
    expect(custodyOnChain.balances.BTC).toBe('0');
  });

  test('the network fee quoted before a transfer is the fee the transfer is charged; a bad query names its field', async () => {
    const quote = await request(h.app).get('/v1/network-fees?chain=bitcoin&asset=BTC').expect(200);
    expect(contracts.custody.NetworkFee.parse(quote.body)).toEqual(quote.body);
    expect(quote.body).toMatchObject({ chain: 'bitcoin', asset: 'BTC', fee: '0.00002' });
    await caseHolding(h, 'CASE-T0', '0.7');
    const sent = await post(h.app, '/v1/transfers', transferBody('CASE-T0', '0.7')).expect(201);
    expect(sent.body.fee).toBe(quote.body.fee);
    expect(sent.body.netAmount).toBe('0.69998');
    const bad = await request(h.app).get('/v1/network-fees?chain=bitcoin&asset=DOGE').expect(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'asset' })]);
  });

  test('a destination that is not whitelisted is refused and the balance is unchanged', async () => {
    const custody = await caseHolding(h, 'CASE-T2', '1');
    const res = await post(h.app, '/v1/transfers', transferBody('CASE-T2', '1', 'bc1qattacker')).expect(422);
    expect(res.body.type).toBe('urn:vcdc:problem:destination-not-whitelisted');
    expect(await balanceOf('CASE-T2')).toBe('1');
    expect(await chainOutgoing(h, custody)).toEqual([]);
  });

  test('an address whitelisted on another chain does not count', async () => {
    await caseHolding(h, 'CASE-T3', '1');
    const res = await post(h.app, '/v1/transfers', transferBody('CASE-T3', '1', '0xvenue')).expect(422);
    expect(res.body.type).toBe('urn:vcdc:problem:destination-not-whitelisted');
  });

  test('more than the balance is refused as insufficient-custody-balance', async () => {
    const custody = await caseHolding(h, 'CASE-T4', '1');
    const res = await post(h.app, '/v1/transfers', transferBody('CASE-T4', '1.00000001')).expect(422);
    expect(res.body).toMatchObject({ type: 'urn:vcdc:problem:insufficient-custody-balance', available: '1' });
    expect(await balanceOf('CASE-T4')).toBe('1');
    expect(await chainOutgoing(h, custody)).toEqual([]);
  });

  test('an amount that does not exceed the network fee is refused', async () => {
    await caseHolding(h, 'CASE-T5', '1');
    const res = await post(h.app, '/v1/transfers', transferBody('CASE-T5', '0.00002')).expect(422);
    expect(res.body).toMatchObject({ type: 'urn:vcdc:problem:amount-below-network-fee', fee: '0.00002' });
    expect(await balanceOf('CASE-T5')).toBe('1');
  });

  test('two transfers of the same coins: the second is refused while the first is in flight', async () => {
    const custody = await caseHolding(h, 'CASE-T6', '1');
    const answers = await Promise.all([
      post(h.app, '/v1/transfers', transferBody('CASE-T6', '0.7')),
      post(h.app, '/v1/transfers', transferBody('CASE-T6', '0.7')),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 422]);
    expect(await balanceOf('CASE-T6')).toBe('0.3');
    expect(await chainOutgoing(h, custody)).toHaveLength(1);
  });

  test('a crash after the chain accepted the broadcast but before the txHash was stored: the retry sends nothing new', async () => {
    const custody = await caseHolding(h, 'CASE-T7', '2');
    let sends = 0;
    // The chain really accepts the transaction; then the answer is lost (as if the process died).
    const losesFirstAnswer: ChainAdapter = {
      getHead: (chain) => h.chainClient.getHead(chain),
      getFees: (chain) => h.chainClient.getFees(chain),
      getTransaction: (chain, txHash) => h.chainClient.getTransaction(chain, txHash),
      send: async (chain, req) => {
        sends += 1;
        const tx = await h.chainClient.send(chain, req);
        if (sends === 1) throw new Error('connection reset after the broadcast was accepted');
        return tx;
      },
    };
    const app = h.appWith(losesFirstAnswer);
    const key = newKey('transfer');

    const lost = await post(app, '/v1/transfers', transferBody('CASE-T7', '2'), key).expect(503);
    expect(lost.body.type).toBe('urn:vcdc:problem:broadcast-outcome-unknown');
    const pending = await h.pool.query(`SELECT status, tx_hash FROM transfers WHERE case_id = 'CASE-T7'`);
    expect(pending.rows).toEqual([{ status: 'PENDING_BROADCAST', tx_hash: null }]);
    expect(await chainOutgoing(h, custody)).toHaveLength(1);
    // Until the outcome is settled, the transfer answers "not yet" and its amount stays reserved.
    await request(app).get(`/v1/transfers/${lost.body.transferId}`).expect(409);
    const other = await post(app, '/v1/transfers', transferBody('CASE-T7', '0.5')).expect(422);
    expect(other.body.type).toBe('urn:vcdc:problem:insufficient-custody-balance');

    const retried = await post(app, '/v1/transfers', transferBody('CASE-T7', '2'), key).expect(201);
    expect(sends).toBe(2);
    const outgoing = await chainOutgoing(h, custody);
    expect(outgoing).toHaveLength(1);
    expect(retried.body).toMatchObject({ transferId: lost.body.transferId, txHash: outgoing[0]!.txHash });
    expect(await balanceOf('CASE-T7')).toBe('0');
    const ledger = (await request(app).get('/v1/cases/CASE-T7/ledger').expect(200)).body;
    expect(ledger.entries.filter((e: { kind: string }) => e.kind !== 'INTAKE')).toHaveLength(2);

    const replay = await post(app, '/v1/transfers', transferBody('CASE-T7', '2'), key).expect(201);
    expect(replay.body).toEqual(retried.body);
    expect(sends).toBe(2);
  });

  test('after a lost answer, the same key with another body is a 409 and sends nothing', async () => {
    await caseHolding(h, 'CASE-T8', '1');
    const failing: ChainAdapter = {
      getHead: (chain) => h.chainClient.getHead(chain),
      getFees: (chain) => h.chainClient.getFees(chain),
      getTransaction: (chain, txHash) => h.chainClient.getTransaction(chain, txHash),
      send: async () => {
        throw new Error('timeout');
      },
    };
    const key = newKey('transfer');
    await post(h.appWith(failing), '/v1/transfers', transferBody('CASE-T8', '1'), key).expect(503);
    const res = await post(h.app, '/v1/transfers', transferBody('CASE-T8', '0.5'), key).expect(409);
    expect(res.body.type).toBe('urn:vcdc:problem:idempotency-key-reused');
  });

  test('when the chain refuses the broadcast, the transfer is FAILED, nothing is booked and the reservation is released', async () => {
    const custody = await caseHolding(h, 'CASE-T9', '1');
    // The fee quote is too low, so the chain (which charges its real fee) finds the balance short.
    const lowQuote: ChainAdapter = {
      getHead: (chain) => h.chainClient.getHead(chain),
      getFees: async () => ({ BTC: '0.00001' }),
      getTransaction: (chain, txHash) => h.chainClient.getTransaction(chain, txHash),
      send: (chain, req) => h.chainClient.send(chain, req),
    };
    const key = newKey('transfer');
    const refused = await post(h.appWith(lowQuote), '/v1/transfers', transferBody('CASE-T9', '1'), key).expect(422);
    expect(refused.body.type).toBe('urn:vcdc:problem:transfer-refused-by-chain');
    expect(refused.body.detail).toMatch(/insufficient-funds/);
    expect(await balanceOf('CASE-T9')).toBe('1');
    expect(await chainOutgoing(h, custody)).toEqual([]);
    const failed = await request(h.app).get(`/v1/transfers/${refused.body.transferId}`).expect(200);
    expect(failed.body).toMatchObject({ status: 'FAILED', txHash: '' });

    const retry = await post(h.app, '/v1/transfers', transferBody('CASE-T9', '1')).expect(201);
    expect(retry.body.netAmount).toBe('0.99998');
    expect(await balanceOf('CASE-T9')).toBe('0');
  });

  test('validation errors are 400s naming the field, and unknown transfers are 404', async () => {
    const bad = await post(h.app, '/v1/transfers', { ...transferBody('CASE-T1', '1'), purpose: 'GIFT' }).expect(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'purpose' })]);
    const precise = await post(h.app, '/v1/transfers', transferBody('CASE-T1', '0.123456789')).expect(400);
    expect(precise.body.errors).toEqual([expect.objectContaining({ field: 'amount' })]);
    const chain = await post(h.app, '/v1/transfers', { ...transferBody('CASE-T1', '1'), chain: 'ethereum' }).expect(
      400,
    );
    expect(chain.body.errors).toEqual([expect.objectContaining({ field: 'chain' })]);
    await post(h.app, '/v1/transfers', transferBody('CASE-T1', '1')).set('Idempotency-Key', '').expect(400);
    await request(h.app).get('/v1/transfers/transfer-nope').expect(404);
  });

  test('an Idempotency-Key replay answers the stored transfer and sends nothing more; another body with the key is a 409', async () => {
    const custody = await caseHolding(h, 'CASE-T10', '1');
    const key = newKey('transfer');
    const first = await post(h.app, '/v1/transfers', transferBody('CASE-T10', '0.4'), key).expect(201);
    const replay = await post(h.app, '/v1/transfers', transferBody('CASE-T10', '0.4'), key).expect(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    await post(h.app, '/v1/transfers', transferBody('CASE-T10', '0.5'), key).expect(409);
    expect(await chainOutgoing(h, custody)).toHaveLength(1);
    expect(await balanceOf('CASE-T10')).toBe('0.6');
  });

  test('the same key posted three times at once sends one transfer: the others get it or are told to retry', async () => {
    const custody = await caseHolding(h, 'CASE-T11', '1');
    const key = newKey('transfer');
    const answers = await Promise.all(
      [1, 2, 3].map(() => post(h.app, '/v1/transfers', transferBody('CASE-T11', '0.4'), key)),
    );
    const sent = answers.filter((a) => a.status === 201);
    expect(sent.length).toBeGreaterThanOrEqual(1);
    for (const a of sent) expect(a.body.transferId).toBe(sent[0]!.body.transferId);
    for (const a of answers.filter((a) => a.status !== 201)) {
      expect(a.status).toBe(409);
      expect(a.body.type).toBe('urn:vcdc:problem:idempotency-request-in-progress');
    }
    expect(await chainOutgoing(h, custody)).toHaveLength(1);
    expect(await balanceOf('CASE-T11')).toBe('0.6');
    const retried = await post(h.app, '/v1/transfers', transferBody('CASE-T11', '0.4'), key).expect(201);
    expect(retried.body.transferId).toBe(sent[0]!.body.transferId);
  });
});

describe('test deposit before the first bulk transfer to a new address', () => {
  const testBody = (caseId: string, amount: string, toAddress: string) => ({
    ...transferBody(caseId, amount, toAddress),
    purpose: 'TEST_DEPOSIT',
  });
  const requirement = (address: string) =>
    request(h.app).get(`/v1/test-deposits/requirement?chain=bitcoin&address=${address}&asset=BTC`).expect(200);

  test('a bulk transfer to an address that never received a confirmed transfer is refused; after a confirmed test deposit it goes', async () => {
    const custody = await caseHolding(h, 'CASE-TD1', '2');
    const fresh = 'bc1qfreshvenueaddress000000000000000000';
    await whitelistActive(h.app, 'bitcoin', fresh);

    const before = await requirement(fresh);
    expect(contracts.custody.TestDepositRequirement.parse(before.body)).toEqual(before.body);
    expect(before.body).toEqual({
      chain: 'bitcoin',
      address: fresh,
      asset: 'BTC',
      required: true,
      maxAmount: '0.001',
      pendingTransferIds: [],
    });
    const bulk = await post(h.app, '/v1/transfers', transferBody('CASE-TD1', '1.5', fresh)).expect(409);
    expect(bulk.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(bulk.body).toMatchObject({
      type: 'urn:vcdc:problem:test-deposit-required',
      status: 409,
      maxAmount: '0.001',
      toAddress: fresh,
      pendingTransferIds: [],
    });
    expect(await chainOutgoing(h, custody)).toEqual([]);
    expect(await balanceOf('CASE-TD1')).toBe('2');

    // Too large for a test deposit: refused, naming the amount.
    const large = await post(h.app, '/v1/transfers', testBody('CASE-TD1', '0.00100001', fresh)).expect(422);
    expect(large.body).toMatchObject({ type: 'urn:vcdc:problem:test-deposit-too-large', maxAmount: '0.001' });
    expect(large.body.errors).toEqual([expect.objectContaining({ field: 'amount' })]);

    const test = await post(h.app, '/v1/transfers', testBody('CASE-TD1', '0.001', fresh)).expect(201);
    expect(contracts.custody.Transfer.parse(test.body)).toEqual(test.body);
    expect(test.body).toMatchObject({
      purpose: 'TEST_DEPOSIT',
      amount: '0.001',
      netAmount: '0.00098',
      status: 'BROADCAST',
    });

    // In flight, not confirmed: still refused, and the answer names the test transfer being waited for.
    const early = await post(h.app, '/v1/transfers', transferBody('CASE-TD1', '1.5', fresh)).expect(409);
    expect(early.body).toMatchObject({
      type: 'urn:vcdc:problem:test-deposit-required',
      pendingTransferIds: [test.body.transferId],
    });
    h.chainSim.mine('bitcoin');
    expect((await requirement(fresh)).body).toMatchObject({
      required: true,
      pendingTransferIds: [test.body.transferId],
    });

    // Confirmed on chain: the requirement (which refreshes in-flight transfers) is met without a GET of the transfer.
    h.chainSim.mine('bitcoin');
    expect((await requirement(fresh)).body).toMatchObject({
      required: false,
      provenBy: test.body.transferId,
      pendingTransferIds: [],
    });
    expect((await request(h.app).get(`/v1/transfers/${test.body.transferId}`).expect(200)).body).toMatchObject({
      status: 'CONFIRMED',
      purpose: 'TEST_DEPOSIT',
    });
    const sent = await post(h.app, '/v1/transfers', transferBody('CASE-TD1', '1.5', fresh)).expect(201);
    expect(sent.body).toMatchObject({ purpose: 'VENUE_DEPOSIT', netAmount: '1.49998' });
    expect((await chainOutgoing(h, custody)).map((t) => t.amount).sort()).toEqual(['0.00098', '1.49998']);
    expect(await balanceOf('CASE-TD1')).toBe('0.499');

    // The address is proven: another case's bulk transfer goes straight there.
    await caseHolding(h, 'CASE-TD2', '1');
    await post(h.app, '/v1/transfers', transferBody('CASE-TD2', '1', fresh)).expect(201);
  });

  test('a test deposit confirmed on chain counts even when nobody asked for its status since', async () => {
    await caseHolding(h, 'CASE-TD3', '1');
    const fresh = 'bc1qsecondfreshvenue0000000000000000000';
    await whitelistActive(h.app, 'bitcoin', fresh);
    const test = await post(h.app, '/v1/transfers', testBody('CASE-TD3', '0.0005', fresh)).expect(201);
    h.chainSim.mine('bitcoin', 2);
    const { rows } = await h.pool.query('SELECT status FROM transfers WHERE transfer_id = $1', [test.body.transferId]);
    expect(rows[0].status).toBe('BROADCAST');
    await post(h.app, '/v1/transfers', transferBody('CASE-TD3', '0.9', fresh)).expect(201);
  });

  test('the largest test deposit is configured per asset', async () => {
    await caseHolding(h, 'CASE-TD4', '1');
    const fresh = 'bc1qthirdfreshvenue00000000000000000000';
    await whitelistActive(h.app, 'bitcoin', fresh);
    const strict = h.appWith(h.chainClient, { testDepositMax: { BTC: '0.0005', ETH: '0.01', USDT: '10' } });
    const refused = await post(strict, '/v1/transfers', testBody('CASE-TD4', '0.001', fresh)).expect(422);
    expect(refused.body).toMatchObject({ type: 'urn:vcdc:problem:test-deposit-too-large', maxAmount: '0.0005' });
    await post(strict, '/v1/transfers', testBody('CASE-TD4', '0.0005', fresh)).expect(201);
  });

  test('a refused bulk transfer is not retried under its key: that key keeps its answer', async () => {
    await caseHolding(h, 'CASE-TD5', '1');
    const fresh = 'bc1qfourthfreshvenue0000000000000000000';
    await whitelistActive(h.app, 'bitcoin', fresh);
    const key = newKey('bulk');
    await post(h.app, '/v1/transfers', transferBody('CASE-TD5', '0.9', fresh), key).expect(409);
    await proveDestination(h, fresh);
    const replay = await post(h.app, '/v1/transfers', transferBody('CASE-TD5', '0.9', fresh), key).expect(409);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    await post(h.app, '/v1/transfers', transferBody('CASE-TD5', '0.9', fresh)).expect(201);
  });
});

describe('conservation', () => {
  const sats = (n: number) => toWire(new Decimal(n).div(100_000_000));
  let run = 0;

  test('after any mix of intakes and transfers, the ledger balance equals what the chain holds at the custody address, and intakes = transfers + fees + balance', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 300_000_000 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.integer({ min: 1, max: 400_000_000 }), { minLength: 1, maxLength: 3 }),
        async (sweeps, transfers) => {
          run += 1;
          const caseId = `CASE-P${run}`;
          let custody = '';
          for (const amount of sweeps) custody = await caseHolding(h, caseId, sats(amount));
          for (const amount of transfers) {
            const res = await post(h.app, '/v1/transfers', transferBody(caseId, sats(amount)));
            expect([201, 422]).toContain(res.status);
          }
          h.chainSim.mine('bitcoin');
          const ledger = (await request(h.app).get(`/v1/cases/${caseId}/ledger`).expect(200)).body;
          const onChain = await chainCall(h, 'GET', `/v1/chains/bitcoin/addresses/${custody}/balances`);
          expect(ledger.balances.BTC).toBe(onChain.balances.BTC);
          const byKind = (kind: string) =>
            ledger.entries
              .filter((e: { kind: string }) => e.kind === kind)
              .reduce((t: Decimal, e: { amount: string }) => t.plus(e.amount), new Decimal(0));
          const received = byKind('INTAKE');
          expect(received.toFixed()).toBe(new Decimal(sweeps.reduce((a, b) => a + b, 0)).div(1e8).toFixed());
          expect(received.plus(byKind('TRANSFER_OUT')).plus(byKind('NETWORK_FEE')).toFixed()).toBe(
            new Decimal(ledger.balances.BTC).toFixed(),
          );
          expect(new Decimal(ledger.balances.BTC).gte(0)).toBe(true);
        },
      ),
      { numRuns: 12 },
    );
  });
});
