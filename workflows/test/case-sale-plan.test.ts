/**
 * A case sold by sale plans (issue 16, part 3) on the time-skipping test server with the fake services:
 * each lot's plan kept by the (fake) exchange service from the pure planner, the desk's block delivered
 * and settled, the rest sold by the engine on both venues and wired from each; FX and the treasury take
 * the total, and the reconciliation accounts for every leg to the last unit. The defaults sell on one
 * venue as before; a stop in the middle of the sale brings the unsold coins back from every venue.
 */

import { Decimal, sum } from '@vcdc/shared/money';
import type { CaseProgress } from '../src/workflow/case-state';
import type { Decision } from '../src/workflow/decision';
import { decide } from '../src/workflow/shared';
import { approvePlan, caseHarness, registration } from './case-harness';
import { awaiting, outcomeOf, until } from './case-support';

jest.setTimeout(240_000);

const harness = caseHarness();
const { withCase, runHappyPath } = harness;

const plural = (reg: ReturnType<typeof registration>, extra: Record<string, unknown> = {}) =>
  registration({ disposal: { ...reg.disposal, venues: ['hashkey', 'osl'], desks: true, ...extra } });

const cancel: Decision = {
  stage: 'CANCELLATION',
  outcome: 'APPROVE',
  decidedBy: 'supervisor.zhou',
  role: 'supervisor',
  reason: 'the court suspended the disposal',
  decidedAt: '2026-01-05T09:00:00Z',
};

/** What reached a venue or desk for `asset`, net of network fees, per place. */
function deliveredTo(o: CaseProgress, asset: string): Record<string, string> {
  const out: Record<string, Decimal> = {};
  for (const t of o.transfers.filter((x) => x.asset === asset)) {
    const v = t.depositAddress.venue;
    out[v] = (out[v] ?? new Decimal(0)).plus(t.credited ?? '0');
  }
  for (const plan of o.salePlans ?? []) {
    if (plan.asset !== asset) continue;
    for (const leg of plan.legs) {
      if (leg.kind === 'DESK') out[leg.desk] = sum((leg.transfers ?? []).map((t) => t.netAmount));
    }
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.toFixed()]));
}

