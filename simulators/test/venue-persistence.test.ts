/**
 * The venue simulator's state file (issue 19, part 3): what a client was answered about is on disk
 * before the answer; what the venue does on its own tick is written behind, at most once per
 * interval, and an idle tick writes nothing, however many deposits the venue has seen. Deposits are
 * read through real ccxt over HTTP, as the exchange service reads them.
 */
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ccxt from 'ccxt';
import { type RunningChainSimulator, startChainSimulator } from '../src/chain';
import {
  DEV_VENUE_API_KEY,
  DEV_VENUE_SECRET,
  type RunningVenueSimulator,
  startVenueSimulator,
  type VenueSimulatorOptions,
} from '../src/venue';
import { loadState } from '../src/venue/state';

let chain: RunningChainSimulator;
let dir: string;
const venues: RunningVenueSimulator[] = [];

beforeAll(async () => {
  chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  dir = mkdtempSync(path.join(tmpdir(), 'venue-persistence-'));
});
afterAll(async () => {
  for (const v of venues) await v.close();
  await chain.close();
  rmSync(dir, { recursive: true, force: true });
});

let nextSeed = 7000;

async function venueWith(options: Partial<VenueSimulatorOptions>): Promise<RunningVenueSimulator> {
  const venue = await startVenueSimulator({
    port: 0,
    seed: nextSeed++,
    chainUrl: chain.url,
    depositConfirmations: 2,
    pollIntervalMs: 60_000, // the tick is run by hand
    persistIntervalMs: 60_000, // nothing is written behind during a test unless it says so
    ...options,
  });
  venues.push(venue);
  return venue;
}

function client(venue: RunningVenueSimulator) {
  return new ccxt.hashkey({
    apiKey: DEV_VENUE_API_KEY,
    secret: DEV_VENUE_SECRET,
    enableRateLimit: false,
    urls: { api: { public: venue.url, private: venue.url } },
  });
}

async function depositBtc(address: string, amount: string): Promise<string> {
  const response = await fetch(`${chain.url}/v1/chains/bitcoin/faucet`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ address, asset: 'BTC', amount }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { txHash: string }).txHash;
}

/** A crash's leftovers: the snapshot and its journal as they are on disk now, under another name. */
function copyStateFiles(from: string, to: string): void {
  copyFileSync(from, to);
  for (const name of readdirSync(path.dirname(from))) {
    if (name.startsWith(`${path.basename(from)}.journal-`)) {
      copyFileSync(path.join(path.dirname(from), name), `${to}${name.slice(path.basename(from).length)}`);
    }
  }
}

/** The journal files next to a state file. */
function journals(file: string): string[] {
  return readdirSync(path.dirname(file)).filter((name) => name.startsWith(`${path.basename(file)}.journal-`));
}

/** What the interval does, run by hand. */
async function tick(venue: RunningVenueSimulator): Promise<void> {
  venue.venue.settleWithdrawals();
  venue.venue.releaseDueHolds();
  await venue.syncDeposits();
  await venue.processWithdrawals();
}

test('an idle tick writes nothing: new blocks raise the confirmations clients read, not the state file', async () => {
  const stateFile = path.join(dir, 'idle.json');
  const venue = await venueWith({ stateFile });
  const address = venue.venue.state.depositAddresses.bitcoin;
  const txHashes = [];
  for (let i = 1; i <= 5; i++) txHashes.push(await depositBtc(address, `0.${i}`));
  chain.mine('bitcoin', 2);
  await tick(venue);
  expect(venue.venue.state.deposits.map((d) => d.status)).toEqual([4, 4, 4, 4, 4]);
  venue.stateFile.saveNow(); // what the write-behind timer would do
  const { writes, appends } = venue.stateFile;
  const before = statSync(stateFile);
  const [journal] = journals(stateFile).map((name) => path.join(dir, name));
  const journalBefore = statSync(journal!);

  chain.mine('bitcoin', 7);
  for (let i = 0; i < 3; i++) await tick(venue);
  const listed = await client(venue).fetchDeposits('BTC');
  venue.stateFile.saveNow();

  // Clients see the confirmations grow (2 + 7)...
  const confirmations = listed.map((d) => (d.info as { confirmations: number }).confirmations);
  expect(confirmations).toEqual([9, 9, 9, 9, 9]);
  // ...and nothing was written for it: same file, same bytes' time, no write counted.
  expect(venue.stateFile.writes).toBe(writes);
  expect(venue.stateFile.appends).toBe(appends);
  const after = statSync(stateFile);
  expect(after.ino).toBe(before.ino);
  expect(after.mtimeMs).toBe(before.mtimeMs);
  expect(statSync(journal!).size).toBe(journalBefore.size);
});

