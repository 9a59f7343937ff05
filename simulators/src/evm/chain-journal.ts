/**
 * The local EVM chain's memory across restarts. Hardhat 2 (2.29, EDR) has no state dump or load
 * (no `hardhat_dumpState`/`hardhat_loadState`, and `hardhat node` keeps nothing on disk), so the chain
 * is kept as a journal of its blocks: each block with transactions (their signed raw form, the
 * block's timestamp and its hash) and each run of empty blocks (count and timestamps). A fresh node started with the
 * journal's genesis date plays the journal back: every transaction is re-sent in its own block at its
 * own timestamp, so balances, nonces, contract addresses, block numbers and even block hashes come back
 * as they were, and confirmations a service counted before the restart still hold.
 *
 * Every transaction on this chain is signed by its sender (custody, the venue, the dev faucet and the
 * seizure helpers all sign locally), so its raw form replays as is. A journal that does not replay
 * (a transaction refused, a block number out of step, a block whose hash comes back different) is an error: a silent fresh chain would be the
 * very failure this exists to prevent.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type JsonRpcProvider, keccak256, Transaction } from 'ethers';

/** One block with transactions, or a run of empty blocks whose timestamps step by `interval` seconds. */
export type JournalEntry =
  | {
      number: number;
      timestamp: number;
      txs: string[] /** absent in journals written before it was kept */;
      hash?: string;
    }
  | { from: number; count: number; timestamp: number; interval: number };

export interface EvmJournal {
  version: 1;
  chainId: number;
  /** Genesis timestamp (s): the fresh node is started with it as its initial date. */
  genesisTimestamp: number;
  /** The TestUSDT contract (deployed in the first blocks, so it comes back with them). */
  usdtAddress: string;
  /** Blocks after genesis, in order and without gaps. */
  blocks: JournalEntry[];
  /** The last block journalled. */
  head: { number: number; hash: string; timestamp: number };
}

export function readJournal(file: string): EvmJournal | undefined {
  if (!existsSync(file)) return undefined;
  const journal = JSON.parse(readFileSync(file, 'utf8')) as EvmJournal;
  if (journal.version !== 1) throw new Error(`${file}: unknown EVM journal version ${journal.version}`);
  return journal;
}

export function writeJournal(file: string, journal: EvmJournal): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(journal));
  renameSync(temp, file);
}

interface RpcBlock {
  number: string;
  hash: string;
  timestamp: string;
  transactions: RpcTransaction[];
}
type RpcTransaction = Record<string, unknown> & { hash: string };

const hex = (n: number) => `0x${n.toString(16)}`;

export async function newJournal(provider: JsonRpcProvider, usdtAddress: string): Promise<EvmJournal> {
  const genesis = (await provider.send('eth_getBlockByNumber', ['0x0', false])) as RpcBlock;
  const chainId = Number(await provider.send('eth_chainId', []));
  const timestamp = Number(genesis.timestamp);
  return {
    version: 1,
    chainId,
    genesisTimestamp: timestamp,
    usdtAddress,
    blocks: [],
    head: { number: 0, hash: genesis.hash, timestamp },
  };
}

/** Append the blocks mined since the journal's head (the journal is changed in place). */
export async function captureNewBlocks(provider: JsonRpcProvider, journal: EvmJournal): Promise<number> {
  const latest = Number(await provider.send('eth_blockNumber', []));
  let added = 0;
  for (let n = journal.head.number + 1; n <= latest; n++) {
    const block = (await provider.send('eth_getBlockByNumber', [hex(n), true])) as RpcBlock | null;
    if (!block) break;
    const timestamp = Number(block.timestamp);
    if (block.transactions.length > 0) {
      journal.blocks.push({ number: n, timestamp, txs: block.transactions.map(rawOf), hash: block.hash });
    } else {
      appendEmpty(journal, n, timestamp);
    }
    journal.head = { number: n, hash: block.hash, timestamp };
    added++;
  }
  return added;
}

function appendEmpty(journal: EvmJournal, n: number, timestamp: number): void {
  const last = journal.blocks[journal.blocks.length - 1];
  if (last && 'count' in last && last.from + last.count === n) {
    const step = timestamp - (last.timestamp + (last.count - 1) * last.interval);
    if (last.count === 1 && step > 0) last.interval = step;
    if (last.timestamp + last.count * last.interval === timestamp) {
      last.count++;
      return;
    }
  }
  journal.blocks.push({ from: n, count: 1, timestamp, interval: 1 });
}

