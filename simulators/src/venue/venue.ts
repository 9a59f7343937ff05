/**
 * The venue's books and rules: one account (the case disposal account) with balances per asset, spot
 * sell orders matched against the seeded book, trades with fees, deposits credited from the chains
 * after enough confirmations (or held for review first, deposit-holds.ts), fiat withdrawals to
 * registered bank accounts and crypto withdrawals to chain addresses (sent by payouts.ts).
 *
 * All amounts are Decimal in code and decimal strings in state. Rounding is explicit: the quote
 * currency a sale credits is rounded toward zero to the asset's scale and the rounding is part of the
 * fee, so for every trade `price x qty = credited + fee` exactly.
 */
import { createHash } from 'node:crypto';
import type { Chain } from '../../../packages/shared/src/contracts/common';
import { ASSETS, type AssetCode, Decimal } from '../../../packages/shared/src/money';
import { refillBook, seedBook, takeBids } from './book';
import { dueForRelease, type HoldRule, holdOnConfirmation, planHold } from './deposit-holds';
import { refuse, VenueError } from './errors';
import { type Candle, emptyControls, type MarketControls, MarketDynamics, type MarketDynamicsOptions } from './market';
import { COINS, coinSpec, DEFAULT_MARKETS, type MarketSpec } from './markets';
import type { DepositRecord, OrderRecord, StateKeeper, TradeRecord, VenueState, WithdrawalRecord } from './state';
import { venueEvmAddress } from './venue-keys';
import { validWithdrawalAddress } from './withdrawal-addresses';

export interface BankAccount {
  id: string;
  name: string;
  bank: string;
}

export interface VenueRules {
  seed: number;
  takerFee: string;
  makerFee: string;
  depositConfirmations: number;
  bankAccounts: BankAccount[];
  /** Flat fee per fiat withdrawal, in the withdrawn currency. */
  withdrawalFee: string;
  /** How long a fiat withdrawal stays "processing" before it is paid out. */
  withdrawalDelayMs: number;
  /** Flat fee per crypto withdrawal, in the withdrawn coin (it pays the chain's fee out of it). */
  networkWithdrawalFees: Record<string, string>;
  /**
   * The withdrawal address book for crypto: when given, coins leave only to these addresses (as at a
   * venue that whitelists). Absent: any well-formed address of the coin's chain.
   */
  withdrawalAddressBook?: { chain: Chain; address: string }[];
  /** Confirmed deposits are held for review instead of credited (deposit-holds.ts). */
  holdDeposits?: HoldRule;
  markets: MarketSpec[];
  /** A moving market (price process, replenishing depth, other participants' flow); absent: a static book. */
  dynamics?: MarketDynamicsOptions;
  /**
   * A static book that other traders refill: every `intervalMs` of venue time each level's missing
   * quantity shrinks by `rate` (a fraction, default "0.05") toward the seeded depth. Absent: what our
   * orders take stays taken (tests that count on a consumed book). A moving market refills by itself.
   */
  bookRefill?: { intervalMs?: number; rate?: string };
}

export const ACCOUNT_ID = '1732885739589466112';
const DECIMAL = /^(0|[1-9]\d{0,29})(\.\d{1,30})?$/;

function scale(asset: string): number {
  return asset in ASSETS ? ASSETS[asset as AssetCode].scale : 18;
}

function isMultiple(value: Decimal, step: string): boolean {
  return value.mod(step).isZero();
}

function positiveDecimal(raw: string | undefined, refusal: () => VenueError): Decimal {
  if (raw === undefined || !DECIMAL.test(raw)) throw refusal();
  const d = new Decimal(raw);
  if (d.lte(0)) throw refusal();
  return d;
}

export function initialState(rules: VenueRules, now: number = Date.now()): VenueState {
  const digest = (label: string) => createHash('sha256').update(`venue:${rules.seed}:${label}`).digest('hex');
  return {
    version: 1,
    sequence: 0,
    balances: {},
    books: Object.fromEntries(rules.markets.map((m) => [m.id, seedBook(m, rules.seed)])),
    orders: [],
    trades: [],
    deposits: [],
    withdrawals: [],
    depositAddresses: {
      bitcoin: `bc1q${digest('bitcoin').slice(0, 38)}`,
      // The address of a key the venue holds, so that it can pay withdrawals out of it (venue-keys.ts).
      ethereum: venueEvmAddress(rules.seed),
    },
    ...(rules.dynamics ? { market: { epoch: now, processedStep: 0, depletion: {} } } : {}),
  };
}

/** No state kept (a venue in memory only). */
const IN_MEMORY: StateKeeper = { saveNow: () => undefined, changed: () => undefined };

export class Venue {
  private readonly dynamics: MarketDynamics | undefined;
  /** Fault injection: asked for each deposit as it is confirmed; a hold it returns is put on it. */
  depositFault?: () => { reason: string; releaseAfterMs: number | null } | undefined;
  /** Deposits by chain and transaction hash: the tick looks each observed transaction up in O(1). */
  private readonly depositsByTx = new Map<string, DepositRecord>();
  /** Deposits held for review (status 5): the only ones a tick looks at for a due release. */
  private readonly held = new Set<DepositRecord>();
  /** The newest block height seen per chain (in memory: the next poll tells it again after a restart). */
  private readonly heads: Partial<Record<Chain, number>> = {};
  /**
   * Orders that were open when last looked at, in arrival order: requests and market steps look at these,
   * not at every order ever placed. Pruned as they are read (an order never reopens).
   */
  private readonly open = new Set<OrderRecord>();

