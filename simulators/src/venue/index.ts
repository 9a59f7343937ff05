/**
 * A HashKey-compatible venue on loopback (dev and tests only). Real ccxt talks to it unmodified: only
 * `urls.api` is pointed here. See app.ts for the API, venue.ts for the rules.
 *
 *   const venue = await startVenueSimulator({ chainUrl, bankAccounts: [{ id, name, bank }] });
 *   new ccxt.hashkey({ apiKey: DEV_VENUE_API_KEY, secret: DEV_VENUE_SECRET,
 *                      urls: { api: { public: venue.url, private: venue.url } } });
 *
 * Deposits: the venue has one deposit address per chain on the ledger-chain simulator (`chainUrl`) and
 * credits a transaction to it once it has `depositConfirmations` confirmations, polling every
 * `pollIntervalMs` and again whenever deposits are listed. With `holdDeposits` (or `holdDeposit(txId)`)
 * a confirmed deposit is held for review first (HashKey status 5, ccxt "pending", the reason in
 * `remark`) and credited when released (`releaseDeposit(txId)` or after `releaseAfterMs`).
 *
 * Withdrawals: fiat (USD) by bank wire to an account in `bankAccounts`;
 * ccxt: `withdraw('USD', amount, bankAccountId, undefined, { network: 'BANK' })`. Crypto (BTC, ETH, USDT)
 * to an address of the coin's chain (only those in `withdrawalAddressBook` when one is given), less
 * the coin's `networkWithdrawalFees`, sent from the venue's deposit address as a real transaction on
 * the chain it watches (payouts.ts); ccxt: `withdraw('BTC', amount, address, undefined, { network: 'BTC' })`,
 * ETH/USDT with `{ network: 'ERC20' }`. Its txId shows in fetchWithdrawals once broadcast.
 *
 * Dev-stack control routes (not HashKey's API, unsigned, loopback only): POST /sim/v1/deposits/:txId/hold
 * `{ reason, releaseAfterMs? }` and POST /sim/v1/deposits/:txId/release. Admin routes (loopback and
 * `adminToken`): the fault profile (GET/PUT /sim/v1/faults) and the market driver (/sim/v1/market/...), admin.ts.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Chain } from '../../../packages/shared/src/contracts/common';
import { HARDHAT_DEV_KEYS } from '../evm/accounts';
import { createVenueApp, type VenueAppDeps } from './app';
import type { HoldRule } from './deposit-holds';
import { type EvmDepositOptions, EvmDepositWatcher } from './evm-deposits';
import { type FaultPlan, VenueFaults } from './faults';
import type { MarketDynamicsOptions } from './market';
import { COINS, type MarketSpec } from './markets';
import { ChainPayouts } from './payouts';
import { VenueRequestLimit } from './request-limit';
import { loadState, StateFile } from './state';
import { type BankAccount, initialState, Venue, type VenueRules } from './venue';
import { venueEvmKey } from './venue-keys';

export type { VenueAppDeps } from './app';
export type { HoldRule } from './deposit-holds';
export { type FaultPlan, FaultPlanSchema, FaultProfileError, parseFaultProfile, VenueFaults } from './faults';
export type { MarketDynamicsOptions } from './market';
export { VENUE_REQUESTS_PER_SECOND, VenueRequestLimit } from './request-limit';
export type { BankAccount } from './venue';

/** Dev-only credentials: the dev stack and tests use them; nothing real is ever signed with them. */
export const DEV_VENUE_API_KEY = 'vcdc-dev-venue-key';
export const DEV_VENUE_SECRET = 'vcdc-dev-venue-secret-not-for-production';

