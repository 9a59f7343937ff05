/**
 * The exchange service against real PostgreSQL and the real venue simulator, reached through real
 * ccxt over HTTP (the venue watches the real ledger-chain simulator for deposits).
 */
import { createPool, migrate, type Pool, silentLogger } from '@vcdc/shared';
import type { exchange } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import type { Express } from 'express';
import request from 'supertest';
import { type RunningChainSimulator, startChainSimulator } from '../../../simulators/src/chain';
import {
  DEV_VENUE_API_KEY,
  DEV_VENUE_SECRET,
  type RunningVenueSimulator,
  startVenueSimulator,
} from '../../../simulators/src/venue';
import { createTestDatabase } from '../../../test/support/database';
import { seedProviderRegister } from '../../../test/support/provider-register';
import { createApp, EXCHANGE_MIGRATIONS_DIR } from '../src/app';
import { CcxtVenue } from '../src/ccxt-venue';
import { returnIdFor } from '../src/returns';

const BANK = { id: 'HK-TRUST-001', name: 'Case property trust account', bank: 'Hong Kong branch' };
const SCHEMA = 'exchange';

let pool: Pool;
let chain: RunningChainSimulator;
let sim: RunningVenueSimulator;
let app: Express;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('exchange');
  await migrate({ databaseUrl, schema: SCHEMA, dir: EXCHANGE_MIGRATIONS_DIR });
  pool = createPool(databaseUrl, SCHEMA);
  await seedProviderRegister(pool);
  chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  sim = await startVenueSimulator({
    port: 0,
    seed: 4242,
    chainUrl: chain.url,
    bankAccounts: [BANK],
    depositConfirmations: 2,
    withdrawalDelayMs: 200,
    withdrawalFee: '10',
    pollIntervalMs: 60_000,
    initialBalances: { BTC: '20', ETH: '50', USD: '100000' },
  });
  app = createApp({ pool, logger: silentLogger(), venue: venueClient(sim.url) });
});

afterAll(async () => {
  await sim.close();
  await chain.close();
  await pool.end();
});

afterEach(() => sim.faults.clear());

function venueClient(url: string, timeoutMs = 5000) {
  return new CcxtVenue({
    venueId: 'hashkey',
    apiUrl: url,
    apiKey: DEV_VENUE_API_KEY,
    secret: DEV_VENUE_SECRET,
    timeoutMs,
    enableRateLimit: false,
  });
}

const venueOrders = (clientOrderId: string) => sim.venue.state.orders.filter((o) => o.clientOrderId === clientOrderId);
const venueBalance = (asset: string) => new Decimal(sim.venue.state.balances[asset]?.free ?? '0');

function sell(body: Record<string, unknown>, key: string) {
  return request(app).post('/v1/orders').set('Idempotency-Key', key).send(body);
}

describe('markets', () => {
  test("a market's rules come from the venue: lot step, tick and minimums, as decimal strings", async () => {
    const res = await request(app).get('/v1/markets/USDT/USD').expect(200);
    expect(res.body).toMatchObject({
      venue: 'hashkey',
      symbol: 'USDT/USD',
      base: 'USDT',
      quote: 'USD',
      stepSize: '0.01',
    });
    expect(res.body.tickSize).toMatch(/^0\.0*1$/);
  });

  test('an unknown market is 404 and a malformed one 400 naming the field', async () => {
    await request(app).get('/v1/markets/DOGE/USD').expect(404);
    const bad = await request(app).get('/v1/markets/btc/USDT').expect(400);
    expect(bad.body.errors[0].field).toBe('base');
  });
});