  constructor(
    readonly state: VenueState,
    readonly rules: VenueRules,
    private readonly store: StateKeeper = IN_MEMORY,
    private readonly now: () => number = Date.now,
  ) {
    for (const d of state.deposits) {
      this.depositsByTx.set(txKey(d.chain, d.txId), d);
      if (d.status === 5) this.held.add(d);
    }
    for (const o of state.orders) if (isOpen(o)) this.open.add(o);
    if (rules.dynamics) {
      this.dynamics = new MarketDynamics(rules.seed, rules.dynamics);
      state.market ??= { epoch: now(), processedStep: 0, depletion: {} };
      state.market.controls ??= {};
      this.dynamics.useControls(state.market.controls);
      this.advance();
    }
  }

  // ---- the moving market (market.ts) ----------------------------------------------------------------
  /**
   * Brings the market up to now: step by step, consumed depth returns and other participants' buying
   * fills the account's resting sells (or a market that rose through a resting price fills it from the
   * bids at or above it, at its own price, as maker); then the book shown is the current step's. Without dynamics the book only changes by our trades.
   */
  advance(): void {
    this.matchDelayed();
    const dynamics = this.dynamics;
    const clock = this.state.market;
    if (!dynamics || !clock) {
      this.refillStaticBooks();
      return;
    }
    const current = dynamics.step(clock, this.now());
    for (const spec of this.rules.markets) {
      let depletion = new Decimal(clock.depletion[spec.id] ?? '0');
      const resting = () => this.openOrders(spec.id).filter((o) => o.matchAt === undefined);
      let step = clock.processedStep;
      if (resting().length === 0) {
        depletion = dynamics.decay(depletion, current - step);
        step = current;
      }
      while (step < current) {
        step += 1;
        depletion = dynamics.decay(depletion, 1);
        const book = dynamics.book(spec, step, depletion);
        let flow = dynamics.buyFlow(spec, step);
        const time = clock.epoch + step * dynamics.stepMs;
        for (const order of resting().sort((a, b) => new Decimal(a.price).comparedTo(b.price))) {
          const price = new Decimal(order.price);
          const left = new Decimal(order.origQty).minus(order.executedQty);
          const bestBid = book.bids[0] ? new Decimal(book.bids[0].price) : undefined;
          const bestAsk = book.asks[0] ? new Decimal(book.asks[0].price) : undefined;
          if (bestBid?.gte(price)) {
            // The market rose through our offer: the buyers bidding at or above it trade with it at its
            // price, as takers against our resting order (we are the maker, as at a real venue).
            const { matches } = takeBids(book, left, price);
            for (const m of matches) {
              this.fillResting(order, spec, price, new Decimal(m.qty), true, time);
              depletion = depletion.plus(m.qty);
            }
          } else if (flow.gt(0) && (!bestAsk || price.lte(bestAsk))) {
            // Buyers lift the cheapest offer first: ours when it is better than the book's, else we share the level.
            const reach = bestAsk && price.eq(bestAsk) ? flow.div(2) : flow;
            const take = Decimal.min(left, reach.div(spec.stepSize).floor().mul(spec.stepSize));
            if (take.gt(0)) {
              this.fillResting(order, spec, price, take, true, time);
              flow = flow.minus(take);
            }
          }
        }
      }
      clock.depletion[spec.id] = depletion.toFixed();
      this.state.books[spec.id] = dynamics.book(spec, current, depletion);
    }
    if (clock.processedStep !== current) {
      clock.processedStep = current;
      this.changed();
    }
  }

  /**
   * A static book's other traders put back part of what our orders took, once per refill interval
   * of venue time (rules.bookRefill), toward the seeded depth around the market's mid.
   */
  private refillStaticBooks(): void {
    const refill = this.rules.bookRefill;
    if (!refill) return;
    const interval = refill.intervalMs ?? 1000;
    const now = this.now();
    const since = this.state.booksRefilledAt ?? now;
    const steps = Math.floor((now - since) / interval);
    if (this.state.booksRefilledAt === undefined) {
      this.state.booksRefilledAt = now;
      return;
    }
    if (steps <= 0) return;
    let changed = false;
    for (const spec of this.rules.markets) {
      const book = this.state.books[spec.id];
      if (!book) continue;
      const target = seedBook(spec, this.rules.seed);
      if (refillBook(book, target, new Decimal(refill.rate ?? '0.05'), steps, spec.stepSize)) changed = true;
    }
    // Only the interval count moves while nothing is missing: not worth a write by itself.
    this.state.booksRefilledAt = since + steps * interval;
    if (changed) this.changed();
  }

  /** A change the venue made by itself (its tick, or time passing): kept within the write-behind interval. */
  private changed(): void {
    this.store.changed();
  }

  /** A change a client is about to be told about: on disk before the answer leaves. */
  private persist(): void {
    this.store.changed();
    this.store.saveNow();
  }

  /** A resting sell filled: the locked base leaves, the quote (net of fee) arrives. */
  private fillResting(
    order: OrderRecord,
    spec: MarketSpec,
    price: Decimal,
    qty: Decimal,
    maker: boolean,
    time: number,
  ) {
    const b = this.balance(spec.base);
    this.setBalance(spec.base, b.free.plus(qty), b.locked.minus(qty));
    this.recordSellTrade(order, spec, price, qty, maker, time);
    order.status = new Decimal(order.executedQty).eq(order.origQty) ? 'FILLED' : 'PARTIALLY_FILLED';
  }