test('what the tick changes is written once, behind, whatever the number of deposits confirmed in it', async () => {
  const stateFile = path.join(dir, 'behind.json');
  const venue = await venueWith({ stateFile });
  const address = venue.venue.state.depositAddresses.bitcoin;
  for (let i = 1; i <= 4; i++) await depositBtc(address, `1.${i}`);
  const { writes, appends } = venue.stateFile;
  await tick(venue); // four deposits seen
  chain.mine('bitcoin', 2);
  await tick(venue); // four deposits credited
  expect(venue.stateFile.appends).toBe(appends); // not yet: written behind
  expect(loadState(stateFile)?.deposits).toHaveLength(0);
  venue.stateFile.saveNow(); // the interval's one write: a journal line, not the whole state
  expect(venue.stateFile.appends).toBe(appends + 1);
  expect(venue.stateFile.writes).toBe(writes);
  expect(loadState(stateFile)?.deposits.map((d) => d.status)).toEqual([4, 4, 4, 4]);
});

test('an acknowledged order is on disk when the answer arrives, before any interval', async () => {
  const stateFile = path.join(dir, 'ack.json');
  const venue = await venueWith({ stateFile, initialBalances: { BTC: '2' } });
  await client(venue).createOrder('BTC/USDT', 'market', 'sell', 0.5, undefined, { clientOrderId: 'ack-1' });
  const onDisk = loadState(stateFile);
  expect(onDisk?.orders.map((o) => [o.clientOrderId, o.status])).toEqual([['ack-1', 'FILLED']]);
  expect(onDisk?.balances.BTC?.free).toBe('1.5');
});

test('state survives a restart; a crash inside the write-behind window loses a credit that the next poll redoes, once', async () => {
  const stateFile = path.join(dir, 'restart.json');
  const first = await venueWith({ stateFile, seed: 7100 });
  const address = first.venue.state.depositAddresses.bitcoin;
  const kept = await depositBtc(address, '0.7');
  chain.mine('bitcoin', 2);
  await tick(first);
  first.stateFile.saveNow();
  const late = await depositBtc(address, '0.3');
  chain.mine('bitcoin', 2);
  await tick(first); // credited in memory, not written yet
  expect(first.venue.state.balances.BTC?.free).toBe('1');

  // A crash now: the file is what was written before the late credit.
  const crashed = path.join(dir, 'crashed.json');
  copyStateFiles(stateFile, crashed);
  const afterCrash = await venueWith({ stateFile: crashed, seed: 7100 });
  expect(afterCrash.venue.state.deposits.map((d) => d.txId)).toEqual([kept]);
  expect(afterCrash.venue.state.balances.BTC?.free).toBe('0.7');
  await tick(afterCrash); // the chain still has the late transaction: credited again, once
  await tick(afterCrash);
  expect(afterCrash.venue.state.deposits.map((d) => d.txId)).toEqual([kept, late]);
  expect(afterCrash.venue.state.balances.BTC?.free).toBe('1');

  // A clean stop writes what is pending: a restart has it all.
  await first.close();
  venues.splice(venues.indexOf(first), 1);
  const restarted = await venueWith({ stateFile, seed: 7100 });
  expect(restarted.venue.state.deposits.map((d) => [d.txId, d.status])).toEqual([
    [kept, 4],
    [late, 4],
  ]);
  expect(restarted.venue.state.balances.BTC?.free).toBe('1');
  await tick(restarted);
  expect(restarted.venue.state.balances.BTC?.free).toBe('1');
});

test('a listing with a limit returns the newest deposits only (what ccxt keeps of a longer answer)', async () => {
  const venue = await venueWith({});
  const address = venue.venue.state.depositAddresses.bitcoin;
  const txHashes = [];
  for (let i = 1; i <= 5; i++) txHashes.push(await depositBtc(address, `0.0${i}`));
  chain.mine('bitcoin', 2);
  const listed = await client(venue).fetchDeposits('BTC', undefined, 2);
  expect(listed.map((d) => d.txid)).toEqual(txHashes.slice(3));
  // The venue's own answer is that short (ccxt would also cut a longer one: the answer's size is the cost).
  const raw = (await client(venue).privateGetApiV1AccountDepositOrders({ coin: 'BTC', limit: 2 })) as {
    txId: string;
  }[];
  expect(raw.map((d) => d.txId)).toEqual(txHashes.slice(3));
  expect((await client(venue).fetchDeposits('BTC')).map((d) => d.txid)).toEqual(txHashes);
});