describe('case sold by sale plans', () => {
  test('part to a desk and part on both venues: proceeds are the sum of the legs and the case reconciles', async () => {
    const reg = plural(registration());
    const { fake, outcome, shown } = await runHappyPath(reg);

    expect(outcome.status).toBe('COMPLETED');
    expect(outcome.reconciliation?.ok).toBe(true);
    expect(outcome.reconciliation?.checks.filter((c) => !c.pass)).toEqual([]);

    // The approval named every place a leg delivers to (custody sends nowhere else): the other venue, the desk.
    expect(outcome.authorisationRequested).toMatchObject({ venue: 'hashkey', venues: ['osl', 'desk-a'] });
    // One plan per coin, asked with the disposal plan's venues and the desks, on what custody held less two
    // network fees (a desk's delivery may be a test deposit and the rest: BTC 0.0001, ETH 0.00042 each).
    expect(fake.planSale.mock.calls.map(([, body]) => [body.asset, body.lot, body.desks, body.venues])).toEqual([
      ['BTC', '1.2498', true, ['hashkey', 'osl']],
      ['ETH', '10.49916', true, ['hashkey', 'osl']],
    ]);
    const plans = outcome.salePlans ?? [];
    expect(plans.map((p) => p.legs.map((l) => [l.kind, l.kind === 'DESK' ? l.desk : l.venue, l.status]))).toEqual([
      [
        ['DESK', 'desk-a', 'SETTLED'],
        ['VENUE', 'hashkey', 'SOLD'],
        ['VENUE', 'osl', 'SOLD'],
      ],
      [
        ['DESK', 'desk-a', 'SETTLED'],
        ['VENUE', 'hashkey', 'SOLD'],
        ['VENUE', 'osl', 'SOLD'],
      ],
    ]);

    for (const plan of plans) {
      const desk = plan.legs.find((l) => l.kind === 'DESK');
      // The desk received exactly its trade's amount after network fees (a test deposit, then the rest and its fee).
      expect(deliveredTo(outcome, plan.asset)[desk?.kind === 'DESK' ? desk.desk : '']).toBe(desk?.amount);
      // Every unit custody held left for one of the legs (the fees kept for the desk's delivery with the last
      // venue's part): the desk's, each venue's, and the chain's fees.
      const fees = sum(
        outcome.transfers
          .filter((t) => t.asset === plan.asset)
          .flatMap((t) => [t.testTransfer?.fee ?? '0', t.transfer?.fee ?? '0'])
          .concat((desk?.kind === 'DESK' ? (desk.transfers ?? []) : []).map((t) => t.fee)),
      );
      const places = Object.values(deliveredTo(outcome, plan.asset));
      expect(sum(places).plus(fees).toFixed()).toBe({ BTC: '1.25', ETH: '10.5' }[plan.asset]);
    }
    // Each venue's part went to its own deposit address and was sold there (OSL through /v1/venues/osl).
    expect(deliveredTo(outcome, 'BTC')).toEqual(
      expect.objectContaining({ hashkey: expect.any(String), osl: expect.any(String), 'desk-a': '0.49992' }),
    );
    expect(outcome.transfers.filter((t) => t.at === 'osl').map((t) => t.depositAddress.address)).toEqual([
      'osl-btc',
      'osl-eth',
    ]);
    const oslOrders = fake.placeSellOrder.mock.calls.filter(([, , venue]) => venue === 'osl');
    expect(new Set(oslOrders.map(([body]) => body.symbol))).toEqual(new Set(['BTC/USDT', 'ETH/USDT', 'USDT/USD']));
    expect(outcome.sales.some((s) => s.at === 'osl') && outcome.sales.some((s) => s.at === undefined)).toBe(true);

    // The fiat: each venue wired its own, the desks paid theirs; FX declared the total, the treasury credited it.
    expect((outcome.withdrawals ?? []).map((w) => w.venue)).toEqual(['hashkey', 'osl']);
    const wired = sum((outcome.withdrawals ?? []).map((w) => w.netAmount));
    const paid = sum((outcome.deskSettlements ?? []).map((d) => d.paidAmount));
    expect((outcome.deskSettlements ?? []).map((d) => [d.asset, d.amount, d.paidAmount])).toEqual([
      ['BTC', '0.49992', new Decimal(outcome.deskSettlements?.[0]?.cost ?? 'NaN').toFixed()],
      ['ETH', '4.19966', new Decimal(outcome.deskSettlements?.[1]?.cost ?? 'NaN').toFixed()],
    ]);
    expect(outcome.withdrawal?.netAmount).toBe(wired.plus(paid).toFixed());
    expect(outcome.declaration?.amount).toBe(outcome.withdrawal?.netAmount);
    expect(outcome.settlements.map((s) => new Decimal(s.foreignAmount).toFixed())).toEqual([
      outcome.withdrawal?.netAmount,
    ]);
    // The status's values and amounts count the desks: proceeds are the venues' fiat sales and the desks' payments.
    const venueUsd = sum(
      outcome.sales.filter((s) => s.symbol === 'USDT/USD').map((s) => new Decimal(s.cost).minus(s.fee)),
    );
    expect(shown.values?.atDisposal?.proceeds).toEqual([{ currency: 'USD', amount: venueUsd.plus(paid).toFixed() }]);
    const btcSold = sum(outcome.sales.filter((s) => s.symbol === 'BTC/USDT').map((s) => s.filled)).plus('0.49992');
    expect(shown.amounts?.totals.find((t) => t.asset === 'BTC')?.sold?.amount).toBe(btcSold.toFixed());
    // The reconciliation counted the desks' trades as sales and their payments as proceeds.
    const names = outcome.reconciliation?.checks.map((c) => c.name) ?? [];
    expect(names.filter((n) => n.startsWith('desk desk-a trade'))).toHaveLength(2);
    expect(
      outcome.reconciliation?.checks.find((c) => c.name === 'venue BTC: deposited = sold + leftover')?.left,
    ).toEqual({ label: 'deposits credited (venues and desks)', amount: expect.any(String) });
  });

  test("a desk's new address: custody's test deposit is the delivery's first part, the rest makes up the trade, and it reconciles", async () => {
    const { fake, outcome } = await runHappyPath(plural(registration()), { deskAddressNew: true });
    const delivered = (outcome.salePlans ?? []).map((plan) => {
      const desk = plan.legs.find((l) => l.kind === 'DESK');
      const sent = desk?.kind === 'DESK' ? (desk.transfers ?? []) : [];
      return [sent.map((t) => [t.purpose, t.netAmount]), sum(sent.map((t) => t.netAmount)).toFixed()];
    });
    // Each desk got the test deposit and then exactly what the trade still lacked.
    expect(delivered).toEqual([
      [
        [
          ['TEST_DEPOSIT', '0.0009'],
          ['VENUE_DEPOSIT', '0.49902'],
        ],
        '0.49992',
      ],
      [
        [
          ['TEST_DEPOSIT', '0.00958'],
          ['VENUE_DEPOSIT', '4.19008'],
        ],
        '4.19966',
      ],
    ]);
    // The desk was told both transactions, the test deposit as such.
    const told = fake.settleDeskTrade.mock.calls.map(([, body]) => body);
    expect(told).toHaveLength(2);
    expect(told.every((b) => b.testTxHash !== undefined && b.testTxHash !== b.txHash)).toBe(true);
    expect(outcome.deskSettlements?.map((d) => [d.amount, d.testTxHash !== undefined])).toEqual([
      ['0.49992', true],
      ['4.19966', true],
    ]);
    // No difference to ask a supervisor about: every unit that left custody is in the desks' deposits.
    expect(outcome.status).toBe('COMPLETED');
    expect(outcome.reconciliationAsked).toBeUndefined();
    expect(outcome.reconciliation?.ok).toBe(true);
  });

  test("a desk takes the whole lot at a new address: the lot offered leaves room for the delivery's two network fees, and it reconciles", async () => {
    const { fake, outcome } = await runHappyPath(plural(registration()), { deskShare: '1', deskAddressNew: true });
    expect(outcome.status).toBe('COMPLETED');
    expect(outcome.reconciliation?.ok).toBe(true);
    // Every coin by the desk alone; what it was offered is the case wallet less two transfers' fees.
    expect(outcome.salePlans?.map((p) => p.legs.map((l) => l.kind))).toEqual([['DESK'], ['DESK']]);
    const held = Object.fromEntries(
      (outcome.salePlans ?? []).map((p) => [p.asset, sum(p.legs.map((l) => l.amount)).toFixed()]),
    );
    const fee = { BTC: '0.0001', ETH: '0.00042' };
    for (const [asset, offered] of Object.entries(held)) {
      const intake = sum(
        (await fake.getCustodyLedger(outcome.caseId)).entries
          .filter((e) => e.asset === asset && e.kind === 'INTAKE')
          .map((e) => e.amount),
      );
      expect(offered).toBe(intake.minus(new Decimal(fee[asset as 'BTC' | 'ETH']).mul(2)).toFixed());
    }
    // The desk was delivered exactly its block: the test deposit and the rest, each paying its fee.
    expect(outcome.deskSettlements?.map((d) => d.amount)).toEqual(Object.values(held));
  });

  test('no desk trades (NO_DESK): the lot is split across the venues alone and reconciles', async () => {
    const { fake, outcome } = await runHappyPath(plural(registration()), { deskShare: '0' });
    expect(outcome.status).toBe('COMPLETED');
    expect(outcome.reconciliation?.ok).toBe(true);
    expect(outcome.salePlans?.map((p) => p.legs.map((l) => l.kind))).toEqual([
      ['VENUE', 'VENUE'],
      ['VENUE', 'VENUE'],
    ]);
    expect(outcome.deskSettlements).toBeUndefined();
    expect(fake.settleDeskTrade).not.toHaveBeenCalled();
    expect(outcome.withdrawal?.netAmount).toBe(sum((outcome.withdrawals ?? []).map((w) => w.netAmount)).toFixed());
  });

  test('only the other venue: every coin, order and wire goes through its routes', async () => {
    const reg = registration();
    const { fake, outcome } = await runHappyPath(registration({ disposal: { ...reg.disposal, venues: ['osl'] } }));
    expect(outcome.status).toBe('COMPLETED');
    expect(outcome.reconciliation?.ok).toBe(true);
    expect(outcome.authorisationRequested).toMatchObject({ venue: 'hashkey', venues: ['osl'] });
    expect(outcome.transfers.map((t) => [t.asset, t.at, t.depositAddress.address])).toEqual([
      ['BTC', 'osl', 'osl-btc'],
      ['ETH', 'osl', 'osl-eth'],
    ]);
    expect(fake.placeSellOrder.mock.calls.every(([, , venue]) => venue === 'osl')).toBe(true);
    expect(fake.requestWithdrawal.mock.calls.map(([, key, venue]) => [key, venue])).toEqual([
      [`${outcome.workflowId}/withdrawal/USD/osl`, 'osl'],
    ]);
    expect(fake.listDesks).not.toHaveBeenCalled();
  });

  test('the defaults sell on the one venue as before: no plan, no other venue, the same keys', async () => {
    const reg = registration();
    const { fake, outcome } = await runHappyPath(reg);
    expect(outcome.status).toBe('COMPLETED');
    expect(fake.planSale).not.toHaveBeenCalled();
    expect(fake.getRfq).not.toHaveBeenCalled();
    expect(outcome.salePlans).toBeUndefined();
    expect(outcome.withdrawals).toBeUndefined();
    // Every exchange call went to the default venue's routes.
    for (const [, , venue] of fake.getDepositAddress.mock.calls) expect(venue).toBeUndefined();
    for (const [, , venue] of fake.placeSellOrder.mock.calls) expect(venue).toBeUndefined();
    const wf = outcome.workflowId;
    expect(fake.requestTransfer.mock.calls.map(([, key]) => key)).toEqual([
      `${wf}/test-deposit/BTC`,
      `${wf}/transfer/BTC`,
      `${wf}/test-deposit/ETH`,
      `${wf}/transfer/ETH`,
    ]);
    expect(fake.requestWithdrawal.mock.calls.map(([, key]) => key)).toEqual([`${wf}/withdrawal/USD`]);
  });

  test('a stop in the middle of the sale brings the unsold coins back from both venues; the desk keeps what it bought', async () => {
    const reg = plural(registration());
    await withCase(
      reg,
      async ({ fake, handle }) => {
        await until(handle, awaiting('DISPOSAL_PLAN'));
        await handle.executeUpdate(decide, { args: [approvePlan()] });
        // The engine pauses on hashkey's BTC (the reference fell out of its band): a supervisor is asked.
        await until(handle, awaiting('SALE_PRICE'));
        const answer = await handle.executeUpdate(decide, { args: [cancel] });
        expect(answer.movesTo.status).toBe('CANCELLED');
        const outcome = await outcomeOf(handle);
        expect(outcome.status).toBe('CANCELLED');
        expect(outcome.stage).toBe('SALE');

        // Returned from each venue: what each coin's legs left unsold there, named after the transfers that took it.
        const returned = (venue: string | undefined) =>
          fake.requestVenueReturn.mock.calls.filter(([, , at]) => at === venue).map(([body]) => body.asset);
        expect(new Set(returned(undefined))).toEqual(new Set(['BTC', 'ETH']));
        expect(new Set(returned('osl'))).toEqual(new Set(['BTC', 'ETH']));
        expect(outcome.returns.filter((r) => r.status === 'RECEIVED').length).toBeGreaterThanOrEqual(4);
        // All of osl's coins came back (none sold there yet): what reached it is what custody got back, plus the return fees.
        const osl = outcome.transfers.filter((t) => t.at === 'osl');
        const back = outcome.returns.filter((r) =>
          osl.some((t) => t.transfer?.transferId === r.transferId || t.testTransfer?.transferId === r.transferId),
        );
        expect(sum(back.map((r) => r.amount)).toFixed()).toBe(sum(osl.map((t) => t.credited ?? '0')).toFixed());
        // The desks' blocks were bought and paid: nothing is asked back from a desk.
        expect(outcome.deskSettlements?.length).toBe(2);
        expect(fake.requestVenueReturn.mock.calls.some(([body]) => body.toAddress.startsWith('desk-'))).toBe(false);
        expect(outcome.compensations).toEqual([]);
      },
      { referencePrices: { 'BTC/USDT': ['61234.56', '61234.56', '55000'] } },
    );
  });
});