  /** The mid the price band is measured from: the moving mid, or the market's fixed one. */
  referencePrice(spec: MarketSpec): Decimal {
    if (!this.dynamics || !this.state.market) return new Decimal(spec.mid);
    return this.dynamics.mid(spec, this.dynamics.step(this.state.market, this.now()));
  }

  /** The moving mid at a step since the market's epoch (tests and the benchmark read the path). */
  midAtStep(spec: MarketSpec, step: number): Decimal {
    return this.dynamics ? this.dynamics.mid(spec, step) : new Decimal(spec.mid);
  }

  // ---- the market driver (dev stack and tests: what a person makes the market do) -----------------
  /** The market's step now, its mid and the driver's commands in force. */
  marketView(symbol: string): { symbol: string; step: number; mid: string; controls: MarketControls } {
    const { spec, clock, dynamics } = this.driven(symbol);
    const step = dynamics.step(clock, this.now());
    return {
      symbol: spec.id,
      step,
      mid: dynamics.mid(spec, step).toDecimalPlaces(8).toFixed(),
      controls: clock.controls?.[spec.id] ?? emptyControls(),
    };
  }

  /** Move the mid by `percent` (e.g. "-8") over `overMs`, linearly from now; the moved level stays. */
  moveMarket(symbol: string, percent: Decimal, overMs: number) {
    const { spec, clock, dynamics, controls } = this.driven(symbol);
    const steps = Math.max(1, Math.ceil(overMs / dynamics.stepMs));
    const fromStep = dynamics.step(clock, this.now());
    controls.moves.push({ fromStep, steps, factor: new Decimal(1).plus(percent.div(100)).toFixed() });
    this.persist();
    const view = this.marketView(spec.id);
    return {
      ...view,
      target: dynamics
        .mid(spec, fromStep + steps)
        .toDecimalPlaces(8)
        .toFixed(),
      untilStep: fromStep + steps,
    };
  }

  /** Other participants' volatility (bp per step) from the next step on. */
  setVolatility(symbol: string, bp: Decimal) {
    const { spec, clock, dynamics, controls } = this.driven(symbol);
    const fromStep = dynamics.step(clock, this.now()) + 1;
    controls.volatility.push({ fromStep, bp: bp.toFixed() });
    dynamics.forget(spec.id, fromStep);
    this.persist();
    return this.marketView(spec.id);
  }

  /** Other participants' flow per step (fills resting sells, makes the candles' volume) from the next step on. */
  setFlow(symbol: string, perStep: Decimal) {
    const { spec, clock, dynamics, controls } = this.driven(symbol);
    controls.flow.push({ fromStep: dynamics.step(clock, this.now()) + 1, perStep: perStep.toFixed() });
    this.persist();
    return this.marketView(spec.id);
  }

  /** The market a driver command is for, brought up to now (nothing already shown changes). */
  private driven(symbol: string) {
    const spec = this.market(symbol.replace('/', ''));
    const clock = this.state.market;
    const dynamics = this.dynamics;
    if (!dynamics || !clock)
      throw new VenueError(409, '-1020', 'This venue has a static book (started without market dynamics)');
    this.advance();
    clock.controls ??= {};
    clock.controls[spec.id] ??= emptyControls();
    return { spec, clock, dynamics, controls: clock.controls[spec.id] as MarketControls };
  }

