/**
 * The simulated OTC desks over real HTTP: signed requests only; a quote at the reference less the
 * spread within the size appetite; an acceptance decided once (the same trade again, any key); last
 * look refuses; a quote accepted too late is expired; silence leaves the request unanswered; the desk
 * pays the trade's cost once it has seen the coins on the ledger chain (its address, that amount,
 * mined), and only for one delivery (one transaction, or a test deposit and the rest that together carry
 * the trade's amount); a transaction that paid for one trade pays for no other.
 */
import { deskHeaders } from '@vcdc/shared/desk-signing';
import { type RunningChainSimulator, startChainSimulator } from '../src/chain';
import { devDeskCredentials, type RunningDesk, startDesk } from '../src/desks';

let desk: RunningDesk;
let chain: RunningChainSimulator;
let now = new Date('2026-12-04T10:00:00Z');
const creds = devDeskCredentials('desk-t');

beforeAll(async () => {
  chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  desk = await startDesk({
    id: 'desk-t',
    credentials: creds,
    seed: 1,
    reference: () => '60000',
    spreadBp: 50,
    minAmount: '1',
    maxAmount: '10',
    validityMs: 3000,
    lastLook: 0,
    noAnswer: 0,
    clock: () => now,
    chain: { ledgerUrl: chain.url },
  });
});
afterAll(async () => {
  await desk.close();
  await chain.close();
});

/** BTC sent to `to` on the ledger chain (from its faucet), mined unless told otherwise. */
async function send(to: string, amount: string, mine = true): Promise<string> {
  const res = await fetch(`${chain.url}/v1/chains/bitcoin/faucet`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ address: to, asset: 'BTC', amount }),
  });
  if (mine) chain.mine('bitcoin', 1);
  return ((await res.json()) as { txHash: string }).txHash;
}

