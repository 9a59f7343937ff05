/**
 * The fair reference price of a market: the median of the mid prices of several venues, each read
 * through ccxt. A venue whose book is older than the staleness limit does not count; too few fresh
 * venues, or one fresh mid too far from the median, and there is no reference — the engine then stops
 * slicing instead of trading blind (the answer is a 503 problem naming the reason, retried later).
 */
import { Problem } from '@vcdc/shared';
import { Decimal } from '@vcdc/shared/money';
import type { MarketDataSource, TopOfBook } from './market-data';

export interface ReferencePolicy {
  /** A book older than this (by the venue's own clock against ours) is stale. */
  maxAgeMs: number;
  /** The most any fresh venue's mid may differ from the median, in basis points. */
  maxDispersionBp: string;
  /** How many fresh venues a reference needs. */
  minSources: number;
}

export interface ReferenceQuote extends TopOfBook {
  mid: string;
  /** Left out of the median, and why. */
  excluded?: 'stale' | 'unavailable';
}

export interface ReferencePrice {
  symbol: string;
  price: string;
  at: string;
  /** Every venue asked, with its quote (or why it did not count). */
  quotes: ReferenceQuote[];
  /** Largest distance of a counted mid from the median, in basis points. */
  dispersionBp: string;
}

export function median(values: Decimal[]): Decimal {
  const sorted = [...values].sort((a, b) => a.comparedTo(b));
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[middle] as Decimal;
  return (sorted[middle - 1] as Decimal).plus(sorted[middle] as Decimal).div(2);
}

function noReference(slug: string, detail: string, quotes: ReferenceQuote[]): Problem {
  return new Problem(503, slug, 'No fair reference price', detail, { quotes });
}

/** Pure: the reference from the quotes gathered at `now`. */
export function referenceFromQuotes(
  symbol: string,
  quotes: ReferenceQuote[],
  policy: ReferencePolicy,
  now: Date,
): ReferencePrice {
  const judged = quotes.map((q) =>
    q.excluded ? q : now.getTime() - q.at.getTime() > policy.maxAgeMs ? { ...q, excluded: 'stale' as const } : q,
  );
  const fresh = judged.filter((q) => !q.excluded);
  if (fresh.length < policy.minSources) {
    throw noReference(
      'reference-stale',
      `${symbol}: ${fresh.length} fresh venue quote(s), ${policy.minSources} needed (older than ${policy.maxAgeMs} ms or unavailable: ${judged
        .filter((q) => q.excluded)
        .map((q) => `${q.venue} ${q.excluded}`)
        .join(', ')})`,
      judged,
    );
  }
  const mids = fresh.map((q) => new Decimal(q.mid));
  const price = median(mids);
  const dispersion = Decimal.max(...mids.map((m) => m.minus(price).abs().div(price).mul(10_000)));
  if (dispersion.gt(policy.maxDispersionBp)) {
    throw noReference(
      'reference-diverging',
      `${symbol}: venue mids differ from their median by up to ${dispersion.toFixed(2)} bp (limit ${policy.maxDispersionBp} bp)`,
      judged,
    );
  }
  return {
    symbol,
    price: price.toFixed(),
    at: now.toISOString(),
    quotes: judged,
    dispersionBp: dispersion.toDecimalPlaces(4).toFixed(),
  };
}

/** Ask every source at once; a source that cannot answer is recorded as unavailable. */
export async function fetchReferencePrice(
  sources: MarketDataSource[],
  symbol: string,
  policy: ReferencePolicy,
  now: () => Date = () => new Date(),
): Promise<ReferencePrice> {
  const quotes = await Promise.all(
    sources.map(async (source): Promise<ReferenceQuote> => {
      try {
        const top = await source.topOfBook(symbol);
        return { ...top, mid: new Decimal(top.bid).plus(top.ask).div(2).toFixed() };
      } catch {
        return { venue: source.id, bid: '0', ask: '0', at: new Date(0), mid: '0', excluded: 'unavailable' };
      }
    }),
  );
  return referenceFromQuotes(symbol, quotes, policy, now());
}
