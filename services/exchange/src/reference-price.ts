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
  /** Why the venue could not be read (`unavailable`). */
  error?: string;
}

export interface ReferencePrice {
  /** The stored computation (best-execution records), when the service records them. */
  id?: string;
  symbol: string;
  price: string;
  at: string;
  /** Every venue asked, with its quote (or why it did not count). */
  quotes: ReferenceQuote[];
  /** Largest distance of a counted mid from the median, in basis points. */
  dispersionBp: string;
}

/**
 * One computation of the reference, whatever its outcome: `ok` (the median is the reference),
 * `stale` (too few fresh venues: no median), `diverging` (a fresh mid too far from the median).
 */
export interface ReferenceEvaluation {
  symbol: string;
  at: Date;
  outcome: 'ok' | 'stale' | 'diverging';
  median?: string;
  dispersionBp?: string;
  quotes: ReferenceQuote[];
  /** Why there is no reference (outcome stale or diverging). */
  detail?: string;
}

export function median(values: Decimal[]): Decimal {
  const sorted = [...values].sort((a, b) => a.comparedTo(b));
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[middle] as Decimal;
  return (sorted[middle - 1] as Decimal).plus(sorted[middle] as Decimal).div(2);
}

/** Pure: judge the quotes gathered at `now` (staleness, number of sources, dispersion). */
export function evaluateReference(
  symbol: string,
  quotes: ReferenceQuote[],
  policy: ReferencePolicy,
  now: Date,
): ReferenceEvaluation {
  const judged = quotes.map((q) =>
    q.excluded ? q : now.getTime() - q.at.getTime() > policy.maxAgeMs ? { ...q, excluded: 'stale' as const } : q,
  );
  const fresh = judged.filter((q) => !q.excluded);
  if (fresh.length < policy.minSources || fresh.length === 0) {
    return {
      symbol,
      at: now,
      outcome: 'stale',
      quotes: judged,
      detail: `${symbol}: ${fresh.length} fresh venue quote(s), ${policy.minSources} needed (older than ${policy.maxAgeMs} ms or unavailable: ${judged
        .filter((q) => q.excluded)
        .map((q) => `${q.venue} ${q.excluded}`)
        .join(', ')})`,
    };
  }
  const mids = fresh.map((q) => new Decimal(q.mid));
  const price = median(mids);
  const dispersion = Decimal.max(...mids.map((m) => m.minus(price).abs().div(price).mul(10_000)));
  const dispersionBp = dispersion.toDecimalPlaces(4).toFixed();
  if (dispersion.gt(policy.maxDispersionBp)) {
    return {
      symbol,
      at: now,
      outcome: 'diverging',
      median: price.toFixed(),
      dispersionBp,
      quotes: judged,
      detail: `${symbol}: venue mids differ from their median by up to ${dispersion.toFixed(2)} bp (limit ${policy.maxDispersionBp} bp)`,
    };
  }
  return { symbol, at: now, outcome: 'ok', median: price.toFixed(), dispersionBp, quotes: judged };
}

/** The reference of an `ok` evaluation; otherwise the 503 problem naming why there is none. */
export function referenceOf(evaluation: ReferenceEvaluation, id?: string): ReferencePrice {
  const { symbol, quotes } = evaluation;
  if (evaluation.outcome !== 'ok' || evaluation.median === undefined || evaluation.dispersionBp === undefined) {
    const slug = evaluation.outcome === 'diverging' ? 'reference-diverging' : 'reference-stale';
    throw new Problem(503, slug, 'No fair reference price', evaluation.detail ?? `${symbol}: no reference`, {
      quotes,
      ...(id ? { computationId: id } : {}),
    });
  }
  return {
    ...(id ? { id } : {}),
    symbol,
    price: evaluation.median,
    at: evaluation.at.toISOString(),
    quotes,
    dispersionBp: evaluation.dispersionBp,
  };
}

/** Pure: the reference from the quotes gathered at `now` (a 503 problem when there is none). */
export function referenceFromQuotes(
  symbol: string,
  quotes: ReferenceQuote[],
  policy: ReferencePolicy,
  now: Date,
): ReferencePrice {
  return referenceOf(evaluateReference(symbol, quotes, policy, now));
}

/**
 * Ask every source at once; a source that cannot answer is recorded as unavailable, with its error.
 * `known`: a source's top of book already being read (with the bids of a market order's check).
 */
export async function gatherQuotes(
  sources: MarketDataSource[],
  symbol: string,
  known?: { source: MarketDataSource; top: Promise<TopOfBook | Error> },
): Promise<ReferenceQuote[]> {
  return Promise.all(
    sources.map(async (source): Promise<ReferenceQuote> => {
      try {
        const top = source === known?.source ? await known.top : await source.topOfBook(symbol);
        if (top instanceof Error) throw top;
        return { ...top, mid: new Decimal(top.bid).plus(top.ask).div(2).toFixed() };
      } catch (error) {
        return {
          venue: source.id,
          bid: '0',
          ask: '0',
          at: new Date(0),
          mid: '0',
          excluded: 'unavailable',
          error: error instanceof Error ? error.message : String(error),
        };
      }
    }),
  );
}

/** Ask every source at once and judge their quotes. */
export async function fetchReferencePrice(
  sources: MarketDataSource[],
  symbol: string,
  policy: ReferencePolicy,
  now: () => Date = () => new Date(),
): Promise<ReferencePrice> {
  return referenceFromQuotes(symbol, await gatherQuotes(sources, symbol), policy, now());
}
