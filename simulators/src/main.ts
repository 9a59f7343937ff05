/**
 * Dev stack only: the simulators in one process — the ledger chain (BTC), the local EVM node (Hardhat,
 * ETH and the USDT ERC-20), the HashKey-compatible venue (which credits deposits by watching both
 * chains), the simulated OSL and OTC desks when given ports, and the FX-rate source. State is kept in SIM_STATE_DIR (the EVM node's as a journal of its blocks,
 * played back at start: evm/chain-journal.ts) so that a restart of the dev stack resumes running cases.
 */
import path from 'node:path';
import { parseEther } from 'ethers';
import { z } from 'zod';
import { loadConfigOrExit } from '../../packages/shared/src/config';
import { createLogger } from '../../packages/shared/src/logger';
import { onShutdown } from '../../packages/shared/src/server';
import { startChainSimulator } from './chain';
import { startDevDesks } from './desks';
import { DEV_OFFSHORE_ACCOUNT } from './dev-accounts';
import { startEvmNode } from './evm';
import { HARDHAT_DEV_KEYS } from './evm/accounts';
import { startFxRateSimulator } from './fx-rates';
import { startOslSimulator } from './osl';
import { FaultProfileError, parseFaultProfile, startVenueSimulator, VENUE_REQUESTS_PER_SECOND } from './venue';
import { venueAdminToken } from './venue/admin-token';

const Config = z.object({
  HOST: z.string().default('127.0.0.1'),
  CHAIN_SIM_PORT: z.coerce.number().int().min(0).max(65535).default(7202),
  VENUE_SIM_PORT: z.coerce.number().int().min(0).max(65535).default(7201),
  /** The simulated OSL, a second trading venue (simulators/src/osl); absent: not started. */
  OSL_SIM_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  FX_RATES_SIM_PORT: z.coerce.number().int().min(0).max(65535).default(7203),
  /**
   * The simulated OTC desks (simulators/src/desks, the register's desk-alpha, -beta, -gamma in that order),
   * one port each, comma-separated, e.g. "7211,7212,7213"; absent: not started.
   */
  DESK_SIM_PORTS: z
    .string()
    .regex(/^\d{1,5}(,\d{1,5}){0,2}$/, 'one to three ports, comma-separated')
    .transform((text) => text.split(',').map(Number))
    .optional(),
  EVM_NODE_PORT: z.coerce.number().int().min(0).max(65535).default(7204),
  /** Addresses given 10 ETH at start when they hold less than 1 (the custody gas station), comma-separated. */
  EVM_FUND_ADDRESSES: z.string().default(''),
  SIM_STATE_DIR: z.string().optional(),
  CHAIN_BLOCK_INTERVAL_MS: z.coerce.number().int().positive().default(1000),
  /**
   * How long the venue keeps a fiat withdrawal processing before it pays out (default 2 s); benchmarks
   * compress it, as they compress the chains' block interval.
   */
  VENUE_WITHDRAWAL_DELAY_MS: z.coerce.number().int().min(0).default(2000),
  VENUE_SEED: z.coerce.number().int().default(20261125),
  /** The venue's fault profile (JSON, venue/faults.ts FaultPlanSchema), e.g. {"seed":7,"serverErrorRate":0.3}. */
  VENUE_FAULTS: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (!text) return undefined;
      try {
        return parseFaultProfile(text);
      } catch (error) {
        if (!(error instanceof FaultProfileError)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message });
        return z.NEVER;
      }
    }),
  /**
   * Bearer token of the venue's admin routes (fault profile, market driver). Absent: one is made and
   * kept in SIM_STATE_DIR/venue-admin-token (owner-only), where `npm run venue` finds it.
   */
  VENUE_ADMIN_TOKEN: z.string().min(16).optional(),
  /**
   * `moving` (default): a seeded price process, depth that refills after our orders, other participants' flow
   * and candles, which the driver can move; `static`: one fixed book that other traders refill toward its
   * seeded depth (5% of what is missing each second): without the refill, after about twenty cases its bids
   * were gone and later cases waited on the reference price for ever (issue 19).
   */
  VENUE_MARKET: z.enum(['moving', 'static']).default('moving'),
  /**
   * The venue's API rate limit (requests per rolling second, 429 above it). The exchange service's
   * capability table paces its client by the same figure for HashKey; change both together.
   */
  VENUE_REQUESTS_PER_SECOND: z.coerce.number().int().positive().default(VENUE_REQUESTS_PER_SECOND),
  FX_RATES_SEED: z.coerce.number().int().default(20261125),
  LOG_LEVEL: z.string().default('info'),
});

