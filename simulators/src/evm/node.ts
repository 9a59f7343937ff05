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
import { ContractFactory, JsonRpcProvider, parseEther, Wallet } from 'ethers';
import { HARDHAT_DEV_KEYS, USDT_ABI, USDT_ARTIFACT, USDT_DECIMALS } from './accounts';
import { sweepOnEvm } from './seizure';

const ARTIFACT = USDT_ARTIFACT;

export { HARDHAT_DEV_KEYS, USDT_ABI, USDT_DECIMALS };

export interface EvmNodeOptions {
  host?: string;
  /** 0 (default): a free port. */
  port?: number;
  /** Also mine an empty block every this many ms (0: only on transactions and by hand). */
  blockIntervalMs?: number;
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
  const cli = require.resolve('hardhat/internal/cli/cli.js');
  const child = spawn(
    process.execPath,
    [cli, 'node', '--config', path.join(__dirname, 'hardhat.config.cjs'), '--hostname', host, '--port', String(port)],
    {
      cwd: __dirname,
      env: {
        ...process.env,
        HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true',
        EVM_BLOCK_INTERVAL_MS: String(options.blockIntervalMs ?? 0),
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
  const factory = new ContractFactory(ARTIFACT.abi as never, ARTIFACT.bytecode, issuer);
  const deployed = await factory.deploy();
  await deployed.waitForDeployment();
  const usdtAddress = await deployed.getAddress();
  const usdt = deployed;

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
    mine: async (blocks = 1) => {
      await provider.send('hardhat_mine', [`0x${blocks.toString(16)}`]);
    },
    fundEth: (address, amountEth) =>
      serial(async () => {
        const tx = await issuer.sendTransaction({ to: address, value: parseEther(amountEth) });
        await tx.wait();
      }),
    sweep: (asset, to, amount) => serial(() => sweepOnEvm({ rpcUrl: url, usdtAddress, asset, to, amount }, provider)),
    usdtBalance: async (address) => (await usdt.getFunction('balanceOf')(address)) as bigint,
    close: async () => {
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