describe('orders', () => {
  test('a market sell is placed once, filled against the book, and its fills and fees are recorded exactly', async () => {
    const btcBefore = venueBalance('BTC');
    const usdtBefore = venueBalance('USDT');
    const res = await sell(
      { caseId: 'case-1', clientOrderId: 'case-1-lot-1-sell-1', symbol: 'BTC/USDT', type: 'market', amount: '1.5' },
      'k-order-1',
    ).expect(201);
    const order = res.body as exchange.VenueOrder;
    expect(order).toMatchObject({
      caseId: 'case-1',
      venue: 'hashkey',
      symbol: 'BTC/USDT',
      side: 'sell',
      type: 'market',
      amount: '1.5',
      filled: '1.5',
      remaining: '0',
      status: 'closed',
      feeCurrency: 'USDT',
    });
    const venueTrades = sim.venue.state.trades.filter((t) => t.clientOrderId === 'case-1-lot-1-sell-1');
    expect(order.fills.map((f) => f.tradeId)).toEqual(venueTrades.map((t) => t.id));
    expect(order.fills.map((f) => [f.price, f.amount, f.fee])).toEqual(
      venueTrades.map((t) => [t.price, t.qty, t.commission]),
    );
    for (const f of order.fills) expect(f.cost).toBe(new Decimal(f.price).mul(f.amount).toFixed());
    const cost = order.fills.reduce((s, f) => s.plus(f.cost), new Decimal(0));
    const fee = order.fills.reduce((s, f) => s.plus(f.fee), new Decimal(0));
    expect(order.cost).toBe(cost.toFixed());
    expect(order.fee).toBe(fee.toFixed());
    // conservation: what the venue credited is exactly cost - fee; the BTC sold is exactly the amount
    expect(venueBalance('USDT').minus(usdtBefore).toFixed()).toBe(cost.minus(fee).toFixed());
    expect(btcBefore.minus(venueBalance('BTC')).toFixed()).toBe('1.5');

    // refreshing does not record the fills twice
    const again = await request(app).get('/v1/orders/case-1-lot-1-sell-1').expect(200);
    expect(again.body).toEqual(order);
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM fills WHERE client_order_id = $1', [
      'case-1-lot-1-sell-1',
    ]);
    expect(rows[0].n).toBe(venueTrades.length);
  });

  test('the same Idempotency-Key and body replays the answer; with another body it is refused and nothing is sold', async () => {
    const body = {
      caseId: 'case-2',
      clientOrderId: 'case-2-sell-1',
      symbol: 'BTC/USDT',
      type: 'market',
      amount: '0.1',
    };
    const first = await sell(body, 'k-order-2').expect(201);
    const replay = await sell(body, 'k-order-2').expect(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    const btc = venueBalance('BTC');
    const reused = await sell({ ...body, amount: '0.2' }, 'k-order-2').expect(409);
    expect(reused.body.type).toBe('urn:vcdc:problem:idempotency-key-reused');
    expect(venueOrders('case-2-sell-1')).toHaveLength(1);
    expect(venueBalance('BTC').eq(btc)).toBe(true);
  });

  test('when the venue accepts the order and the answer is lost, the retry finds that order instead of selling twice', async () => {
    const body = {
      caseId: 'case-3',
      clientOrderId: 'case-3-sell-1',
      symbol: 'BTC/USDT',
      type: 'market',
      amount: '0.5',
    };
    const btcBefore = venueBalance('BTC');
    sim.faults.dropResponseAfterAccept('createOrder');
    const lost = await sell(body, 'k-order-3').expect(503);
    expect(lost.body.type).toBe('urn:vcdc:problem:venue-unavailable');
    expect(venueOrders('case-3-sell-1')).toHaveLength(1); // the venue did sell

    const retried = await sell(body, 'k-order-3').expect(201);
    expect(retried.body.venueOrderId).toBe(venueOrders('case-3-sell-1')[0]!.orderId);
    expect(retried.body.filled).toBe('0.5');
    // another attempt under a new key (a new activity attempt) also finds it
    const other = await sell(body, 'k-order-3-bis').expect(201);
    expect(other.body.venueOrderId).toBe(retried.body.venueOrderId);
    expect(venueOrders('case-3-sell-1')).toHaveLength(1);
    expect(btcBefore.minus(venueBalance('BTC')).toFixed()).toBe('0.5');
  });

  test('a first attempt reads the book once and places without asking the venue first; an order another key placed and lost the answer to is adopted, not sold twice', async () => {
    const lookUps = () => sim.requestLimit.counts.get('GET /api/v1/spot/order') ?? 0;
    const bookReads = () => sim.requestLimit.counts.get('GET /quote/v1/depth') ?? 0;
    const before = lookUps();
    const booksBefore = bookReads();
    await sell(
      { caseId: 'case-3b', clientOrderId: 'case-3b-sell-1', symbol: 'BTC/USDT', type: 'market', amount: '0.1' },
      'k-order-3b',
    ).expect(201);
    expect(lookUps()).toBe(before);
    // One read of the book gives the check both the reference's quote and how deep the sell reaches.
    expect(bookReads() - booksBefore).toBe(1);

    const body = {
      caseId: 'case-3c',
      clientOrderId: 'case-3c-sell-1',
      symbol: 'BTC/USDT',
      type: 'market',
      amount: '0.2',
    };
    const btcBefore = venueBalance('BTC');
    sim.faults.dropResponseAfterAccept('createOrder');
    await sell(body, 'k-order-3c').expect(503);
    // A new key: its first attempt places, the venue refuses the id as a duplicate, and its order is adopted.
    const adopted = await sell(body, 'k-order-3c-new').expect(201);
    expect(adopted.body.venueOrderId).toBe(venueOrders('case-3c-sell-1')[0]!.orderId);
    expect(adopted.body.filled).toBe('0.2');
    expect(venueOrders('case-3c-sell-1')).toHaveLength(1);
    expect(btcBefore.minus(venueBalance('BTC')).toFixed()).toBe('0.2');
    const { rows } = await pool.query(
      "SELECT detail FROM order_events WHERE client_order_id = $1 AND event = 'placed'",
      ['case-3c-sell-1'],
    );
    expect(rows[0].detail).toMatch(/found at the venue/);
  });

  test('a client order id already used with other terms is refused with 409', async () => {
    const body = {
      caseId: 'case-4',
      clientOrderId: 'case-4-sell-1',
      symbol: 'BTC/USDT',
      type: 'market',
      amount: '0.1',
    };
    await sell(body, 'k-order-4').expect(201);
    const res = await sell({ ...body, amount: '0.3' }, 'k-order-4-other').expect(409);
    expect(res.body.type).toBe('urn:vcdc:problem:client-order-id-conflict');
    expect(venueOrders('case-4-sell-1')).toHaveLength(1);
  });

  test('an amount finer than the lot size is refused with the sellable amount, and nothing reaches the venue', async () => {
    const res = await sell(
      { caseId: 'case-5', clientOrderId: 'case-5-sell-1', symbol: 'BTC/USDT', type: 'market', amount: '0.123456789' },
      'k-order-5',
    ).expect(422);
    expect(res.body).toMatchObject({
      type: 'urn:vcdc:problem:amount-precision',
      stepSize: '0.00001',
      sellableAmount: '0.12345',
    });
    expect(venueOrders('case-5-sell-1')).toHaveLength(0);
  });

  test('invalid orders are refused with 400 naming the field', async () => {
    const noPrice = await sell(
      { caseId: 'case-6', clientOrderId: 'case-6-sell-1', symbol: 'BTC/USDT', type: 'limit', amount: '0.1' },
      'k-order-6',
    ).expect(400);
    expect(noPrice.body.errors).toEqual([{ field: 'limitPrice', message: 'a limit order needs limitPrice' }]);
    const badSymbol = await sell(
      { caseId: 'case-6', clientOrderId: 'case-6-sell-2', symbol: 'btc-usdt', type: 'market', amount: '-1' },
      'k-order-6b',
    ).expect(400);
    expect(badSymbol.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['amount', 'symbol']);
  });

  test('selling more than the venue balance is refused as insufficient-funds', async () => {
    const res = await sell(
      { caseId: 'case-7', clientOrderId: 'case-7-sell-1', symbol: 'ETH/USDT', type: 'market', amount: '60' },
      'k-order-7',
    ).expect(422);
    expect(res.body.type).toBe('urn:vcdc:problem:insufficient-funds');
    expect(venueOrders('case-7-sell-1')).toHaveLength(0);
  });

  test('a limit sell above the best bid rests open with no fills', async () => {
    const res = await sell(
      {
        caseId: 'case-8',
        clientOrderId: 'case-8-sell-1',
        symbol: 'ETH/USDT',
        type: 'limit',
        amount: '2',
        limitPrice: '3600',
      },
      'k-order-8',
    ).expect(201);
    expect(res.body).toMatchObject({ status: 'open', filled: '0', remaining: '2', averagePrice: null, fills: [] });
  });

  test('cancelling a resting sell frees its coins; a repeat answers the same; another case cannot cancel it', async () => {
    await sell(
      {
        caseId: 'case-8c',
        clientOrderId: 'case-8c-sell-1',
        symbol: 'ETH/USDT',
        type: 'limit',
        amount: '1.5',
        limitPrice: '3600',
      },
      'k-order-8c',
    ).expect(201);
    const ethBefore = venueBalance('ETH');
    const cancel = () =>
      request(app)
        .post('/v1/orders/case-8c-sell-1/cancel')
        .set('Idempotency-Key', 'k-cancel-8c')
        .send({ caseId: 'case-8c' });
    const first = await cancel().expect(200);
    expect(first.body).toMatchObject({ status: 'canceled', filled: '0', remaining: '1.5' });
    expect(venueBalance('ETH').minus(ethBefore).toFixed()).toBe('1.5');
    expect((await cancel().expect(200)).body).toEqual(first.body);
    // a new key for an already cancelled order: nothing to do, same state
    const again = await request(app)
      .post('/v1/orders/case-8c-sell-1/cancel')
      .set('Idempotency-Key', 'k-cancel-8c-2')
      .send({ caseId: 'case-8c' })
      .expect(200);
    expect(again.body.status).toBe('canceled');
    await request(app)
      .post('/v1/orders/case-8c-sell-1/cancel')
      .set('Idempotency-Key', 'k-cancel-8c-3')
      .send({ caseId: 'case-other' })
      .expect(404);
    expect(venueOrders('case-8c-sell-1')).toHaveLength(1);
  });

  test('an unknown order is 404', async () => {
    const res = await request(app).get('/v1/orders/never-placed').expect(404);
    expect(res.body.type).toBe('urn:vcdc:problem:not-found');
  });
});

