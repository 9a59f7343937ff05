/**
 * The venue simulator, driven by the real ccxt `hashkey` class over HTTP, exactly as the exchange
 * service drives it: only ccxt's `urls.api` points at the simulator.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ccxt, { type Exchange } from 'ccxt';
import { Decimal } from '../../packages/shared/src/money';
import { type RunningChainSimulator, startChainSimulator } from '../src/chain';
import {
  DEV_VENUE_API_KEY,
  DEV_VENUE_SECRET,
  type RunningVenueSimulator,
  startVenueSimulator,
  type VenueSimulatorOptions,
} from '../src/venue';

const BANK = { id: 'HK-TRUST-001', name: 'Case property trust account', bank: 'Hong Kong branch' };

let chain: RunningChainSimulator;
const venues: RunningVenueSimulator[] = [];

beforeAll(async () => {
  chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
});
afterAll(async () => {
  for (const v of venues) await v.close();
  await chain.close();
});

// Venues share one chain; each gets its own seed (so its own deposit addresses) unless a test sets one.
let nextSeed = 1000;

async function venueWith(options: Partial<VenueSimulatorOptions> = {}): Promise<RunningVenueSimulator> {
  const venue = await startVenueSimulator({
    port: 0,
    seed: nextSeed++,
    chainUrl: chain.url,
    bankAccounts: [BANK],
    pollIntervalMs: 60_000, // tests sync explicitly
    ...options,
  });
  venues.push(venue);
  return venue;
}

function client(venue: RunningVenueSimulator, credentials = { apiKey: DEV_VENUE_API_KEY, secret: DEV_VENUE_SECRET }) {
  // No client-side throttling against a local simulator (ccxt would otherwise pace calls by their cost).
  return new ccxt.hashkey({
    ...credentials,
    enableRateLimit: false,
    urls: { api: { public: venue.url, private: venue.url } },
  });
}

/** Balances as exact strings, straight from the venue's answer (ccxt's parsed numbers are floats). */
async function balances(ex: Exchange): Promise<Record<string, Decimal>> {
  const raw = (await ex.fetchBalance()).info as { balances: { asset: string; free: string; locked: string }[] };
  return Object.fromEntries(raw.balances.map((b) => [b.asset, new Decimal(b.free)]));
}

describe('market data', () => {
  test('markets load through ccxt with tick size, lot size and minimum notional from exchangeInfo', async () => {
    const ex = client(await venueWith());
    const markets = await ex.loadMarkets();
    expect(Object.keys(markets).sort()).toEqual(['BTC/USD', 'BTC/USDT', 'ETH/USD', 'ETH/USDT', 'USDT/USD']);
    const btc = markets['BTC/USDT']!;
    expect(btc.precision).toEqual({ amount: 0.00001, price: 0.01 });
    expect(btc.limits.amount).toEqual({ min: 0.00001, max: 8 });
    const filters = (
      btc.info as { filters: { filterType: string; minNotional?: string; marketOrderMaxQty?: string }[] }
    ).filters;
    expect(filters.find((f) => f.filterType === 'MIN_NOTIONAL')?.minNotional).toBe('1');
    expect(filters.find((f) => f.filterType === 'LOT_SIZE')?.marketOrderMaxQty).toBe('4');
    expect(ex.currencies.USD?.type).toBe('fiat');
    expect(await ex.fetchTime()).toBeGreaterThan(0);
  });

  test('the order book is seeded: the same seed gives the same book, another seed another book', async () => {
    const a = await client(await venueWith({ seed: 7 })).fetchOrderBook('BTC/USDT');
    const b = await client(await venueWith({ seed: 7 })).fetchOrderBook('BTC/USDT');
    const c = await client(await venueWith({ seed: 8 })).fetchOrderBook('BTC/USDT');
    expect(a.bids).toEqual(b.bids);
    expect(a.asks).toEqual(b.asks);
    expect(c.bids).not.toEqual(a.bids);
    expect(a.bids.length).toBeGreaterThanOrEqual(20);
    expect(a.bids[0]![0]!).toBeLessThan(95000);
    expect(a.asks[0]![0]!).toBeGreaterThan(95000);
    // enough depth for a sale of a few BTC
    expect(a.bids.reduce((s, [, q]) => s + (q ?? 0), 0)).toBeGreaterThan(5);
  });

  test('the ticker shows the best bid and ask around the mid price', async () => {
    const ticker = await client(await venueWith()).fetchTicker('ETH/USDT');
    expect(ticker.bid!).toBeLessThan(3400);
    expect(ticker.ask!).toBeGreaterThan(3400);
  });
});