  /**
   * Candles for ccxt's fetchOHLCV. A static market has only the seeded daily history before today
   * (what the legal floor reads); a moving one adds the candles of its own path.
   */
  candles(spec: MarketSpec, intervalMs: number, from: number, to: number): Candle[] {
    if (!this.dynamics || !this.state.market) {
      const history = new MarketDynamics(this.rules.seed);
      const today = { epoch: Math.floor(this.now() / 86_400_000) * 86_400_000, processedStep: 0, depletion: {} };
      const before = Math.min(to, today.epoch - 1);
      return history.candles(spec, today, intervalMs, from, before, this.now(), () => new Decimal(0));
    }
    this.advance();
    // The account's trades in the window, by time, read once: a candle's volume is then a binary search
    // away (not a pass over every trade per candle: up to 1,000 candles a request).
    const mine = this.state.trades
      .filter(
        (t) => t.symbol === spec.id && t.time >= Math.floor(from / intervalMs) * intervalMs && t.time < to + intervalMs,
      )
      .sort((a, b) => a.time - b.time);
    const cumulative = [new Decimal(0)];
    for (const t of mine) cumulative.push((cumulative[cumulative.length - 1] as Decimal).plus(t.qty));
    const firstAtOrAfter = (time: number) => {
      let lo = 0;
      let hi = mine.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((mine[mid] as TradeRecord).time < time) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    return this.dynamics.candles(spec, this.state.market, intervalMs, from, to, this.now(), (start, end) =>
      (cumulative[firstAtOrAfter(end)] as Decimal).minus(cumulative[firstAtOrAfter(start)] as Decimal),
    );
  }

  // ---- ids ---------------------------------------------------------------------------------------
  private nextId(prefix: string): string {
    this.state.sequence += 1;
    return `${prefix}${String(this.state.sequence).padStart(17, '0')}`;
  }

  // ---- markets -----------------------------------------------------------------------------------
  market(symbol: string | undefined): MarketSpec {
    if (!symbol) throw new VenueError(400, '-100012', 'Parameter symbol [String] missing!');
    const spec = this.rules.markets.find((m) => m.id === symbol);
    if (!spec) throw refuse.badSymbol();
    return spec;
  }

  // ---- balances ----------------------------------------------------------------------------------
  private balance(asset: string): { free: Decimal; locked: Decimal } {
    const b = this.state.balances[asset] ?? { free: '0', locked: '0' };
    return { free: new Decimal(b.free), locked: new Decimal(b.locked) };
  }

  private setBalance(asset: string, free: Decimal, locked: Decimal): void {
    if (free.isNegative() || locked.isNegative()) throw new Error(`balance of ${asset} would go negative`);
    this.state.balances[asset] = { free: free.toFixed(), locked: locked.toFixed() };
  }

  /** Add (or with a negative delta, take) free balance. */
  private moveFree(asset: string, delta: Decimal): void {
    const b = this.balance(asset);
    this.setBalance(asset, b.free.plus(delta), b.locked);
  }

  balances() {
    const assets = new Set([...COINS.map((c) => c.coin), ...Object.keys(this.state.balances)]);
    return [...assets].sort().map((asset) => {
      const b = this.balance(asset);
      return {
        asset,
        assetId: asset,
        assetName: asset,
        total: b.free.plus(b.locked).toFixed(),
        free: b.free.toFixed(),
        locked: b.locked.toFixed(),
      };
    });
  }

  // ---- orders ------------------------------------------------------------------------------------
  /** `fillFraction`: fault injection — at most this share of the order matches on arrival (a partial fill). */
  /** `fillDelayMs`: fault injection — the order is accepted with nothing matched and meets the book this much later. */
  placeOrder(p: Record<string, string>, fillFraction?: number, fillDelayMs?: number): OrderRecord {
    this.advance();
    const spec = this.market(p.symbol);
    const side = p.side;
    if (side !== 'SELL' && side !== 'BUY') throw new VenueError(400, '-1117', 'Invalid order side');
    if (side === 'BUY') {
      // The case account only ever sells; buying is not modelled (no quote-side rounding rules yet).
      throw new VenueError(400, '-1020', 'Unsupported operation: this venue simulator accepts sell orders only');
    }
    const type = p.type;
    if (type !== 'MARKET' && type !== 'LIMIT' && type !== 'LIMIT_MAKER') {
      throw new VenueError(400, '0206', 'Unsupported order type');
    }
    if (p.quantity === undefined) throw refuse.missing('quantity');
    const qty = positiveDecimal(p.quantity, () => new VenueError(400, '-1126', 'Invalid quantity'));
    if (!isMultiple(qty, spec.stepSize)) throw new VenueError(400, '-1137', 'Order quantity precision too large');
    if (qty.lt(spec.minQty)) throw new VenueError(400, '-1136', 'Order quantity lower than the minimum');
    const maxQty = type === 'MARKET' ? spec.marketOrderMaxQty : spec.maxQty;
    if (qty.gt(maxQty)) throw new VenueError(400, '-1135', `Order quantity greater than the maximum ${maxQty}`);

    let limitPrice: Decimal | undefined;
    if (type !== 'MARKET') {
      if (p.price === undefined) throw refuse.missing('price');
      limitPrice = positiveDecimal(p.price, () => new VenueError(400, '-1124', 'Invalid price'));
      if (!isMultiple(limitPrice, spec.tickSize)) throw new VenueError(400, '0209', 'Invalid price precision');
      const floor = this.referencePrice(spec).mul(new Decimal(1).minus(spec.sellPriceDownRate));
      if (limitPrice.lt(floor)) throw new VenueError(400, '-1133', 'Order price lower than the minimum');
    }
    const book = this.state.books[spec.id];
    if (!book) throw new Error(`no book for ${spec.id}`);
    const bestBid = book.bids[0] ? new Decimal(book.bids[0].price) : new Decimal(spec.mid);
    const notional = qty.mul(limitPrice ?? bestBid);
    if (notional.lt(spec.minNotional)) throw new VenueError(400, '-1140', 'Order amount lower than the minimum');
    if (type === 'LIMIT_MAKER' && limitPrice && limitPrice.lte(bestBid)) {
      throw new VenueError(400, '-1156', 'Limit maker order creation failed: it would take liquidity');
    }

    const clientOrderId = p.newClientOrderId ?? `${this.now()}${this.state.sequence + 1}`;
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(clientOrderId)) throw new VenueError(400, '-1123', 'Invalid client order id');
    if (this.state.orders.some((o) => o.clientOrderId === clientOrderId)) {
      throw new VenueError(400, '-1141', 'Duplicate order');
    }
    if (this.balance(spec.base).free.lt(qty)) throw refuse.insufficientAsset();

    const time = this.now();
    const order: OrderRecord = {
      orderId: this.nextId('19'),
      clientOrderId,
      symbol: spec.id,
      side,
      type,
      timeInForce: type === 'MARKET' ? 'IOC' : 'GTC',
      price: limitPrice ? limitPrice.toFixed() : '0',
      origQty: qty.toFixed(),
      executedQty: '0',
      cumulativeQuoteQty: '0',
      feeCoin: '',
      feeAmount: '0',
      status: 'NEW',
      time,
      updateTime: time,
    };
    if (fillDelayMs !== undefined && type !== 'LIMIT_MAKER') {
      // A delayed fill: the whole quantity waits, locked, and is matched when its time comes (matchDelayed).
      const b = this.balance(spec.base);
      this.setBalance(spec.base, b.free.minus(qty), b.locked.plus(qty));
      order.matchAt = time + fillDelayMs;
    } else {
      this.matchOnArrival(order, spec, fillFraction, time);
    }
    this.state.orders.push(order);
    if (isOpen(order)) this.open.add(order);
    this.persist();
    return order;
  }

