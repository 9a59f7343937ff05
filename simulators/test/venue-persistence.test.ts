/**
 * The venue simulator's state file (issue 19, part 3): what a client was answered about is on disk
 * before the answer; what the venue does on its own tick is written behind, at most once per
 * interval, and an idle tick writes nothing, however many deposits the venue has seen. Deposits are
 * read through real ccxt over HTTP, as the exchange service reads them.
 */
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
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
  const writes = venue.stateFile.writes;
  const before = statSync(stateFile);

  chain.mine('bitcoin', 7);
  for (let i = 0; i < 3; i++) await tick(venue);
  const listed = await client(venue).fetchDeposits('BTC');
  venue.stateFile.saveNow();

  // Clients see the confirmations grow (2 + 7)...
  const confirmations = listed.map((d) => (d.info as { confirmations: number }).confirmations);
  expect(confirmations).toEqual([9, 9, 9, 9, 9]);
  // ...and nothing was written for it: same file, same bytes' time, no write counted.
  expect(venue.stateFile.writes).toBe(writes);
  const after = statSync(stateFile);
  expect(after.ino).toBe(before.ino);
  expect(after.mtimeMs).toBe(before.mtimeMs);
});

test('what the tick changes is written once, behind, whatever the number of deposits confirmed in it', async () => {
  const stateFile = path.join(dir, 'behind.json');
  const venue = await venueWith({ stateFile });
  const address = venue.venue.state.depositAddresses.bitcoin;
  for (let i = 1; i <= 4; i++) await depositBtc(address, `1.${i}`);
  const writes = venue.stateFile.writes;
  await tick(venue); // four deposits seen
  chain.mine('bitcoin', 2);
  await tick(venue); // four deposits credited
  expect(venue.stateFile.writes).toBe(writes); // not yet: written behind
  expect(loadState(stateFile)?.deposits).toHaveLength(0);
  venue.stateFile.saveNow(); // the interval's one write
  expect(venue.stateFile.writes).toBe(writes + 1);
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
  copyFileSync(stateFile, crashed);
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
  expect((await client(venue).fetchDeposits('BTC')).map((d) => d.txid)).toEqual(txHashes);
});
