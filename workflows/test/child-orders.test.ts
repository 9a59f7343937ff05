/**
 * The split rule (child-orders.ts): whatever a round offers is cut into child orders the venue takes —
 * none above the largest order, none under the minimum quantity or notional, every one a whole number
 * of lot steps — and the children and the remainder they leave add up to the offer exactly.
 */
import { Decimal } from '@vcdc/shared/money';
import fc from 'fast-check';
import { splitIntoChildOrders } from '../src/workflow/child-orders';
import { placeable } from '../src/workflow/sale-execution';

const BTC = { stepSize: '0.00001', tickSize: '0.01', minQty: '0.00001', minNotional: '1', maxQty: '8' };

test('the carried 10.49985 BTC the venue refused as one order is offered as two orders under its 8 BTC limit', () => {
  const { orders, rest } = splitIntoChildOrders(new Decimal('10.49985'), new Decimal('95000'), BTC);
  expect(orders.map((o) => o.toFixed())).toEqual(['5.24993', '5.24992']);
  expect(rest.toFixed()).toBe('0');
});

test('500 BTC: 63 children of about 7.9 BTC, none above 8', () => {
  const { orders, rest } = splitIntoChildOrders(new Decimal('500'), new Decimal('95000'), BTC);
  expect(orders).toHaveLength(63);
  expect(orders.every((o) => o.lte(8))).toBe(true);
  expect(Decimal.sum(...orders).toFixed()).toBe('500');
  expect(rest.toFixed()).toBe('0');
});

test('an offer the venue cannot take at all is the remainder, not an order', () => {
  // 0.000924 USDT at par is under USDT/USD's minimum quantity of 1; 0.000016 ETH under its step 0.0001
  const usdt = { stepSize: '0.01', tickSize: '0.0001', minQty: '1', minNotional: '1', maxQty: '2000000' };
  expect(splitIntoChildOrders(new Decimal('0.000924'), new Decimal('0.9995'), usdt)).toEqual({
    orders: [],
    rest: new Decimal('0.000924'),
  });
  const eth = { stepSize: '0.0001', tickSize: '0.01', minQty: '0.0001', minNotional: '1', maxQty: '200' };
  const dust = splitIntoChildOrders(new Decimal('0.000016'), new Decimal('3400'), eth);
  expect(dust.orders).toHaveLength(0);
  expect(dust.rest.toFixed()).toBe('0.000016');
  // worth less than the minimum notional, though a whole step
  const cheap = splitIntoChildOrders(new Decimal('0.0002'), new Decimal('3400'), eth);
  expect(cheap.orders).toHaveLength(0);
  expect(cheap.rest.toFixed()).toBe('0.0002');
});

test('what is under the lot step stays as the remainder beside the orders', () => {
  const { orders, rest } = splitIntoChildOrders(new Decimal('15.000017'), new Decimal('95000'), BTC);
  expect(orders.map((o) => o.toFixed())).toEqual(['7.50001', '7.5']);
  expect(rest.toFixed()).toBe('0.000007');
});

/** Rules of a market, in whole units of its step (the venue's own shape: everything a multiple of the step). */
const market = fc
  .record({
    stepExp: fc.integer({ min: 0, max: 8 }),
    minSteps: fc.integer({ min: 1, max: 1000 }),
    maxMultiple: fc.integer({ min: 2, max: 100_000 }),
    minNotional: fc.integer({ min: 0, max: 50 }),
    priceCents: fc.integer({ min: 1, max: 20_000_000 }),
  })
  .map(({ stepExp, minSteps, maxMultiple, minNotional, priceCents }) => {
    const step = new Decimal(1).div(new Decimal(10).pow(stepExp));
    return {
      rules: {
        stepSize: step.toFixed(),
        tickSize: '0.01',
        minQty: step.mul(minSteps).toFixed(),
        maxQty: step.mul(minSteps).mul(maxMultiple).toFixed(),
        minNotional: String(minNotional),
      },
      price: new Decimal(priceCents).div(100),
    };
  });

test('property: children never above the maximum, never under the minimum, whole steps, and add up to the offer', () => {
  fc.assert(
    fc.property(
      market,
      fc.integer({ min: 0, max: 300_000_000 }),
      fc.integer({ min: 0, max: 999 }),
      ({ rules, price }, millionthsOfMax, below) => {
        // up to 300 maximum orders' worth, with digits below the lot step
        const steps = new Decimal(rules.maxQty).div(rules.stepSize).mul(millionthsOfMax).div(1_000_000).floor();
        const offer = steps.mul(rules.stepSize).plus(new Decimal(rules.stepSize).mul(below).div(1000));
        const { orders, rest } = splitIntoChildOrders(offer, price, rules);
        for (const o of orders) {
          expect(o.lte(rules.maxQty)).toBe(true);
          expect(placeable(o, price, rules)).toBe(true);
          expect(o.mod(rules.stepSize).isZero()).toBe(true);
        }
        expect(
          Decimal.sum(0, ...orders)
            .plus(rest)
            .eq(offer),
        ).toBe(true);
        expect(rest.gte(0)).toBe(true);
        // the remainder is what the venue cannot take: under a step, or a final piece under the minimum
        const restSteps = rest.div(rules.stepSize).floor().mul(rules.stepSize);
        if (orders.length > 0) expect(restSteps.isZero() || !placeable(restSteps, price, rules)).toBe(true);
        // nothing sold only when no order of at most the maximum could be placed
        const largest = new Decimal(rules.maxQty).div(rules.stepSize).floor().mul(rules.stepSize);
        if (orders.length === 0) expect(placeable(Decimal.min(restSteps, largest), price, rules)).toBe(false);
        // where half the maximum is a valid order: as few children as the maximum allows, near-equal
        const half = largest.div(2).div(rules.stepSize).floor().mul(rules.stepSize);
        if (orders.length > 0 && placeable(half, price, rules)) {
          const sold = Decimal.sum(...orders);
          expect(rest.lt(rules.stepSize)).toBe(true);
          expect(orders.length).toBe(sold.div(largest).ceil().toNumber());
          expect(
            Decimal.max(...orders)
              .minus(Decimal.min(...orders))
              .lte(rules.stepSize),
          ).toBe(true);
        }
      },
    ),
    { numRuns: 200 },
  );
});
