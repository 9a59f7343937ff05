/**
 * The fair-price guard the order route runs before anything reaches the venue: it gathers the facts
 * (venue rules, capability, reference price, legal floor, book depth for a market order, what was sold
 * today) and lets pre-trade.ts decide.
 */
import type { Queryable } from '@vcdc/shared';
import { Decimal } from '@vcdc/shared/money';
import { type CapabilityTable, type InvestorClass, tradingRules } from './capabilities';
import { type FloorRule, type LegalFloor, legalFloorOf } from './legal-floor';
import type { BidsAndTop, MarketDataSource } from './market-data';
import { checkSellOrder, type PreTradeOrder } from './pre-trade';
import type { ReferenceRecorder } from './price-observations';
import {
  evaluateReference,
  gatherQuotes,
  type ReferencePolicy,
  type ReferencePrice,
  referenceOf,
} from './reference-price';
import type { MarketRules, Venue } from './venue';
import { atVenue } from './venue-problems';

export interface FairPriceOptions {
  /** Venues whose mids make the reference (and whose daily candles make the floor); default: the trading venue. */
  referenceSources?: MarketDataSource[];
  policy?: ReferencePolicy;
  floorRule?: FloorRule;
  capabilities: CapabilityTable;
  investorClass: InvestorClass;
  now?: () => Date;
  /** Stores every computation of the reference, whatever its outcome (best-execution records). */
  recorder?: ReferenceRecorder;
}

export const DEFAULT_REFERENCE_POLICY: ReferencePolicy = { maxAgeMs: 10_000, maxDispersionBp: '100', minSources: 1 };

export class FairPriceGuard {
  private readonly sources: MarketDataSource[];
  private readonly policy: ReferencePolicy;
  private readonly floorRule: FloorRule;
  private readonly now: () => Date;
  /** Floors by market, trade date and tick (see `floor`). */
  private readonly floors = new Map<string, LegalFloor>();

  constructor(
    private readonly venue: Venue,
    private readonly options: FairPriceOptions,
  ) {
    this.sources = options.referenceSources?.length ? options.referenceSources : [venue];
    this.policy = options.policy ?? DEFAULT_REFERENCE_POLICY;
    this.floorRule = options.floorRule ?? { kind: 'average-close', days: 20 };
    this.now = options.now ?? (() => new Date());
  }

  /** The guard's clock (the time prices are judged and recorded at). */
  currentTime(): Date {
    return this.now();
  }

  /** The same guard, recording every reference it computes. */
  withRecorder(recorder: ReferenceRecorder): FairPriceGuard {
    return new FairPriceGuard(this.venue, { ...this.options, recorder });
  }

  /** The reference now (recorded, with its quotes, whatever the outcome); a 503 problem when there is none. */
  async reference(symbol: string, known?: Parameters<typeof gatherQuotes>[2]): Promise<ReferencePrice> {
    const quotes = await gatherQuotes(this.sources, symbol, known);
    const evaluation = evaluateReference(symbol, quotes, this.policy, this.now());
    const id = this.options.recorder ? await this.options.recorder(evaluation, this.policy) : undefined;
    return referenceOf(evaluation, id);
  }

  /**
   * The legal floor of a trade date is made of whole days before it, so it stays the same all day: it
   * is asked of the sources once per market and day, not once per order (issue 19: a candle request in
   * every order's check). A floor some source did not answer for is not kept; the next order asks again.
   */
  async floor(symbol: string, rules: MarketRules): Promise<LegalFloor> {
    const now = this.now();
    const key = `${symbol} ${now.toISOString().slice(0, 10)} ${rules.tickSize}`;
    const kept = this.floors.get(key);
    if (kept) return kept;
    const { floor, everySource } = await legalFloorOf(this.sources, symbol, this.floorRule, now, rules.tickSize);
    if (everySource) {
      // Yesterday's floors are of no more use.
      for (const old of this.floors.keys()) if (!old.includes(` ${floor.tradeDate} `)) this.floors.delete(old);
      this.floors.set(key, floor);
    }
    return floor;
  }