describe('direct fiat pairs', () => {
  test('BTC/USD and ETH/USD trade at the stablecoin pair times USDT/USD, on a thinner book, and a sale credits USD', async () => {
    const venue = await venueWith({ initialBalances: { BTC: '1', ETH: '10' } });
    const ex = client(venue);
    for (const [coin, stable] of [
      ['BTC', 95000],
      ['ETH', 3400],
    ] as const) {
      const direct = await ex.fetchOrderBook(`${coin}/USD`, 200);
      const viaStable = await ex.fetchOrderBook(`${coin}/USDT`, 200);
      const mid = (direct.bids[0]![0]! + direct.asks[0]![0]!) / 2;
      expect(Math.abs(mid / (stable * 0.9995) - 1)).toBeLessThan(0.001);
      const depth = (b: typeof direct) => b.bids.reduce((s, [, q]) => s + (q ?? 0), 0);
      expect(depth(direct)).toBeGreaterThan(0);
      expect(depth(direct)).toBeLessThan(depth(viaStable) / 2);
    }
    await ex.createOrder('BTC/USD', 'market', 'sell', 0.1, undefined, { clientOrderId: 'direct-usd-1' });
    const after = await balances(ex);
    expect(after.BTC!.toFixed()).toBe('0.9');
    expect(after.USD!.gt(9000)).toBe(true);
    expect(after.USDT?.isZero() ?? true).toBe(true);
  });
});

