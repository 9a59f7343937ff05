/**
 * End to end (issue 16's acceptance): a case sells part OTC and part on both venues and reconciles to the
 * last unit. The real stack — HashKey's simulator through ccxt, OSL's through our adapter, the three
 * simulated desks over HTTP, custody on the ledger chain, Temporal — and the people acting through the
 * control API (the demo's people: the plan approved, custodians whitelisting each new address, whoever
 * it belongs to: a venue or a desk, the FX officer, the pay-out).
 *
 * The desks' appetite is smaller than the lot (desk-alpha, the tightest, takes blocks of 0.5 to 2 BTC;
 * beta and gamma at most 1.5 and 1), so the sale plan asks for the whole lot, then half, then a quarter,
 * and alpha takes the quarter; the rest goes to the engine, split by the planner across HashKey and OSL
 * (the venues' books are as the simulators make them: OSL's bids stand a little higher, so a smaller rest
 * went all to OSL; nothing here tells the planner where to sell). Alpha's dice are set to always
 * answer and never refuse at last look, so the test does not depend on a seed's luck.
 *
 * The desk's address is new to custody: custody's test deposit is the delivery's first transaction and
 * the rest its second; the desk pays for the two together, and every unit is accounted for.
 */
import { appendFileSync } from 'node:fs';
import { type contracts, Decimal, dec, ServiceClient, sum } from '@vcdc/shared';
import { tradeCost } from '@vcdc/shared/money';
import { type DemoCaseProgress, runDemoCase } from '../../scripts/demo/demo-case';
import type { DeskTrade } from '../../simulators/src/desks';
import { DEV_OFFSHORE_ACCOUNT } from '../../simulators/src/dev-accounts';
import type { CaseProgress } from '../../workflows/src/workflow/case-state';
import { readCaseAsAuditor, startTestStack, type TestStack } from './stack';

jest.setTimeout(300_000);

let stack: TestStack;
let outcome: DemoCaseProgress;
let progress: CaseProgress;
const caseId = 'E2E-SALE-PLAN';
const LOT = '8';
// What the plan offers: the lot less two network fees kept for a desk's delivery (custody's BTC fee 0.00002 x 2).
const OFFERED = '7.99996';
// The desk's tranche: a quarter of that, cut to the venues' step (0.0001).
const BLOCK = '1.9999';
const VENUES = ['hashkey', 'osl'];

const exchangeApi = () => new ServiceClient({ service: 'exchange', baseUrl: stack.urls.exchange });
const custodyApi = () => new ServiceClient({ service: 'custody', baseUrl: stack.urls.custody });

beforeAll(async () => {
  stack = await startTestStack({ osl: true });
  // Every desk's appetite is smaller than the lot: alpha takes a quarter of it (a tranche), beta and gamma
  // decline every block asked (the whole lot, half, a quarter).
  const appetite: Record<string, Parameters<TestStack['desks'][number]['state']['set']>[0]> = {
    'desk-alpha': { maxAmount: '2', lastLook: 0, noAnswer: 0 },
    'desk-beta': { maxAmount: '1.5' },
    'desk-gamma': { maxAmount: '1' },
  };
  for (const desk of stack.desks) desk.state.set(appetite[desk.id] ?? {});
  // A case that stops somewhere the demo has no one to decide (a reconciliation difference) is still read below.
  outcome = await runDemoCase({
    urls: stack.urls,
    log: () => undefined,
    caseId,
    lots: [{ lotId: 'LOT-1', asset: 'BTC', chain: 'bitcoin', amount: LOT, verification: 'ATTESTED' }],
    disposal: {
      venue: 'hashkey',
      venues: VENUES,
      desks: true,
      stablecoin: 'USDT',
      fiat: 'USD',
      offshoreBankAccountId: DEV_OFFSHORE_ACCOUNT.id,
      // As the stack's defaults: two slices over four seconds, reaching 30 bp under the reference to fill.
      execution: { slices: 2, horizonSeconds: 4, priceOffsetBp: '30', maxRepricings: 5 },
    },
    timeoutMs: 240_000,
    token: (person) => stack.issuer.mint(person),
  }).catch((error: Error) => ({ caseId, stage: '?', status: 'DEMO_STOPPED', details: '', reason: error.message }));
  progress = await readCaseAsAuditor(stack, caseId);
});

afterAll(async () => {
  await stack?.close();
});