export interface VenueSimulatorOptions {
  port?: number;
  host?: string;
  /** Seeds the order book and the deposit addresses: same seed, same venue. */
  seed?: number;
  apiKey?: string;
  secret?: string;
  /** Base URL of the ledger-chain simulator the venue watches for deposits. */
  chainUrl: string;
  /** When given, ethereum deposits (ETH, USDT) are watched on this EVM node instead of the ledger chain. */
  evm?: EvmDepositOptions;
  depositConfirmations?: number;
  /** Bank accounts registered for fiat withdrawals (the only allowed destinations). */
  bankAccounts?: BankAccount[];
  /**
   * Load state from here at start. What a client is answered about is written before the answer;
   * what the venue does on its own (deposits seen and credited, holds released, wires settled, market
   * steps) at most once per `persistIntervalMs`, and nothing while nothing changed (state.ts).
   */
  stateFile?: string;
  /** The write-behind interval of the state file (default 1000 ms). */
  persistIntervalMs?: number;
  /** The state file's journal is folded into a new snapshot beyond this size and the snapshot's (default 4 MB). */
  journalCompactAtBytes?: number;
  /** How often the venue polls the chain for deposits and settles withdrawals (default 1000 ms). */
  pollIntervalMs?: number;
  takerFee?: string;
  makerFee?: string;
  /** Flat fee per fiat withdrawal (default "10"). */
  withdrawalFee?: string;
  /** Fee per crypto withdrawal by coin (default BTC 0.0005, ETH 0.003, USDT 3). */
  networkWithdrawalFees?: Record<string, string>;
  /** Only these addresses may receive crypto withdrawals; absent: any valid address of the chain. */
  withdrawalAddressBook?: { chain: Chain; address: string }[];
  /** Hold every confirmed deposit (or those of `assets`) for review with this reason. */
  holdDeposits?: HoldRule;
  /** How long a withdrawal stays processing (default 2000 ms). */
  withdrawalDelayMs?: number;
  markets?: MarketSpec[];
  /** Balances the account starts with when there is no state yet (tests and demos). */
  initialBalances?: Record<string, string>;
  /** A moving market (seeded price process, replenishing depth, flow, candles); absent: a static book. */
  dynamics?: MarketDynamicsOptions;
  /** A static book that other traders refill toward its seeded depth (venue.ts VenueRules.bookRefill); absent: taken stays taken. */
  bookRefill?: VenueRules['bookRefill'];
  /** The market's clock (tests step it by hand); request signatures are always checked against real time. */
  clock?: () => number;
  /** Faults from the start (tests can change them later through `faults.configure`, a person through PUT /sim/v1/faults). */
  faults?: FaultPlan;
  /** Bearer token of the admin routes (fault profile, market driver: admin.ts); absent: they refuse every request. */
  adminToken?: string;
  /**
   * The venue's API rate limit: requests per rolling second above which it answers 429 (request-limit.ts).
   * Absent: no limit (tests that drive the venue directly); the dev stack sets VENUE_REQUESTS_PER_SECOND.
   */
  requestsPerSecond?: number;
  /**
   * The venue's HTTP API over the same engine (book, ledger, deposits, withdrawals): default HashKey's
   * (app.ts); the simulated OSL (simulators/src/osl) gives its own.
   */
  api?: (deps: VenueAppDeps) => Express;
}

export interface RunningVenueSimulator {
  url: string;
  port: number;
  app: Express;
  venue: Venue;
  faults: VenueFaults;
  /** The venue's request limit, with its count of refusals and of requests per route. */
  requestLimit: VenueRequestLimit;
  /** The state file's writer (`writes` counts whole-file writes). */
  stateFile: StateFile;
  /** Poll the chain now (what the interval does). */
  syncDeposits: () => Promise<void>;
  /** Send (or follow up) the crypto withdrawals still processing now (what the interval does). */
  processWithdrawals: () => Promise<void>;
  close: () => Promise<void>;
}

