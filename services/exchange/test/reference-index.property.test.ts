/**
 * The reference index across venues (src/reference-index.ts, BRR's method on minute candles), held to
 * properties with fast-check: within the candles' prices, blind to the venues' order and to the scale
 * of the volumes, a single price is itself, a weighted median has half the volume on each side, and
 * empty partitions are left out and counted.
 */
import { Decimal } from '@vcdc/shared/money';
import fc from 'fast-check';
import {
  computeReferenceIndex,
  type IndexCandle,
  type IndexPolicy,
  typicalPrice,
  type VenueCandles,
  volumeWeightedMedian,
} from '../src/reference-index';

const MINUTE = 60_000;
const END = new Date(Date.UTC(2026, 11, 4, 12, 0, 0));
const POLICY: IndexPolicy = { windowMinutes: 60, partitions: 12, minPartitionsWithVolume: 1 };

/** Prices and volumes as venues give them: up to 8 decimal places. */
const units = (max: bigint) => fc.bigInt({ min: 1n, max }).map((u) => new Decimal(u.toString()).div(1e8));
const price = units(10n ** 15n);
const volume = fc.oneof(units(10n ** 12n), fc.constant(new Decimal(0)));

/** A candle in the window: a minute of it, a range (low ≤ close ≤ high) and a volume. */
const candle: fc.Arbitrary<IndexCandle> = fc
  .tuple(fc.integer({ min: 0, max: 59 }), price, price, price, volume)
  .map(([minute, a, b, c, v]) => {
    const [low, close, high] = [a, b, c].sort((x, y) => x.comparedTo(y)) as [Decimal, Decimal, Decimal];
    return {
      start: new Date(END.getTime() - 60 * MINUTE + minute * MINUTE),
      low: low.toFixed(),
      close: close.toFixed(),
      high: high.toFixed(),
      volume: v.toFixed(),
    };
  });
const venues: fc.Arbitrary<VenueCandles[]> = fc.array(
  fc.record({ venue: fc.string({ minLength: 1, maxLength: 6 }), candles: fc.array(candle, { maxLength: 30 }) }),
  { minLength: 1, maxLength: 4 },
);
/** Venues with some volume somewhere in the window (so there is an index at minPartitionsWithVolume 1). */
const tradedVenues = venues.filter((vs) => vs.some((v) => v.candles.some((c) => new Decimal(c.volume).gt(0))));

test('the index lies between the lowest and the highest candle price of the window', () => {
  fc.assert(
    fc.property(tradedVenues, (vs) => {
      const result = computeReferenceIndex('BTC/USDT', vs, POLICY, END);
      expect(result.outcome).toBe('ok');
      const traded = vs.flatMap((v) => v.candles).filter((c) => new Decimal(c.volume).gt(0));
      const lowest = Decimal.min(...traded.map((c) => new Decimal(c.low as string)));
      const highest = Decimal.max(...traded.map((c) => new Decimal(c.high as string)));
      const index = new Decimal(result.index as string);
      expect(index.gte(lowest) && index.lte(highest)).toBe(true);
    }),
  );
});

test('permuting the venues, or scaling every volume by the same factor, does not change the index', () => {
  fc.assert(
    fc.property(
      tradedVenues.chain((vs) =>
        fc.tuple(fc.constant(vs), fc.shuffledSubarray(vs, { minLength: vs.length, maxLength: vs.length })),
      ),
      fc.integer({ min: 1, max: 1_000_000 }),
      fc.integer({ min: 0, max: 12 }),
      ([vs, shuffled], scaleUnits, scaleDecimals) => {
        const factor = new Decimal(scaleUnits).div(new Decimal(10).pow(scaleDecimals));
        const once = computeReferenceIndex('BTC/USDT', vs, POLICY, END);
        const permuted = computeReferenceIndex('BTC/USDT', shuffled, POLICY, END);
        const scaled = computeReferenceIndex(
          'BTC/USDT',
          vs.map((v) => ({
            ...v,
            candles: v.candles.map((c) => ({ ...c, volume: new Decimal(c.volume).mul(factor).toFixed() })),
          })),
          POLICY,
          END,
        );
        expect(permuted.index).toBe(once.index);
        expect(scaled.index).toBe(once.index);
        expect(scaled.partitions.map((p) => p.median)).toEqual(once.partitions.map((p) => p.median));
      },
    ),
  );
});

