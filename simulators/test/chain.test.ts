import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type RunningChainSimulator, startChainSimulator } from '../src/chain';

async function call(sim: RunningChainSimulator, method: string, route: string, body?: unknown) {
  const response = await fetch(`${sim.url}${route}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read the JSON answer freely
  const json: any = await response.json();
  return { status: response.status, type: response.headers.get('content-type'), body: json };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const SUSPECT = 'bc1qsuspectwallet0000000000000000000000';
const CUSTODY = 'bc1qcustodywallet0000000000000000000000';

describe('chain simulator with a block timer', () => {
  let sim: RunningChainSimulator;
  beforeAll(async () => {
    sim = await startChainSimulator({ port: 0, blockIntervalMs: 50 });
  });
  afterAll(() => sim.close());

  test('a transfer is mined into a block and gains confirmations; amount + fee leave the sender', async () => {
    const funding = await call(sim, 'POST', '/v1/chains/bitcoin/faucet', {
      address: SUSPECT,
      asset: 'BTC',
      amount: '2',
    });
    expect(funding.status).toBe(201);
    expect(funding.body).toMatchObject({ status: 'PENDING', blockHeight: null, confirmations: 0, fee: '0' });
    await until('funding mined', async () => {
      const { body } = await call(sim, 'GET', `/v1/chains/bitcoin/transactions/${funding.body.txHash}`);
      return body.status === 'CONFIRMED' ? body : undefined;
    });

    const sent = await call(sim, 'POST', '/v1/chains/bitcoin/transactions', {
      from: SUSPECT,
      to: CUSTODY,
      asset: 'BTC',
      amount: '1.5',
    });
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({
      chain: 'bitcoin',
      from: SUSPECT,
      to: CUSTODY,
      asset: 'BTC',
      amount: '1.5',
      fee: '0.00002',
      status: 'PENDING',
      blockHeight: null,
      confirmations: 0,
    });
    expect(sent.body.txHash).toMatch(/^[0-9a-f]{64}$/);

    const confirmed = await until('3 confirmations', async () => {
      const { body } = await call(sim, 'GET', `/v1/chains/bitcoin/transactions/${sent.body.txHash}`);
      return body.confirmations >= 3 ? body : undefined;
    });
    const head = await call(sim, 'GET', '/v1/chains/bitcoin/head');
    expect(confirmed.status).toBe('CONFIRMED');
    expect(head.body.height).toBeGreaterThanOrEqual(confirmed.blockHeight + 2);

    expect((await call(sim, 'GET', `/v1/chains/bitcoin/addresses/${CUSTODY}/balances`)).body).toEqual({
      address: CUSTODY,
      balances: { BTC: '1.5' },
    });
    expect((await call(sim, 'GET', `/v1/chains/bitcoin/addresses/${SUSPECT}/balances`)).body.balances).toEqual({
      BTC: '0.49998',
    });
  });
});

describe('chain simulator mined by hand', () => {
  let sim: RunningChainSimulator;
  beforeAll(async () => {
    sim = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  });
  afterAll(() => sim.close());

  async function fund(address: string, asset: string, amount: string) {
    await call(sim, 'POST', '/v1/chains/ethereum/faucet', { address, asset, amount });
    sim.mine('ethereum');
  }

  test("an address's transactions since a height: the unmined and those mined at or after it, with the head", async () => {
    const watched = 'bc1qwatchedwallet000000000000000000000000';
    const old = await call(sim, 'POST', '/v1/chains/bitcoin/faucet', { address: watched, asset: 'BTC', amount: '1' });
    const oldHeight = sim.mine('bitcoin');
    const recent = await call(sim, 'POST', '/v1/chains/bitcoin/faucet', {
      address: watched,
      asset: 'BTC',
      amount: '2',
    });
    const recentHeight = sim.mine('bitcoin');
    const unmined = await call(sim, 'POST', '/v1/chains/bitcoin/faucet', {
      address: watched,
      asset: 'BTC',
      amount: '3',
    });
    const route = `/v1/chains/bitcoin/addresses/${watched}/transactions?direction=in`;
    const all = await call(sim, 'GET', route);
    expect(all.body.transactions.map((t: { txHash: string }) => t.txHash)).toEqual([
      old.body.txHash,
      recent.body.txHash,
      unmined.body.txHash,
    ]);
    expect(all.body.head).toBe(recentHeight);
    const since = await call(sim, 'GET', `${route}&sinceHeight=${oldHeight + 1}`);
    expect(since.body.transactions.map((t: { txHash: string }) => t.txHash)).toEqual([
      recent.body.txHash,
      unmined.body.txHash,
    ]);
  });

  test('confirmations are head - blockHeight + 1, and nothing moves before the block is mined', async () => {
    await fund('0xaaa1', 'ETH', '1');
    const tx = await call(sim, 'POST', '/v1/chains/ethereum/transactions', {
      from: '0xaaa1',
      to: '0xbbb1',
      asset: 'ETH',
      amount: '0.25',
    });
    expect(tx.body.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect((await call(sim, 'GET', '/v1/chains/ethereum/addresses/0xbbb1/balances')).body.balances).toEqual({
      ETH: '0',
      USDT: '0',
    });
    const height = sim.mine('ethereum');
    sim.mine('ethereum', 2);
    const seen = await call(sim, 'GET', `/v1/chains/ethereum/transactions/${tx.body.txHash}`);
    expect(seen.body).toMatchObject({ status: 'CONFIRMED', blockHeight: height, confirmations: 3 });
    expect((await call(sim, 'GET', '/v1/chains/ethereum/addresses/0xbbb1/balances')).body.balances.ETH).toBe('0.25');
    expect((await call(sim, 'GET', '/v1/chains/ethereum/addresses/0xaaa1/balances')).body.balances.ETH).toBe('0.7495');
  });

  test('when the balance does not cover amount + fee, the transaction is refused and nothing changes', async () => {
    await fund('0xaaa2', 'USDT', '100');
    const before = await call(sim, 'GET', '/v1/chains/ethereum/addresses/0xaaa2/transactions');
    const refused = await call(sim, 'POST', '/v1/chains/ethereum/transactions', {
      from: '0xaaa2',
      to: '0xbbb2',
      asset: 'USDT',
      amount: '99.5',
    });
    expect(refused.status).toBe(422);
    expect(refused.type).toMatch(/application\/problem\+json/);
    expect(refused.body.type).toBe('urn:vcdc:problem:insufficient-funds');
    sim.mine('ethereum');
    const after = await call(sim, 'GET', '/v1/chains/ethereum/addresses/0xaaa2/transactions');
    const hashes = (r: typeof before) => r.body.transactions.map((t: { txHash: string }) => t.txHash);
    expect(hashes(after)).toEqual(hashes(before));
    expect(hashes(after)).toHaveLength(1);
    expect((await call(sim, 'GET', '/v1/chains/ethereum/addresses/0xaaa2/balances')).body.balances.USDT).toBe('100');
  });

  test('a pending debit counts against the sender: the same coins cannot be sent twice before a block', async () => {
    await fund('0xaaa3', 'USDT', '10');
    const first = await call(sim, 'POST', '/v1/chains/ethereum/transactions', {
      from: '0xaaa3',
      to: '0xbbb3',
      asset: 'USDT',
      amount: '9',
    });
    expect(first.status).toBe(201);
    const second = await call(sim, 'POST', '/v1/chains/ethereum/transactions', {
      from: '0xaaa3',
      to: '0xbbb3',
      asset: 'USDT',
      amount: '0.5',
    });
    expect(second.status).toBe(422);
  });

  test('the same clientRef returns the same transaction; with other fields it is a 409', async () => {
    await fund('0xaaa4', 'ETH', '5');
    const body = { from: '0xaaa4', to: '0xbbb4', asset: 'ETH', amount: '1', clientRef: 'transfer-42' };
    const first = await call(sim, 'POST', '/v1/chains/ethereum/transactions', body);
    expect(first.status).toBe(201);
    sim.mine('ethereum');
    const again = await call(sim, 'POST', '/v1/chains/ethereum/transactions', { ...body, amount: '1.000' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ txHash: first.body.txHash, status: 'CONFIRMED', confirmations: 1 });
    const other = await call(sim, 'POST', '/v1/chains/ethereum/transactions', { ...body, amount: '2' });
    expect(other.status).toBe(409);
    expect(other.body.type).toBe('urn:vcdc:problem:client-ref-conflict');
    const sent = await call(sim, 'GET', '/v1/chains/ethereum/addresses/0xaaa4/transactions?direction=out');
    expect(sent.body.transactions.map((t: { txHash: string }) => t.txHash)).toEqual([first.body.txHash]);
  });

  test('address history is in chain order and filters by direction', async () => {
    await fund('0xaaa5', 'ETH', '3');
    const out1 = await call(sim, 'POST', '/v1/chains/ethereum/transactions', {
      from: '0xaaa5',
      to: '0xbbb5',
      asset: 'ETH',
      amount: '1',
    });
    const out2 = await call(sim, 'POST', '/v1/chains/ethereum/transactions', {
      from: '0xaaa5',
      to: '0xbbb5',
      asset: 'ETH',
      amount: '0.5',
    });
    const all = await call(sim, 'GET', '/v1/chains/ethereum/addresses/0xaaa5/transactions');
    expect(all.body.transactions).toHaveLength(3);
    expect(all.body.transactions[0].to).toBe('0xaaa5');
    const out = await call(sim, 'GET', '/v1/chains/ethereum/addresses/0xaaa5/transactions?direction=out');
    expect(out.body.transactions.map((t: { txHash: string }) => t.txHash)).toEqual([
      out1.body.txHash,
      out2.body.txHash,
    ]);
    const incoming = await call(sim, 'GET', '/v1/chains/ethereum/addresses/0xbbb5/transactions?direction=in');
    expect(incoming.body.transactions).toHaveLength(2);
    const bad = await call(sim, 'GET', '/v1/chains/ethereum/addresses/0xaaa5/transactions?direction=sideways');
    expect(bad.status).toBe(400);
  });

  test('fees, unknown chains and transactions, and invalid bodies answer as documented', async () => {
    expect((await call(sim, 'GET', '/v1/chains/bitcoin/fees')).body).toEqual({
      chain: 'bitcoin',
      fees: { BTC: '0.00002' },
    });
    expect((await call(sim, 'GET', '/v1/chains/ethereum/fees')).body).toEqual({
      chain: 'ethereum',
      fees: { ETH: '0.0005', USDT: '1' },
    });
    expect((await call(sim, 'GET', '/v1/chains/dogecoin/head')).status).toBe(404);
    const missing = await call(sim, 'GET', '/v1/chains/bitcoin/transactions/abc');
    expect(missing.status).toBe(404);
    expect(missing.body.type).toBe('urn:vcdc:problem:not-found');

    const tooPrecise = await call(sim, 'POST', '/v1/chains/bitcoin/faucet', {
      address: SUSPECT,
      asset: 'BTC',
      amount: '0.000000001',
    });
    expect(tooPrecise.status).toBe(400);
    expect(tooPrecise.body.errors).toEqual([expect.objectContaining({ field: 'amount' })]);
    const wrongAsset = await call(sim, 'POST', '/v1/chains/bitcoin/transactions', {
      from: SUSPECT,
      to: CUSTODY,
      asset: 'ETH',
      amount: '1',
    });
    expect(wrongAsset.status).toBe(400);
    expect(wrongAsset.body.errors).toEqual([expect.objectContaining({ field: 'asset' })]);
    const noTo = await call(sim, 'POST', '/v1/chains/bitcoin/transactions', {
      from: SUSPECT,
      asset: 'BTC',
      amount: '1',
    });
    expect(noTo.status).toBe(400);
    expect(noTo.body.errors).toEqual([expect.objectContaining({ field: 'to' })]);
  });
});

describe('chain simulator with a state file', () => {
  test('the timer writes a block with transactions at once, empty blocks only later or at close', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vcdc-chain-'));
    const stateFile = path.join(dir, 'chain.json');
    const sim = await startChainSimulator({ port: 0, blockIntervalMs: 20, stateFile, emptyBlocksPersistMs: 600_000 });
    const onDisk = () => JSON.parse(readFileSync(stateFile, 'utf8')).chains.bitcoin;
    try {
      const funded = await call(sim, 'POST', '/v1/chains/bitcoin/faucet', {
        address: SUSPECT,
        asset: 'BTC',
        amount: '1',
      });
      const mined = await until('the faucet payment mined', async () => {
        const tx = onDisk().txs.find((t: { txHash: string }) => t.txHash === funded.body.txHash);
        return tx?.blockHeight ?? undefined;
      });
      const written = statSync(stateFile).mtimeMs;
      await until('five more blocks', async () => {
        const head = (await call(sim, 'GET', '/v1/chains/bitcoin/head')).body.height;
        return head >= mined + 5 ? head : undefined;
      });
      expect(statSync(stateFile).mtimeMs).toBe(written); // empty blocks: not written each block
      expect(onDisk().height).toBe(mined);
    } finally {
      await sim.close();
    }
    try {
      expect(onDisk().height).toBeGreaterThanOrEqual(onDisk().txs[0].blockHeight + 5); // close wrote the head
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('after a crash the empty blocks not yet written are mined again: no client sees the head go back', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vcdc-chain-'));
    const stateFile = path.join(dir, 'chain.json');
    const crashed = path.join(dir, 'crashed.json');
    const options = { port: 0, blockIntervalMs: 20, emptyBlocksPersistMs: 600_000 };
    const first = await startChainSimulator({ ...options, stateFile });
    let second: RunningChainSimulator | undefined;
    try {
      await call(first, 'POST', '/v1/chains/bitcoin/faucet', { address: SUSPECT, asset: 'BTC', amount: '1' });
      const written = await until('the faucet block written', async () => {
        const tx = JSON.parse(readFileSync(stateFile, 'utf8')).chains.bitcoin.txs[0];
        return tx?.blockHeight ?? undefined;
      });
      const seen = await until('25 empty blocks after it', async () => {
        const head = (await call(first, 'GET', '/v1/chains/bitcoin/head')).body.height;
        return head >= written + 25 ? head : undefined;
      });
      copyFileSync(stateFile, crashed); // what a kill -9 now leaves: the head of 25 blocks ago
      expect(JSON.parse(readFileSync(crashed, 'utf8')).chains.bitcoin.height).toBeLessThan(seen);
      second = await startChainSimulator({ ...options, stateFile: crashed });
      expect(second.mine('bitcoin', 1) - 1).toBeGreaterThanOrEqual(seen);
    } finally {
      await first.close();
      await second?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('state survives a restart: balances, transactions, heights and clientRefs', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vcdc-chain-'));
    const stateFile = path.join(dir, 'nested', 'chain.json');
    try {
      const first = await startChainSimulator({ port: 0, blockIntervalMs: 0, stateFile });
      await call(first, 'POST', '/v1/chains/bitcoin/faucet', { address: SUSPECT, asset: 'BTC', amount: '1' });
      first.mine('bitcoin');
      const body = { from: SUSPECT, to: CUSTODY, asset: 'BTC', amount: '0.4', clientRef: 'sweep-1' };
      const sent = await call(first, 'POST', '/v1/chains/bitcoin/transactions', body);
      first.mine('bitcoin', 2);
      await first.close();
      expect(JSON.parse(readFileSync(stateFile, 'utf8')).chains.bitcoin.height).toBe(3);

      const second = await startChainSimulator({ port: 0, blockIntervalMs: 0, stateFile });
      try {
        expect((await call(second, 'GET', '/v1/chains/bitcoin/head')).body.height).toBe(3);
        const tx = await call(second, 'GET', `/v1/chains/bitcoin/transactions/${sent.body.txHash}`);
        expect(tx.body).toMatchObject({ status: 'CONFIRMED', blockHeight: 2, confirmations: 2 });
        expect((await call(second, 'GET', `/v1/chains/bitcoin/addresses/${CUSTODY}/balances`)).body.balances).toEqual({
          BTC: '0.4',
        });
        const replay = await call(second, 'POST', '/v1/chains/bitcoin/transactions', body);
        expect(replay.status).toBe(200);
        expect(replay.body.txHash).toBe(sent.body.txHash);
        second.mine('bitcoin');
        expect(JSON.parse(readFileSync(stateFile, 'utf8')).chains.bitcoin.height).toBe(4);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('closing stops the block timer: the chain no longer grows', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vcdc-chain-'));
    const stateFile = path.join(dir, 'chain.json');
    try {
      const sim = await startChainSimulator({ port: 0, blockIntervalMs: 10, stateFile });
      await until('a few blocks', async () => {
        const { body } = await call(sim, 'GET', '/v1/chains/ethereum/head');
        return body.height >= 3 ? body : undefined;
      });
      await sim.close();
      const height = () => JSON.parse(readFileSync(stateFile, 'utf8')).chains.ethereum.height;
      const atClose = height();
      await new Promise((r) => setTimeout(r, 100));
      expect(height()).toBe(atClose);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