  /**
   * A market's rules as an order must keep them: the venue's tightened by the capability table
   * (capabilities.ts `tradingRules`); undefined when the venue does not list the market.
   */
  async tradingRules(symbol: string): Promise<MarketRules | undefined> {
    const rules = await atVenue(() => this.venue.marketRules(symbol));
    return rules && tradingRules(rules, this.options.capabilities[this.venue.id]?.markets[symbol]);
  }

  /** The band around the reference a price must keep to on this market (capability table), e.g. "0.05". */
  priceBand(symbol: string): string | undefined {
    return this.options.capabilities[this.venue.id]?.markets[symbol]?.priceBand;
  }

  private async facts(order: PreTradeOrder) {
    const rules = await atVenue(() => this.venue.marketRules(order.symbol));
    const venueCaps = this.options.capabilities[this.venue.id];
    return {
      venue: this.venue.id,
      rules,
      capability: venueCaps && { market: venueCaps.markets[order.symbol] },
      investorClass: this.options.investorClass,
    };
  }

  /**
   * The rules that need no prices (market, capability, licence, investor class, precision, size):
   * checked before anything else, so a malformed order never reaches the venue, not even as a look-up.
   */
  async checkStatic(order: PreTradeOrder): Promise<void> {
    const facts = await this.facts(order);
    // Prices that pass every price rule, so only the static rules can refuse here.
    const neutral = new Decimal(order.limitPrice ?? '1e30');
    checkSellOrder(order, {
      ...facts,
      reference: neutral,
      floor: undefined,
      worstMarketFill: neutral,
      soldToday: { case: new Decimal(0), global: new Decimal(0) },
    });
  }

  /** Every rule (422 problem naming the field); 503 when the prices to judge the order by are missing. */
  async check(
    db: Queryable,
    order: PreTradeOrder,
  ): Promise<{ reference: ReferencePrice; floor: LegalFloor | undefined }> {
    const facts = await this.facts(order);
    const rules = facts.rules;
    if (!rules) {
      await this.checkStatic(order);
      throw new Error('unreachable: checkStatic refuses a market the venue does not list');
    }
    // A market order's check reads the venue's bids and, the venue being a reference source, its top of
    // book: one read of the book answers both (issue 19: two reads per order).
    const book =
      order.type === 'market' && this.sources.includes(this.venue) ? this.venue.bidsAndTop(order.symbol) : undefined;
    const reference = await atVenue(() =>
      this.reference(order.symbol, book && { source: this.venue, top: book.then((b) => b.top) }),
    );
    const floor = await atVenue(() => this.floor(order.symbol, rules));
    const worstMarketFill = order.type === 'market' ? await this.worstFill(order, book) : undefined;
    const soldToday = await this.soldToday(db, order);
    checkSellOrder(order, {
      ...facts,
      reference: new Decimal(reference.price),
      floor: floor.price === undefined ? undefined : new Decimal(floor.price),
      ...(worstMarketFill ? { worstMarketFill } : {}),
      soldToday,
    });
    return { reference, floor };
  }

  /** The deepest bid a market sell of this size reaches in the venue's current book. */
  private async worstFill(order: PreTradeOrder, book?: Promise<BidsAndTop>): Promise<Decimal | undefined> {
    const bids = await atVenue(async () => (book ? (await book).bids : await this.venue.bids(order.symbol)));
    let left = new Decimal(order.amount);
    for (const level of bids) {
      left = left.minus(level.qty);
      if (left.lte(0)) return new Decimal(level.price);
    }
    return undefined;
  }

  private async soldToday(db: Queryable, order: PreTradeOrder): Promise<{ case: Decimal; global: Decimal }> {
    const base = order.symbol.split('/')[0];
    const { rows } = await db.query<{ by_case: string | null; total: string | null }>(
      `SELECT sum(amount) FILTER (WHERE case_id = $1) AS by_case, sum(amount) AS total
         FROM orders
        WHERE split_part(symbol, '/', 1) = $2 AND status <> 'rejected'
          AND created_at >= date_trunc('day', $3::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`,
      [order.caseId, base, this.now()],
    );
    return { case: new Decimal(rows[0]?.by_case ?? '0'), global: new Decimal(rows[0]?.total ?? '0') };
  }
}
