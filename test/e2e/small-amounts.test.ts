/**
 * End to end: small USDT cases on the real stack (Temporal dev server, PostgreSQL, the venue simulator
 * through real ccxt, USDT on the local EVM node). Each is worth USD 40-57, under the venue's minimum
 * wire of USD 100: before this, six of twenty such cases failed after their sale with the dollars left
 * at the venue. Now each sells nothing, its USDT goes back to the case wallet (custody books the
 * return; the venue's fee is the difference), and the case is HELD for a supervisor with the reason
 * saying why. Three cases here stand for the twenty. Then two supervisors close two of them: one hands
 * the USDT back to its owner on chain (acquittal), one keeps it in custody.
 */
import { type contracts, Decimal, ServiceClient } from '@vcdc/shared';
import { Contract, JsonRpcProvider, Wallet } from 'ethers';
import { type DemoCaseProgress, runDemoCase } from '../../scripts/demo/demo-case';
import type { CaseProgress } from '../../workflows/src/workflow/case-state';
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

/**
 * Each held case is closed by two supervisors (HOLD_RESOLUTION, four eyes, a reason each), on the real
 * stack: to the OWNER (acquittal: custody sends every unit to the address the two approvals name, on the
 * local EVM node, and checks those signed approvals itself), or kept in CUSTODY. Both end CLOSED with a
 * closing reconciliation that accepts them.
 */
describe('a held case closed by two supervisors', () => {
  const SUPERVISORS = ['supervisor.li', 'supervisor.zhou'];

  async function resolveAs(caseId: string, resolution: Record<string, unknown>): Promise<CaseProgress> {
    for (const person of SUPERVISORS) {
      const api = new ServiceClient({
        service: 'control-api',
        baseUrl: stack.urls.controlApi,
        headers: { authorization: `Bearer ${await stack.issuer.mint(person)}` },
      });
      await api.post(
        `/v1/cases/${encodeURIComponent(caseId)}/decisions`,
        { stage: 'HOLD_RESOLUTION', outcome: 'APPROVE', reason: `${person}: as the court ordered`, resolution },
        `e2e/${caseId}/resolve/${person}`,
      );
    }
    const deadline = Date.now() + 120_000;
    for (;;) {
      const progress = await readCaseAsAuditor(stack, caseId);
      if (progress.status === 'CLOSED') return progress;
      if (Date.now() > deadline) throw new Error(`case ${caseId} did not close: ${progress.status} ${progress.reason}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  test('CLOSE to the OWNER: every USDT unit in the case wallet goes to the owner on chain, booked OWNER_RETURN; the wallet is empty and the books reconcile', async () => {
    const c = cases[0];
    if (!c) throw new Error('no held case');
    const custody = new ServiceClient({ service: 'custody', baseUrl: stack.urls.custody });
    const before = await custody.get<contracts.custody.CustodyLedger>(`/v1/cases/${c.caseId}/ledger`);
    const held = new Decimal(before.balances.USDT ?? '0');
    expect(held.gt(0)).toBe(true);
    const owner = Wallet.createRandom().address;
    const closed = await resolveAs(c.caseId, {
      path: 'CLOSE',
      handBackTo: 'OWNER',
      owner: { courtOrder: '(2026) E2E Xing Chu 1', name: 'E2E Owner', addresses: [{ asset: 'USDT', address: owner }] },
    });

    const after = await custody.get<contracts.custody.CustodyLedger>(`/v1/cases/${c.caseId}/ledger`);
    expect(after.balances.USDT).toBe('0');
    const lines = after.entries.filter((e) => e.kind === 'OWNER_RETURN');
    expect(lines).toHaveLength(1);
    const sent = new Decimal(lines[0]?.amount ?? '0').neg();
    // On chain: the owner's address holds exactly what custody booked as handed back.
    const usdt = new Contract(
      stack.urls.evm.usdtAddress,
      ['function balanceOf(address) view returns (uint256)'],
      new JsonRpcProvider(stack.urls.evm.rpcUrl),
    );
    const onChain = (await usdt.getFunction('balanceOf')(owner)) as bigint;
    expect(onChain.toString()).toBe(sent.mul(1_000_000).toFixed());
    // Everything the wallet held left it: what the owner got and the network fee custody booked for it.
    const fee = after.entries
      .filter((e) => e.kind === 'NETWORK_FEE' && !before.entries.some((b) => b.entryId === e.entryId))
      .reduce((sum, e) => sum.plus(e.amount), new Decimal(0))
      .neg();
    expect(sent.plus(fee).toFixed()).toBe(held.toFixed());

    expect(closed.reconciliation).toMatchObject({ ok: true, phase: 'closing' });
    expect(closed.reconciliation?.checks.map((x) => x.name)).toContain(
      'custody USDT: handed back to the owner, the case wallet is empty',
    );
    expect(closed.holds?.[0]?.handBack?.transfers).toEqual([
      expect.objectContaining({ asset: 'USDT', toAddress: owner, status: 'CONFIRMED' }),
    ]);
  });

  test('CLOSE to CUSTODY: the USDT stays in the case wallet and the books reconcile', async () => {
    const c = cases[1];
    if (!c) throw new Error('no held case');
    const closed = await resolveAs(c.caseId, { path: 'CLOSE', handBackTo: 'CUSTODY' });
    expect(closed.reconciliation).toMatchObject({ ok: true, phase: 'closing' });
    const custody = new ServiceClient({ service: 'custody', baseUrl: stack.urls.custody });
    const ledger = await custody.get<contracts.custody.CustodyLedger>(`/v1/cases/${c.caseId}/ledger`);
    expect(new Decimal(ledger.balances.USDT ?? '0').gt(0)).toBe(true);
    expect(ledger.entries.some((e) => e.kind === 'OWNER_RETURN')).toBe(false);
  });
});
