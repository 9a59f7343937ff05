/**
 * Everything the venue remembers, as plain JSON (amounts as decimal strings), so it can be written to
 * a state file and loaded again at start: a dev-stack restart keeps balances, orders, trades,
 * deposits, withdrawals and the consumed order book.
 *
 * The file is a snapshot plus a journal (`<file>.journal-<n>`, one JSON line per save: the records
 * that are new or were still open at the previous save, and the small parts whole: balances, books,
 * the market's clock, planned holds, the id counter). A save appends one line, so its cost is what
 * changed, not the venue's history; when the journal outgrows the snapshot (or 4 MB) the state is
 * written whole again (temp file + rename: never half a file) under the next generation and the old
 * journal is removed. A line cut short by a crash was never acknowledged and is skipped at load.
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
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
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
  /** The generation of the journal that continues this snapshot (`<file>.journal-<n>`; absent: 0). */
  journal?: number;
}

/** The journal that continues a snapshot of generation `generation`. */
function journalFile(file: string, generation: number): string {
  return `${file}.journal-${generation}`;
}

/** One save: records new or possibly changed since the previous one, and the small parts whole. */
interface JournalLine {
  sequence: number;
  balances: Record<string, Balance>;
  books: Record<string, MarketBook>;
  plannedHolds?: Record<string, PlannedHold>;
  market?: MarketClockState;
  booksRefilledAt?: number;
  orders: OrderRecord[];
  trades: TradeRecord[];
  deposits: DepositRecord[];
  withdrawals: WithdrawalRecord[];
}

/** The snapshot with its journal played over it. */
export function loadState(file: string): VenueState | undefined {
  if (!existsSync(file)) return undefined;
  const state = JSON.parse(readFileSync(file, 'utf8')) as VenueState;
  if (state.version !== 1) throw new Error(`venue state file ${file}: unsupported version ${String(state.version)}`);
  const journal = journalFile(file, state.journal ?? 0);
  if (!existsSync(journal)) return state;
  const lines = readFileSync(journal, 'utf8').split('\n');
  const upsert = <T>(records: T[], key: (r: T) => string) => {
    const at = new Map(records.map((r, i) => [key(r), i]));
    return (changed: T[]) => {
      for (const r of changed) {
        const i = at.get(key(r));
        if (i === undefined) {
          at.set(key(r), records.length);
          records.push(r);
        } else records[i] = r;
      }
    };
  };
  const orders = upsert(state.orders, (o) => o.orderId);
  const trades = upsert(state.trades, (t) => t.id);
  const deposits = upsert(state.deposits, (d) => d.id);
  const withdrawals = upsert(state.withdrawals, (w) => w.id);
  lines.forEach((text, n) => {
    if (text === '') return;
    let line: JournalLine;
    try {
      line = JSON.parse(text) as JournalLine;
    } catch (error) {
      if (lines.slice(n + 1).every((rest) => rest === '')) return; // cut short by a crash: never acknowledged
      throw new Error(`venue journal ${journal}: line ${n + 1} is not JSON (${String(error)})`);
    }
    state.sequence = line.sequence;
    state.balances = line.balances;
    state.books = line.books;
    state.plannedHolds = line.plannedHolds;
    state.market = line.market;
    state.booksRefilledAt = line.booksRefilledAt;
    orders(line.orders);
    trades(line.trades);
    deposits(line.deposits);
    withdrawals(line.withdrawals);
  });
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

/** Records that can still change (an open order, a deposit not credited, a withdrawal processing). */
const openOrder = (o: OrderRecord) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED' || o.matchAt !== undefined;
const openDeposit = (d: DepositRecord) => d.status !== 4 || d.blockHeight == null;
const openWithdrawal = (w: WithdrawalRecord) => w.status === 2;

/**
 * The venue's state file (snapshot + journal, above) with write-behind: `changed` marks the state
 * dirty and arms one timer; `saveNow` appends one journal line at once. Nothing is written while
 * nothing changed.
 */
export class StateFile implements StateKeeper {
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private journalBytes = 0;
  private snapshotBytes = 0;
  /** How many records of each list the last save had: those after are new. */
  private seen = { orders: 0, trades: 0, deposits: 0, withdrawals: 0 };
  /** Records still open at the last save: they may have changed since. */
  private open = {
    orders: new Set<OrderRecord>(),
    deposits: new Set<DepositRecord>(),
    withdrawals: new Set<WithdrawalRecord>(),
  };
  /** Whole-state writes so far (at start and when the journal is folded in). */
  writes = 0;
  /** Journal lines appended so far (tests: an idle tick appends nothing). */
  appends = 0;

  constructor(
    private readonly file: string | undefined,
    private readonly state: () => VenueState,
    private readonly intervalMs = 1000,
    /** The journal is folded into a new snapshot once it is larger than this and than the snapshot. */
    private readonly compactAtBytes = 4 * 1024 * 1024,
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
    const s = this.state();
    const changed = <T>(list: T[], open: Set<T>, seen: number, stillOpen: (r: T) => boolean): T[] => {
      const out = [...open, ...list.slice(seen)];
      for (const r of out) {
        if (stillOpen(r)) open.add(r);
        else open.delete(r);
      }
      return out;
    };
    const line: JournalLine = {
      sequence: s.sequence,
      balances: s.balances,
      books: s.books,
      plannedHolds: s.plannedHolds,
      market: s.market,
      booksRefilledAt: s.booksRefilledAt,
      orders: changed(s.orders, this.open.orders, this.seen.orders, openOrder),
      trades: s.trades.slice(this.seen.trades),
      deposits: changed(s.deposits, this.open.deposits, this.seen.deposits, openDeposit),
      withdrawals: changed(s.withdrawals, this.open.withdrawals, this.seen.withdrawals, openWithdrawal),
    };
    this.seen = {
      orders: s.orders.length,
      trades: s.trades.length,
      deposits: s.deposits.length,
      withdrawals: s.withdrawals.length,
    };
    const text = `${JSON.stringify(line)}\n`;
    appendFileSync(journalFile(this.file, s.journal ?? 0), text);
    this.dirty = false;
    this.appends += 1;
    this.journalBytes += Buffer.byteLength(text);
    if (this.journalBytes > Math.max(this.compactAtBytes, this.snapshotBytes)) this.compact();
  }

  /**
   * The whole state as a new snapshot, continued by a new (empty) journal; the old journal goes. A
   * crash between the rename and the removal leaves an old journal no snapshot points at: harmless.
   */
  compact(): void {
    this.dirty = false;
    if (!this.file) return;
    const s = this.state();
    const previous = s.journal ?? 0;
    s.journal = previous + 1;
    saveState(this.file, s);
    rmSync(journalFile(this.file, previous), { force: true });
    this.writes += 1;
    this.journalBytes = 0;
    this.snapshotBytes = statSync(this.file).size;
    this.seen = {
      orders: s.orders.length,
      trades: s.trades.length,
      deposits: s.deposits.length,
      withdrawals: s.withdrawals.length,
    };
    this.open = {
      orders: new Set(s.orders.filter(openOrder)),
      deposits: new Set(s.deposits.filter(openDeposit)),
      withdrawals: new Set(s.withdrawals.filter(openWithdrawal)),
    };
  }

  /** Write what is pending (at shutdown). */
  close(): void {
    this.saveNow();
  }
}
