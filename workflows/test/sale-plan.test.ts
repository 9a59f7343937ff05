/** Planning a sale within a market's rules: whole steps, the minimum, the market-order limit. */
import { Decimal } from '@vcdc/shared/money';
import fc from 'fast-check';
import { planSale } from '../src/sale-plan';

const plan = (amount: string, stepSize: string, minQty = '0', marketOrderMaxQty = '0') => {
  const p = planSale(new Decimal(amount), { stepSize, minQty, marketOrderMaxQty });
  return { slices: p.slices.map((s) => s.toFixed()), unsold: p.unsold.toFixed() };
};

describe('sale plan', () => {
  test('what the step cannot take is left unsold', () => {
    expect(plan('1.2499', '0.01')).toEqual({ slices: ['1.24'], unsold: '0.0099' });
    expect(plan('1.24', '0.01')).toEqual({ slices: ['1.24'], unsold: '0' });
  });

  test('below the minimum nothing is sold', () => {
    expect(plan('0.0009', '0.0001', '0.001')).toEqual({ slices: [], unsold: '0.0009' });
    expect(plan('0.00009', '0.0001')).toEqual({ slices: [], unsold: '0.00009' });
  });

  test('above the market-order limit the amount is cut into near-equal slices within the limit', () => {
    expect(plan('10.00005', '0.00001', '0', '4')).toEqual({ slices: ['3.33335', '3.33335', '3.33335'], unsold: '0' });
    expect(plan('8', '0.00001', '0', '4')).toEqual({ slices: ['4', '4'], unsold: '0' });
    expect(plan('8.00001', '0.00001', '0', '4')).toEqual({ slices: ['2.66667', '2.66667', '2.66667'], unsold: '0' });
  });

  test('property: slices are whole steps within the limit and, with what is unsold, add up to the amount', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 10n }), // up to 100 coins: at most a few hundred slices
        fc.constantFrom('0.00001', '0.0001', '0.01', '1'),
        fc.constantFrom('0', '0.5', '4', '100'),
        (units, step, max) => {
          const amount = new Decimal(units.toString()).div(1e8);
          const p = planSale(amount, { stepSize: step, minQty: '0', marketOrderMaxQty: max });
          const total = p.slices.reduce((s, x) => s.plus(x), new Decimal(0));
          expect(total.plus(p.unsold).eq(amount)).toBe(true);
          if (new Decimal(max).gt(0) && new Decimal(max).lt(step)) {
            expect(p.slices).toEqual([]); // the limit is below one step: nothing can be sold
            return;
          }
          expect(p.unsold.gte(0) && p.unsold.lt(step)).toBe(true);
          for (const slice of p.slices) {
            expect(slice.mod(step).isZero() && slice.gt(0)).toBe(true);
            if (new Decimal(max).gt(0)) expect(slice.lte(max)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
