/**
 * Start the ledger-chain simulator on loopback: a stand-in for blockchain nodes ("bitcoin",
 * "ethereum") that keeps balances per address and asset, mines a block every `blockIntervalMs` and
 * counts confirmations. Dev and test only; later issues put ETH/USDT on a local EVM node.
 *
 *   const chain = await startChainSimulator({ port: 0, blockIntervalMs: 50 });   // chain.url, await chain.close()
 *   const manual = await startChainSimulator({ port: 0, blockIntervalMs: 0 });    // no timer: manual.mine('bitcoin', 2)
 *
 * With `stateFile` the state is loaded at start and written after every change (temp file + rename,
 * so a crash never leaves half a file), and a dev-stack restart keeps the chain. The block timer's
 * empty blocks change only the height: they are written at most every `emptyBlocksPersistMs` (and at
 * close), not every block (issue 19: a whole-file write a second grows with the chain's history). A
 * crash loses at most that many seconds of empty blocks, and the next start mines them again (as many
 * as fit in the time since the last write, up to that window), so no height a client saw is seen
 * again lower; no transaction and no block with one is ever lost.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Logger, listen, silentLogger } from '@vcdc/shared';
import type { Express } from 'express';
import { createChainApp } from './app';
import { CHAIN_IDS, type ChainId, ChainLedger, type ChainSnapshot, DEFAULT_FEES } from './ledger';

export type { ChainTxStatus, ChainTxView } from './ledger';
export { CHAIN_ASSETS, DEFAULT_FEES, FAUCET_ADDRESS } from './ledger';

export const DEFAULT_CHAIN_SIMULATOR_PORT = 7202;

export interface StartChainSimulatorOptions {
  /** Default 7202; 0 picks a free port. */
  port?: number;
  host?: string;
  /** Default 1000. 0 turns the timer off: blocks are mined only by `mine()` (or POST /v1/chains/:chain/mine). */
  blockIntervalMs?: number;
  /** Where the chain is kept across restarts; without it the chain lives in memory only. */
  stateFile?: string;
  logger?: Logger;
  /** Flat fee per transaction and asset; default DEFAULT_FEES. */
  fees?: Record<ChainId, Record<string, string>>;
  /** How often the timer's empty blocks are written (default 30000 ms). */
  emptyBlocksPersistMs?: number;
}

export interface RunningChainSimulator {
  url: string;
  port: number;
  app: Express;
  /** Mine `blocks` blocks on `chain` now (or on every chain when omitted); returns the new head. */
  mine: (chain?: ChainId, blocks?: number) => number;
  close: () => Promise<void>;
}

export async function startChainSimulator(options: StartChainSimulatorOptions = {}): Promise<RunningChainSimulator> {
  const logger = options.logger ?? silentLogger();
  const stateFile = options.stateFile;
  const loaded = stateFile ? loadSnapshot(stateFile) : undefined;
  const ledger = new ChainLedger(loaded, options.fees ?? DEFAULT_FEES);
  const interval = options.blockIntervalMs ?? 1000;
  const emptyEvery = options.emptyBlocksPersistMs ?? 30_000;
  let lastWrite = Date.now();
  const persist = (closed = false) => {
    lastWrite = Date.now();
    if (!stateFile) return;
    const snapshot = ledger.snapshot();
    snapshot.writtenAt = lastWrite;
    snapshot.closed = closed;
    saveSnapshot(stateFile, snapshot);
  };
  if (loaded?.writtenAt !== undefined && !loaded.closed && interval > 0) {
    // Not closed cleanly: the empty blocks mined after the last write are gone; mine them again.
    const lost = Math.min(Math.floor((Date.now() - loaded.writtenAt) / interval), Math.ceil(emptyEvery / interval));
    for (let i = 0; i < lost; i++) for (const c of CHAIN_IDS) ledger.mineBlock(c);
    if (lost > 0) persist();
  }

  const mineOn = (chain: ChainId, blocks: number) => {
    let height = ledger.head(chain);
    for (let i = 0; i < blocks; i += 1) height = ledger.mineBlock(chain);
    return height;
  };
  const mine = (chain?: ChainId, blocks = 1) => {
    let height = 0;
    for (const c of chain ? [chain] : CHAIN_IDS) height = mineOn(c, blocks);
    persist();
    return height;
  };

  const app = createChainApp({ ledger, logger, onChange: () => persist(), mine });
  const running = await listen(app, options.port ?? DEFAULT_CHAIN_SIMULATOR_PORT, options.host ?? '127.0.0.1');

  const timer =
    interval > 0
      ? setInterval(() => {
          const withTransactions = CHAIN_IDS.some((c) => ledger.hasPending(c));
          for (const c of CHAIN_IDS) ledger.mineBlock(c);
          if (withTransactions || Date.now() - lastWrite >= emptyEvery) persist();
        }, interval)
      : undefined;
  timer?.unref();

  return {
    url: running.url,
    port: running.port,
    app,
    mine,
    close: async () => {
      if (timer) clearInterval(timer);
      if (stateFile) persist(true);
      await running.close();
    },
  };
}

function loadSnapshot(file: string): ChainSnapshot | undefined {
  if (!existsSync(file)) return undefined;
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as ChainSnapshot;
  if (snapshot.version !== 1 || !CHAIN_IDS.every((c) => Array.isArray(snapshot.chains?.[c]?.txs))) {
    throw new Error(`${file} is not a chain simulator state file (version 1)`);
  }
  return snapshot;
}

function saveSnapshot(file: string, snapshot: ChainSnapshot): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(snapshot));
  renameSync(temp, file);
}
