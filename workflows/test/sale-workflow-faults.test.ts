/**
 * The execution engine under venue faults (its own time-skipping environment): 5xx answers and
 * answers lost after the venue accepted the order, on 30% of trading calls. Asserted against the
 * venue simulator's own order log: the lot sells completely and no order is placed twice.
 */
import { Decimal } from '@vcdc/shared/money';
import { BTC_RULES, execute, market, useSaleEnvironment } from './sale-support';

useSaleEnvironment();

test('with 5xx and timeouts after accept on 30% of calls, the lot sells completely and the venue holds no duplicate order', async () => {
  // The test server skips the engine's waits; a market clock at 60x real time lets depth return between slices.
  const start = Date.now();
  const m = await market({ seed: 9002, clock: () => start + (Date.now() - start) * 60 });
  // On the trading calls (place, look up, cancel orders): market data stays up so the reference holds.
  m.sim.faults.configure({ seed: 17, serverErrorRate: 0.3, serverErrorScope: 'trading', timeoutAfterAcceptRate: 0.3 });
  m.sim.faults.dropResponseAfterAccept('createOrder'); // and surely the first placement's answer
  const { result, caseId } = await execute(m, {
    symbol: 'BTC/USDT',
    amount: '2.5',
    rules: BTC_RULES,
    params: { slices: 8, horizonSeconds: 400, maxRepricings: 8 },
  });
  m.sim.faults.configure({});
  expect(m.sim.faults.injected.serverErrors).toBeGreaterThan(0);
  expect(m.sim.faults.injected.lostAnswers).toBeGreaterThan(0);
  expect(result.status).toBe('COMPLETED');
  expect(result.sold).toBe('2.5');
  const venueOrders = m.sim.venue.state.orders;
  const byId = new Map<string, number>();
  for (const o of venueOrders) byId.set(o.clientOrderId, (byId.get(o.clientOrderId) ?? 0) + 1);
  expect([...byId.values()].every((n) => n === 1)).toBe(true);
  // every order at the venue is one the engine knows, and the venue sold exactly the lot
  expect(venueOrders.map((o) => o.clientOrderId).sort()).toEqual(result.orders.map((o) => o.clientOrderId).sort());
  const soldAtVenue = m.sim.venue.state.trades.reduce((s, t) => s.plus(t.qty), new Decimal(0));
  expect(soldAtVenue.toFixed()).toBe('2.5');
  // the service's statement agrees
  const statement = (await (await fetch(`${m.exchange.url}/v1/cases/${caseId}/statement`)).json()) as {
    orders: { filled: string }[];
  };
  expect(statement.orders.reduce((s, o) => s.plus(o.filled), new Decimal(0)).toFixed()).toBe('2.5');
}, 90_000);
