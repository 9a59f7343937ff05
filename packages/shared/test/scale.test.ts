/**
 * The one scale rule (money.ts `scaleRefusal`): each asset's places from ASSETS, one wording, and the
 * same answer whether a contract (checkScale, withScaleOf, amountOf) or a handler (assertScales) asks.
 */
import { z } from 'zod';
import { ASSETS, type AssetCode, amountOf, assertScales, checkScale, Problem, scaleRefusal, withScaleOf } from '../src';

const finer = (asset: AssetCode) => `1.${'0'.repeat(ASSETS[asset].scale)}1`;
const exact = (asset: AssetCode) => `1.${'0'.repeat(ASSETS[asset].scale - 1)}1`;

test.each(Object.keys(ASSETS) as AssetCode[])(
  '%s: its scale fits, one place more is refused in one wording',
  (asset) => {
    expect(scaleRefusal(exact(asset), asset)).toBeUndefined();
    expect(scaleRefusal('12', asset)).toBeUndefined();
    expect(scaleRefusal(finer(asset), asset)).toBe(
      `must have at most ${ASSETS[asset].scale} decimal places for ${asset}`,
    );
    expect(scaleRefusal(`-${finer(asset)}`, asset)).toBeDefined();
  },
);

test('what is no decimal at all is left to the pattern check (one message per field)', () => {
  expect(scaleRefusal('1e-9', 'BTC')).toBeUndefined();
  expect(scaleRefusal('abc', 'BTC')).toBeUndefined();
});

test('a contract and a handler refuse the same amounts with the same message', () => {
  const Body = z.object({ asset: z.enum(['BTC', 'USD']), amount: z.string() }).superRefine((b, ctx) => {
    checkScale(ctx, ['amount'], b.amount, b.asset);
  });
  const refused = Body.safeParse({ asset: 'USD', amount: '1.001' });
  expect(refused.success).toBe(false);
  expect(refused.error?.issues.map((i) => [i.path, i.message])).toEqual([
    [['amount'], 'must have at most 2 decimal places for USD'],
  ]);
  expect(Body.safeParse({ asset: 'BTC', amount: '1.001' }).success).toBe(true);

  expect(amountOf('CNY').safeParse('0.001').error?.issues[0]?.message).toBe(
    'must have at most 2 decimal places for CNY',
  );
  expect(withScaleOf(z.string(), 'USDT').safeParse('0.1234567').success).toBe(false);

  expect(() => assertScales([{ field: 'x', value: '1.01', asset: 'USD' }])).not.toThrow();
  let thrown: unknown;
  try {
    assertScales([
      { field: 'amount', value: '1.001', asset: 'USD' },
      { field: 'fee', value: '0.5', asset: 'USD' },
      { field: 'charges', value: '0.12345', asset: 'CNY' },
    ]);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(Problem);
  expect((thrown as Problem).status).toBe(400);
  expect((thrown as Problem).extensions.errors).toEqual([
    { field: 'amount', message: 'must have at most 2 decimal places for USD' },
    { field: 'charges', message: 'must have at most 2 decimal places for CNY' },
  ]);
});
