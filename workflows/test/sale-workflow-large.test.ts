/**
 * Any lot size sells (issue #13, part 4): the execution engine never offers the venue a child order
 * above its largest order size (HashKey: 8 BTC for a limit order), whatever the round offers — a
 * carried remainder, a re-pricing of the whole rest — and a 500 BTC lot sells completely. Against the
 * real exchange service (its pre-trade checks hold every order against the capability table) and the
 * venue simulator through real ccxt (sale-support.ts).
 */
import { Decimal } from '@vcdc/shared/money';
import { DEFAULT_MARKETS, type MarketSpec } from '../../simulators/src/venue/markets';
import { BTC_RULES, execute, market, useSaleEnvironment } from './sale-support';

useSaleEnvironment();

const sum = (xs: string[]) => xs.reduce((s, x) => s.plus(x), new Decimal(0));

test('a carried remainder above the 8 BTC limit (10.49985 BTC) is offered as several child orders, none above 8, and sells', async () => {
  const start = Date.now();
  const m = await market({ seed: 9101, clock: () => start + (Date.now() - start) * 60 });
  const { result } = await execute(m, {
    symbol: 'BTC/USDT',
    amount: '10.49985',
    rules: BTC_RULES,
    // Passive slices resting 1% above the reference find no buyer: everything is carried into the last
    // round, which takes the whole 10.49985 BTC through the bid (80 bp under the reference, inside the band).
    params: { slices: 2, horizonSeconds: 120, maxRepricings: 1, passiveOffsetBp: '100', priceOffsetBp: '80' },
  });
  expect(result.breach).toBeUndefined();
  expect(result.status).toBe('COMPLETED');
  expect(result.sold).toBe('10.49985');
  expect(result.remaining).toBe('0');
  // the last round offered more than 8 BTC: it went out as several children, each within the limit
  const lastSlice = result.orders[result.orders.length - 1]!.clientOrderId.split('-s')[1]!.split('-')[0];
  const lastRound = result.orders.filter((o) => o.clientOrderId.split('-s')[1]!.split('-')[0] === lastSlice);
  expect(lastRound.length).toBeGreaterThan(1);
  expect(sum(lastRound.map((o) => o.amount)).gt(8)).toBe(true);
  const ids = result.orders.map((o) => o.clientOrderId);
  const atVenue = m.sim.venue.state.orders.filter((o) => ids.includes(o.clientOrderId));
  expect(atVenue).toHaveLength(ids.length);
  for (const o of atVenue) expect(new Decimal(o.origQty).lte(8)).toBe(true);
  const trades = m.sim.venue.state.trades.filter((t) => ids.includes(t.clientOrderId));
  expect(sum(trades.map((t) => t.qty)).toFixed()).toBe('10.49985');
}, 120_000);

test('a 500 BTC lot sells completely on a book deep enough for it, in child orders of at most 8 BTC', async () => {
  // The simulator's default BTC/USDT book shows some 20 BTC a side (0.2-1.5 BTC a level): 500 BTC would
  // take it apart and leave the band. This venue is as deep as the large venues' books are (10-40 BTC a
  // level, some 600 BTC within 50 bp), and what our orders take returns at 5% a market second; the
  // market's clock follows the test server's skipped time, so the hour's schedule is an hour of market.
  const deep: MarketSpec[] = DEFAULT_MARKETS.map((s) => (s.id === 'BTCUSDT' ? { ...s, levelQty: ['10', '40'] } : s));
  const m = await market({ seed: 9102, markets: deep, initialBalances: { BTC: '500' } }, { followWorkflowTime: true });
  const { result, caseId } = await execute(m, {
    symbol: 'BTC/USDT',
    amount: '500',
    rules: BTC_RULES,
    params: { slices: 12, horizonSeconds: 3600, slicePricing: 'TAKE', priceOffsetBp: '5', maxRepricings: 4 },
  });
  expect(result.breach).toBeUndefined();
  expect(result.status).toBe('COMPLETED');
  expect(result.sold).toBe('500');
  expect(result.remaining).toBe('0');
  const ids = result.orders.map((o) => o.clientOrderId);
  const atVenue = m.sim.venue.state.orders.filter((o) => ids.includes(o.clientOrderId));
  expect(atVenue).toHaveLength(ids.length);
  expect(atVenue.length).toBeGreaterThanOrEqual(63);
  for (const o of atVenue) expect(new Decimal(o.origQty).lte(8)).toBe(true);
  const trades = m.sim.venue.state.trades.filter((t) => ids.includes(t.clientOrderId));
  expect(sum(trades.map((t) => t.qty)).toFixed()).toBe('500');
  // every fill inside the band around the arrival price (300 bp by default)
  const arrival = new Decimal(result.arrivalPrice);
  for (const t of trades) expect(new Decimal(t.price).gte(arrival.mul('0.97'))).toBe(true);
  // and the service's statement agrees with the venue
  const statement = (await (await fetch(`${m.exchange.url}/v1/cases/${caseId}/statement`)).json()) as {
    orders: { filled: string }[];
  };
  expect(sum(statement.orders.map((o) => o.filled)).toFixed()).toBe('500');
}, 300_000);
