/**
 * Base units: every amount of an asset is a whole number of its smallest unit (satoshi, wei, the
 * token's unit, fen). The conversion is exact both ways for any size (BigInt), never rounds, and sums
 * across lots agree with the decimal sums.
 */
import fc from 'fast-check';
import {
  ASSETS,
  type AssetCode,
  BASE_UNIT_NAMES,
  baseUnitsBeside,
  Decimal,
  fromBaseUnits,
  groupDigits,
  toBaseUnits,
  totalInBaseUnits,
} from '../src';

const ASSET_CODES = Object.keys(ASSETS) as AssetCode[];
const asset = fc.constantFrom(...ASSET_CODES);
/** Any whole number of base units, far beyond 2^53 (and negative: differences are signed). */
const units = fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n });

describe('base units', () => {
  test('the units the auditors count in', () => {
    expect(BASE_UNIT_NAMES).toMatchObject({ BTC: 'satoshi', ETH: 'wei', USDT: 'micro-USDT', CNY: 'fen' });
    expect(toBaseUnits('1', 'BTC')).toBe(100_000_000n);
    expect(toBaseUnits('0.00013', 'BTC')).toBe(13_000n);
    expect(toBaseUnits('1.5', 'ETH')).toBe(1_500_000_000_000_000_000n);
    expect(toBaseUnits('0.000924', 'USDT')).toBe(924n);
    expect(toBaseUnits('-0.00002', 'BTC')).toBe(-2000n);
    expect(toBaseUnits(new Decimal('535817.01'), 'CNY')).toBe(53_581_701n);
    expect(fromBaseUnits(1n, 'ETH')).toBe('0.000000000000000001');
    expect(fromBaseUnits(-13_000n, 'BTC')).toBe('-0.00013');
    expect(fromBaseUnits('0', 'USDT')).toBe('0');
    expect(groupDigits(-1_234_567n)).toBe('-1,234,567');
    expect(baseUnitsBeside('0.00013', 'BTC')).toBe('0.00013 BTC (13,000 satoshi)');
  });

  test('an amount finer than the smallest unit, or not a decimal, is refused, never rounded', () => {
    expect(() => toBaseUnits('0.000000001', 'BTC')).toThrow(RangeError);
    expect(() => toBaseUnits('0.001', 'CNY')).toThrow(/2 decimal places/);
    for (const bad of ['', '1e8', '1,5', ' 1', '--1', '0x10', '.5', 'NaN']) {
      expect(() => toBaseUnits(bad, 'BTC')).toThrow(RangeError);
    }
    expect(() => fromBaseUnits('1.5', 'BTC')).toThrow(RangeError);
  });

  test('decimal -> base units -> decimal is the identity, exact at any size', () => {
    fc.assert(
      fc.property(asset, units, (a, n) => {
        const decimal = fromBaseUnits(n, a);
        expect(toBaseUnits(decimal, a)).toBe(n);
        // The decimal is the same number as units / 10^scale (checked with decimal.js, independently).
        expect(new Decimal(decimal).eq(new Decimal(n.toString()).div(new Decimal(10).pow(ASSETS[a].scale)))).toBe(true);
      }),
    );
  });

  test('trailing zeros and Decimal inputs make no difference', () => {
    fc.assert(
      fc.property(asset, units, fc.integer({ min: 0, max: 5 }), (a, n, zeros) => {
        const decimal = fromBaseUnits(n, a);
        const padded = decimal.includes('.') ? `${decimal}${'0'.repeat(zeros)}` : decimal;
        expect(toBaseUnits(padded, a)).toBe(n);
        expect(toBaseUnits(new Decimal(decimal), a)).toBe(n);
      }),
    );
  });

  test('the total of lots in base units is the base units of the decimal total', () => {
    fc.assert(
      fc.property(asset, fc.array(units, { maxLength: 30 }), (a, lots) => {
        const decimals = lots.map((n) => fromBaseUnits(n, a));
        const total = totalInBaseUnits(decimals, a);
        expect(total).toBe(lots.reduce((s, n) => s + n, 0n));
        const decimalTotal = decimals.reduce((s, d) => s.plus(d), new Decimal(0));
        expect(toBaseUnits(decimalTotal, a)).toBe(total);
      }),
    );
  });
});