describe('deposits', () => {
  test('a deposit is 404 until the venue sees it, then PENDING, then CREDITED after the confirmations', async () => {
    const addr = await request(app).get('/v1/deposit-addresses/BTC').expect(200);
    expect(addr.body).toEqual({
      asset: 'BTC',
      chain: 'bitcoin',
      address: sim.venue.state.depositAddresses.bitcoin,
      venue: 'hashkey',
    });
    const unseen = await request(app)
      .get('/v1/deposits')
      .query({ caseId: 'case-d1', asset: 'BTC', txHash: 'no-such-tx' })
      .expect(404);
    expect(unseen.body.type).toBe('urn:vcdc:problem:deposit-not-seen');

    const faucet = await fetch(`${chain.url}/v1/chains/bitcoin/faucet`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ address: addr.body.address, asset: 'BTC', amount: '2.00000001' }),
    });
    const { txHash } = (await faucet.json()) as { txHash: string };
    chain.mine('bitcoin', 1);
    const pending = await request(app)
      .get('/v1/deposits')
      .query({ caseId: 'case-d1', asset: 'BTC', txHash })
      .expect(200);
    expect(pending.body).toMatchObject({ caseId: 'case-d1', txHash, amount: '2.00000001', status: 'PENDING' });

    chain.mine('bitcoin', 1);
    const credited = await request(app)
      .get('/v1/deposits')
      .query({ caseId: 'case-d1', asset: 'BTC', txHash })
      .expect(200);
    expect(credited.body).toMatchObject({ status: 'CREDITED', venueDepositId: pending.body.venueDepositId });
    await request(app).get('/v1/deposits').query({ caseId: 'case-d1', asset: 'BTC', txHash }).expect(200);
    const { rows } = await pool.query('SELECT status FROM deposit_observations WHERE tx_hash = $1 ORDER BY id', [
      txHash,
    ]);
    expect(rows.map((r) => r.status)).toEqual(['PENDING', 'CREDITED']);

    const claimed = await request(app)
      .get('/v1/deposits')
      .query({ caseId: 'case-d2', asset: 'BTC', txHash })
      .expect(409);
    expect(claimed.body.type).toBe('urn:vcdc:problem:deposit-claimed');
  });

  test('deposit queries name the missing or invalid field', async () => {
    const res = await request(app).get('/v1/deposits').query({ asset: 'DOGE', txHash: 'x' }).expect(400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['asset', 'caseId']);
    const chainMismatch = await request(app).get('/v1/deposit-addresses/BTC').query({ chain: 'ethereum' }).expect(422);
    expect(chainMismatch.body.type).toBe('urn:vcdc:problem:unsupported-chain');
  });

  test('deposit rows are append-only', async () => {
    await expect(pool.query("UPDATE deposit_observations SET status = 'FAILED'")).rejects.toThrow(/append-only/);
    await expect(pool.query('DELETE FROM fills')).rejects.toThrow(/append-only/);
  });
});