describe('selling', () => {
  test('a market sell walks the bids, charges the taker fee in USDT, and moves balances exactly', async () => {
    const venue = await venueWith({ initialBalances: { BTC: '5' } });
    const ex = client(venue);
    const bookBefore = venue.venue.state.books.BTCUSDT!.bids.map((l) => ({ ...l }));

    const order = await ex.createOrder('BTC/USDT', 'market', 'sell', 2.5, undefined, { clientOrderId: 'case1-sell-1' });
    expect(order.status).toBe('closed');
    expect((order.info as { executedQty: string }).executedQty).toBe('2.5');

    // Expected fills: best bids first until 2.5 BTC are sold.
    let left = new Decimal('2.5');
    let credited = new Decimal(0);
    let fees = new Decimal(0);
    const expectedFills: { price: string; qty: string }[] = [];
    for (const level of bookBefore) {
      if (left.isZero()) break;
      const qty = Decimal.min(left, level.qty);
      const cost = qty.mul(level.price);
      const net = cost.mul('0.999').toDecimalPlaces(6, Decimal.ROUND_DOWN);
      credited = credited.plus(net);
      fees = fees.plus(cost.minus(net));
      expectedFills.push({ price: level.price, qty: qty.toFixed() });
      left = left.minus(qty);
    }
    const trades = await ex.fetchMyTrades('BTC/USDT', undefined, undefined, { clientOrderId: 'case1-sell-1' });
    const raw = trades.map(
      (t) => t.info as { price: string; qty: string; commission: string; commissionAsset: string },
    );
    expect(raw.map(({ price, qty }) => ({ price, qty }))).toEqual(expectedFills);
    expect(raw.every((t) => t.commissionAsset === 'USDT')).toBe(true);
    expect(raw.reduce((s, t) => s.plus(t.commission), new Decimal(0)).toFixed()).toBe(fees.toFixed());
    // the fee is 0.1% of the proceeds, plus at most one unit of USDT rounding per fill
    const gross = credited.plus(fees);
    expect(fees.minus(gross.mul('0.001')).abs().lte(new Decimal('0.000001').mul(raw.length))).toBe(true);
    expect(new Set(trades.map((t) => t.id)).size).toBe(trades.length);

    const after = await balances(ex);
    expect(after.BTC!.toFixed()).toBe('2.5');
    expect(after.USDT!.toFixed()).toBe(credited.toFixed());

    // consumed depth stays consumed
    const book = await ex.fetchOrderBook('BTC/USDT');
    expect(book.bids[0]![0]!).toBeLessThan(Number(expectedFills[expectedFills.length - 1]!.price) + 0.001);
    expect(book.bids.length).toBeLessThan(bookBefore.length);
  });

  test('a limit sell fills what crosses and rests the rest, locked, until cancelled', async () => {
    const venue = await venueWith({ initialBalances: { ETH: '100' } });
    const ex = client(venue);
    const bids = venue.venue.state.books.ETHUSDT!.bids;
    const crossing = bids.slice(0, 2).reduce((s, l) => s.plus(l.qty), new Decimal(0));
    const limit = bids[1]!.price; // crosses the two best levels only
    const qty = crossing.plus(10);

    await ex.createOrder('ETH/USDT', 'limit', 'sell', qty.toNumber(), Number(limit), { clientOrderId: 'lim-1' });
    const placed = await ex.fetchOrder('', undefined, { clientOrderId: 'lim-1' });
    expect(placed.status).toBe('open');
    expect((placed.info as { executedQty: string }).executedQty).toBe(crossing.toFixed());
    const raw = (await ex.fetchBalance()).info as { balances: { asset: string; free: string; locked: string }[] };
    const eth = raw.balances.find((b) => b.asset === 'ETH')!;
    expect(eth.locked).toBe('10');
    expect(new Decimal(eth.free).toFixed()).toBe(new Decimal(100).minus(qty).toFixed());
    expect((await ex.fetchOpenOrders('ETH/USDT')).map((o) => o.clientOrderId)).toEqual(['lim-1']);
    const book = await ex.fetchOrderBook('ETH/USDT');
    expect(book.asks.some(([p]) => p === Number(limit))).toBe(true);

    const cancelled = await ex.cancelOrder('', undefined, { clientOrderId: 'lim-1' });
    expect(cancelled.status).toBe('canceled');
    const after = await balances(ex);
    expect(after.ETH!.toFixed()).toBe(new Decimal(100).minus(crossing).toFixed());
    await expect(ex.cancelOrder(String(placed.id))).rejects.toBeInstanceOf(ccxt.InvalidOrder);
  });

  test('an order is found by its client order id, and an unknown one is OrderNotFound', async () => {
    const ex = client(await venueWith({ initialBalances: { BTC: '1' } }));
    const placed = await ex.createOrder('BTC/USDT', 'market', 'sell', 0.1, undefined, { clientOrderId: 'find-me' });
    const byClientId = await ex.fetchOrder('', undefined, { clientOrderId: 'find-me' });
    expect(byClientId.id).toBe(placed.id);
    expect((byClientId.info as { cumulativeQuoteQty: string }).cumulativeQuoteQty).not.toBe('0');
    expect((await ex.fetchOrder(String(placed.id))).clientOrderId).toBe('find-me');
    await expect(ex.fetchOrder('', undefined, { clientOrderId: 'never-placed' })).rejects.toBeInstanceOf(
      ccxt.OrderNotFound,
    );
  });

  test('a second order with the same client order id is refused as DuplicateOrderId and sells nothing', async () => {
    const ex = client(await venueWith({ initialBalances: { BTC: '1' } }));
    await ex.createOrder('BTC/USDT', 'market', 'sell', 0.2, undefined, { clientOrderId: 'once' });
    const before = await balances(ex);
    await expect(
      ex.createOrder('BTC/USDT', 'market', 'sell', 0.2, undefined, { clientOrderId: 'once' }),
    ).rejects.toBeInstanceOf(ccxt.DuplicateOrderId);
    expect(await balances(ex)).toEqual(before);
  });

  test('refusals carry HashKey codes that ccxt maps to the right error class', async () => {
    const ex = client(await venueWith({ initialBalances: { BTC: '1' } }));
    await expect(ex.createOrder('BTC/USDT', 'market', 'sell', 2)).rejects.toBeInstanceOf(ccxt.InsufficientFunds);
    // 0.00001 BTC is below the 1 USDT minimum notional
    await expect(ex.createOrder('BTC/USDT', 'market', 'sell', 0.00001)).rejects.toBeInstanceOf(ccxt.InvalidOrder);
    // market orders are limited to 4 BTC
    await expect(ex.createOrder('BTC/USDT', 'market', 'sell', 5)).rejects.toBeInstanceOf(ccxt.BadRequest);
    // a limit more than 20% under the reference price is outside the price band
    await expect(ex.createOrder('BTC/USDT', 'limit', 'sell', 0.5, 70000)).rejects.toBeInstanceOf(ccxt.BadRequest);
    expect((await balances(ex)).BTC!.toFixed()).toBe('1');
  });
});

