/**
 * The market around the account: a seeded price process, an order book that our orders consume and
 * that replenishes over time, other participants' buying (which fills our resting sells) and the
 * candles ccxt reads (`fetchOHLCV`), with volume.
 *
 * Time is cut into steps of `stepMs` counted from the market's epoch (kept in the venue state, so a
 * restart continues the same clock). Everything random is a pure function of (seed, market, step):
 * same seed and same clock, same market. Several venues share a `marketSeed` (the common factor of
 * their price moves) and differ by `seed` (their own noise), so their prices are correlated but not equal.
 *
 * Prices and quantities are Decimal throughout; the uniform draws are turned into Decimals with six
 * decimal places (as in book.ts) so no float reaches a price or an amount.
 */
import { Decimal } from '../../../packages/shared/src/money';
import { seededRandom } from './book';
import type { MarketSpec } from './markets';
import type { BookLevel, MarketBook } from './state';

export interface MarketDynamicsOptions {
  /** Length of one market step (default 1000 ms). */
  stepMs?: number;
  /** Seed of the common price factor shared by correlated venues (default: the venue's seed). */
  marketSeed?: number;
  /** Standard deviation of one step's return, in basis points (default "0.5"). */
  volatilityBp?: string;
  /** Correlation of this venue's moves with the common factor (default "0.9"). */
  correlation?: string;
  /** Fraction of the depth our orders consumed that returns each step (default "0.05"). */
  replenishRate?: string;
  /** Pull of the mid back to the market's anchor price per step (default "0.002"). */
  meanReversion?: string;
  /**
   * Other participants' buying per step, as a fraction of a book level's minimum quantity, drawn
   * uniformly from [0, 2 x this] (default "0.5"): the volume against which participation is measured.
   */
  flowPerStep?: string;
  /** Daily drift of the history before the epoch (default "0.0015": prices rose into the sale). */
  historyDriftPerDay?: string;
  /** Standard deviation of a historical day's close around its trend, as a fraction (default "0.01"). */
  historyVolatility?: string;
}

export interface MarketClockState {
  /** When step 0 began (ms since the Unix epoch). */
  epoch: number;
  /** The last step whose flow has been applied to our resting orders. */
  processedStep: number;
  /** Bid depth our orders consumed that has not returned yet, per market, at `processedStep`. */
  depletion: Record<string, string>;
  /** What a person made the market do (the market driver), per market; kept so a restart keeps it. */
  controls?: Record<string, MarketControls>;
}

/**
 * The market driver's commands, each from the step it was given at (never before: what was shown
 * stays as it was). Same seed, same commands at the same steps: the same prices.
 */
export interface MarketControls {
  /** The mid is multiplied by a factor going linearly from 1 at `fromStep` to `factor` `steps` later, and stays there. */
  moves: { fromStep: number; steps: number; factor: string }[];
  /** Standard deviation of one step's return (basis points) from `fromStep` on. */
  volatility: { fromStep: number; bp: string }[];
  /** Other participants' flow per step (as `flowPerStep`) from `fromStep` on. */
  flow: { fromStep: number; perStep: string }[];
}

export function emptyControls(): MarketControls {
  return { moves: [], volatility: [], flow: [] };
}

const LEVELS_PER_SIDE = 25;
const DAY_MS = 86_400_000;
const ONE = new Decimal(1);

