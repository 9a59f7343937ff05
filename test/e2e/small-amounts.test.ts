/**
 * End to end: small USDT cases on the real stack (Temporal dev server, PostgreSQL, the venue simulator
 * through real ccxt, USDT on the local EVM node). Each is worth USD 40-57, under the venue's minimum
 * wire of USD 100: before this, six of twenty such cases failed after their sale with the dollars left
 * at the venue. Now each sells nothing, its USDT goes back to the case wallet (custody books the
 * return; the venue's fee is the difference), and the case is HELD for a supervisor with the reason
 * saying why. Three cases here stand for the twenty.
 */
import { type contracts, Decimal, ServiceClient } from '@vcdc/shared';
import { type DemoCaseProgress, runDemoCase } from '../../scripts/demo/demo-case';
import type { CaseProgress } from '../../workflows/src/case-state';
import { readCaseAsAuditor, startTestStack, type TestStack } from './stack';

jest.setTimeout(600_000);

const AMOUNTS = ['40', '48.5', '57'];
let stack: TestStack;
const cases: { caseId: string; amount: string; outcome: DemoCaseProgress; progress: CaseProgress }[] = [];

beforeAll(async () => {
  stack = await startTestStack();
  const run = async (amount: string, i: number) => {
    const caseId = `E2E-SMALL-USDT-${i + 1}`;
    const outcome = await runDemoCase({
      urls: stack.urls,
      log: () => undefined,
      caseId,
      lots: [{ lotId: 'LOT-1', asset: 'USDT', chain: 'ethereum', amount }],
      timeoutMs: 240_000,
      token: (person) => stack.issuer.mint(person),
    });
    cases.push({ caseId, amount, outcome, progress: await readCaseAsAuditor(stack, caseId) });
  };
  // One after the other: the demo funds each seizure from one EVM account (concurrent sends clash on its nonce).
  for (const [i, amount] of AMOUNTS.entries()) await run(amount, i);
});

afterAll(async () => {
  await stack?.close();
});

test('each small case is HELD for a supervisor, saying its sale would be under the venue’s minimum wire; none FAILED', () => {
  expect(cases).toHaveLength(AMOUNTS.length);
  for (const c of cases) {
    expect(c.outcome.status).toBe('HELD');
    expect(c.progress.reason).toMatch(/under hashkey's minimum wire of 100 USD/);
    expect(c.progress.reason).toMatch(/returned to custody/);
    expect(c.progress.notifications.map((n) => n.kind)).toContain('CASE_HELD');
  }
});

test('nothing was sold or wired, and nothing of the case is left at the venue', async () => {
  const exchange = new ServiceClient({ service: 'exchange', baseUrl: stack.urls.exchange });
  for (const c of cases) {
    const s = await exchange.get<contracts.exchange.ExchangeStatement>(`/v1/cases/${c.caseId}/statement`);
    expect(s.orders).toEqual([]);
    expect(s.withdrawals).toEqual([]);
    // what the venue credited went back (each transfer's share), and the venue sent it
    const credited = s.deposits.reduce((sum, d) => sum.plus(d.amount), new Decimal(0));
    const returned = s.returns.reduce((sum, r) => sum.plus(r.amount), new Decimal(0));
    expect(returned.toFixed()).toBe(credited.toFixed());
    expect(s.returns.every((r) => r.status === 'SENT')).toBe(true);
    expect(c.progress.leftovers.filter((l) => l.where === 'venue')).toEqual([]);
  }
});

test("custody booked each return on the case's ledger: the USDT is back in the case wallet, less the venue's fee", async () => {
  const custody = new ServiceClient({ service: 'custody', baseUrl: stack.urls.custody });
  const exchange = new ServiceClient({ service: 'exchange', baseUrl: stack.urls.exchange });
  for (const c of cases) {
    const ledger = await custody.get<contracts.custody.CustodyLedger>(`/v1/cases/${c.caseId}/ledger`);
    const returns = ledger.entries.filter((e) => e.kind === 'RETURN');
    expect(returns.length).toBeGreaterThan(0);
    const s = await exchange.get<contracts.exchange.ExchangeStatement>(`/v1/cases/${c.caseId}/statement`);
    const net = s.returns.reduce((sum, r) => sum.plus(r.netAmount), new Decimal(0));
    expect(returns.reduce((sum, e) => sum.plus(e.amount), new Decimal(0)).toFixed()).toBe(net.toFixed());
    // the balance in custody: what came in, less what went out and its network fees, plus what came back
    const balance = ledger.entries.reduce((sum, e) => sum.plus(e.amount), new Decimal(0));
    expect(new Decimal(ledger.balances.USDT ?? '0').toFixed()).toBe(balance.toFixed());
    expect(balance.gt(0)).toBe(true);
  }
});