  /** An order meets the book: what matches trades (as taker), a market order's rest is cancelled, a limit's rests. */
  private matchOnArrival(order: OrderRecord, spec: MarketSpec, fillFraction: number | undefined, time: number): void {
    const qty = new Decimal(order.origQty);
    const limitPrice = order.type === 'MARKET' ? undefined : new Decimal(order.price);
    const type = order.type;
    const book = this.state.books[spec.id];
    if (!book) throw new Error(`no book for ${spec.id}`);
    const cap =
      fillFraction === undefined ? qty : qty.mul(fillFraction.toFixed(6)).div(spec.stepSize).floor().mul(spec.stepSize);
    const matched = takeBids(book, cap, limitPrice);
    const matches = matched.matches;
    const left = matched.left.plus(qty.minus(cap));
    if (this.state.market) {
      const taken = matches.reduce((s, m) => s.plus(m.qty), new Decimal(0));
      const before = new Decimal(this.state.market.depletion[spec.id] ?? '0');
      this.state.market.depletion[spec.id] = before.plus(taken).toFixed();
    }
    for (const m of matches) this.recordSellTrade(order, spec, new Decimal(m.price), new Decimal(m.qty), false, time);
    if (left.gt(0)) {
      if (type === 'MARKET') {
        // Immediate-or-cancel: what the book could not take is cancelled.
        order.status = left.eq(qty) ? 'CANCELED' : 'PARTIALLY_CANCELED';
      } else {
        const b = this.balance(spec.base);
        this.setBalance(spec.base, b.free.minus(left), b.locked.plus(left));
        order.status = left.eq(qty) ? 'NEW' : 'PARTIALLY_FILLED';
      }
    } else {
      order.status = 'FILLED';
    }
  }

  /** Orders whose delayed fill is due meet the book now, as they would have on arrival. */
  private matchDelayed(): void {
    const due = this.openOrders().filter((o) => o.matchAt !== undefined && o.matchAt <= this.now());
    for (const order of due) {
      delete order.matchAt;
      if (order.status !== 'NEW') continue; // cancelled while it waited
      const spec = this.market(order.symbol);
      const qty = new Decimal(order.origQty);
      const b = this.balance(spec.base);
      this.setBalance(spec.base, b.free.plus(qty), b.locked.minus(qty));
      this.matchOnArrival(order, spec, undefined, this.now());
    }
    // Written now: a replay after a crash would meet a book that has moved on, and the client may have seen these fills.
    if (due.length > 0) this.persist();
  }

  private recordSellTrade(
    order: OrderRecord,
    spec: MarketSpec,
    price: Decimal,
    qty: Decimal,
    isMaker: boolean,
    time: number,
  ): void {
    const cost = price.mul(qty);
    const rate = new Decimal(isMaker ? this.rules.makerFee : this.rules.takerFee);
    const credited = cost.mul(new Decimal(1).minus(rate)).toDecimalPlaces(scale(spec.quote), Decimal.ROUND_DOWN);
    const fee = cost.minus(credited);
    this.moveFree(spec.base, qty.neg());
    this.moveFree(spec.quote, credited);
    const trade: TradeRecord = {
      id: this.nextId('29'),
      ticketId: this.nextId('39'),
      orderId: order.orderId,
      clientOrderId: order.clientOrderId,
      symbol: spec.id,
      price: price.toFixed(),
      qty: qty.toFixed(),
      quoteQty: cost.toFixed(),
      commission: fee.toFixed(),
      commissionAsset: spec.quote,
      isBuyer: false,
      isMaker,
      time,
    };
    this.state.trades.push(trade);
    order.executedQty = new Decimal(order.executedQty).plus(qty).toFixed();
    order.cumulativeQuoteQty = new Decimal(order.cumulativeQuoteQty).plus(cost).toFixed();
    order.feeAmount = new Decimal(order.feeAmount).plus(fee).toFixed();
    order.feeCoin = spec.quote;
    order.updateTime = time;
  }

  findOrder(p: Record<string, string>): OrderRecord {
    this.advance();
    const order = p.orderId
      ? this.state.orders.find((o) => o.orderId === p.orderId)
      : p.origClientOrderId || p.clientOrderId
        ? this.state.orders.find((o) => o.clientOrderId === (p.origClientOrderId ?? p.clientOrderId))
        : undefined;
    if (!p.orderId && !p.origClientOrderId && !p.clientOrderId) throw refuse.missing('orderId');
    if (!order) throw refuse.orderNotFound();
    return order;
  }

  cancelOrder(p: Record<string, string>): OrderRecord {
    let order: OrderRecord;
    try {
      order = this.findOrder(p);
    } catch (error) {
      if (error instanceof VenueError && error.code === '0211') {
        throw new VenueError(400, '-1143', 'Order not found on order book');
      }
      throw error;
    }
    if (order.status === 'FILLED') throw new VenueError(400, '-1139', 'Order has been filled');
    if (order.status !== 'NEW' && order.status !== 'PARTIALLY_FILLED') {
      throw new VenueError(400, '-1142', 'Order has been cancelled');
    }
    const spec = this.market(order.symbol);
    const left = new Decimal(order.origQty).minus(order.executedQty);
    const b = this.balance(spec.base);
    this.setBalance(spec.base, b.free.plus(left), b.locked.minus(left));
    order.status = new Decimal(order.executedQty).isZero() ? 'CANCELED' : 'PARTIALLY_CANCELED';
    order.updateTime = this.now();
    delete order.matchAt;
    this.persist();
    return order;
  }