export async function startVenueSimulator(options: VenueSimulatorOptions): Promise<RunningVenueSimulator> {
  const rules = Venue.defaultRules({
    seed: options.seed,
    takerFee: options.takerFee,
    makerFee: options.makerFee,
    depositConfirmations: options.depositConfirmations,
    bankAccounts: options.bankAccounts,
    withdrawalFee: options.withdrawalFee,
    withdrawalDelayMs: options.withdrawalDelayMs,
    networkWithdrawalFees: options.networkWithdrawalFees,
    withdrawalAddressBook: options.withdrawalAddressBook,
    holdDeposits: options.holdDeposits,
    markets: options.markets,
    dynamics: options.dynamics,
    bookRefill: options.bookRefill,
  });
  const clock = options.clock ?? Date.now;
  let state = options.stateFile ? loadState(options.stateFile) : undefined;
  if (!state) {
    state = initialState(rules, clock());
    for (const [asset, amount] of Object.entries(options.initialBalances ?? {})) {
      state.balances[asset] = { free: amount, locked: '0' };
    }
  }
  const loaded = state;
  const stateFile = new StateFile(
    options.stateFile,
    () => loaded,
    options.persistIntervalMs ?? 1000,
    options.journalCompactAtBytes,
  );
  const venue = new Venue(state, rules, stateFile, clock);
  stateFile.compact(); // the journal played back at load is folded into a fresh snapshot

  const chainUrl = options.chainUrl.replace(/\/+$/, '');
  const chains = [...new Set(COINS.flatMap((c) => (c.chain ? [c.chain] : [])))];
  const gasKey = options.evm?.gasKey ?? HARDHAT_DEV_KEYS[1];
  const evmDeposits = options.evm ? new EvmDepositWatcher({ ...options.evm, gasKey }) : undefined;
  const payouts = new ChainPayouts(
    venue,
    chainUrl,
    options.evm && {
      rpcUrl: options.evm.rpcUrl,
      usdtAddress: options.evm.usdtAddress,
      usdtDecimals: options.evm.usdtDecimals ?? 6,
      venueKey: venueEvmKey(rules.seed),
      gasKey,
    },
  );
  const processWithdrawals = () => payouts.run();
  // Per chain, the lowest block a transaction still to be settled can be in (chain-watch below).
  const watermarks: Partial<Record<Chain, number>> = {};
  // One sync at a time: a poll and a listing racing could otherwise both see a tx as new.
  let running: Promise<void> = Promise.resolve();
  const syncDeposits = (): Promise<void> => {
    const next = running.then(async () => {
      for (const chain of chains) {
        if (chain === 'ethereum' && evmDeposits) {
          await evmDeposits.sync(
            venue.state.depositAddresses.ethereum,
            (c, tx) => venue.observeChainTransaction(c, tx),
            (head) => venue.chainHead('ethereum', head),
          );
        } else {
          await pollChain(venue, chainUrl, chain, watermarks);
        }
      }
    });
    running = next.catch(() => undefined);
    return next;
  };

  const faults = new VenueFaults();
  if (options.faults) faults.configure(options.faults);
  venue.depositFault = () => faults.depositHold();
  const requestLimit = new VenueRequestLimit(options.requestsPerSecond);
  const app = (options.api ?? createVenueApp)({
    requestLimit,
    venue,
    credentials: { apiKey: options.apiKey ?? DEV_VENUE_API_KEY, secret: options.secret ?? DEV_VENUE_SECRET },
    syncDeposits,
    processWithdrawals,
    faults,
    adminToken: options.adminToken,
  });
  const host = options.host ?? '127.0.0.1';
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(options.port ?? 0, host, (error?: Error) => (error ? reject(error) : resolve(s)));
    s.on('error', reject);
  });
  const port = (server.address() as AddressInfo).port;

  const timer = setInterval(() => {
    venue.settleWithdrawals();
    venue.releaseDueHolds();
    void syncDeposits().catch(() => undefined); // the chain may be down for a moment; the next poll catches up
    void processWithdrawals();
  }, options.pollIntervalMs ?? 1000);
  timer.unref();

  return {
    url: `http://${host}:${port}`,
    port,
    app,
    venue,
    faults,
    requestLimit,
    stateFile,
    syncDeposits,
    processWithdrawals,
    close: async () => {
      clearInterval(timer);
      await running;
      await payouts.close();
      evmDeposits?.close();
      stateFile.close();
      await new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

interface ChainTransaction {
  txHash: string;
  asset: string;
  amount: string;
  status: string;
  confirmations: number;
  blockHeight?: number | null;
  to?: string;
}

/**
 * Asks the ledger chain only for the venue's transactions that can still matter: unmined, or mined
 * at or after the watermark. After a poll at head H every transaction mined at or below
 * H - confirmations + 1 was reported with enough confirmations and settled, so the next poll starts
 * at H - confirmations + 2: a poll costs the transactions of the last few blocks, not the address's
 * whole history. The watermark lives in memory: after a restart the first poll reads everything.
 */
async function pollChain(
  venue: Venue,
  chainUrl: string,
  chain: Chain,
  watermarks: Partial<Record<Chain, number>>,
): Promise<void> {
  const address = venue.state.depositAddresses[chain];
  const since = watermarks[chain] ?? 0;
  const response = await fetch(
    `${chainUrl}/v1/chains/${chain}/addresses/${encodeURIComponent(address)}/transactions?direction=in&sinceHeight=${since}`,
    { signal: AbortSignal.timeout(5000) },
  );
  if (!response.ok) throw new Error(`chain ${chain} answered ${response.status}`);
  const body = (await response.json()) as { transactions?: ChainTransaction[]; head?: number };
  for (const tx of body.transactions ?? []) {
    if (tx.to !== undefined && tx.to !== address) continue;
    venue.observeChainTransaction(chain, tx);
  }
  if (typeof body.head === 'number') {
    venue.chainHead(chain, body.head);
    watermarks[chain] = Math.max(0, body.head - venue.rules.depositConfirmations + 2);
  }
}