describe('the journal', () => {
  test('acknowledged orders are appended, not the whole state; a crash copy plays back to the same venue', async () => {
    const stateFile = path.join(dir, 'orders.json');
    const venue = await venueWith({ stateFile, seed: 7200, initialBalances: { BTC: '5' } });
    const ex = client(venue);
    const { writes, appends } = venue.stateFile;
    for (let i = 0; i < 6; i++) {
      await ex.createOrder('BTC/USDT', 'market', 'sell', 0.1, undefined, { clientOrderId: `journal-mkt-${i}` });
    }
    const ask = Number(venue.venue.state.books.BTCUSDT!.asks[0]!.price) + 100;
    const resting = await ex.createOrder('BTC/USDT', 'limit', 'sell', 0.5, ask, { clientOrderId: 'journal-rest' });
    await ex.cancelOrder(resting.id as string, 'BTC/USDT');
    expect(venue.stateFile.writes).toBe(writes);
    expect(venue.stateFile.appends).toBe(appends + 8);

    const crashed = path.join(dir, 'orders-crashed.json');
    copyStateFiles(stateFile, crashed);
    const replayed = loadState(crashed)!;
    const live = venue.venue.state;
    expect(replayed.orders).toEqual(live.orders);
    expect(replayed.trades).toEqual(live.trades);
    expect(replayed.balances).toEqual(live.balances);
    expect(replayed.books).toEqual(live.books);
    expect(replayed.sequence).toBe(live.sequence);
    expect(replayed.orders.find((o) => o.clientOrderId === 'journal-rest')?.status).toBe('CANCELED');
  });

  test('a line cut short by a crash is skipped; a restart folds the journal into a new snapshot', async () => {
    const stateFile = path.join(dir, 'torn.json');
    const venue = await venueWith({ stateFile, seed: 7300, initialBalances: { BTC: '1' } });
    await client(venue).createOrder('BTC/USDT', 'market', 'sell', 0.2, undefined, { clientOrderId: 'torn-1' });
    const crashed = path.join(dir, 'torn-crashed.json');
    copyStateFiles(stateFile, crashed);
    const [journal] = journals(crashed);
    appendFileSync(path.join(dir, journal!), '{"sequence":99,"balances":{"BTC":{"fr'); // the crash, mid-line

    const restarted = await venueWith({ stateFile: crashed, seed: 7300 });
    expect(restarted.venue.state.orders.map((o) => o.clientOrderId)).toEqual(['torn-1']);
    expect(restarted.venue.state.balances.BTC?.free).toBe('0.8');
    expect(restarted.venue.state.sequence).toBe(venue.venue.state.sequence);
    expect(existsSync(path.join(dir, journal!))).toBe(false); // folded into the new snapshot
    expect(loadState(crashed)?.orders.map((o) => o.clientOrderId)).toEqual(['torn-1']);
  });

  test('a journal grown past its limit is folded into a new snapshot, and the state reads the same', async () => {
    const stateFile = path.join(dir, 'compact.json');
    const venue = await venueWith({ stateFile, seed: 7400, initialBalances: { BTC: '5' }, journalCompactAtBytes: 1 });
    const ex = client(venue);
    const { writes } = venue.stateFile;
    for (let i = 0; i < 3; i++) {
      await ex.createOrder('BTC/USDT', 'market', 'sell', 0.1, undefined, { clientOrderId: `compact-${i}` });
    }
    // The journal outgrew the (tiny) limit and the snapshot: the state was written whole again...
    expect(venue.stateFile.writes).toBeGreaterThan(writes);
    // ...and only the journal of the newest snapshot may remain.
    const replayed = loadState(stateFile)!;
    for (const name of journals(stateFile)) expect(name).toBe(`compact.json.journal-${replayed.journal}`);
    expect(replayed.orders).toEqual(venue.venue.state.orders);
    expect(replayed.balances).toEqual(venue.venue.state.balances);
  });
});