  openOrders(symbol?: string): OrderRecord[] {
    const found: OrderRecord[] = [];
    for (const o of this.open) {
      if (!isOpen(o)) this.open.delete(o);
      else if (!symbol || o.symbol === symbol) found.push(o);
    }
    return found;
  }

  trades(p: Record<string, string>): TradeRecord[] {
    this.advance();
    const limit = Math.min(Number(p.limit ?? 200) || 200, 1000);
    return this.state.trades
      .filter(
        (t) =>
          (!p.symbol || t.symbol === p.symbol) &&
          (!p.orderId || t.orderId === p.orderId) &&
          (!p.clientOrderId || t.clientOrderId === p.clientOrderId) &&
          (!p.startTime || t.time >= Number(p.startTime)) &&
          (!p.endTime || t.time <= Number(p.endTime)) &&
          (!p.fromId || BigInt(t.id) >= BigInt(p.fromId)) &&
          (!p.toId || BigInt(t.id) <= BigInt(p.toId)),
      )
      .slice(0, limit);
  }

  // ---- deposits ----------------------------------------------------------------------------------
  depositAddress(p: Record<string, string>): { chain: Chain; address: string; coin: string } {
    const coin = coinSpec(p.coin ?? '');
    if (coin?.kind !== 'crypto' || !coin.chain) throw refuse.invalidAsset();
    if (p.chainType !== undefined && !coin.chainTypes.includes(p.chainType)) throw refuse.illegalParameter('chainType');
    return { chain: coin.chain, address: this.state.depositAddresses[coin.chain], coin: coin.coin };
  }

  /**
   * What the chain shows for the venue's deposit address: a transaction not seen before becomes a
   * pending deposit; a deposit with enough confirmations is credited, exactly once (keyed by chain
   * and transaction hash). Confirmations themselves are not stored: the block the transaction is in
   * is, and the head the observation implies (`blockHeight + confirmations - 1`) is remembered, so a
   * new block changes nothing on disk. Returns whether the deposit is settled (credited or held):
   * the watcher need not report it again.
   */
  observeChainTransaction(
    chain: Chain,
    tx: { txHash: string; asset: string; amount: string; confirmations: number; blockHeight?: number | null },
  ): boolean {
    const coin = COINS.find((c) => c.coin === tx.asset && c.chain === chain);
    if (!coin) return true; // an asset the venue does not list on that chain is not credited
    const blockHeight = tx.blockHeight ?? (tx.confirmations > 0 ? undefined : null);
    if (blockHeight != null) this.chainHead(chain, blockHeight + tx.confirmations - 1);
    const key = txKey(chain, tx.txHash);
    let deposit = this.depositsByTx.get(key);
    let changed = false;
    if (!deposit) {
      deposit = {
        id: this.nextId('D'),
        coin: coin.coin,
        chain,
        address: this.state.depositAddresses[chain],
        txId: tx.txHash,
        quantity: new Decimal(tx.amount).toFixed(),
        status: 2,
        time: this.now(),
        creditedTime: null,
        ...(blockHeight === undefined ? { confirmations: tx.confirmations } : { blockHeight }),
      } satisfies DepositRecord;
      this.state.deposits.push(deposit);
      this.depositsByTx.set(key, deposit);
      changed = true;
    } else if (blockHeight !== undefined && deposit.blockHeight !== blockHeight) {
      deposit.blockHeight = blockHeight; // mined now (once), or a record from an older state file
      delete deposit.confirmations;
      changed = true;
    } else if (blockHeight === undefined && deposit.confirmations !== tx.confirmations) {
      deposit.confirmations = tx.confirmations; // an observer that does not tell the block
      changed = true;
    }
    if (deposit.status === 2 && tx.confirmations >= this.rules.depositConfirmations) {
      const hold = holdOnConfirmation(this.state, this.rules.holdDeposits, deposit, this.now()) ?? this.injectedHold();
      if (hold) {
        deposit.status = 5;
        deposit.holdReason = hold.holdReason;
        deposit.releaseAt = hold.releaseAt;
        this.held.add(deposit);
      } else {
        this.credit(deposit);
      }
      changed = true;
    }
    if (changed) this.changed();
    return deposit.status !== 2;
  }

  /** The chain's head as a watcher saw it (confirmations are counted from it when deposits are read). */
  chainHead(chain: Chain, height: number): void {
    if (height > (this.heads[chain] ?? -1)) this.heads[chain] = height;
  }

  /** A deposit's confirmations now: from its block and the newest head seen. */
  confirmationsOf(deposit: DepositRecord): number {
    const head = this.heads[deposit.chain];
    if (deposit.blockHeight == null || head === undefined) return deposit.confirmations ?? 0;
    return Math.max(0, head - deposit.blockHeight + 1);
  }

  /** A hold the fault profile puts on a deposit now confirmed (faults.ts `depositHoldRate`). */
  private injectedHold(): { holdReason: string; releaseAt: number | null } | undefined {
    const hold = this.depositFault?.();
    if (!hold) return undefined;
    return {
      holdReason: hold.reason,
      releaseAt: hold.releaseAfterMs === null ? null : this.now() + hold.releaseAfterMs,
    };
  }

  /** The one place a deposit reaches the balance: only from confirming or held, so only once. */
  private credit(deposit: DepositRecord): void {
    if (deposit.status === 4) return;
    deposit.status = 4;
    deposit.creditedTime = this.now();
    deposit.releaseAt = null;
    this.held.delete(deposit);
    this.moveFree(deposit.coin, new Decimal(deposit.quantity));
  }