/** Coins sent to the venue's deposit address on the ledger chain; mined `blocks` deep. */
async function depositOnChain(asset: 'BTC', amount: string, blocks = 2): Promise<string> {
  const response = await fetch(`${chain.url}/v1/chains/bitcoin/faucet`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ address: sim.venue.state.depositAddresses.bitcoin, asset, amount }),
  });
  const { txHash } = (await response.json()) as { txHash: string };
  if (blocks > 0) chain.mine('bitcoin', blocks);
  return txHash;
}

describe('held deposits', () => {
  test('a deposit the venue holds for review is HELD with its reason, then CREDITED once when released', async () => {
    const txHash = await depositOnChain('BTC', '0.3', 1);
    const ask = () => request(app).get('/v1/deposits').query({ caseId: 'case-h1', asset: 'BTC', txHash }).expect(200);
    expect((await ask()).body.status).toBe('PENDING');
    sim.venue.holdDeposit(txHash, 'AML review: source of funds');
    chain.mine('bitcoin', 1);
    const btc = venueBalance('BTC');
    const held = (await ask()).body as exchange.VenueDeposit;
    expect(held).toMatchObject({ status: 'HELD', holdReason: 'AML review: source of funds', amount: '0.3' });
    expect(venueBalance('BTC').eq(btc)).toBe(true);
    expect((await ask()).body).toEqual(held); // asking again records nothing new

    sim.venue.releaseDeposit(txHash);
    const credited = (await ask()).body as exchange.VenueDeposit;
    expect(credited.status).toBe('CREDITED');
    expect(credited.holdReason).toBeUndefined();
    await ask();
    chain.mine('bitcoin', 2);
    await sim.syncDeposits();
    await ask();
    expect(venueBalance('BTC').minus(btc).toFixed()).toBe('0.3'); // credited exactly once
    const { rows } = await pool.query(
      'SELECT status, hold_reason FROM deposit_observations WHERE tx_hash = $1 ORDER BY id',
      [txHash],
    );
    expect(rows).toEqual([
      { status: 'PENDING', hold_reason: null },
      { status: 'HELD', hold_reason: 'AML review: source of funds' },
      { status: 'CREDITED', hold_reason: null },
    ]);
  });
});

