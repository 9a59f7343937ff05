import { Decimal } from '@vcdc/shared';
import fc from 'fast-check';
import { convertToCny } from '../src/conversion';

/** A decimal string from an integer count of smallest units: 12345 at scale 2 → "123.45". */
function fromUnits(units: bigint, scale: number): string {
  const digits = units.toString().padStart(scale + 1, '0');
  return `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

const foreignAmount = fc.bigInt({ min: 1n, max: 10n ** 15n }).map((cents) => fromUnits(cents, 2));
const rate = fc.bigInt({ min: 1n, max: 10n ** 8n }).map((units) => fromUnits(units, 4));

describe('converting foreign currency into CNY', () => {
  test('cnyAmount + remainder is exactly foreign × rate; cnyAmount is whole fen; the remainder is below one fen', () => {
    fc.assert(
      fc.property(foreignAmount, rate, (foreign, r) => {
        const { exact, cnyAmount, remainder } = convertToCny(foreign, r);
        const product = new Decimal(foreign).times(r);
        expect(exact.eq(product)).toBe(true);
        expect(cnyAmount.plus(remainder).eq(product)).toBe(true);
        expect(cnyAmount.decimalPlaces()).toBeLessThanOrEqual(2);
        expect(remainder.gte(0)).toBe(true);
        expect(remainder.lt('0.01')).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  test('rounding is toward zero, never up, even a hair below the next fen', () => {
    // 0.01 × 7.0787 = 0.070787; 333.33 × 0.9999 = 333.296667; 1.00 × 7.1299 = 7.1299
    expect(convertToCny('0.01', '7.0787').cnyAmount.toFixed()).toBe('0.07');
    expect(convertToCny('0.01', '7.0787').remainder.toFixed()).toBe('0.000787');
    expect(convertToCny('333.33', '0.9999').cnyAmount.toFixed()).toBe('333.29');
    expect(convertToCny('333.33', '0.9999').remainder.toFixed()).toBe('0.006667');
    expect(convertToCny('1.00', '7.1299').cnyAmount.toFixed()).toBe('7.12');
    expect(convertToCny('100.00', '7.1').remainder.toFixed()).toBe('0');
  });
});