async function call(method: string, path: string, body?: unknown, signWith = creds, key = 'k1') {
  const text = body === undefined ? '' : JSON.stringify(body);
  const res = await fetch(`${desk.url}${path}`, {
    method,
    headers: { ...deskHeaders(signWith, method, path, text), 'Idempotency-Key': key },
    ...(method === 'GET' ? {} : { body: text }),
    signal: AbortSignal.timeout(1000),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

const ask = (amount = '2') => call('POST', '/v1/quotes', { side: 'sell', base: 'BTC', quote: 'USD', amount });

test('a request not signed with our secret is refused', async () => {
  const r = await call(
    'POST',
    '/v1/quotes',
    { side: 'sell', base: 'BTC', quote: 'USD', amount: '2' },
    {
      ...creds,
      secret: 'wrong',
    },
  );
  expect(r.status).toBe(401);
});

test('quotes the reference less its spread, within its size appetite', async () => {
  const q = await ask();
  expect(q.status).toBe(201);
  expect(q.body.price).toBe('59700');
  expect(q.body.expiresAt).toBe('2026-12-04T10:00:03.000Z');
  expect((await ask('11')).status).toBe(422);
  expect((await ask('0.5')).status).toBe(422);
});

test('an acceptance is decided once; the desk pays the cost once it sees the coins on the chain', async () => {
  const q = await ask('2');
  const t1 = await call('POST', `/v1/quotes/${q.body.quoteId}/accept`, {}, creds, 'a');
  const t2 = await call('POST', `/v1/quotes/${q.body.quoteId}/accept`, {}, creds, 'b');
  expect(t1.status).toBe(201);
  expect(t2.body.tradeId).toBe(t1.body.tradeId);
  expect(desk.state.trades.size).toBe(1);
  const address = (t1.body as unknown as { settlement: { address: string } }).settlement.address;
  const path = `/v1/trades/${t1.body.tradeId}/delivery`;
  const refused = async (txHash: string) => (await call('POST', path, { txHash, amount: '2' })).body.type;
  expect(await refused('0xabc')).toBe('delivery-not-found');
  expect(await refused(await send('not-the-desk', '2'))).toBe('delivery-elsewhere');
  expect(await refused(await send(address, '1.5'))).toBe('wrong-amount');
  expect(await refused(await send(address, '2', false))).toBe('delivery-unconfirmed');
  expect(desk.state.trades.get(t1.body.tradeId as string)?.payment).toBeUndefined();
  const delivery = await send(address, '2');
  expect((await call('POST', path, { txHash: delivery, amount: '1.9' })).status).toBe(422);
  const paid = await call('POST', path, { txHash: delivery, amount: '2' });
  expect(paid.body.payment).toMatchObject({ amount: '119400', currency: 'USD' });
  const again = await call('POST', path, { txHash: delivery, amount: '2' });
  expect(again.body.payment).toEqual(paid.body.payment);
  expect((await call('POST', path, { txHash: await send(address, '2'), amount: '2' })).status).toBe(409);

  // The same transaction does not pay for a second trade.
  const q2 = await ask('2');
  const t3 = await call('POST', `/v1/quotes/${q2.body.quoteId}/accept`, {}, creds, 'c');
  const other = await call('POST', `/v1/trades/${t3.body.tradeId}/delivery`, { txHash: delivery, amount: '2' });
  expect({ status: other.status, type: other.body.type }).toEqual({ status: 409, type: 'delivery-used' });
});

test("a delivery in two transactions (custody's test deposit, then the rest): paid when together they carry the trade exactly", async () => {
  const q = await ask('2');
  const t = await call('POST', `/v1/quotes/${q.body.quoteId}/accept`, {}, creds, 'two');
  const address = (t.body as unknown as { settlement: { address: string } }).settlement.address;
  const path = `/v1/trades/${t.body.tradeId}/delivery`;
  const test = await send(address, '0.001');
  const short = await send(address, '1.998');
  const twice = await call('POST', path, { txHashes: [test, test], amount: '2' });
  expect({ status: twice.status, type: twice.body.type }).toEqual({ status: 400, type: 'bad-request' });
  // 0.001 + 1.998: 0.001 short of the trade.
  const under = await call('POST', path, { txHashes: [test, short], amount: '2' });
  expect({ status: under.status, type: under.body.type }).toEqual({ status: 422, type: 'wrong-amount' });
  const elsewhere = await call('POST', path, { txHashes: [test, await send('not-the-desk', '1.999')], amount: '2' });
  expect(elsewhere.body.type).toBe('delivery-elsewhere');
  const pending = await call('POST', path, { txHashes: [test, await send(address, '1.999', false)], amount: '2' });
  expect(pending.body.type).toBe('delivery-unconfirmed');
  expect(desk.state.trades.get(t.body.tradeId as string)?.payment).toBeUndefined();

  const rest = await send(address, '1.999');
  const paid = await call('POST', path, { txHashes: [test, rest], amount: '2' });
  expect(paid.status).toBe(200);
  expect(paid.body.payment).toMatchObject({ amount: '119400', currency: 'USD' });
  expect(paid.body.delivery).toMatchObject({
    txHash: rest,
    amount: '2',
    transactions: [
      { txHash: test, amount: '0.001' },
      { txHash: rest, amount: '1.999' },
    ],
  });
  // The same delivery again (in any order) answers the same payment; the bulk alone is another delivery.
  expect((await call('POST', path, { txHashes: [rest, test], amount: '2' })).body.payment).toEqual(paid.body.payment);
  expect((await call('POST', path, { txHash: rest, amount: '2' })).status).toBe(409);
  // Neither transaction pays for another trade.
  const q2 = await ask('2');
  const t2 = await call('POST', `/v1/quotes/${q2.body.quoteId}/accept`, {}, creds, 'two-b');
  const reuse = await call('POST', `/v1/trades/${t2.body.tradeId}/delivery`, {
    txHashes: [test, await send(address, '1.999')],
    amount: '2',
  });
  expect({ status: reuse.status, type: reuse.body.type }).toEqual({ status: 409, type: 'delivery-used' });
});

test('last look refuses; a late acceptance is expired', async () => {
  desk.state.set({ lastLook: 1 });
  const q = await ask();
  expect((await call('POST', `/v1/quotes/${q.body.quoteId}/accept`, {})).status).toBe(409);
  desk.state.set({ lastLook: 0 });
  const late = await ask();
  now = new Date(now.getTime() + 3001);
  const r = await call('POST', `/v1/quotes/${late.body.quoteId}/accept`, {});
  expect(r.status).toBe(410);
  expect(r.body.type).toBe('quote-expired');
});

test('silence: a quote request gets no answer', async () => {
  desk.state.set({ noAnswer: 1 });
  await expect(ask()).rejects.toThrow();
  expect(desk.state.log.silent).toBe(1);
  desk.state.set({ noAnswer: 0 });
});
