/**
 * The execution engine (sale child workflow) on the time-skipping test server, against the real
 * exchange service and the venue simulator as a moving market through real ccxt (sale-support.ts):
 * slices inside the band and above the floor; a floor or band breach pauses for a decision.
 */
import { Decimal } from '@vcdc/shared/money';
import { callsInHistory } from './case-support';
import { BTC_RULES, execute, market, useSaleEnvironment, venueOrdersOf } from './sale-support';

useSaleEnvironment();

test('a lot is sold in TWAP slices of limit orders, every fill inside the band and above the floor', async () => {
  const start = Date.now();
  const m = await market({ seed: 9001, clock: () => start + (Date.now() - start) * 60 });
  const { result, handle } = await execute(m, {
    symbol: 'BTC/USDT',
    amount: '3',
    rules: BTC_RULES,
    params: { slices: 6, horizonSeconds: 600, bandBp: '300', maxRepricings: 8 },
  });
  expect(result.status).toBe('COMPLETED');
  expect(result.sold).toBe('3');
  expect(result.remaining).toBe('0');
  const arrival = new Decimal(result.arrivalPrice);
  const floor = new Decimal(result.floor!);
  const ids = result.orders.map((o) => o.clientOrderId);
  const trades = m.sim.venue.state.trades.filter((t) => ids.includes(t.clientOrderId));
  expect(trades.reduce((s, t) => s.plus(t.qty), new Decimal(0)).toFixed()).toBe('3');
  for (const t of trades) {
    const order = result.orders.find((o) => o.clientOrderId === t.clientOrderId)!;
    expect(new Decimal(t.price).gte(order.limitPrice)).toBe(true);
    expect(new Decimal(t.price).gte(floor)).toBe(true);
    expect(new Decimal(t.price).gte(arrival.mul('0.97'))).toBe(true);
  }
  // what the engine reports is what the venue did
  expect(result.cost).toBe(trades.reduce((s, t) => s.plus(t.quoteQty), new Decimal(0)).toFixed());
  expect(result.fee).toBe(trades.reduce((s, t) => s.plus(t.commission), new Decimal(0)).toFixed());
  expect(venueOrdersOf(m, ids)).toHaveLength(ids.length);
  // The floor and the arrival reference in one activity (issue 18); every order still priced from a reference
  // read just before it (the fair-price guard), never from the opening quote.
  const inHistory = await callsInHistory(handle);
  expect(inHistory.patches).toContain('sale-quote-once');
  expect(inHistory.tasks.filter((name) => name === 'getSaleQuote')).toHaveLength(1);
  expect(inHistory.tasks).not.toContain('getLegalFloor');
  const placed = inHistory.tasks.filter((name) => name === 'placeSellOrder').length;
  expect(placed).toBeGreaterThan(0);
  expect(inHistory.tasks.filter((name) => name === 'getReferencePrice').length).toBeGreaterThanOrEqual(placed);
}, 120_000);

test('a market under the legal floor pauses the sale for a decision, with no order and no fill', async () => {
  // History that fell into the trade date: the 20-day average (the floor) is above today's price.
  const m = await market({ seed: 9003, dynamics: { historyDriftPerDay: '-0.003' } });
  const { result } = await execute(m, { symbol: 'BTC/USDT', amount: '1', rules: BTC_RULES });
  expect(result.status).toBe('PAUSED');
  expect(result.breach?.kind).toBe('FLOOR');
  expect(result.sold).toBe('0');
  expect(m.sim.venue.state.orders).toHaveLength(0);
  expect(m.sim.venue.state.trades).toHaveLength(0);
}, 120_000);

test('a reference fallen out of the band around the arrival price pauses the sale for a decision', async () => {
  const m = await market({ seed: 9004 });
  const { result } = await execute(m, {
    symbol: 'BTC/USDT',
    amount: '1',
    rules: BTC_RULES,
    // continuing a parent order that arrived 5% higher: the market is 500 bp down, the band is 300
    arrivalPrice: new Decimal(m.sim.venue.referencePrice(m.sim.venue.market('BTCUSDT'))).mul('1.05').toFixed(2),
  });
  expect(result.status).toBe('PAUSED');
  expect(result.breach?.kind).toBe('PRICE_BAND');
  expect(m.sim.venue.state.orders).toHaveLength(0);
}, 120_000);