async function main(): Promise<void> {
  const cfg = loadConfigOrExit(Config);
  const logger = createLogger('simulators', cfg.LOG_LEVEL);
  const stateFile = (name: string) => (cfg.SIM_STATE_DIR ? path.join(cfg.SIM_STATE_DIR, `${name}.json`) : undefined);

  const chain = await startChainSimulator({
    host: cfg.HOST,
    port: cfg.CHAIN_SIM_PORT,
    blockIntervalMs: cfg.CHAIN_BLOCK_INTERVAL_MS,
    stateFile: stateFile('chain'),
  });
  const evmNode = await startEvmNode({
    host: cfg.HOST,
    port: cfg.EVM_NODE_PORT,
    blockIntervalMs: cfg.CHAIN_BLOCK_INTERVAL_MS,
    stateFile: stateFile('evm'),
  });
  // A kept chain still has its funding: topping up only when low keeps balances as they were.
  for (const address of cfg.EVM_FUND_ADDRESSES.split(',').filter(Boolean)) {
    if ((await evmNode.provider.getBalance(address)) < parseEther('1')) await evmNode.fundEth(address, '10');
  }
  const venue = await startVenueSimulator({
    host: cfg.HOST,
    port: cfg.VENUE_SIM_PORT,
    seed: cfg.VENUE_SEED,
    chainUrl: chain.url,
    evm: { rpcUrl: evmNode.url, usdtAddress: evmNode.usdtAddress },
    bankAccounts: [DEV_OFFSHORE_ACCOUNT],
    stateFile: stateFile('venue'),
    dynamics: cfg.VENUE_MARKET === 'moving' ? {} : undefined,
    bookRefill: cfg.VENUE_MARKET === 'static' ? {} : undefined,
    faults: cfg.VENUE_FAULTS,
    requestsPerSecond: cfg.VENUE_REQUESTS_PER_SECOND,
    withdrawalDelayMs: cfg.VENUE_WITHDRAWAL_DELAY_MS,
    adminToken: cfg.VENUE_ADMIN_TOKEN ?? (cfg.SIM_STATE_DIR ? venueAdminToken(cfg.SIM_STATE_DIR) : undefined),
  });
  // Its own gas key: its payouts on the EVM node never race the HashKey venue's for a nonce.
  const osl =
    cfg.OSL_SIM_PORT === undefined
      ? undefined
      : await startOslSimulator({
          host: cfg.HOST,
          port: cfg.OSL_SIM_PORT,
          chainUrl: chain.url,
          evm: { rpcUrl: evmNode.url, usdtAddress: evmNode.usdtAddress, gasKey: HARDHAT_DEV_KEYS[2] },
          bankAccounts: [DEV_OFFSHORE_ACCOUNT],
          stateFile: stateFile('osl'),
          dynamics: cfg.VENUE_MARKET === 'moving' ? {} : undefined,
          bookRefill: cfg.VENUE_MARKET === 'static' ? {} : undefined,
          requestsPerSecond: cfg.VENUE_REQUESTS_PER_SECOND,
        });
  // The desks price from the venue's last prices and pay only for coins they see arrive on the chains.
  const desks =
    cfg.DESK_SIM_PORTS === undefined
      ? undefined
      : await startDevDesks({
          venueUrl: venue.url,
          ports: cfg.DESK_SIM_PORTS,
          host: cfg.HOST,
          chain: { ledgerUrl: chain.url, evmRpcUrl: evmNode.url },
        });
  const fxRates = await startFxRateSimulator({ host: cfg.HOST, port: cfg.FX_RATES_SIM_PORT, seed: cfg.FX_RATES_SEED });
  logger.info(
    {
      chain: chain.url,
      evm: evmNode.url,
      usdt: evmNode.usdtAddress,
      venue: venue.url,
      osl: osl?.url,
      desks: desks?.desks.map((d) => d.url),
      fxRates: fxRates.url,
      venueMarket: cfg.VENUE_MARKET,
      venueFaults: cfg.VENUE_FAULTS ?? {},
    },
    'simulators listening',
  );

  onShutdown(logger, async () => {
    await fxRates.close();
    await desks?.close();
    await osl?.close();
    await venue.close();
    await evmNode.close();
    await chain.close();
  });
}

void main();