/** The signed raw form of a mined transaction, checked against its hash. */
function rawOf(tx: RpcTransaction): string {
  const type = Number(tx.type ?? 0);
  const raw = Transaction.from({
    type,
    chainId: tx.chainId === undefined ? undefined : BigInt(tx.chainId as string),
    nonce: Number(tx.nonce),
    to: (tx.to as string | null) ?? null,
    data: tx.input as string,
    value: BigInt(tx.value as string),
    gasLimit: BigInt(tx.gas as string),
    gasPrice: type < 2 ? BigInt(tx.gasPrice as string) : undefined,
    maxFeePerGas: type >= 2 ? BigInt(tx.maxFeePerGas as string) : undefined,
    maxPriorityFeePerGas: type >= 2 ? BigInt(tx.maxPriorityFeePerGas as string) : undefined,
    accessList: type >= 1 ? (tx.accessList as never) : undefined,
    signature: {
      r: tx.r as string,
      s: tx.s as string,
      v: type === 0 ? Number(tx.v) : undefined,
      yParity: type === 0 ? undefined : (Number(tx.yParity ?? tx.v) as 0 | 1),
    } as never,
  }).serialized;
  if (keccak256(raw) !== tx.hash) throw new Error(`transaction ${tx.hash} cannot be journalled: its raw form differs`);
  return raw;
}

/**
 * Mine a run of empty blocks one `evm_mine` at a time, each at its timestamp. Not `hardhat_mine`: it
 * reserves the blocks instead of mining them one by one, and the blocks after a reservation came back
 * with other base fees, so a node restarted twice had other block hashes than before.
 */
async function mineEmpty(provider: JsonRpcProvider, run: Extract<JournalEntry, { count: number }>): Promise<void> {
  for (let i = 0; i < run.count; i++) await provider.send('evm_mine', [hex(run.timestamp + i * run.interval)]);
}

/**
 * Play the journal back on a fresh node started at the journal's genesis date, with automine and
 * interval mining off (the caller turns them on after): each block is mined at its recorded timestamp.
 */
export async function replayJournal(provider: JsonRpcProvider, journal: EvmJournal): Promise<void> {
  const chainId = Number(await provider.send('eth_chainId', []));
  if (chainId !== journal.chainId)
    throw new Error(`EVM journal is of chain ${journal.chainId}, the node is ${chainId}`);
  let next = 1;
  for (const entry of journal.blocks) {
    const first = 'count' in entry ? entry.from : entry.number;
    if (first !== next) throw new Error(`EVM journal: block ${first} follows block ${next - 1}`);
    if ('count' in entry) {
      await mineEmpty(provider, entry);
      next += entry.count;
      continue;
    }
    await provider.send('evm_setNextBlockTimestamp', [hex(entry.timestamp)]);
    for (const raw of entry.txs) {
      try {
        await provider.send('eth_sendRawTransaction', [raw]);
      } catch (error) {
        throw new Error(`EVM journal: a transaction of block ${entry.number} was refused: ${(error as Error).message}`);
      }
    }
    await provider.send('evm_mine', []);
    const mined = (await provider.send('eth_getBlockByNumber', [hex(entry.number), false])) as {
      hash: string;
      transactions: string[];
    } | null;
    if (mined?.transactions.length !== entry.txs.length) {
      throw new Error(
        `EVM journal: block ${entry.number} took ${mined?.transactions.length ?? 0} of its ${entry.txs.length} transactions`,
      );
    }
    // The node orders a block's pending transactions by fee, not by arrival: the order must be the journal's.
    if (mined.transactions.some((hash, i) => hash !== keccak256(entry.txs[i] as string))) {
      throw new Error(`EVM journal: block ${entry.number} took its transactions in another order`);
    }
    if (entry.hash && mined.hash !== entry.hash) {
      throw new Error(`EVM journal: block ${entry.number} came back as ${mined.hash}, not ${entry.hash}`);
    }
    next++;
  }
  const head = (await provider.send('eth_getBlockByNumber', ['latest', false])) as RpcBlock;
  if (Number(head.number) !== journal.head.number) {
    throw new Error(`EVM journal: replay ended at block ${Number(head.number)}, not ${journal.head.number}`);
  }
  // Same blocks, same hashes: confirmations a service counted against a block hash before still hold.
  if (head.hash !== journal.head.hash) {
    throw new Error(`EVM journal: replay ended at block hash ${head.hash}, not ${journal.head.hash}`);
  }
}