describe('returns', () => {
  // A segwit-shaped address (the form custody's bitcoin case wallets take).
  const CUSTODY_BTC = 'bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh';
  const returnBody = (over: Record<string, unknown> = {}) => ({
    caseId: 'case-r1',
    asset: 'BTC',
    chain: 'bitcoin',
    amount: '0.6',
    toAddress: CUSTODY_BTC,
    transferId: 'transfer-r1',
    ...over,
  });
  const postReturn = (body: Record<string, unknown>, key: string) =>
    request(app).post('/v1/returns').set('Idempotency-Key', key).send(body);
  const chainTxsTo = async (address: string) => {
    const response = await fetch(`${chain.url}/v1/chains/bitcoin/addresses/${address}/transactions?direction=in`);
    return ((await response.json()) as { transactions: { txHash: string; amount: string }[] }).transactions;
  };
  const venueWithdrawalsOf = (clientRef: string) =>
    sim.venue.state.withdrawals.filter((w) => w.clientOrderId === clientRef);

  test('a return is one withdrawal and one chain transaction, however the POST is retried', async () => {
    await depositOnChain('BTC', '1');
    await sim.syncDeposits();
    const btc = venueBalance('BTC');
    const returnId = returnIdFor('k-ret-1');

    // 1. the venue is down for withdrawals: nothing is made, the return is recorded PENDING
    sim.faults.configure({ serverErrorRate: 1, serverErrorScope: 'trading' });
    const down = await postReturn(returnBody(), 'k-ret-1').expect(503);
    expect(down.headers['content-type']).toMatch(/application\/problem\+json/);
    sim.faults.clear();
    const pending = await request(app).get(`/v1/returns/${returnId}`).expect(200);
    expect(pending.body).toMatchObject({ returnId, status: 'PENDING', amount: '0.6' });
    expect(pending.body.txHash).toBeUndefined();
    expect(venueWithdrawalsOf(returnId)).toHaveLength(0);

    // 2. the retry reaches the venue, which makes it and loses its answer: the service finds it
    const lost = sim.faults.injected.lostAnswers;
    sim.faults.dropResponseAfterAccept('withdraw');
    const made = await postReturn(returnBody(), 'k-ret-1').expect(201);
    expect(sim.faults.injected.lostAnswers).toBe(lost + 1);
    const r = made.body as exchange.VenueReturnWithdrawal;
    expect(r).toMatchObject({
      returnId,
      caseId: 'case-r1',
      asset: 'BTC',
      chain: 'bitcoin',
      amount: '0.6',
      fee: '0.0005',
      netAmount: '0.5995',
      toAddress: CUSTODY_BTC,
      transferId: 'transfer-r1',
    });
    expect(new Decimal(r.fee).plus(r.netAmount).toFixed()).toBe(r.amount);

    // 3. and again: the stored answer, nothing new at the venue or on chain
    const replay = await postReturn(returnBody(), 'k-ret-1').expect(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(venueWithdrawalsOf(returnId)).toHaveLength(1);
    expect(btc.minus(venueBalance('BTC')).toFixed()).toBe('0.6');

    const sent = (await request(app).get(`/v1/returns/${returnId}`).expect(200)).body as exchange.VenueReturnWithdrawal;
    expect(sent.status).toBe('SENT');
    const onChain = await chainTxsTo(CUSTODY_BTC);
    expect(onChain).toEqual([expect.objectContaining({ txHash: sent.txHash, amount: '0.5995' })]);
    await sim.processWithdrawals();
    chain.mine('bitcoin', 1);
    expect((await request(app).get(`/v1/returns/${returnId}`).expect(200)).body).toMatchObject({
      status: 'SENT',
      txHash: sent.txHash,
    });
    expect(await chainTxsTo(CUSTODY_BTC)).toHaveLength(1);

    const statement = (await request(app).get('/v1/cases/case-r1/statement').expect(200))
      .body as exchange.ExchangeStatement;
    expect(statement.returns).toEqual([expect.objectContaining({ returnId, status: 'SENT', netAmount: '0.5995' })]);
    // what was asked never changes
    await expect(pool.query('UPDATE venue_returns SET amount = 1 WHERE return_id = $1', [returnId])).rejects.toThrow(
      /never changes/,
    );
  });

  test('bad amounts and more than the venue balance are refused with 422 naming the field; nothing is made', async () => {
    const before = sim.venue.state.withdrawals.length;
    const btc = venueBalance('BTC');
    const cases: [Record<string, unknown>, string, string][] = [
      [returnBody({ amount: '0.123456789' }), 'amount-precision', 'amount'],
      [returnBody({ amount: '0.0004' }), 'below-minimum-withdrawal', 'amount'],
      [returnBody({ amount: '100000' }), 'insufficient-funds', 'amount'],
      [returnBody({ asset: 'ETH', chain: 'ethereum', toAddress: '0x1234' }), 'invalid-address', 'toAddress'],
    ];
    for (const [i, [body, type, field]] of cases.entries()) {
      const res = await postReturn(body, `k-ret-bad-${i}`).expect(422);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.type).toBe(`urn:vcdc:problem:${type}`);
      expect(res.body.errors).toEqual([{ field, message: expect.any(String) }]);
      await request(app)
        .get(`/v1/returns/${returnIdFor(`k-ret-bad-${i}`)}`)
        .expect(404);
    }
    const badChain = await postReturn(returnBody({ chain: 'ethereum' }), 'k-ret-bad-chain').expect(400);
    expect(badChain.body.errors).toEqual([{ field: 'chain', message: expect.any(String) }]);
    expect(sim.venue.state.withdrawals.length).toBe(before);
    expect(venueBalance('BTC').eq(btc)).toBe(true);
    await request(app).get('/v1/returns/ret-none').expect(404);
  });

  test('an address the venue refuses is 422 naming toAddress; the return is FAILED and nothing left', async () => {
    const btc = venueBalance('BTC');
    const res = await postReturn(returnBody({ toAddress: 'not-a-bitcoin-address' }), 'k-ret-addr').expect(422);
    expect(res.body).toMatchObject({
      type: 'urn:vcdc:problem:invalid-address',
      errors: [{ field: 'toAddress', message: expect.any(String) }],
    });
    const failed = await request(app)
      .get(`/v1/returns/${returnIdFor('k-ret-addr')}`)
      .expect(200);
    expect(failed.body).toMatchObject({ status: 'FAILED' });
    expect(venueBalance('BTC').eq(btc)).toBe(true);
  });
});

