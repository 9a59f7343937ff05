/**
 * The moving market's book at a step is a pure function of (market, step, depletion, controls): the
 * venue asks for it on every request (each ticker twice), so it is computed once per step and handed
 * out as a copy. A book the venue then mutates (an order taking bids) must not change the next one
 * handed out, and a driver's move must.
 */
import { Decimal } from '../../packages/shared/src/money';
import { emptyControls, MarketDynamics } from '../src/venue/market';
import { DEFAULT_MARKETS } from '../src/venue/markets';

const spec = DEFAULT_MARKETS[0]!;

describe('the moving market’s book', () => {
  test('is the same book for the same step and depletion, however often it is asked for', () => {
    const once = new MarketDynamics(7).book(spec, 42, new Decimal('0.5'));
    const market = new MarketDynamics(7);
    const first = market.book(spec, 42, new Decimal('0.5'));
    expect(first).toEqual(once);
    // The venue takes bids off the book it was given (takeBids mutates it in place).
    first.bids.shift();
    (first.asks[0] as { qty: string }).qty = '0';
    expect(market.book(spec, 42, new Decimal('0.5'))).toEqual(once);
  });

  test('is computed once per step and depletion', () => {
    const market = new MarketDynamics(7);
    const mid = jest.spyOn(market, 'mid');
    for (let i = 0; i < 5; i++) market.book(spec, 42, new Decimal('0.5'));
    expect(mid).toHaveBeenCalledTimes(1);
    market.book(spec, 43, new Decimal('0.5'));
    expect(mid).toHaveBeenCalledTimes(2);
  });

  test('is another book at another step or depletion, and after a driver’s move', () => {
    const market = new MarketDynamics(7);
    const book = market.book(spec, 42, new Decimal('0.5'));
    expect(market.book(spec, 43, new Decimal('0.5'))).not.toEqual(book);
    expect(market.book(spec, 42, new Decimal('0.7'))).not.toEqual(book);
    const moved = new MarketDynamics(7);
    moved.book(spec, 42, new Decimal('0.5'));
    moved.useControls({ [spec.id]: { ...emptyControls(), moves: [{ fromStep: 1, steps: 1, factor: '0.9' }] } });
    expect(moved.book(spec, 42, new Decimal('0.5'))).not.toEqual(book);
  });
});