describe('request signing', () => {
  test('a request signed with the wrong secret is refused as AuthenticationError', async () => {
    const venue = await venueWith();
    const ex = client(venue, { apiKey: DEV_VENUE_API_KEY, secret: 'not-the-secret' });
    await expect(ex.fetchBalance()).rejects.toBeInstanceOf(ccxt.AuthenticationError);
  });

  test('an unknown API key is refused as AuthenticationError', async () => {
    const ex = client(await venueWith(), { apiKey: 'someone-else', secret: DEV_VENUE_SECRET });
    await expect(ex.fetchBalance()).rejects.toBeInstanceOf(ccxt.AuthenticationError);
  });

  test('a stale timestamp is refused with HashKey -1021, which ccxt raises as InvalidNonce', async () => {
    const ex = client(await venueWith());
    await ex.loadMarkets();
    ex.milliseconds = () => Date.now() - 30_000;
    await expect(ex.fetchBalance()).rejects.toBeInstanceOf(ccxt.InvalidNonce);
  });

  test('a tampered parameter breaks the signature', async () => {
    const venue = await venueWith({ initialBalances: { BTC: '1' } });
    const ex = client(venue);
    await ex.loadMarkets();
    const signed = ex.sign('api/v1/spot/order', 'private', 'POST', {
      symbol: 'BTCUSDT',
      side: 'SELL',
      type: 'MARKET',
      quantity: '0.1',
    });
    const body = String(signed.body).replace('quantity=0.1', 'quantity=0.9');
    const response = await fetch(signed.url, { method: 'POST', headers: signed.headers, body });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ code: '0002', msg: 'Incorrect signature' });
    expect(venue.venue.state.orders).toHaveLength(0);
  });
});

describe('deposits', () => {
  test('a chain transfer to the deposit address is PENDING, then credited once after 2 confirmations', async () => {
    const venue = await venueWith({ depositConfirmations: 2 });
    const ex = client(venue);
    const address = await ex.fetchDepositAddress('BTC', { network: 'BTC' });
    expect(address.address).toMatch(/^bc1q/);
    const faucet = await fetch(`${chain.url}/v1/chains/bitcoin/faucet`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ address: address.address, asset: 'BTC', amount: '1.23456789' }),
    });
    expect(faucet.status).toBe(201);
    const { txHash } = (await faucet.json()) as { txHash: string };

    chain.mine('bitcoin', 1); // 1 confirmation
    const pending = (await ex.fetchDeposits('BTC')).filter((d) => d.txid === txHash);
    expect(pending).toHaveLength(1);
    expect(pending[0]!.status).toBe('pending');
    expect((await balances(ex)).BTC!.toFixed()).toBe('0');

    chain.mine('bitcoin', 1); // 2 confirmations
    const credited = (await ex.fetchDeposits('BTC')).filter((d) => d.txid === txHash);
    expect(credited[0]!.status).toBe('ok');
    expect((credited[0]!.info as { quantity: string }).quantity).toBe('1.23456789');
    expect((await balances(ex)).BTC!.toFixed()).toBe('1.23456789');

    // more blocks and more polls never credit the same transaction again
    chain.mine('bitcoin', 3);
    await venue.syncDeposits();
    await ex.fetchDeposits();
    expect((await balances(ex)).BTC!.toFixed()).toBe('1.23456789');
    expect(venue.venue.state.deposits.filter((d) => d.txId === txHash)).toHaveLength(1);
  });

  test('USDT and ETH deposits share the venue ethereum address and are credited per asset', async () => {
    const venue = await venueWith({ depositConfirmations: 1 });
    const ex = client(venue);
    const usdt = await ex.fetchDepositAddress('USDT', { network: 'ERC20' });
    const eth = await ex.fetchDepositAddress('ETH', { network: 'ERC20' });
    expect(usdt.address).toBe(eth.address);
    for (const [asset, amount] of [
      ['USDT', '2500.5'],
      ['ETH', '0.75'],
    ]) {
      await fetch(`${chain.url}/v1/chains/ethereum/faucet`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ address: usdt.address, asset, amount }),
      });
    }
    chain.mine('ethereum', 1);
    await venue.syncDeposits();
    const b = await balances(ex);
    expect(b.USDT!.toFixed()).toBe('2500.5');
    expect(b.ETH!.toFixed()).toBe('0.75');
  });
});

