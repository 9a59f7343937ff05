/**
 * The simulated central parity: a seeded, mean-reverting random walk, one step per calendar day from
 * an epoch, kept in integer units of 0.0001 CNY so that no floating point ever touches a rate. The same
 * seed and date always give the same rate, which is what tests and replays need.
 */
import { createHash } from 'node:crypto';

/** Rates are published to 4 decimal places: the walk runs in units of 0.0001 CNY. */
export const RATE_SCALE = 4;
const UNITS_PER_CNY = 10 ** RATE_SCALE;

export const EPOCH = '2020-01-01';
export const LAST_DATE = '2099-12-31';

/** Centre of each walk (CNY per unit) and its largest daily step, in 0.0001 CNY. */
export const CURRENCIES = {
  USD: { centre: 71_000, maxStep: 120 },
  HKD: { centre: 9_100, maxStep: 15 },
} as const;
export type SimulatedCurrency = keyof typeof CURRENCIES;

export function isSimulatedCurrency(code: string): code is SimulatedCurrency {
  return Object.hasOwn(CURRENCIES, code);
}

const DAY_MS = 86_400_000;

/** Whole days from the epoch to `date` (YYYY-MM-DD, a real calendar date). */
export function dayIndex(date: string): number {
  return Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${EPOCH}T00:00:00Z`)) / DAY_MS);
}

/** True when `date` is a real calendar day written as YYYY-MM-DD. */
export function isCalendarDate(date: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return false;
  const t = Date.parse(`${date}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === date;
}

/** The day's step in [-maxStep, +maxStep], drawn from sha256(seed, currency, day): no state, fully reproducible. */
function step(seed: string, currency: SimulatedCurrency, day: number, maxStep: number): number {
  const digest = createHash('sha256').update(`${seed}\u0000${currency}\u0000${day}`).digest();
  return (digest.readUInt32BE(0) % (2 * maxStep + 1)) - maxStep;
}

/**
 * Walks are cached per seed and currency: each day's value depends on the day before, so asking for
 * 2099 computes (once) every day since the epoch.
 */
export class ParityWalk {
  private readonly walks = new Map<SimulatedCurrency, number[]>();

  constructor(private readonly seed: string) {}

  /** The central parity in units of 0.0001 CNY on day `day` (0 = epoch). */
  unitsOn(currency: SimulatedCurrency, day: number): number {
    const { centre, maxStep } = CURRENCIES[currency];
    let walk = this.walks.get(currency);
    if (!walk) {
      walk = [centre];
      this.walks.set(currency, walk);
    }
    while (walk.length <= day) {
      const previous = walk[walk.length - 1]!;
      // Mean reversion: pull back a fiftieth of the distance to the centre, so the walk stays near it.
      const pull = Math.trunc((centre - previous) / 50);
      walk.push(previous + pull + step(this.seed, currency, walk.length, maxStep));
    }
    return walk[day]!;
  }
}

/** Integer units of 0.0001 as a decimal string with exactly 4 places ("71000" → "7.1000"). */
export function unitsToRate(units: number): string {
  if (!Number.isSafeInteger(units) || units < 0) throw new RangeError(`not a rate in units: ${units}`);
  const whole = Math.trunc(units / UNITS_PER_CNY);
  const fraction = String(units % UNITS_PER_CNY).padStart(RATE_SCALE, '0');
  return `${whole}.${fraction}`;
}

/**
 * The bank's spread below the parity, rounded down to whole units of 0.0001, so
 * bankBuyRate + spread = centralParity exactly.
 */
export function spreadUnits(parityUnits: number, spreadBasisPoints: number): number {
  return Math.floor((parityUnits * spreadBasisPoints) / 10_000);
}