  /** A deposit by transaction hash, on any chain. */
  private depositByTxId(txId: string): DepositRecord | undefined {
    for (const chain of Object.keys(this.state.depositAddresses) as Chain[]) {
      const deposit = this.depositsByTx.get(txKey(chain, txId));
      if (deposit) return deposit;
    }
    return undefined;
  }

  /**
   * Hold a deposit for review by its transaction hash (before or after the venue has seen it; not once
   * credited). `releaseAfterMs`: released by itself that long after it is held.
   */
  holdDeposit(txId: string, reason: string, releaseAfterMs?: number): void {
    planHold(
      this.state,
      this.depositByTxId(txId),
      txId,
      { reason, releaseAfterMs: releaseAfterMs ?? null },
      this.now(),
    );
    this.persist();
  }

  /** Release a held deposit (it is credited now) or drop a hold planned for one not confirmed yet. */
  releaseDeposit(txId: string): DepositRecord | undefined {
    delete this.state.plannedHolds?.[txId];
    const deposit = this.depositByTxId(txId);
    if (deposit?.status === 5) this.credit(deposit);
    this.persist();
    return deposit;
  }

  /** Credits the held deposits whose release time has come (looks at held deposits only). */
  releaseDueHolds(): void {
    const due = dueForRelease(this.held, this.now());
    for (const deposit of due) this.credit(deposit);
    if (due.length > 0) this.changed();
  }

  /**
   * The deposits a client lists, oldest first; with `limit`, only the newest that many (as ccxt keeps
   * the newest of what it asks for), found from the end so a listing costs what it returns, not the
   * venue's whole history.
   */
  deposits(p: Record<string, string>): DepositRecord[] {
    this.releaseDueHolds();
    const matches = (d: DepositRecord) =>
      (!p.coin || d.coin === p.coin) &&
      (!p.startTime || d.time >= Number(p.startTime)) &&
      (!p.endTime || d.time <= Number(p.endTime));
    const limit = p.limit ? Math.min(Math.max(Number(p.limit) || 0, 1), 1000) : undefined;
    if (limit === undefined) return this.state.deposits.filter(matches);
    const newest: DepositRecord[] = [];
    const all = this.state.deposits;
    for (let i = all.length - 1; i >= 0 && newest.length < limit; i--) {
      const d = all[i] as DepositRecord;
      if (matches(d)) newest.push(d);
    }
    return newest.reverse();
  }

  // ---- withdrawals -------------------------------------------------------------------------------
  /** The venue's withdrawal fee for a coin: flat per fiat wire, per coin for crypto. */
  withdrawalFeeOf(coin: string): string {
    return coinSpec(coin)?.kind === 'fiat' ? this.rules.withdrawalFee : (this.rules.networkWithdrawalFees[coin] ?? '0');
  }

  /**
   * Fiat leaves by bank wire to a registered account and is paid out after a delay; crypto leaves to
   * an address on the coin's chain and is sent by the payouts (payouts.ts), which report its txId.
   * Either way the quantity (fee included) leaves the balance now.
   */
  withdraw(p: Record<string, string>): WithdrawalRecord {
    const coin = coinSpec(p.coin ?? '');
    if (!coin) throw new VenueError(400, '-4001', 'Invalid asset');
    if (p.chainType !== undefined && !coin.chainTypes.includes(p.chainType)) {
      throw new VenueError(400, '-4007', 'Withdrawal channels are not supported');
    }
    if (p.quantity === undefined || p.quantity === '') {
      throw new VenueError(400, '-1165', 'Withdrawal amount cannot be null');
    }
    const qty = positiveDecimal(p.quantity, () => new VenueError(400, '-1168', 'Illegal withdrawal amount'));
    if (qty.decimalPlaces() > scale(coin.coin)) throw new VenueError(400, '-1168', 'Illegal withdrawal amount');
    const fee = new Decimal(this.withdrawalFeeOf(coin.coin));
    if (qty.lt(coin.minWithdraw) || qty.lte(fee)) {
      throw new VenueError(400, '-1167', 'Withdrawal amount less than the minimum');
    }
    if (!p.address) throw refuse.missing('address');
    const chain = coin.kind === 'crypto' ? coin.chain : undefined;
    if (!chain) {
      if (!this.rules.bankAccounts.some((a) => a.id === p.address)) {
        throw new VenueError(400, '-1171', 'Withdrawal address not in whitelist');
      }
    } else {
      if (!validWithdrawalAddress(chain, p.address)) throw new VenueError(400, '-1163', 'Illegal withdrawal address');
      const book = this.rules.withdrawalAddressBook;
      if (book && !book.some((e) => e.chain === chain && e.address.toLowerCase() === p.address?.toLowerCase())) {
        throw new VenueError(400, '-1171', 'Withdrawal address not in whitelist');
      }
    }
    const clientOrderId = p.clientOrderId ?? null;
    if (clientOrderId && this.state.withdrawals.some((w) => w.clientOrderId === clientOrderId)) {
      throw new VenueError(400, '-4013', 'Withdraw repeatly');
    }
    if (this.balance(coin.coin).free.lt(qty)) throw new VenueError(400, '-4003', 'Insufficient Balance');
    this.moveFree(coin.coin, qty.neg());
    const time = this.now();
    const withdrawal: WithdrawalRecord = {
      id: this.nextId('W'),
      clientOrderId,
      coin: coin.coin,
      address: p.address,
      chainType: coin.chainTypes[0] as string,
      quantity: qty.toFixed(),
      fee: fee.toFixed(),
      arriveQuantity: qty.minus(fee).toFixed(),
      status: 2,
      txId: '',
      time,
      // Crypto is done when its transaction is mined (payouts.ts), not after a delay.
      completeAfter: chain ? Number.MAX_SAFE_INTEGER : time + this.rules.withdrawalDelayMs,
      ...(chain ? { chain, signedTx: null, failure: null } : {}),
    };
    this.state.withdrawals.push(withdrawal);
    this.persist();
    return withdrawal;
  }