describe('withdrawals', () => {
  const withdraw = (body: Record<string, unknown>, key: string) =>
    request(app).post('/v1/withdrawals').set('Idempotency-Key', key).send(body);

  test("the venue's terms for a USD wire: its minimum and its fee, as the venue publishes them", async () => {
    const res = await request(app).get('/v1/currencies/USD/withdrawal-terms').expect(200);
    expect(res.body).toEqual({ venue: 'hashkey', currency: 'USD', allowed: true, fee: '10', minAmount: '100' });
    const bad = await request(app).get('/v1/currencies/usd/withdrawal-terms').expect(400);
    expect(bad.body.errors[0].field).toBe('currency');
  });

  test('USD under the minimum is refused by the venue and nothing leaves the balance', async () => {
    const usd = venueBalance('USD');
    const res = await withdraw(
      { caseId: 'case-w-min', currency: 'USD', amount: '57.40', bankAccountId: BANK.id },
      'k-wd-min',
    ).expect(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(venueBalance('USD').toFixed()).toBe(usd.toFixed());
  });

  test('USD goes to the registered account: amount = fee + net, PENDING then COMPLETED', async () => {
    const usd = venueBalance('USD');
    const res = await withdraw(
      { caseId: 'case-w1', currency: 'USD', amount: '25000.50', bankAccountId: BANK.id },
      'k-wd-1',
    ).expect(201);
    const w = res.body as exchange.VenueWithdrawal;
    expect(w).toMatchObject({ amount: '25000.5', fee: '10', netAmount: '24990.5', status: 'PENDING' });
    expect(usd.minus(venueBalance('USD')).toFixed()).toBe('25000.5');
    await new Promise((r) => setTimeout(r, 250));
    const done = await request(app).get(`/v1/withdrawals/${w.withdrawalId}`).expect(200);
    expect(done.body.status).toBe('COMPLETED');
  });

  test('when the answer to a withdrawal is lost, the service finds it at the venue and the money leaves once', async () => {
    const usd = venueBalance('USD');
    sim.faults.dropResponseAfterAccept('withdraw');
    const body = { caseId: 'case-w2', currency: 'USD', amount: '1000', bankAccountId: BANK.id };
    // the venue made the withdrawal and its answer was lost: the service looks it up by its client reference
    const first = await withdraw(body, 'k-wd-2').expect(201);
    const retried = await withdraw(body, 'k-wd-2').expect(201);
    expect(retried.body).toEqual(first.body);
    const atVenue = sim.venue.state.withdrawals.filter(
      (x) =>
        x.clientOrderId === sim.venue.state.withdrawals.find((y) => y.id === first.body.withdrawalId)?.clientOrderId,
    );
    expect(atVenue).toHaveLength(1);
    expect(usd.minus(venueBalance('USD')).toFixed()).toBe('1000');
  });

  test('an unregistered bank account is refused and the balance is unchanged', async () => {
    const usd = venueBalance('USD');
    const res = await withdraw(
      { caseId: 'case-w3', currency: 'USD', amount: '1000', bankAccountId: 'SOMEONE-ELSE' },
      'k-wd-3',
    ).expect(422);
    expect(res.body.type).toBe('urn:vcdc:problem:bank-account-not-registered');
    expect(venueBalance('USD').eq(usd)).toBe(true);
  });

  test('an amount finer than a cent is refused naming amount; an unknown withdrawal is 404', async () => {
    const res = await withdraw(
      { caseId: 'case-w4', currency: 'USD', amount: '100.001', bankAccountId: BANK.id },
      'k-wd-4',
    ).expect(400);
    expect(res.body.errors).toEqual([{ field: 'amount', message: 'must have at most 2 decimal places for USD' }]);
    await request(app).get('/v1/withdrawals/W-none').expect(404);
  });
});

describe('statement', () => {
  test("a case's statement lists its deposits, orders with fills and withdrawals from the service's records", async () => {
    await sell(
      { caseId: 'case-s', clientOrderId: 'case-s-sell-1', symbol: 'BTC/USDT', type: 'market', amount: '0.25' },
      'k-s-1',
    ).expect(201);
    await request(app)
      .post('/v1/withdrawals')
      .set('Idempotency-Key', 'k-s-2')
      .send({ caseId: 'case-s', currency: 'USD', amount: '500', bankAccountId: BANK.id })
      .expect(201);
    const res = await request(app).get('/v1/cases/case-s/statement').expect(200);
    const statement = res.body as exchange.ExchangeStatement;
    expect(statement.caseId).toBe('case-s');
    expect(statement.orders.map((o) => o.clientOrderId)).toEqual(['case-s-sell-1']);
    expect(statement.orders[0]!.fills.length).toBeGreaterThan(0);
    expect(statement.withdrawals.map((w) => w.amount)).toEqual(['500']);
    expect(statement.deposits).toEqual([]);
    const empty = await request(app).get('/v1/cases/nobody/statement').expect(200);
    expect(empty.body).toEqual({
      caseId: 'nobody',
      deposits: [],
      orders: [],
      withdrawals: [],
      returns: [],
      residuals: [],
    });
  });
});

describe('venue down', () => {
  test('an unreachable venue is 503 venue-unavailable (retried by the workflow)', async () => {
    const offline = createApp({ pool, logger: silentLogger(), venue: venueClient('http://127.0.0.1:9', 1000) });
    const res = await request(offline).get('/v1/deposit-addresses/ETH').expect(503);
    expect(res.body.type).toBe('urn:vcdc:problem:venue-unavailable');
  });
});
