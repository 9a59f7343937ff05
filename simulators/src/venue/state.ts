/**
 * Everything the venue remembers, as plain JSON (amounts as decimal strings), so it can be written to
 * a state file and loaded again at start: a dev-stack restart keeps balances, orders, trades,
 * deposits, withdrawals and the consumed order book.
 *
 * What the venue acknowledged to a client (an order, a cancel, a withdrawal, a hold, a driver command,
 * a payout's signed bytes; a delayed fill, which a replay could not redo the same) is written before the
 * answer leaves (`StateFile.saveNow`). What the venue
 * does by itself on its tick (a deposit seen or credited, a hold released, a wire settled, a market
 * step) is written at most once per interval and only when something changed (`StateFile.changed`):
 * a crash loses at most that interval of such changes, and every one of them is redone at restart
 * from the chain and the clock (a deposit is seen again and credited once; a release or a settlement
 * is due again). Idle, the venue writes nothing (issue 19: rewriting the whole file for every deposit
 * every second saturated a core at about 200 deposits).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Chain } from '../../../packages/shared/src/contracts/common';
import type { MarketClockState } from './market';

/** One simulated price level of other market participants' liquidity. */
export interface BookLevel {
  price: string;
  qty: string;
}

export interface MarketBook {
  /** Best (highest) first. */
  bids: BookLevel[];
  /** Best (lowest) first. */
  asks: BookLevel[];
}

export type OrderStatus = 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'PARTIALLY_CANCELED' | 'REJECTED';

export interface OrderRecord {
  orderId: string;
  clientOrderId: string;
  symbol: string;
  side: 'SELL' | 'BUY';
  type: 'MARKET' | 'LIMIT' | 'LIMIT_MAKER';
  timeInForce: 'GTC' | 'IOC' | 'FOK';
  /** "0" for market orders. */
  price: string;
  origQty: string;
  executedQty: string;
  cumulativeQuoteQty: string;
  feeCoin: string;
  feeAmount: string;
  status: OrderStatus;
  time: number;
  updateTime: number;
  /** Fault injection (a delayed fill): accepted with nothing matched; matched against the book at this time. */
  matchAt?: number;
}

export interface TradeRecord {
  id: string;
  ticketId: string;
  orderId: string;
  clientOrderId: string;
  symbol: string;
  price: string;
  qty: string;
  /** price × qty in the quote currency, before the fee. */
  quoteQty: string;
  commission: string;
  commissionAsset: string;
  isBuyer: boolean;
  isMaker: boolean;
  time: number;
}

export interface DepositRecord {
  id: string;
  coin: string;
  chain: Chain;
  address: string;
  txId: string;
  quantity: string;
  /**
   * HashKey deposit status codes: 2 = waiting for confirmations, 4 = credited, 5 = held for review
   * (ccxt's hashkey class parses 2 and 5 as "pending", 4 as "ok").
   */
  status: 2 | 4 | 5;
  /**
   * The block the transaction was mined in (null: not mined yet). Confirmations are derived from it
   * and the chain's head when the deposit is read, so a new block changes nothing stored.
   */
  blockHeight?: number | null;
  /** Confirmations as stored by state files from before `blockHeight` (read only when it is absent). */
  confirmations?: number;
  time: number;
  creditedTime: number | null;
  /** Why the venue holds the deposit (AML review); shown to the client in the record's `remark`. */
  holdReason?: string | null;
  /** When a held deposit is released by itself (venue clock, ms); null: only by hand. */
  releaseAt?: number | null;
}

/** A hold decided before the deposit was seen (by transaction hash), applied when it is confirmed. */
export interface PlannedHold {
  reason: string;
  releaseAfterMs: number | null;
}

export interface WithdrawalRecord {
  id: string;
  clientOrderId: string | null;
  coin: string;
  /** Fiat: the registered bank account id the funds go to; crypto: the destination address. */
  address: string;
  chainType: string;
  /** Debited from the balance. */
  quantity: string;
  fee: string;
  /** quantity - fee: what the bank account or the address receives. */
  arriveQuantity: string;
  /**
   * HashKey codes, parsed by ccxt: 2 = processing (pending), 6 = paid out / sent (ok), 3 = failed
   * (failed; the quantity went back to the balance).
   */
  status: 2 | 3 | 6;
  /** The bank transfer reference once paid out; the chain transaction hash once broadcast. */
  txId: string;
  time: number;
  completeAfter: number;
  /** Crypto only: the chain the coins leave on. */
  chain?: Chain;
  /** EVM only: the signed transaction, stored before it is broadcast so a retry sends the same bytes. */
  signedTx?: { hash: string; raw: string } | null;
  /** Why a withdrawal failed (the record's `remark`). */
  failure?: string | null;
}

export interface Balance {
  free: string;
  locked: string;
}

export interface VenueState {
  version: 1;
  /** Counter behind every id the venue hands out. */
  sequence: number;
  balances: Record<string, Balance>;
  books: Record<string, MarketBook>;
  orders: OrderRecord[];
  trades: TradeRecord[];
  deposits: DepositRecord[];
  withdrawals: WithdrawalRecord[];
  /** The venue's deposit address on each chain (ERC-20 tokens share the chain's address). */
  depositAddresses: Record<Chain, string>;
  /** Holds planned by transaction hash for deposits not confirmed yet (absent in older state files). */
  plannedHolds?: Record<string, PlannedHold>;
  /** The moving market's clock and unreturned depth (only when the venue runs with dynamics). */
  market?: MarketClockState;
  /** A still market that refills (rules.bookRefill): the venue time its books were last refilled up to. */
  booksRefilledAt?: number;
}

export function loadState(file: string): VenueState | undefined {
  if (!existsSync(file)) return undefined;
  const state = JSON.parse(readFileSync(file, 'utf8')) as VenueState;
  if (state.version !== 1) throw new Error(`venue state file ${file}: unsupported version ${String(state.version)}`);
  return state;
}

/** Atomic: a crash mid-write leaves the previous file, never half of one. */
export function saveState(file: string, state: VenueState): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(state));
  renameSync(temp, file);
}

/** How the venue has its state kept: now (before answering a client) or soon (its own tick's changes). */
export interface StateKeeper {
  /** Write now if anything changed (acknowledged state must be on disk before the answer leaves). */
  saveNow(): void;
  /** Something changed: written within the interval, together with whatever else changes meanwhile. */
  changed(): void;
}

/**
 * The venue's state file with write-behind: `changed` marks the state dirty and arms one timer;
 * `saveNow` writes at once. Nothing is written while nothing changed.
 */
export class StateFile implements StateKeeper {
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  /** Whole-file writes so far (tests: an idle tick writes nothing). */
  writes = 0;

  constructor(
    private readonly file: string | undefined,
    private readonly state: () => VenueState,
    private readonly intervalMs = 1000,
  ) {}

  changed(): void {
    this.dirty = true;
    if (this.timer || !this.file) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.saveNow();
    }, this.intervalMs);
    this.timer.unref();
  }

  saveNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.dirty || !this.file) {
      this.dirty = false;
      return;
    }
    saveState(this.file, this.state());
    this.dirty = false;
    this.writes += 1;
  }

  /** Write what is pending (at shutdown). */
  close(): void {
    this.saveNow();
  }
}