  // ---- crypto payouts (payouts.ts drives these) --------------------------------------------------
  /** Crypto withdrawals still to be sent or confirmed, oldest first. */
  pendingPayouts(): WithdrawalRecord[] {
    return this.state.withdrawals.filter((w) => w.chain !== undefined && w.status === 2);
  }

  /** The EVM transaction is signed: keep its bytes before broadcasting them (a retry sends the same). */
  payoutSigned(w: WithdrawalRecord, signed: { hash: string; raw: string }): void {
    w.signedTx = signed;
    this.persist();
  }

  /** The transaction is on the chain (broadcast): its hash is the withdrawal's txId from now on. */
  payoutBroadcast(w: WithdrawalRecord, txHash: string): void {
    w.txId = txHash;
    this.persist();
  }

  /** The transaction is mined: the withdrawal is done. */
  payoutConfirmed(w: WithdrawalRecord): void {
    w.status = 6;
    this.persist();
  }

  /** The chain refused the payout: nothing left the venue's address, so the coins go back to the balance. */
  payoutFailed(w: WithdrawalRecord, reason: string): void {
    if (w.status !== 2) return;
    w.status = 3;
    w.failure = reason;
    this.moveFree(w.coin, new Decimal(w.quantity));
    this.persist();
  }

  /** Pays out the fiat withdrawals whose processing time has passed (the bank wire "arrives"). */
  settleWithdrawals(): void {
    const now = this.now();
    let changed = false;
    for (const w of this.state.withdrawals) {
      if (w.chain === undefined && w.status === 2 && now >= w.completeAfter) {
        w.status = 6;
        w.txId = `BANKREF-${w.id}`;
        changed = true;
      }
    }
    if (changed) this.changed();
  }

  withdrawals(p: Record<string, string>): WithdrawalRecord[] {
    this.settleWithdrawals();
    return this.state.withdrawals.filter(
      (w) =>
        (!p.coin || w.coin === p.coin) &&
        (!p.startTime || w.time >= Number(p.startTime)) &&
        (!p.endTime || w.time <= Number(p.endTime)),
    );
  }

  // ---- market data -------------------------------------------------------------------------------
  depth(symbol: string | undefined, limit: number) {
    this.advance();
    const spec = this.market(symbol);
    const book = this.state.books[spec.id] ?? { bids: [], asks: [] };
    // The account's resting limit sells are on the ask side too.
    const asks = new Map<string, Decimal>();
    for (const level of book.asks) asks.set(new Decimal(level.price).toFixed(), new Decimal(level.qty));
    for (const o of this.openOrders(spec.id)) {
      const key = new Decimal(o.price).toFixed();
      asks.set(key, (asks.get(key) ?? new Decimal(0)).plus(new Decimal(o.origQty).minus(o.executedQty)));
    }
    const a = [...asks.entries()]
      .sort(([x], [y]) => new Decimal(x).comparedTo(y))
      .slice(0, limit)
      .map(([price, qty]) => [price, qty.toFixed()]);
    const b = book.bids.slice(0, limit).map((l) => [l.price, l.qty]);
    return { t: this.now(), b, a };
  }

  ticker(spec: MarketSpec) {
    this.advance();
    const now = this.now();
    const book = this.state.books[spec.id] ?? { bids: [], asks: [] };
    const recent = this.state.trades.filter((t) => t.symbol === spec.id && t.time >= now - 86_400_000);
    const last = recent[recent.length - 1]?.price ?? spec.mid;
    const prices = [spec.mid, ...recent.map((t) => t.price)].map((x) => new Decimal(x));
    return {
      t: now,
      s: spec.id,
      c: last,
      h: Decimal.max(...prices).toFixed(),
      l: Decimal.min(...prices).toFixed(),
      o: spec.mid,
      b: book.bids[0]?.price ?? '0',
      a: this.depth(spec.id, 1).a[0]?.[0] ?? '0',
      v: recent.reduce((s, t) => s.plus(t.qty), new Decimal(0)).toFixed(),
      qv: recent.reduce((s, t) => s.plus(t.quoteQty), new Decimal(0)).toFixed(),
    };
  }

  static defaultRules(partial: Partial<VenueRules>): VenueRules {
    return {
      seed: 20261125,
      takerFee: '0.001',
      makerFee: '0.0008',
      depositConfirmations: 2,
      bankAccounts: [],
      withdrawalFee: '10',
      withdrawalDelayMs: 2000,
      networkWithdrawalFees: { BTC: '0.0005', ETH: '0.003', USDT: '3' },
      markets: DEFAULT_MARKETS,
      ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)),
    };
  }
}

function txKey(chain: Chain, txId: string): string {
  return `${chain}\u0000${txId}`;
}

/** Resting on the book, or waiting for its delayed fill. */
function isOpen(o: OrderRecord): boolean {
  return o.status === 'NEW' || o.status === 'PARTIALLY_FILLED';
}
