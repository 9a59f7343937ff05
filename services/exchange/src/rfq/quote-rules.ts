/**
 * Which desk quotes may be taken, and in what order (pure). A quote is taken only at or above the legal
 * floor, within the band around the reference and, when the caller set one, at or above its hurdle
 * (`minPrice`: what the engine is expected to get for the lot). The floor is judged first, so a price
 * under it is recorded as BELOW_FLOOR even when it is also out of the band; the hurdle last, so
 * UNDER_HURDLE marks a quote that was lawful and in the band but not worth taking. Among the valid ones the highest price
 * goes first (we sell), then the one that holds longer, then the desk's id, so the order is total.
 */
import type { exchange } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';

export type QuoteStatus = exchange.RfqQuote['status'];

export interface PriceLimits {
  /** Undefined under the floor rule "none". */
  floor?: string;
  bandLow: string;
  bandHigh: string;
  /** The caller's hurdle, when it gave one. */
  minPrice?: string;
}

/** The band around the reference: reference × (1 ∓ band). */
export function bandAround(reference: string, band: string): { bandLow: string; bandHigh: string } {
  const r = new Decimal(reference);
  return { bandLow: r.mul(new Decimal(1).minus(band)).toFixed(), bandHigh: r.mul(new Decimal(1).plus(band)).toFixed() };
}

export function judgeQuote(
  price: string,
  limits: PriceLimits,
): { status: 'QUOTED' } | { status: 'BELOW_FLOOR' | 'OUT_OF_BAND' | 'UNDER_HURDLE'; detail: string } {
  const p = new Decimal(price);
  if (limits.floor !== undefined && p.lt(limits.floor)) {
    return { status: 'BELOW_FLOOR', detail: `${p.toFixed()} is below the legal floor ${limits.floor}` };
  }
  if (p.lt(limits.bandLow) || p.gt(limits.bandHigh)) {
    return {
      status: 'OUT_OF_BAND',
      detail: `${p.toFixed()} is outside the band ${limits.bandLow} – ${limits.bandHigh} around the reference`,
    };
  }
  if (limits.minPrice !== undefined && p.lt(limits.minPrice)) {
    return {
      status: 'UNDER_HURDLE',
      detail: `${p.toFixed()} is under the hurdle ${limits.minPrice} (the engine's expected price for the lot)`,
    };
  }
  return { status: 'QUOTED' };
}

/** The valid quotes, best first. */
export function bestFirst<T extends { desk: string; price: string; expiresAt: Date }>(quotes: readonly T[]): T[] {
  return [...quotes].sort(
    (a, b) =>
      new Decimal(b.price).cmp(a.price) ||
      b.expiresAt.getTime() - a.expiresAt.getTime() ||
      a.desk.localeCompare(b.desk),
  );
}