describe('withdrawals', () => {
  test('fiat goes only to a registered bank account, with the fee, processing then paid out', async () => {
    const venue = await venueWith({ initialBalances: { USD: '5000' }, withdrawalFee: '25', withdrawalDelayMs: 300 });
    const ex = client(venue);
    const w = await ex.withdraw('USD', 1000.55, BANK.id, undefined, { network: 'BANK', clientOrderId: 'wd-1' });
    const withdrawalId = (w.info as { orderId: string }).orderId;
    expect(withdrawalId).toMatch(/^W/);
    expect((await balances(ex)).USD!.toFixed()).toBe('3999.45');

    const listed = (await ex.fetchWithdrawals('USD')).find((x) => x.id === withdrawalId)!;
    expect(listed.status).toBe('pending');
    expect(listed.info).toMatchObject({ quantity: '1000.55', fee: '25', arriveQuantity: '975.55', address: BANK.id });
    await new Promise((r) => setTimeout(r, 350));
    const paid = (await ex.fetchWithdrawals('USD')).find((x) => x.id === withdrawalId)!;
    expect(paid.status).toBe('ok');
    expect(paid.txid).toBe(`BANKREF-${withdrawalId}`);

    await expect(
      ex.withdraw('USD', 100, BANK.id, undefined, { network: 'BANK', clientOrderId: 'wd-1' }),
    ).rejects.toBeInstanceOf(ccxt.OperationFailed);
    expect((await balances(ex)).USD!.toFixed()).toBe('3999.45');
  });

  test('a withdrawal to an unregistered account is refused and the balance is unchanged', async () => {
    const ex = client(await venueWith({ initialBalances: { USD: '5000' } }));
    await expect(ex.withdraw('USD', 1000, 'SOMEONE-ELSE', undefined, { network: 'BANK' })).rejects.toBeInstanceOf(
      ccxt.PermissionDenied,
    );
    await expect(ex.withdraw('USD', 9000, BANK.id, undefined, { network: 'BANK' })).rejects.toBeInstanceOf(
      ccxt.InsufficientFunds,
    );
    await expect(ex.withdraw('USD', 1000, BANK.id, undefined, { network: 'ERC20' })).rejects.toBeInstanceOf(
      ccxt.NotSupported,
    );
    expect((await balances(ex)).USD!.toFixed()).toBe('5000');
  });
});

/** Send coins to the venue's deposit address on the ledger chain and let the venue see them confirmed. */
async function depositOnChain(venue: RunningVenueSimulator, asset: 'BTC' | 'ETH' | 'USDT', amount: string) {
  const chainId = asset === 'BTC' ? 'bitcoin' : 'ethereum';
  const response = await fetch(`${chain.url}/v1/chains/${chainId}/faucet`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ address: venue.venue.state.depositAddresses[chainId], asset, amount }),
  });
  const { txHash } = (await response.json()) as { txHash: string };
  chain.mine(chainId, 2);
  await venue.syncDeposits();
  return txHash;
}

async function chainTransactions(chainId: 'bitcoin' | 'ethereum', address: string) {
  const response = await fetch(`${chain.url}/v1/chains/${chainId}/addresses/${address}/transactions?direction=in`);
  return ((await response.json()) as { transactions: { txHash: string; amount: string; asset: string }[] })
    .transactions;
}