test('passive rounds rest above the reference and buyers fill them as maker; every order passive or taking, none under the floor', async () => {
  const start = Date.now();
  const m = await market({ seed: 9005, clock: () => start + (Date.now() - start) * 60 });
  const { result } = await execute(m, {
    symbol: 'BTC/USDT',
    amount: '2',
    rules: BTC_RULES,
    params: { slices: 4, horizonSeconds: 400, maxRepricings: 2, passiveOffsetBp: '0.5', priceOffsetBp: '3' },
  });
  expect(result.status).toBe('COMPLETED');
  expect(result.sold).toBe('2');
  const trades = m.sim.venue.state.trades;
  for (const o of result.orders) {
    const reference = new Decimal(o.reference);
    // passive: at least half a basis point over the reference it was priced from (rounded up to the tick);
    // taking: 3 bp under it. Either way never under the floor, and every fill at or above its limit.
    const passive = new Decimal(o.limitPrice).gte(reference.mul('1.00005'));
    const taking = new Decimal(o.limitPrice).eq(reference.mul('0.9997').div('0.01').ceil().mul('0.01'));
    expect(passive || taking).toBe(true);
    expect(new Decimal(o.limitPrice).gte(result.floor!)).toBe(true);
    for (const t of trades.filter((x) => x.clientOrderId === o.clientOrderId)) {
      expect(new Decimal(t.price).gte(o.limitPrice)).toBe(true);
    }
  }
  // buyers lifted the resting slices: most of the lot sold as maker, at the maker fee
  const maker = trades.filter((t) => t.isMaker).reduce((s, t) => s.plus(t.qty), new Decimal(0));
  expect(maker.gt(0)).toBe(true);
}, 120_000);

test('a participation cap: no round sells more than its share of the venue volume in the interval before it', async () => {
  // The market's clock follows workflow time: a round's minute is a minute of other participants' trading.
  const m = await market({ seed: 9006 }, { followWorkflowTime: true });
  const { result } = await execute(m, {
    symbol: 'BTC/USDT',
    amount: '3',
    rules: BTC_RULES,
    params: { slices: 4, horizonSeconds: 240, maxRepricings: 2, maxParticipationPct: '2' },
  });
  expect(result.status).toBe('COMPLETED');
  expect(result.orders.length).toBeGreaterThan(0);
  const rounds = new Map<string, { cap: Decimal; filled: Decimal }>();
  for (const o of result.orders) {
    const volume = new Decimal(o.intervalVolume!);
    const cap = new Decimal(o.participationCap!);
    expect(volume.gt(0)).toBe(true);
    expect(cap.toFixed()).toBe(volume.mul('0.02').div('0.00001').floor().mul('0.00001').toFixed());
    expect(new Decimal(o.amount).lte(cap)).toBe(true);
    const round = o.clientOrderId.split('-s')[1]!.split('-t')[0]!; // the slice number: one round
    const r = rounds.get(round) ?? { cap, filled: new Decimal(0) };
    rounds.set(round, { cap, filled: r.filled.plus(o.filled) });
  }
  for (const r of rounds.values()) expect(r.filled.lte(r.cap)).toBe(true);
  // 2% of about 12 BTC a minute cannot sell 3 BTC in four minutes and two half-minutes: the cap held some back
  expect(new Decimal(result.remaining).gt(0)).toBe(true);
  expect(new Decimal(result.sold).gt(0)).toBe(true);
  // the venue's own log agrees with what the engine reports
  const ids = result.orders.map((o) => o.clientOrderId);
  const trades = m.sim.venue.state.trades.filter((t) => ids.includes(t.clientOrderId));
  expect(trades.reduce((s, t) => s.plus(t.qty), new Decimal(0)).toFixed()).toBe(result.sold);
}, 120_000);
