/**
 * The local EVM chain for dev and tests: Hardhat 2's `hardhat node` (from npm, runs offline) as a
 * child process on loopback, with the USDT-like ERC-20 (TestUSDT.sol, compiled by compile-usdt.ts
 * into test-usdt.json) deployed by the node's first dev account, which is also its issuer.
 *
 * Helpers model what happens outside custody: a suspect's wallet holding the seized coins and the
 * seizure sweep into the case's custody address. Dev and test only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { Contract, ContractFactory, JsonRpcProvider, parseEther, Wallet } from 'ethers';
import { HARDHAT_DEV_KEYS, USDT_ABI, USDT_ARTIFACT, USDT_DECIMALS } from './accounts';
import {
  captureNewBlocks,
  type EvmJournal,
  newJournal,
  readJournal,
  replayJournal,
  writeJournal,
} from './chain-journal';
import { sweepOnEvm } from './seizure';

const ARTIFACT = USDT_ARTIFACT;

export { HARDHAT_DEV_KEYS, USDT_ABI, USDT_DECIMALS };

export interface EvmNodeOptions {
  host?: string;
  /** 0 (default): a free port. */
  port?: number;
  /** Also mine an empty block every this many ms (0: only on transactions and by hand). */
  blockIntervalMs?: number;
  /**
   * Keep the chain here across restarts (chain-journal.ts): played back at start when it exists,
   * written every `saveIntervalMs` (default 2000) and on close. Absent: a fresh chain every start.
   */
  stateFile?: string;
  saveIntervalMs?: number;
}

export interface RunningEvmNode {
  url: string;
  /** The USDT-like token's contract address. */
  usdtAddress: string;
  provider: JsonRpcProvider;
  /** Mine `blocks` empty blocks (confirmations by hand). */
  mine(blocks?: number): Promise<void>;
  /** Give `address` native ETH from the dev faucet account. */
  fundEth(address: string, amountEth: string): Promise<void>;
  /**
   * A suspect wallet (fresh key) holding `amount` of the asset, then its seizure sweep of `sweepAmount`
   * (default: all of the token, or `amount` of ETH) to `to`. Returns the sweep's tx hash.
   */
  sweep(asset: 'ETH' | 'USDT', to: string, amount: string): Promise<{ txHash: string; suspect: string }>;
  usdtBalance(address: string): Promise<bigint>;
  close(): Promise<void>;
}

export async function startEvmNode(options: EvmNodeOptions = {}): Promise<RunningEvmNode> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port || (await freePort(host));
  const journal = options.stateFile ? readJournal(options.stateFile) : undefined;
  const cli = require.resolve('hardhat/internal/cli/cli.js');
  const child = spawn(
    process.execPath,
    [cli, 'node', '--config', path.join(__dirname, 'hardhat.config.cjs'), '--hostname', host, '--port', String(port)],
    {
      cwd: __dirname,
      env: {
        ...process.env,
        HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true',
        // Interval mining is turned on once the chain is set up (a replay must mine alone).
        EVM_BLOCK_INTERVAL_MS: '0',
        EVM_PARENT_PID: String(process.pid),
        EVM_INITIAL_DATE: journal ? new Date(journal.genesisTimestamp * 1000).toISOString() : '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const url = `http://${host}:${port}`;
  try {
    await waitForStart(child);
  } catch (error) {
    child.kill('SIGTERM');
    throw error;
  }
  // Keep draining the node's output so it never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();

  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, pollingInterval: 100, cacheTimeout: -1 });
  const issuer = new Wallet(HARDHAT_DEV_KEYS[0], provider);
  let usdtAddress: string;
  let kept: EvmJournal | undefined;
  try {
    if (journal) {
      await provider.send('evm_setAutomine', [false]);
      await replayJournal(provider, journal);
      await provider.send('evm_setAutomine', [true]);
      usdtAddress = journal.usdtAddress;
      kept = journal;
    } else {
      const deployed = await new ContractFactory(ARTIFACT.abi as never, ARTIFACT.bytecode, issuer).deploy();
      await deployed.waitForDeployment();
      usdtAddress = await deployed.getAddress();
      if (options.stateFile) kept = await newJournal(provider, usdtAddress);
    }
    if (options.blockIntervalMs) await provider.send('evm_setIntervalMining', [options.blockIntervalMs]);
  } catch (error) {
    provider.destroy();
    child.kill('SIGKILL');
    throw error;
  }
  const usdt = new Contract(usdtAddress, ARTIFACT.abi as never, provider);

  // Journal the new blocks now and then, and at close; one capture at a time.
  let saving: Promise<void> = Promise.resolve();
  const save = (): Promise<void> => {
    if (!kept || !options.stateFile) return Promise.resolve();
    const [file, state] = [options.stateFile, kept];
    saving = saving.then(async () => {
      if ((await captureNewBlocks(provider, state)) > 0) writeJournal(file, state);
    });
    return saving;
  };
  if (kept && options.stateFile) writeJournal(options.stateFile, kept);
  await save();
  const saveTimer = kept
    ? setInterval(() => void save().catch(() => undefined), options.saveIntervalMs ?? 2000)
    : undefined;
  saveTimer?.unref();

  // One sender at a time from the faucet account, so its nonces never collide.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };

  const node: RunningEvmNode = {
    url,
    usdtAddress,
    provider,
    // One evm_mine at a time, as the interval miner mines and the journal plays back (mineEmpty).
    mine: async (blocks = 1) => {
      for (let i = 0; i < blocks; i++) await provider.send('evm_mine', []);
    },
    fundEth: (address, amountEth) =>
      serial(async () => {
        const tx = await issuer.sendTransaction({ to: address, value: parseEther(amountEth) });
        await tx.wait();
      }),
    sweep: (asset, to, amount) => serial(() => sweepOnEvm({ rpcUrl: url, usdtAddress, asset, to, amount }, provider)),
    usdtBalance: async (address) => (await usdt.getFunction('balanceOf')(address)) as bigint,
    close: async () => {
      clearInterval(saveTimer);
      if (child.exitCode === null) await save().catch(() => undefined);
      provider.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  return node;
}

function waitForStart(child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`hardhat node did not start in ${timeoutMs} ms: ${output.slice(-500)}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Started HTTP')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hardhat node exited with ${code}: ${output.slice(-500)}`));
    });
  });
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