test('the case completes, and its reconciliation passes every check with no difference explained or asked', () => {
  expect(progress.reconciliationAsked ?? []).toEqual([]);
  expect(outcome.reason).toBeUndefined();
  expect(outcome.status).toBe('COMPLETED');
  expect(progress.reconciliation?.ok).toBe(true);
  const checks = progress.reconciliation?.checks ?? [];
  expect(checks.filter((c) => !c.pass || c.explainedBy !== undefined)).toEqual([]);
  // The desk's trade is one of the checks, and the venue's BTC check counts the desk.
  expect(checks.map((c) => c.name)).toEqual(
    expect.arrayContaining([expect.stringMatching(/^desk desk-alpha trade .+: paid = the trade's cost$/)]),
  );
});

describe('what the services recorded', () => {
  let plan: contracts.exchange.SalePlanRecord;
  let statement: contracts.exchange.ExchangeStatement;
  let ledger: contracts.custody.CustodyLedger;
  let deskLeg: Extract<contracts.exchange.SalePlanLeg, { kind: 'DESK' }>;
  let trade: DeskTrade;

  beforeAll(async () => {
    const { salePlans } = await exchangeApi().get<{ salePlans: contracts.exchange.SalePlanRecord[] }>(
      `/v1/cases/${caseId}/sale-plans`,
    );
    expect(salePlans).toHaveLength(1);
    plan = salePlans[0] as contracts.exchange.SalePlanRecord;
    deskLeg = plan.legs.find((l) => l.kind === 'DESK') as typeof deskLeg;
    // The plan's choice, for whoever watches a run (SALE_PLAN_LOG=<file>).
    if (process.env.SALE_PLAN_LOG) appendFileSync(process.env.SALE_PLAN_LOG, `${plan.reason}\n`);
    statement = await exchangeApi().get(`/v1/cases/${caseId}/statement`);
    ledger = await custodyApi().get(`/v1/cases/${caseId}/ledger`);
    const trades = [...(stack.desks.find((d) => d.id === 'desk-alpha')?.state.trades.values() ?? [])];
    expect(trades).toHaveLength(1);
    trade = trades[0] as DeskTrade;
  });

  test('the plan kept: a tranche to desk-alpha, the rest by the engine on HashKey and on OSL, to the last unit', () => {
    expect(plan).toMatchObject({ caseId, asset: 'BTC', lot: OFFERED });
    expect(deskLeg).toMatchObject({ kind: 'DESK', desk: 'desk-alpha', amount: BLOCK });
    const venueLegs = plan.legs.filter((l) => l.kind === 'VENUE');
    // (the plan's reason and costs in the message, should the planner choose otherwise)
    expect({ venues: venueLegs.map((l) => l.venue).sort(), reason: plan.reason }).toEqual({
      venues: VENUES,
      reason: plan.reason,
    });
    expect(sum(plan.legs.map((l) => dec(l.amount))).toFixed()).toBe(OFFERED);
    // The planner chose the split on its own costs: every alternative was costed and kept.
    expect(plan.alternatives.map((a) => a.kind)).toEqual(
      expect.arrayContaining(['MARKET_ORDER', 'ENGINE', 'ENGINE_SPLIT', 'RFQ_BLOCK']),
    );
    // The whole lot and half of it were too large for every desk that could take the tranche.
    expect(dec(plan.hurdle ?? 'NaN').lte(deskLeg.price)).toBe(true);
  });

  test("the desk's settlement was booked once, and the desk paid the trade's cost to the cent", async () => {
    const settlement = await exchangeApi().get<{
      tradeId: string;
      amount: string;
      cost: string;
      paidAmount: string;
      txHash: string;
      testTxHash?: string;
    }>(`/v1/rfqs/${deskLeg.rfqId}/settlement`);
    const cost = tradeCost(trade.price, trade.amount, 'USD').toFixed();
    expect(settlement).toMatchObject({ tradeId: trade.tradeId, amount: BLOCK, cost, paidAmount: cost });
    // The desk's own record: paid once, that cost, for the two transactions custody sent.
    expect(trade.payment).toMatchObject({ amount: cost, currency: 'USD' });
    expect(trade.delivery?.transactions.map((t) => t.txHash)).toEqual([settlement.testTxHash, settlement.txHash]);
    expect(sum((trade.delivery?.transactions ?? []).map((t) => dec(t.amount))).toFixed()).toBe(BLOCK);
    // Booked once: one payment from the desk, its two transactions as its deposits.
    expect(statement.withdrawals.filter((w) => w.venue === 'desk-alpha').map((w) => [w.amount, w.status])).toEqual([
      [cost, 'COMPLETED'],
    ]);
    const atDesk = statement.deposits.filter((d) => d.venue === 'desk-alpha');
    expect(atDesk.map((d) => d.txHash).sort()).toEqual([settlement.testTxHash, settlement.txHash].sort());
  });

  test("each venue's BTC was sold by its orders: what it credited = filled + what stayed there", () => {
    for (const venue of VENUES) {
      const credited = sum(
        statement.deposits
          .filter((d) => d.venue === venue && d.asset === 'BTC' && d.status === 'CREDITED')
          .map((d) => dec(d.amount)),
      );
      const orders = statement.orders.filter((o) => o.venue === venue && o.symbol.startsWith('BTC/'));
      const filled = sum(orders.map((o) => dec(o.filled)));
      const stayed = sum(
        [...(statement.residuals ?? []), ...statement.returns]
          .filter((r) => r.venue === venue && r.asset === 'BTC')
          .map((r) => dec(r.amount)),
      );
      expect({ venue, credited: credited.toFixed() }).toEqual({ venue, credited: filled.plus(stayed).toFixed() });
      expect(filled.gt(0)).toBe(true);
      expect(orders.some((o) => o.status === 'closed')).toBe(true);
      // USD from the venue: one wire.
      expect(statement.withdrawals.filter((w) => w.venue === venue && w.status === 'COMPLETED')).toHaveLength(1);
    }
  });

  test('coins: what left custody = the desk delivery + each venue deposit (+ network fees), to the last unit', () => {
    const entries = (kind: string) =>
      sum(ledger.entries.filter((e) => e.asset === 'BTC' && e.kind === kind).map((e) => dec(e.amount)));
    const out = entries('TRANSFER_OUT').neg();
    const fees = entries('NETWORK_FEE').neg();
    const deposited = (where: string) =>
      sum(statement.deposits.filter((d) => d.venue === where && d.asset === 'BTC').map((d) => dec(d.amount)));
    expect(entries('INTAKE').toFixed()).toBe(dec(LOT).toFixed());
    expect(out.plus(fees).toFixed()).toBe(dec(LOT).toFixed());
    expect(dec(ledger.balances.BTC ?? '0').isZero()).toBe(true);
    expect(deposited('desk-alpha').toFixed()).toBe(BLOCK);
    expect(out.toFixed()).toBe(deposited('desk-alpha').plus(deposited('hashkey')).plus(deposited('osl')).toFixed());
  });

  test('fiat: what reached the offshore account = the desk payment + each venue wire, as declared to FX', () => {
    const usd = statement.withdrawals.filter((w) => w.currency === 'USD' && w.status === 'COMPLETED');
    expect(usd.map((w) => w.venue).sort()).toEqual(['desk-alpha', ...VENUES].sort());
    const net = sum(usd.map((w) => dec(w.netAmount)));
    expect(progress.withdrawal?.netAmount).toBe(net.toFixed());
    expect(dec(progress.declaration?.amount ?? 'NaN').toFixed()).toBe(net.toFixed());
    // The proceeds: the venues' sales into USD net of their fees, and the desk's payment (its trade is
    // booked as one order filled at the desk, for the cost it paid).
    const venueProceeds = sum(
      statement.orders
        .filter((o) => VENUES.includes(o.venue) && o.symbol.endsWith('/USD'))
        .map((o) => dec(o.cost).minus(o.feeCurrency === 'USD' ? o.fee : 0)),
    );
    expect(
      statement.orders.filter((o) => o.venue === 'desk-alpha').map((o) => [o.symbol, o.filled, o.cost, o.fee]),
    ).toEqual([['BTC/USD', BLOCK, trade.payment?.amount, '0']]);
    const gross = sum(usd.map((w) => dec(w.amount)));
    const leftUsd = sum((statement.residuals ?? []).filter((r) => r.asset === 'USD').map((r) => dec(r.amount)));
    expect(venueProceeds.plus(trade.payment?.amount ?? 'NaN').toFixed()).toBe(gross.plus(leftUsd).toFixed());
    expect(new Decimal(trade.payment?.amount ?? 'NaN').gt(0)).toBe(true);
  });
});
