/**
 * The dev stack's EVM node keeps its chain across restarts (issue 14): Hardhat 2 has no state dump,
 * so the node's blocks are journalled to its state file and played back on a fresh node at start.
 * After a restart the transfers, balances, the token's address, block numbers and block hashes are
 * those of before, and new blocks continue from there.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseEther, parseUnits, Wallet } from 'ethers';
import { evmTransfer, HARDHAT_DEV_KEYS, LOCAL_USDT_ADDRESS, type RunningEvmNode, startEvmNode } from '../src/evm';

let dir: string;
let node: RunningEvmNode | undefined;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'vcdc-evm-'));
});
afterAll(async () => {
  await node?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a restarted node has the transfers, balances and blocks of before, and mines on from there', async () => {
  const stateFile = path.join(dir, 'evm.json');
  node = await startEvmNode({ stateFile, blockIntervalMs: 200 });
  expect(node.usdtAddress).toBe(LOCAL_USDT_ADDRESS);
  const recipient = Wallet.createRandom().address;
  const sender = new Wallet(HARDHAT_DEV_KEYS[2], node.provider);
  const ethTx = await sender.sendTransaction({ to: recipient, value: parseEther('1.25') });
  const ethReceipt = await ethTx.wait();
  const { txHash: usdtTx } = await node.sweep('USDT', recipient, '42.5');
  // Let the interval mine some empty blocks between and after the transfers.
  await new Promise((resolve) => setTimeout(resolve, 1200));
  const before = {
    head: await node.provider.getBlockNumber(),
    eth: await node.provider.getBalance(recipient),
    usdt: await node.usdtBalance(recipient),
    senderNonce: await node.provider.getTransactionCount(sender.address),
  };
  const beforeHead = await node.provider.getBlock(before.head);
  await node.close();
  node = undefined;
  expect(JSON.parse(readFileSync(stateFile, 'utf8')).head.number).toBeGreaterThanOrEqual(before.head);

  node = await startEvmNode({ stateFile, blockIntervalMs: 200 });
  expect(node.usdtAddress).toBe(LOCAL_USDT_ADDRESS);
  expect(await node.provider.getBalance(recipient)).toBe(before.eth);
  expect(before.eth).toBe(parseEther('1.25'));
  expect(await node.usdtBalance(recipient)).toBe(before.usdt);
  expect(before.usdt).toBe(parseUnits('42.5', 6));
  expect(await node.provider.getTransactionCount(sender.address)).toBe(before.senderNonce);

  // The same transactions in the same blocks, with the same hashes: confirmations counted before still hold.
  const receipt = await node.provider.getTransactionReceipt(ethTx.hash);
  expect(receipt?.blockNumber).toBe(ethReceipt?.blockNumber);
  expect(receipt?.blockHash).toBe(ethReceipt?.blockHash);
  expect(await evmTransfer({ rpcUrl: node.url, usdtAddress: LOCAL_USDT_ADDRESS }, usdtTx)).toEqual({
    status: 'CONFIRMED',
    asset: 'USDT',
    amount: '42.5',
    to: recipient,
  });
  const head = await node.provider.getBlock(before.head);
  expect(head?.hash).toBe(beforeHead?.hash);
  expect(head?.timestamp).toBe(beforeHead?.timestamp);

  // New blocks continue after the old head, by the interval and by new transactions.
  await new Promise((resolve) => setTimeout(resolve, 600));
  expect(await node.provider.getBlockNumber()).toBeGreaterThan(before.head);
  const again = await sender.connect(node.provider).sendTransaction({ to: recipient, value: parseEther('0.5') });
  await again.wait();
  expect(await node.provider.getBalance(recipient)).toBe(parseEther('1.75'));
}, 120_000);

test('a journal whose transactions do not play back is refused, not silently replaced by a fresh chain', async () => {
  const stateFile = path.join(dir, 'evm.json');
  const journal = JSON.parse(readFileSync(stateFile, 'utf8'));
  const withTx = journal.blocks.find((b: { txs?: string[] }) => b.txs?.length);
  withTx.txs[0] = '0x1234';
  const broken = path.join(dir, 'broken.json');
  writeFileSync(broken, JSON.stringify(journal));
  await expect(startEvmNode({ stateFile: broken })).rejects.toThrow(/block \d+/);
}, 120_000);

test('a node restarted twice has the same blocks: what it mined after a playback plays back too', async () => {
  // Closed, the restarted node journals the blocks it mined after the first node's.
  await node?.close();
  node = undefined;
  const stateFile = path.join(dir, 'evm.json');
  const journal = JSON.parse(readFileSync(stateFile, 'utf8'));
  node = await startEvmNode({ stateFile });
  const head = await node.provider.getBlock(journal.head.number);
  expect(head?.hash).toBe(journal.head.hash);
  await node.close();
  node = undefined;
}, 120_000);

test('a journal whose blocks play back to other hashes is refused, naming the block', async () => {
  const stateFile = path.join(dir, 'evm.json');
  const journal = JSON.parse(readFileSync(stateFile, 'utf8'));
  const withTx = journal.blocks.find((b: { txs?: string[] }) => b.txs?.length);
  withTx.hash = `0x${'ab'.repeat(32)}`;
  const otherBlock = path.join(dir, 'other-block.json');
  writeFileSync(otherBlock, JSON.stringify(journal));
  await expect(startEvmNode({ stateFile: otherBlock })).rejects.toThrow(
    new RegExp(`block ${withTx.number} came back as 0x[0-9a-f]{64}, not 0x(ab){32}`),
  );
  const otherHead = path.join(dir, 'other-head.json');
  const intact = JSON.parse(readFileSync(stateFile, 'utf8'));
  intact.head.hash = `0x${'cd'.repeat(32)}`;
  writeFileSync(otherHead, JSON.stringify(intact));
  await expect(startEvmNode({ stateFile: otherHead })).rejects.toThrow(
    /replay ended at block hash 0x[0-9a-f]{64}, not 0x(cd){32}/,
  );
}, 120_000);

test('a node whose parent was killed with -9 exits too, so its port is free for the next start', async () => {
  const script = `
    const { startEvmNode } = require(${JSON.stringify(path.join(__dirname, '../src/evm'))});
    startEvmNode().then((n) => console.log('URL ' + n.url));
  `;
  const parent = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    parent.stdout.on('data', (c) => {
      out += c;
      const m = /URL (\S+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    parent.once('exit', (code) => reject(new Error(`parent exited ${code}`)));
  });
  const blockNumber = () =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
    }).then((r) => r.ok);
  expect(await blockNumber()).toBe(true);
  parent.kill('SIGKILL');
  const deadline = Date.now() + 10_000;
  let alive = true;
  while (alive && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    alive = await blockNumber().catch(() => false);
  }
  expect(alive).toBe(false);
}, 90_000);
