/** The execution engine's pure arithmetic (sale-execution.ts): slice prices, passive and taking rounds. */
import { Decimal } from '@vcdc/shared/money';
import { DEFAULT_EXECUTION } from '../src/workflow/case-policy';
import { participationCap, roundOffsetBp, slicePrice } from '../src/workflow/sale-execution';

describe('slice prices', () => {
  test('a passive round rests above the reference, a taking one under it, both rounded up to the tick', () => {
    const reference = new Decimal('95000');
    expect(slicePrice(reference, undefined, '-0.5', '0.01').toFixed()).toBe('95004.75');
    expect(slicePrice(reference, undefined, '3', '0.01').toFixed()).toBe('94971.5');
    expect(slicePrice(new Decimal('95000.003'), undefined, '0', '0.01').toFixed()).toBe('95000.01');
  });

  test('no price is ever under the legal floor', () => {
    const floor = new Decimal('95010');
    expect(slicePrice(new Decimal('95000'), floor, '-0.5', '0.01').toFixed()).toBe('95010');
    expect(slicePrice(new Decimal('95000'), floor, '3', '0.01').toFixed()).toBe('95010');
  });

  test('PASSIVE: every round rests above the reference but the last, which takes; TAKE: every round takes', () => {
    const passive = {
      ...DEFAULT_EXECUTION,
      slicePricing: 'PASSIVE' as const,
      passiveOffsetBp: '0.5',
      priceOffsetBp: '3',
    };
    expect(roundOffsetBp(passive, false)).toBe('-0.5');
    expect(roundOffsetBp(passive, true)).toBe('3');
    const taking = { ...passive, slicePricing: 'TAKE' as const };
    expect(roundOffsetBp(taking, false)).toBe('3');
    expect(roundOffsetBp(taking, true)).toBe('3');
  });
});

describe('participation cap', () => {
  test('a share of the interval volume, down to the lot step', () => {
    expect(participationCap(new Decimal('12.3456789'), '10', '0.00001').toFixed()).toBe('1.23456');
    expect(participationCap(new Decimal('0'), '10', '0.00001').toFixed()).toBe('0');
    expect(participationCap(new Decimal('0.00009'), '10', '0.00001').toFixed()).toBe('0');
  });
});
