import fc from 'fast-check';
import { Decimal, decimalPlaces, tradeCost } from '../src/money';

describe('a block trade’s cost', () => {
  it('is price × amount cut toward zero to the cent: never more, less by under a cent', () => {
    expect(tradeCost('95012.37', '0.12345678', 'USD').toFixed()).toBe('11729.92'); // 11729.9206…;
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10_000_000_00n }), // price in cents
        fc.bigInt({ min: 1n, max: 100_000_000_000n }), // amount in satoshi
        (cents, sats) => {
          const price = new Decimal(cents.toString()).div(100);
          const amount = new Decimal(sats.toString()).div(1e8);
          const exact = price.mul(amount);
          const cost = tradeCost(price, amount, 'USD');
          expect(decimalPlaces(cost)).toBeLessThanOrEqual(2);
          expect(cost.lte(exact)).toBe(true);
          expect(exact.minus(cost).lt('0.01')).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