test('a single venue trading at a single price gives that price, whatever its volumes', () => {
  fc.assert(
    fc.property(
      price,
      fc.array(fc.tuple(fc.integer({ min: 0, max: 59 }), units(10n ** 12n)), { minLength: 1 }),
      (p, minutes) => {
        const at = p.toFixed();
        const candles = minutes.map(([minute, v]) => ({
          start: new Date(END.getTime() - 60 * MINUTE + minute * MINUTE),
          high: at,
          low: at,
          close: at,
          volume: v.toFixed(),
        }));
        const result = computeReferenceIndex('BTC/USDT', [{ venue: 'hashkey', candles }], POLICY, END);
        expect(result.index).toBe(at);
      },
    ),
  );
});

test('a volume-weighted median holds at least half the volume on each side, and is one of the prices', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(price, volume), { minLength: 1, maxLength: 40 }), (pairs) => {
      const points = pairs.map(([p, v]) => ({ price: p, volume: v }));
      const total = points.reduce((s, p) => s.plus(p.volume), new Decimal(0));
      const median = volumeWeightedMedian(points);
      if (total.isZero()) {
        expect(median).toBeUndefined();
        return;
      }
      expect(median).toBeDefined();
      const m = median as Decimal;
      const atOrBelow = points.filter((p) => p.price.lte(m)).reduce((s, p) => s.plus(p.volume), new Decimal(0));
      const atOrAbove = points.filter((p) => p.price.gte(m)).reduce((s, p) => s.plus(p.volume), new Decimal(0));
      expect(atOrBelow.mul(2).gte(total)).toBe(true);
      expect(atOrAbove.mul(2).gte(total)).toBe(true);
      expect(points.some((p) => p.price.eq(m) && p.volume.gt(0))).toBe(true);
    }),
  );
});

test('a partition without volume is left out of the mean and counted; too few with volume and there is no index', () => {
  const at = (minute: number, p: string, v: string): IndexCandle => ({
    start: new Date(END.getTime() - 60 * MINUTE + minute * MINUTE),
    high: p,
    low: p,
    close: p,
    volume: v,
  });
  // Partition 0 (minutes 0-4): 100 at volume 3 and 110 at volume 1 → median 100; partition 1: 130 → 130.
  const vs: VenueCandles[] = [
    { venue: 'hashkey', candles: [at(0, '100', '3'), at(6, '130', '2'), at(20, '999', '0')] },
    { venue: 'osl', candles: [at(3, '110', '1')] },
    { venue: 'gone', candles: [], unavailable: 'connect ECONNREFUSED' },
  ];
  const ok = computeReferenceIndex('BTC/USDT', vs, { ...POLICY, minPartitionsWithVolume: 2 }, END);
  expect(ok).toMatchObject({ outcome: 'ok', index: '115', partitionsWithVolume: 2, emptyPartitions: 10 });
  expect(ok.partitions[0]).toMatchObject({ median: '100', volume: '4' });
  expect(ok.partitions[4]).toMatchObject({ volume: '0' });
  expect(ok.partitions[4]?.median).toBeUndefined();
  const refused = computeReferenceIndex('BTC/USDT', vs, { ...POLICY, minPartitionsWithVolume: 3 }, END);
  expect(refused).toMatchObject({ outcome: 'insufficient-volume', partitionsWithVolume: 2, emptyPartitions: 10 });
  expect(refused.index).toBeUndefined();
  expect(refused.detail).toMatch(/2 of 12 partitions .* 3 needed \(unavailable: gone\)/);
});

test('a candle counts at its typical price, (high + low + close) / 3', () => {
  const typical = typicalPrice({ start: END, high: '103', low: '97', close: '102', volume: '1' });
  // 302 / 3 at Decimal's 80 significant digits, cut toward zero.
  expect(typical.toFixed()).toBe(`100.${'6'.repeat(77)}`);
  expect(typicalPrice({ start: END, close: '101', volume: '1' }).toFixed()).toBe('101');
});
