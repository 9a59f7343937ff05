/**
 * A volume-weighted reference index across venues, in the manner of CF Benchmarks' Bitcoin Reference
 * Rate (BRR): an observation window split into equal partitions; in each partition the volume-weighted
 * median of the prices traded on every venue; the index is the equally weighted mean of those medians.
 *
 * Adapted to what our venues publish: the BRR takes every trade of its constituent venues, but HashKey
 * and OSL publish (to ccxt's fetchOHLCV) one-minute candles, not their trades. So a partition's
 * "trades" are the venues' minute candles in it, each one standing for its volume traded at its
 * typical price (high + low + close) / 3. Why the typical price: a minute's volume trades across the
 * minute, not at its close, and the candles carry no quote volume from which a true VWAP could be
 * had; the typical price is the usual estimate of a bar's VWAP from OHLCV, and it always lies within
 * the candle's range. A candle without a range (a source that gives only the close) counts at its close.
 *
 * A partition in which no venue traded is left out of the mean and counted (as the BRR does); with
 * fewer partitions with volume than the policy asks there is no index, never one from too thin a market.
 *
 * Exact decimals throughout (Decimal, 80 significant digits); the only divisions are the typical
 * price's by 3 and the mean's by the number of partitions, and the index is published cut to
 * INDEX_DECIMALS places toward zero (which keeps it within the candles' prices, which have fewer).
 * Pure: the route (reference-index-records.ts) reads the candles and records each computation.
 */
import { Decimal } from '@vcdc/shared/money';

export const INDEX_DECIMALS = 8;
const MINUTE_MS = 60_000;

export interface IndexPolicy {
  /** Length of the observation window in minutes (BRR: 60). */
  windowMinutes: number;
  /** How many equal partitions the window is split into (BRR: 12 of 5 minutes); must divide windowMinutes. */
  partitions: number;
  /** How many partitions must have volume for there to be an index. */
  minPartitionsWithVolume: number;
}

export const DEFAULT_INDEX_POLICY: IndexPolicy = { windowMinutes: 60, partitions: 12, minPartitionsWithVolume: 6 };

/** One venue's minute candle, as read (decimal strings). */
export interface IndexCandle {
  start: Date;
  high?: string;
  low?: string;
  close: string;
  volume: string;
}

/** A venue's candles for the window, or why it could not be read (it then contributes nothing, and says so). */
export interface VenueCandles {
  venue: string;
  candles: IndexCandle[];
  /** The venue did not answer: its error. */
  unavailable?: string;
}

export interface PartitionResult {
  start: Date;
  end: Date;
  /** Volume across all venues' candles in the partition. */
  volume: string;
  /** Its volume-weighted median price; absent when it had no volume. */
  median?: string;
}

export interface IndexComputation {
  symbol: string;
  windowStart: Date;
  windowEnd: Date;
  policy: IndexPolicy;
  /** `ok`: `index` is the index; `insufficient-volume`: too few partitions with volume, no index. */
  outcome: 'ok' | 'insufficient-volume';
  index?: string;
  partitions: PartitionResult[];
  partitionsWithVolume: number;
  /** Partitions left out for want of volume. */
  emptyPartitions: number;
  /** Why there is no index (outcome insufficient-volume). */
  detail?: string;
}

/** A policy the index can be computed by, or the reason it cannot (the configuration refuses it). */
export function policyProblem(policy: IndexPolicy): string | undefined {
  const { windowMinutes, partitions, minPartitionsWithVolume } = policy;
  if (!Number.isInteger(windowMinutes) || windowMinutes < 1) return 'windowMinutes must be a whole number above 0';
  if (!Number.isInteger(partitions) || partitions < 1) return 'partitions must be a whole number above 0';
  if (windowMinutes % partitions !== 0) return 'partitions must divide windowMinutes (whole minutes per partition)';
  if (!Number.isInteger(minPartitionsWithVolume) || minPartitionsWithVolume < 1 || minPartitionsWithVolume > partitions)
    return 'minPartitionsWithVolume must be between 1 and partitions';
  return undefined;
}

