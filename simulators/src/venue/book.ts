/**
 * The simulated order book: a deterministic, seeded depth of other participants' bids and asks around
 * each market's mid price, and the matching of the account's orders against it (price priority; each
 * level is one aggregated quantity, so time priority inside a level does not arise).
 *
 * Consumed depth stays consumed unless the venue refills it: a static book with `bookRefill` gets
 * back part of what is missing each interval (`refillBook`); a moving market (market.ts) draws a
 * new book each step and returns consumed depth by its own replenishment.
 */
import { Decimal } from '../../../packages/shared/src/money';
import type { MarketSpec } from './markets';
import type { BookLevel, MarketBook } from './state';

const LEVELS_PER_SIDE = 25;

/** mulberry32: tiny, fast, and the same sequence for the same seed on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** A uniform fraction in [0,1) with 6 decimal places, as a Decimal (no float reaches an amount). */
function fraction(rng: () => number): Decimal {
  return new Decimal(Math.floor(rng() * 1_000_000)).div(1_000_000);
}

function floorTo(value: Decimal, step: string): Decimal {
  return value.div(step).floor().mul(step);
}
function ceilTo(value: Decimal, step: string): Decimal {
  return value.div(step).ceil().mul(step);
}

/** The initial book of a market: same seed, same book. */
export function seedBook(spec: MarketSpec, seed: number): MarketBook {
  const rng = seededRandom((seed ^ hashString(spec.id)) >>> 0);
  const mid = new Decimal(spec.mid);
  const [qMin, qMax] = spec.levelQty.map((q) => new Decimal(q)) as [Decimal, Decimal];
  const side = (direction: 1 | -1): BookLevel[] => {
    const levels: BookLevel[] = [];
    let offset = new Decimal('0.0001'); // half spread: 1 bp
    for (let i = 0; i < LEVELS_PER_SIDE; i++) {
      const raw = mid.mul(new Decimal(1).plus(offset.mul(direction)));
      const price = direction === -1 ? floorTo(raw, spec.tickSize) : ceilTo(raw, spec.tickSize);
      const qty = floorTo(qMin.plus(qMax.minus(qMin).mul(fraction(rng))), spec.stepSize);
      const previous = levels[levels.length - 1];
      if (qty.gt(0) && (!previous || !new Decimal(previous.price).eq(price))) {
        levels.push({ price: price.toFixed(), qty: qty.toFixed() });
      }
      // 1.5-2.5 bp between levels
      offset = offset.plus(new Decimal('0.00015').plus(new Decimal('0.0001').mul(fraction(rng))));
    }
    return levels;
  };
  return { bids: side(-1), asks: side(1) };
}

export interface Match {
  price: string;
  qty: string;
}

/**
 * Take up to `qty` from the bids, best first, never below `limitPrice` (when given). Mutates the
 * book: what is taken is gone. Returns the fills and the quantity left unmatched.
 */
export function takeBids(book: MarketBook, qty: Decimal, limitPrice?: Decimal): { matches: Match[]; left: Decimal } {
  const matches: Match[] = [];
  let left = qty;
  while (left.gt(0) && book.bids.length > 0) {
    const level = book.bids[0] as BookLevel;
    const price = new Decimal(level.price);
    if (limitPrice && price.lt(limitPrice)) break;
    const available = new Decimal(level.qty);
    const take = Decimal.min(available, left);
    matches.push({ price: level.price, qty: take.toFixed() });
    left = left.minus(take);
    const rest = available.minus(take);
    if (rest.isZero()) book.bids.shift();
    else level.qty = rest.toFixed();
  }
  return { matches, left };
}

/**
 * Other traders put liquidity back: each level of `target` (the seeded depth) regains the share
 * `1 - (1 - rate)^steps` of what it is missing; what stays missing is rounded down to the lot size,
 * so a level is never overfilled and is exactly the target's once less than a lot is missing. Levels of the
 * book outside the target are left as they are. Mutates the book; returns whether anything changed.
 */
export function refillBook(
  book: MarketBook,
  target: MarketBook,
  rate: Decimal,
  steps: number,
  stepSize: string,
): boolean {
  const left = new Decimal(1).minus(rate).pow(Math.min(steps, 10_000));
  let changed = false;
  const refillSide = (levels: BookLevel[], wanted: BookLevel[], better: (a: Decimal, b: Decimal) => boolean) => {
    const byPrice = new Map(levels.map((l) => [new Decimal(l.price).toFixed(), l]));
    for (const want of wanted) {
      const key = new Decimal(want.price).toFixed();
      const full = new Decimal(want.qty);
      const have = byPrice.get(key);
      const current = have ? new Decimal(have.qty) : new Decimal(0);
      if (current.gte(full)) continue;
      const missing = full.minus(current).mul(left);
      const next = full.minus(floorTo(missing, stepSize));
      if (next.lte(current)) continue;
      changed = true;
      if (have) have.qty = next.toFixed();
      else {
        const level = { price: want.price, qty: next.toFixed() };
        levels.push(level);
        byPrice.set(key, level);
      }
    }
    levels.sort((a, b) => (better(new Decimal(a.price), new Decimal(b.price)) ? -1 : 1));
  };
  refillSide(book.bids, target.bids, (a, b) => a.gt(b));
  refillSide(book.asks, target.asks, (a, b) => a.lt(b));
  return changed;
}