describe('held deposits', () => {
  test('under a hold rule a confirmed deposit is reported pending with its reason, then credited once on release', async () => {
    const venue = await venueWith({
      depositConfirmations: 2,
      holdDeposits: { reason: 'AML review: source of funds', assets: ['BTC'] },
    });
    const ex = client(venue);
    const txHash = await depositOnChain(venue, 'BTC', '0.75');
    const held = (await ex.fetchDeposits('BTC')).find((d) => d.txid === txHash)!;
    // HashKey status 5: ccxt reports it as pending; the reason is in the raw record.
    expect(held.status).toBe('pending');
    expect(held.info).toMatchObject({ statusCode: '5', remark: 'AML review: source of funds', quantity: '0.75' });
    expect((await balances(ex)).BTC!.toFixed()).toBe('0');

    venue.venue.releaseDeposit(txHash);
    const credited = (await ex.fetchDeposits('BTC')).find((d) => d.txid === txHash)!;
    expect(credited.status).toBe('ok');
    expect((credited.info as { remark: string }).remark).toBe('');
    // releasing again, more blocks and more polls never credit it twice
    venue.venue.releaseDeposit(txHash);
    chain.mine('bitcoin', 2);
    await venue.syncDeposits();
    await ex.fetchDeposits('BTC');
    expect((await balances(ex)).BTC!.toFixed()).toBe('0.75');
    // the rule names BTC only: ETH is credited at once
    await depositOnChain(venue, 'ETH', '1.5');
    expect((await balances(ex)).ETH!.toFixed()).toBe('1.5');
  });

  test('a hold put on one transaction before it is seen applies when it is confirmed and ends by itself', async () => {
    const venue = await venueWith({ depositConfirmations: 1 });
    const ex = client(venue);
    const response = await fetch(`${chain.url}/v1/chains/bitcoin/faucet`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ address: venue.venue.state.depositAddresses.bitcoin, asset: 'BTC', amount: '0.5' }),
    });
    const { txHash } = (await response.json()) as { txHash: string };
    // The dev control route, as an operator of the dev stack would use it.
    const hold = await fetch(`${venue.url}/sim/v1/deposits/${txHash}/hold`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'sanctions screening', releaseAfterMs: 150 }),
    });
    expect(hold.status).toBe(200);
    chain.mine('bitcoin', 1);
    const held = (await ex.fetchDeposits('BTC')).find((d) => d.txid === txHash)!;
    expect(held.info).toMatchObject({ statusCode: '5', remark: 'sanctions screening' });
    await new Promise((r) => setTimeout(r, 200));
    expect((await ex.fetchDeposits('BTC')).find((d) => d.txid === txHash)!.status).toBe('ok');
    expect((await balances(ex)).BTC!.toFixed()).toBe('0.5');
    // a credited deposit cannot be held any more
    const late = await fetch(`${venue.url}/sim/v1/deposits/${txHash}/hold`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'too late' }),
    });
    expect(late.status).toBe(409);
  });
});

