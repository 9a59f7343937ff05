/**
 * End to end: a 500 BTC case on the real stack (Temporal dev server, PostgreSQL, the venue simulator
 * through real ccxt). Before, a lot whose carried remainder passed the venue's 8 BTC limit could not
 * be sold (`above-maximum-order-size`, again after every SALE_PRICE approval). Now every child order is
 * within the limit and the whole lot sells. The stack's sale pacing is compressed (a 4-second horizon,
 * 1-second slices); the simulator's market is made as deep and as busy as a large venue's, and said so:
 * its default book is still and shows some 20 BTC a side, which 500 BTC would simply exhaust, and on a
 * still book no buyer ever takes a resting slice (everything would be carried to the last round).
 */
import { appendFileSync } from 'node:fs';
import { type contracts, Decimal, ServiceClient } from '@vcdc/shared';
import { type DemoCaseProgress, runDemoCase } from '../../scripts/demo/demo-case';
import { DEFAULT_MARKETS } from '../../simulators/src/venue/markets';
import type { CaseProgress } from '../../workflows/src/workflow/case-state';
import { readCaseAsAuditor, startTestStack, type TestStack } from './stack';

jest.setTimeout(900_000);

// 25-50 BTC a level (some 500 BTC within 30 bp of the mid) and 3-6 million USDT a level for the stablecoin's sale.
const DEEP = DEFAULT_MARKETS.map((m) =>
  m.id === 'BTCUSDT'
    ? { ...m, levelQty: ['25', '50'] as [string, string] }
    : m.id === 'USDTUSD'
      ? { ...m, levelQty: ['3000000', '6000000'] as [string, string] }
      : m,
);

let stack: TestStack;
let outcome: DemoCaseProgress;
let progress: CaseProgress;
const caseId = 'E2E-LARGE-500-BTC';

beforeAll(async () => {
  // A moving market (the stack's default book is still): other participants buy from our resting slices
  // (some 12 BTC a second at this depth) and the bids we take refill, as on a large venue.
  stack = await startTestStack({ venue: { markets: DEEP, dynamics: {} } });
  outcome = await runDemoCase({
    urls: stack.urls,
    // where the case is, for whoever watches a run (LARGE_LOT_LOG=<file>)
    log: (line) => (process.env.LARGE_LOT_LOG ? appendFileSync(process.env.LARGE_LOT_LOG, `${line}\n`) : undefined),
    caseId,
    lots: [{ lotId: 'LOT-1', asset: 'BTC', chain: 'bitcoin', amount: '500' }],
    timeoutMs: 780_000,
    token: (person) => stack.issuer.mint(person),
  });
  progress = await readCaseAsAuditor(stack, caseId);
});

afterAll(async () => {
  await stack?.close();
});

test('the 500 BTC case completes and reconciles', () => {
  expect(outcome.reason).toBeUndefined();
  expect(outcome.status).toBe('COMPLETED');
  expect(progress.reconciliation?.ok).toBe(true);
});

test('every BTC the venue credited was sold, in child orders of at most 8 BTC; none was refused', async () => {
  const exchange = new ServiceClient({ service: 'exchange', baseUrl: stack.urls.exchange });
  const s = await exchange.get<contracts.exchange.ExchangeStatement>(`/v1/cases/${caseId}/statement`);
  const btcOrders = s.orders.filter((o) => o.symbol === 'BTC/USDT');
  expect(btcOrders.length).toBeGreaterThanOrEqual(63);
  for (const o of btcOrders) expect(new Decimal(o.amount).lte(8)).toBe(true);
  const credited = s.deposits.filter((d) => d.asset === 'BTC').reduce((sum, d) => sum.plus(d.amount), new Decimal(0));
  const sold = btcOrders.reduce((sum, o) => sum.plus(o.filled), new Decimal(0));
  const leftBtc = progress.leftovers
    .filter((l) => l.asset === 'BTC')
    .reduce((sum, l) => sum.plus(l.amount), new Decimal(0));
  expect(sold.plus(leftBtc).toFixed()).toBe(credited.toFixed());
  expect(leftBtc.lt('0.00001')).toBe(true);
  expect(progress.decisions.accepted.map((d) => d.stage)).not.toContain('SALE_PRICE');
});