function hash(...parts: (string | number)[]): number {
  let h = 2166136261;
  for (const c of parts.join('|')) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

function fraction(rng: () => number): Decimal {
  return new Decimal(Math.floor(rng() * 1_000_000)).div(1_000_000);
}

/**
 * An approximately standard normal draw (Irwin-Hall of 12 uniforms, minus 6). The uniforms are the
 * same six-decimal fractions as `fraction`, summed as whole millionths (exact in a JS integer: at most
 * 12 x 10^6) and turned into one Decimal: the same value as summing 12 Decimals, at a fraction of the
 * cost (a market's path is a draw per second since its epoch, recomputed after each restart).
 */
function normal(rng: () => number): Decimal {
  let millionths = 0;
  for (let i = 0; i < 12; i++) millionths += Math.floor(rng() * 1_000_000);
  return new Decimal(millionths - 6_000_000).div(1_000_000);
}

function floorTo(value: Decimal, step: string): Decimal {
  return value.div(step).floor().mul(step);
}
function ceilTo(value: Decimal, step: string): Decimal {
  return value.div(step).ceil().mul(step);
}

export interface Candle {
  openTime: number;
  open: Decimal;
  high: Decimal;
  low: Decimal;
  close: Decimal;
  /** Other participants' volume plus the account's trades in the interval, in base units. */
  volume: Decimal;
}

export class MarketDynamics {
  readonly stepMs: number;
  private readonly marketSeed: number;
  private readonly vol: Decimal;
  private readonly rho: Decimal;
  private readonly idio: Decimal;
  private readonly replenish: Decimal;
  private readonly kappa: Decimal;
  private readonly flow: Decimal;
  private readonly drift: Decimal;
  private readonly historyVol: Decimal;
  /** Mid of each step since the epoch before the driver's moves, per market (recomputable from the seed and the controls). */
  private readonly paths = new Map<string, Decimal[]>();
  private controls: Record<string, MarketControls> = {};
  /**
   * The last book computed per market, by step and depletion: the venue asks for the book on every
   * request (a ticker twice), most of them within one step, and each is 50 levels of decimal arithmetic.
   */
  private readonly books = new Map<string, { step: number; depletion: string; book: MarketBook }>();

  constructor(
    private readonly seed: number,
    options: MarketDynamicsOptions = {},
  ) {
    this.stepMs = options.stepMs ?? 1000;
    this.marketSeed = options.marketSeed ?? seed;
    this.vol = new Decimal(options.volatilityBp ?? '0.5').div(10_000);
    this.rho = new Decimal(options.correlation ?? '0.9');
    this.idio = ONE.minus(this.rho.pow(2)).sqrt();
    this.replenish = new Decimal(options.replenishRate ?? '0.05');
    this.kappa = new Decimal(options.meanReversion ?? '0.002');
    this.flow = new Decimal(options.flowPerStep ?? '0.5');
    this.drift = new Decimal(options.historyDriftPerDay ?? '0.0015');
    this.historyVol = new Decimal(options.historyVolatility ?? '0.01');
  }

  /** The driver's commands (the venue state's own object: changes made there are seen here). */
  useControls(controls: Record<string, MarketControls>): void {
    this.controls = controls;
    this.paths.clear();
    this.books.clear();
  }

  /** The steps from `fromStep` on are to be computed again (a volatility change from there). */
  forget(marketId: string, fromStep: number): void {
    const path = this.paths.get(marketId);
    if (path && path.length > fromStep) path.length = Math.max(1, fromStep);
  }

  private volatilityAt(marketId: string, step: number): Decimal {
    const entry = latestFrom(this.controls[marketId]?.volatility, step);
    return entry ? new Decimal(entry.bp).div(10_000) : this.vol;
  }

  private flowAt(marketId: string, step: number): Decimal {
    const entry = latestFrom(this.controls[marketId]?.flow, step);
    return entry ? new Decimal(entry.perStep) : this.flow;
  }

  /** The driver's moves at a step: the product of each move's share done so far. */
  private moveFactor(marketId: string, step: number): Decimal {
    let factor = ONE;
    for (const move of this.controls[marketId]?.moves ?? []) {
      if (step <= move.fromStep) continue;
      const done = Decimal.min(ONE, new Decimal(step - move.fromStep).div(move.steps));
      factor = factor.mul(ONE.plus(new Decimal(move.factor).minus(1).mul(done)));
    }
    return factor;
  }

  step(clock: MarketClockState, now: number): number {
    return Math.max(0, Math.floor((now - clock.epoch) / this.stepMs));
  }

  /** This venue's anchor: the market's reference mid shifted by a small seeded basis (within ±5 bp). */
  private anchor(spec: MarketSpec): Decimal {
    const rng = seededRandom(hash(this.seed, spec.id, 'basis'));
    return new Decimal(spec.mid).mul(ONE.plus(fraction(rng).minus('0.5').div(1000)));
  }

  /** The mid price at a step since the epoch: the seeded path, moved by the driver. */
  mid(spec: MarketSpec, step: number): Decimal {
    const base = this.basePath(spec, step);
    const factor = this.moveFactor(spec.id, step);
    return factor.eq(ONE) ? base : base.mul(factor).toDecimalPlaces(12);
  }

  private basePath(spec: MarketSpec, step: number): Decimal {
    let path = this.paths.get(spec.id);
    if (!path) {
      path = [this.anchor(spec)];
      this.paths.set(spec.id, path);
    }
    const anchor = path[0] as Decimal;
    while (path.length <= step) {
      const k = path.length;
      const common = normal(seededRandom(hash(this.marketSeed, spec.id, 'common', k)));
      const own = normal(seededRandom(hash(this.seed, spec.id, 'own', k)));
      const shock = this.rho.mul(common).plus(this.idio.mul(own)).mul(this.volatilityAt(spec.id, k));
      const previous = path[k - 1] as Decimal;
      const next = previous.mul(ONE.plus(shock)).plus(anchor.minus(previous).mul(this.kappa)).toDecimalPlaces(12);
      path.push(next);
    }
    return path[step] as Decimal;
  }

  /** Other participants' buy quantity in a step (it lifts asks, and our resting sells first). */
  buyFlow(spec: MarketSpec, step: number): Decimal {
    const rng = seededRandom(hash(this.seed, spec.id, 'flow', step));
    return floorTo(
      new Decimal(spec.levelQty[0]).mul(this.flowAt(spec.id, step)).mul(2).mul(fraction(rng)),
      spec.stepSize,
    );
  }

  /** Other participants' sell quantity in a step (volume only: it hits bids that then refill). */
  sellFlow(spec: MarketSpec, step: number): Decimal {
    const rng = seededRandom(hash(this.seed, spec.id, 'sellflow', step));
    return floorTo(
      new Decimal(spec.levelQty[0]).mul(this.flowAt(spec.id, step)).mul(2).mul(fraction(rng)),
      spec.stepSize,
    );
  }

  /** Depth left out after `steps` of replenishment. */
  decay(depletion: Decimal, steps: number): Decimal {
    if (steps <= 0 || depletion.isZero()) return depletion;
    return floorTo(depletion.mul(ONE.minus(this.replenish).pow(steps)), '0.00000001');
  }

  /**
   * Other participants' book at a step: levels around that step's mid, 1 bp half spread, 1.5-2.5 bp
   * apart, quantities drawn from the market's range; then the bid depth our orders consumed and that
   * has not returned yet is taken off the top.
   */
  book(spec: MarketSpec, step: number, depletion: Decimal): MarketBook {
    const key = depletion.toFixed();
    let last = this.books.get(spec.id);
    if (!last || last.step !== step || last.depletion !== key) {
      last = { step, depletion: key, book: this.computeBook(spec, step, depletion) };
      this.books.set(spec.id, last);
    }
    // A copy: the venue takes from the book it is given (takeBids), which must not change the next one.
    return {
      bids: last.book.bids.map((l) => ({ ...l })),
      asks: last.book.asks.map((l) => ({ ...l })),
    };
  }

  private computeBook(spec: MarketSpec, step: number, depletion: Decimal): MarketBook {
    const rng = seededRandom(hash(this.seed, spec.id, 'book', step));
    const mid = this.mid(spec, step);
    const [qMin, qMax] = spec.levelQty.map((q) => new Decimal(q)) as [Decimal, Decimal];
    const side = (direction: 1 | -1): BookLevel[] => {
      const levels: BookLevel[] = [];
      let offset = new Decimal('0.0001');
      for (let i = 0; i < LEVELS_PER_SIDE; i++) {
        const raw = mid.mul(ONE.plus(offset.mul(direction)));
        const price = direction === -1 ? floorTo(raw, spec.tickSize) : ceilTo(raw, spec.tickSize);
        const qty = floorTo(qMin.plus(qMax.minus(qMin).mul(fraction(rng))), spec.stepSize);
        const previous = levels[levels.length - 1];
        if (qty.gt(0) && (!previous || !new Decimal(previous.price).eq(price))) {
          levels.push({ price: price.toFixed(), qty: qty.toFixed() });
        }
        offset = offset.plus(new Decimal('0.00015').plus(new Decimal('0.0001').mul(fraction(rng))));
      }
      return levels;
    };
    const bids = side(-1);
    let gone = depletion;
    while (gone.gt(0) && bids.length > 0) {
      const top = bids[0] as BookLevel;
      const qty = new Decimal(top.qty);
      if (qty.lte(gone)) {
        bids.shift();
        gone = gone.minus(qty);
      } else {
        top.qty = floorTo(qty.minus(gone), spec.stepSize).toFixed();
        gone = new Decimal(0);
        if (new Decimal(top.qty).isZero()) bids.shift();
      }
    }
    return { bids, asks: side(1) };
  }

  /**
   * Daily close of a day before the epoch (`daysBefore` = 1 is the day before): a trend that rose
   * into the epoch by `historyDriftPerDay`, with seeded noise. Shared factor: correlated venues agree.
   */
  historicalClose(spec: MarketSpec, daysBefore: number): Decimal {
    const common = normal(seededRandom(hash(this.marketSeed, spec.id, 'day', daysBefore)));
    const own = normal(seededRandom(hash(this.seed, spec.id, 'day', daysBefore)));
    const noise = this.rho.mul(common).plus(this.idio.mul(own)).mul(this.historyVol);
    const trend = ONE.minus(this.drift.mul(daysBefore));
    return floorTo(this.anchor(spec).mul(trend).mul(ONE.plus(noise)), spec.tickSize);
  }

  /**
   * Candles of `intervalMs` that start in [from, to] and have begun by `now`. Intervals after the
   * epoch come from the step path (plus the account's trades' volume); whole days before it from the
   * seeded history (a day's volume: a day of other participants' flow on average).
   */
  candles(
    spec: MarketSpec,
    clock: MarketClockState,
    intervalMs: number,
    from: number,
    to: number,
    now: number,
    accountVolume: (start: number, end: number) => Decimal,
  ): Candle[] {
    const out: Candle[] = [];
    const first = Math.floor(from / intervalMs) * intervalMs;
    const lastStep = this.step(clock, now);
    // History is by UTC calendar day: whole days before the epoch's day, so a day's candle never changes.
    const epochDay = Math.floor(clock.epoch / DAY_MS);
    for (let start = first; start <= Math.min(to, now); start += intervalMs) {
      const end = start + intervalMs;
      if (end <= clock.epoch) {
        if (intervalMs !== DAY_MS) continue; // no intraday history before the epoch
        const daysBefore = epochDay - Math.floor(start / DAY_MS);
        if (daysBefore < 1) continue;
        const close = this.historicalClose(spec, daysBefore);
        const open = this.historicalClose(spec, daysBefore + 1);
        const wiggle = close.minus(open).abs().div(2);
        const perDay = new Decimal(spec.levelQty[0]).mul(this.flow).mul(DAY_MS / this.stepMs);
        out.push({
          openTime: start,
          open,
          close,
          high: floorTo(Decimal.max(open, close).plus(wiggle), spec.tickSize),
          low: floorTo(Decimal.min(open, close).minus(wiggle), spec.tickSize),
          volume: floorTo(perDay, spec.stepSize),
        });
        continue;
      }
      const fromStep = Math.max(0, Math.floor((start - clock.epoch) / this.stepMs));
      const toStep = Math.min(lastStep, Math.ceil((end - clock.epoch) / this.stepMs) - 1);
      if (toStep < fromStep) continue;
      let high = new Decimal(0);
      let low = new Decimal(Number.MAX_SAFE_INTEGER);
      let volume = new Decimal(0);
      for (let k = fromStep; k <= toStep; k++) {
        const m = this.mid(spec, k);
        high = Decimal.max(high, m);
        low = Decimal.min(low, m);
        volume = volume.plus(this.buyFlow(spec, k)).plus(this.sellFlow(spec, k));
      }
      out.push({
        openTime: start,
        open: floorTo(this.mid(spec, fromStep), spec.tickSize),
        close: floorTo(this.mid(spec, toStep), spec.tickSize),
        high: floorTo(high, spec.tickSize),
        low: floorTo(low, spec.tickSize),
        volume: volume.plus(accountVolume(start, end)),
      });
    }
    return out;
  }
}

/** The entry in force at `step`: the last one given at or before it. */
function latestFrom<T extends { fromStep: number }>(entries: T[] | undefined, step: number): T | undefined {
  let found: T | undefined;
  for (const entry of entries ?? []) if (entry.fromStep <= step) found = entry;
  return found;
}

/** ccxt timeframe names the simulator serves, in milliseconds. */
export const INTERVALS: Record<string, number> = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '1d': DAY_MS,
};

export { ceilTo, floorTo };