/** The window the index at `now` observes: the whole minutes of the policy's length ending at now's minute. */
export function indexWindow(now: Date, policy: IndexPolicy): { start: Date; end: Date } {
  const end = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS;
  return { start: new Date(end - policy.windowMinutes * MINUTE_MS), end: new Date(end) };
}

/** The price a candle's volume is taken to have traded at (see the module comment). */
export function typicalPrice(candle: IndexCandle): Decimal {
  if (candle.high === undefined || candle.low === undefined) return new Decimal(candle.close);
  return new Decimal(candle.high).plus(candle.low).plus(candle.close).div(3);
}

/**
 * The volume-weighted median: the lowest price with at least half the volume at or below it (then at
 * least half is also at or above it). Undefined when there is no volume. Order of the points is irrelevant.
 */
export function volumeWeightedMedian(points: { price: Decimal; volume: Decimal }[]): Decimal | undefined {
  const weighted = points.filter((p) => p.volume.gt(0)).sort((a, b) => a.price.comparedTo(b.price));
  const total = weighted.reduce((sum, p) => sum.plus(p.volume), new Decimal(0));
  if (total.isZero()) return undefined;
  let below = new Decimal(0);
  for (const point of weighted) {
    below = below.plus(point.volume);
    // below >= total / 2, without dividing.
    if (below.mul(2).gte(total)) return point.price;
  }
  throw new Error('unreachable: the cumulative volume reaches the total');
}

/** Pure: the index of `symbol` over the window ending at `windowEnd`, from every venue's candles. */
export function computeReferenceIndex(
  symbol: string,
  venues: VenueCandles[],
  policy: IndexPolicy,
  windowEnd: Date,
): IndexComputation {
  const problem = policyProblem(policy);
  if (problem) throw new Error(`reference index policy: ${problem}`);
  const partitionMs = (policy.windowMinutes / policy.partitions) * MINUTE_MS;
  const end = windowEnd.getTime();
  const start = end - policy.windowMinutes * MINUTE_MS;
  const points: { price: Decimal; volume: Decimal }[][] = Array.from({ length: policy.partitions }, () => []);
  for (const venue of venues) {
    if (venue.unavailable) continue;
    for (const candle of venue.candles) {
      const at = candle.start.getTime();
      if (at < start || at >= end) continue;
      points[Math.floor((at - start) / partitionMs)]?.push({
        price: typicalPrice(candle),
        volume: new Decimal(candle.volume),
      });
    }
  }
  const partitions: PartitionResult[] = points.map((inPartition, k) => {
    const median = volumeWeightedMedian(inPartition);
    const volume = inPartition.reduce((sum, p) => sum.plus(p.volume), new Decimal(0));
    return {
      start: new Date(start + k * partitionMs),
      end: new Date(start + (k + 1) * partitionMs),
      volume: volume.toFixed(),
      ...(median ? { median: median.toFixed() } : {}),
    };
  });
  const medians = partitions.flatMap((p) => (p.median === undefined ? [] : [new Decimal(p.median)]));
  const base = {
    symbol,
    windowStart: new Date(start),
    windowEnd: new Date(end),
    policy,
    partitions,
    partitionsWithVolume: medians.length,
    emptyPartitions: policy.partitions - medians.length,
  };
  if (medians.length < policy.minPartitionsWithVolume) {
    const unavailable = venues.filter((v) => v.unavailable).map((v) => v.venue);
    return {
      ...base,
      outcome: 'insufficient-volume',
      detail: `${symbol}: ${medians.length} of ${policy.partitions} partitions of the window ${new Date(start).toISOString()} to ${new Date(end).toISOString()} have volume, ${policy.minPartitionsWithVolume} needed${unavailable.length ? ` (unavailable: ${unavailable.join(', ')})` : ''}`,
    };
  }
  const mean = medians.reduce((sum, m) => sum.plus(m), new Decimal(0)).div(medians.length);
  return { ...base, outcome: 'ok', index: mean.toDecimalPlaces(INDEX_DECIMALS, Decimal.ROUND_DOWN).toFixed() };
}