describe('crypto withdrawals', () => {
  const CUSTODY_BTC = 'bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh';

  test('BTC leaves to an address as one ledger-chain transaction of the amount less the fee, reported by txId', async () => {
    const venue = await venueWith({ networkWithdrawalFees: { BTC: '0.0005' } });
    const ex = client(venue);
    await depositOnChain(venue, 'BTC', '2');
    const w = await ex.withdraw('BTC', 0.5, CUSTODY_BTC, undefined, { network: 'BTC', clientOrderId: 'ret-1' });
    const withdrawalId = (w.info as { orderId: string }).orderId;
    expect((await balances(ex)).BTC!.toFixed()).toBe('1.5');

    const listed = (await ex.fetchWithdrawals('BTC')).find((x) => x.id === withdrawalId)!;
    expect(listed.info).toMatchObject({
      quantity: '0.5',
      fee: '0.0005',
      arriveQuantity: '0.4995',
      address: CUSTODY_BTC,
    });
    const onChain = await chainTransactions('bitcoin', CUSTODY_BTC);
    expect(onChain.filter((t) => t.txHash === listed.txid)).toEqual([
      expect.objectContaining({ amount: '0.4995', asset: 'BTC' }),
    ]);
    expect(listed.status).toBe('pending'); // broadcast, not mined yet
    chain.mine('bitcoin', 1);
    const mined = (await ex.fetchWithdrawals('BTC')).find((x) => x.id === withdrawalId)!;
    expect(mined.status).toBe('ok');
    expect(mined.txid).toBe(listed.txid);

    // more runs never send it again; the same client order id is refused
    await venue.processWithdrawals();
    expect(await chainTransactions('bitcoin', CUSTODY_BTC)).toHaveLength(onChain.length);
    await expect(
      ex.withdraw('BTC', 0.5, CUSTODY_BTC, undefined, { network: 'BTC', clientOrderId: 'ret-1' }),
    ).rejects.toBeInstanceOf(ccxt.OperationFailed);
    expect((await balances(ex)).BTC!.toFixed()).toBe('1.5');
  });

  test('a payout the chain cannot make (coins credited but not on chain) fails and the coins return to the balance', async () => {
    const venue = await venueWith({ initialBalances: { BTC: '3' } });
    const ex = client(venue);
    const w = await ex.withdraw('BTC', 1, CUSTODY_BTC, undefined, { network: 'BTC' });
    const withdrawalId = (w.info as { orderId: string }).orderId;
    const failed = (await ex.fetchWithdrawals('BTC')).find((x) => x.id === withdrawalId)!;
    expect(failed.status).toBe('failed');
    expect((failed.info as { remark: string }).remark).toMatch(/refused/);
    expect((await balances(ex)).BTC!.toFixed()).toBe('3');
  });

  test('refusals: a malformed address, an address outside the address book, below the minimum, over the balance', async () => {
    const booked = 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq';
    const venue = await venueWith({
      initialBalances: { BTC: '1', ETH: '5' },
      withdrawalAddressBook: [{ chain: 'bitcoin', address: booked }],
    });
    const ex = client(venue);
    await expect(ex.withdraw('ETH', 1, '0x1234', undefined, { network: 'ERC20' })).rejects.toBeInstanceOf(
      ccxt.InvalidAddress,
    );
    await expect(ex.withdraw('BTC', 0.1, CUSTODY_BTC, undefined, { network: 'BTC' })).rejects.toBeInstanceOf(
      ccxt.PermissionDenied,
    );
    await expect(ex.withdraw('BTC', 0.0005, booked, undefined, { network: 'BTC' })).rejects.toBeInstanceOf(
      ccxt.BadRequest,
    );
    await expect(ex.withdraw('BTC', 2, booked, undefined, { network: 'BTC' })).rejects.toBeInstanceOf(
      ccxt.InsufficientFunds,
    );
    const b = await balances(ex);
    expect([b.BTC!.toFixed(), b.ETH!.toFixed()]).toEqual(['1', '5']);
    expect(venue.venue.state.withdrawals).toHaveLength(0);
  });

  test("exchangeInfo publishes each coin's withdrawal fee and minimum, as ccxt reads them", async () => {
    const ex = client(await venueWith());
    await ex.loadMarkets();
    const info = ex.currencies.BTC!.info as { chainTypes: { withdrawFee: string; allowWithdraw: boolean }[] };
    const channel = info.chainTypes[0];
    expect(channel).toMatchObject({ withdrawFee: '0.0005', allowWithdraw: true });
  });
});

describe('state file', () => {
  test('a restart with the same state file keeps balances, orders, trades and the consumed book', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'venue-state-'));
    try {
      const stateFile = path.join(dir, 'venue.json');
      const first = await startVenueSimulator({
        port: 0,
        seed: 99,
        chainUrl: chain.url,
        stateFile,
        initialBalances: { BTC: '3' },
      });
      await client(first).createOrder('BTC/USDT', 'market', 'sell', 1, undefined, { clientOrderId: 'persisted' });
      const bookAfter = first.venue.state.books.BTCUSDT;
      await first.close();

      const second = await venueWith({ seed: 99, stateFile, initialBalances: { BTC: '99' } });
      const ex = client(second);
      expect((await balances(ex)).BTC!.toFixed()).toBe('2');
      expect((await ex.fetchOrder('', undefined, { clientOrderId: 'persisted' })).status).toBe('closed');
      expect(second.venue.state.books.BTCUSDT).toEqual(bookAfter);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
