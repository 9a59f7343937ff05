import { Decimal } from '@vcdc/shared/money';
import type { CaseRegistration } from '../src/workflow/case-input';
import type { CaseProgress } from '../src/workflow/case-state';
import { decide, status } from '../src/workflow/shared';
import { approveFx, approvePlan, caseHarness, registration } from './case-harness';
import { awaiting, outcomeOf, settleAt, until } from './case-support';
import type { FakeOptions } from './fake-services';

// Each case runs to its end on the time-skipping server while the engine's slices take real seconds:
// a minute is usually plenty, but not on a machine that is busy with something else.
jest.setTimeout(180_000);

const harness = caseHarness();
const { withCase, runHappyPath } = harness;

const usdtLot = (amount: string) => ({
  lotId: 'L1',
  asset: 'USDT',
  chain: 'ethereum',
  declaredAmount: amount,
  sweepTxHash: `0xusdt-sweep-${amount}`,
  evidence: { handoverFormNo: 'HF-1', handedOverBy: 'officer.li', receivedBy: 'custodian.wang', documents: [] },
});

async function heldAfterPlan(reg: CaseRegistration, fakeOptions: FakeOptions = {}) {
  return withCase(
    reg,
    async ({ fake, handle }) => {
      await until(handle, awaiting('DISPOSAL_PLAN'));
      await handle.executeUpdate(decide, { args: [approvePlan()] });
      const outcome = await outcomeOf(handle);
      return { fake, outcome };
    },
    fakeOptions,
  );
}

describe('small amounts', () => {
  test('a USDT case worth under the minimum wire sells nothing: its USDT goes back to custody and the case is HELD for a supervisor', async () => {
    const { fake, outcome } = await heldAfterPlan(registration({ lots: [usdtLot('57')] }));
    expect(outcome.status).toBe('HELD');
    expect(outcome.reason).toMatch(/under hashkey's minimum wire of 100 USD/);
    expect(outcome.reason).toMatch(/returned to custody/);
    // nothing was sold and nothing was wired
    expect(fake.placeSellOrder).not.toHaveBeenCalled();
    expect(fake.requestWithdrawal).not.toHaveBeenCalled();
    // every USDT the venue credited went back, each transfer's share booked by custody (net of the venue's fee)
    const received = outcome.returns.filter((r) => r.status === 'RECEIVED');
    expect(received.length).toBeGreaterThan(0);
    expect(outcome.returns.every((r) => r.status === 'RECEIVED' || r.status === 'NOTHING_TO_RETURN')).toBe(true);
    const credited = outcome.transfers.reduce((s, t) => s.plus(t.credited ?? '0'), new Decimal(0));
    expect(outcome.returns.reduce((s, r) => s.plus(r.amount), new Decimal(0)).toFixed()).toBe(credited.toFixed());
    expect(outcome.leftovers.filter((l) => l.where === 'venue')).toEqual([]);
    expect(fake.notify).toHaveBeenCalledWith(
      expect.objectContaining({ kind: 'CASE_HELD', toRole: 'supervisor' }),
      expect.anything(),
    );
  });

  test('a case worth more than the minimum sells and wires as before', async () => {
    const reg = registration({ lots: [usdtLot('150')] });
    const { fake, outcome } = await runHappyPath(reg);
    expect(outcome.status).toBe('COMPLETED');
    expect(fake.getFiatWithdrawalTerms).toHaveBeenCalledWith('USD');
    expect(new Decimal(outcome.withdrawal!.amount).gte(100)).toBe(true);
  });

  test('a sale that brings less than the minimum after all: the fiat is booked as held at the venue and the case is HELD, nothing wired', async () => {
    // Judged at the arrival reference (0.002 BTC at 61234: about USD 120), sold after the market fell to 40000 (about USD 80).
    const reg = registration({
      lots: [
        {
          lotId: 'L1',
          asset: 'BTC',
          chain: 'bitcoin',
          declaredAmount: '0.0021',
          sweepTxHash: 'btc-sweep-small',
          evidence: { handoverFormNo: 'HF-1', handedOverBy: 'officer.li', receivedBy: 'custodian.wang', documents: [] },
        },
      ],
    });
    const { fake, outcome } = await heldAfterPlan(reg, { referencePrices: { 'BTC/USDT': ['61234.56', '40000'] } });
    expect(outcome.status).toBe('HELD');
    expect(fake.requestWithdrawal).not.toHaveBeenCalled();
    expect(outcome.reason).toMatch(/held at the venue for a supervisor's decision/);
    const held = outcome.leftovers.filter((l) => l.asset === 'USD' && /minimum wire/.test(l.reason));
    expect(held).toHaveLength(1);
    expect(held[0]!.reason).toMatch(/minimum wire of 100 USD/);
    expect(new Decimal(held[0]!.amount).gt(0) && new Decimal(held[0]!.amount).lt(100)).toBe(true);
  });

  const ethLot = (amount: string) => ({
    lotId: 'L1',
    asset: 'ETH',
    chain: 'ethereum',
    declaredAmount: amount,
    sweepTxHash: `0xeth-sweep-${amount}`,
    evidence: { handoverFormNo: 'HF-1', handedOverBy: 'officer.li', receivedBy: 'custodian.wang', documents: [] },
  });

  /** Every leftover of the case was handled in a service's records, none only remembered by the workflow. */
  function expectAllSettled(outcome: { leftovers: CaseProgress['leftovers'] }) {
    expect(outcome.leftovers.length).toBeGreaterThan(0);
    for (const l of outcome.leftovers) expect(l.settled?.how).toMatch(/^(RESIDUAL_AT_VENUE|RETURNED_TO_CUSTODY)$/);
  }

  test("ETH dust under the lot step that the venue cannot send is booked at the venue in the case's name; the case completes and reconciles from the services' lines", async () => {
    const reg = registration({ lots: [ethLot('1.000856')] });
    const { fake, outcome } = await runHappyPath(reg, { lotStep: { ETH: '0.001' } });
    expect(outcome.status).toBe('COMPLETED');
    const credited = new Decimal(outcome.transfers[0]!.credited!);
    const dust = credited.mod('0.001');
    expect(dust.toFixed()).toBe('0.000016');
    const eth = outcome.leftovers.filter((l) => l.asset === 'ETH');
    expect(eth).toEqual([
      expect.objectContaining({
        amount: '0.000016',
        kind: 'BELOW_LOT_STEP',
        settled: expect.objectContaining({ how: 'RESIDUAL_AT_VENUE' }),
      }),
    ]);
    // Under the venue's minimum send (0.01 ETH): nothing was sent back.
    expect(fake.requestVenueReturn).not.toHaveBeenCalled();
    expect(fake.recordResidual).toHaveBeenCalledWith(
      expect.objectContaining({ caseId: reg.caseId, asset: 'ETH', amount: '0.000016', reason: 'BELOW_LOT_STEP' }),
      expect.stringContaining('residual'),
    );
    expectAllSettled(outcome);
    // The exchange's statement lists each leftover as a residual line, and the reconciliation counted them.
    const statement = await fake.getExchangeStatement(reg.caseId);
    const booked = (statement.residuals ?? []).map((r) => `${r.amount} ${r.asset}`).sort();
    expect(booked).toEqual(outcome.leftovers.map((l) => `${l.amount} ${l.asset}`).sort());
    expect(outcome.residualsBooked).toBe(true);
    expect(outcome.reconciliation?.ok).toBe(true);
    expect(outcome.reconciliationBeforePayout?.ok).toBe(true);
    const venueEth = outcome.reconciliation?.checks.find((c) => c.name === 'venue ETH: deposited = sold + leftover');
    expect(venueEth?.right.label).toMatch(/residuals at the venue/);
  });

  test('ETH dust the venue can send goes back to custody in one return, booked by custody; the case completes and reconciles', async () => {
    const reg = registration({ lots: [ethLot('1.03042')] });
    const { fake, outcome } = await runHappyPath(reg, { lotStep: { ETH: '0.1' } });
    expect(outcome.status).toBe('COMPLETED');
    const eth = outcome.leftovers.filter((l) => l.asset === 'ETH');
    expect(eth).toHaveLength(1);
    expect(new Decimal(eth[0]!.amount).gte('0.01')).toBe(true);
    expect(eth[0]!.settled).toMatchObject({ how: 'RETURNED_TO_CUSTODY' });
    expect(fake.requestVenueReturn).toHaveBeenCalledTimes(1);
    expect(fake.requestVenueReturn).toHaveBeenCalledWith(
      expect.objectContaining({ caseId: reg.caseId, asset: 'ETH', amount: eth[0]!.amount }),
      expect.stringContaining('dust-return'),
    );
    // Custody booked it (its RETURN line, net of the venue's fee) and holds it for the case.
    const ledger = await fake.getCustodyLedger(reg.caseId);
    const returned = ledger.entries.filter((e) => e.kind === 'RETURN' && e.asset === 'ETH');
    expect(returned).toHaveLength(1);
    expect(returned[0]!.amount).toBe(new Decimal(eth[0]!.amount).minus('0.00042').toFixed());
    expect(ledger.balances.ETH).toBe(returned[0]!.amount);
    expect(fake.recordResidual).not.toHaveBeenCalledWith(expect.objectContaining({ asset: 'ETH' }), expect.anything());
    expectAllSettled(outcome);
    expect(outcome.reconciliation?.ok).toBe(true);
    expect(outcome.reconciliation?.checks.map((c) => c.name)).toContain(
      "ETH: returned from the venue = booked back in custody + the venue's return fees",
    );
  });

  test('a sale that brings less than the minimum wire books the USD as a residual at the venue before the case is HELD', async () => {
    const reg = registration({
      lots: [
        {
          lotId: 'L1',
          asset: 'BTC',
          chain: 'bitcoin',
          declaredAmount: '0.0021',
          sweepTxHash: 'btc-sweep-small-2',
          evidence: { handoverFormNo: 'HF-1', handedOverBy: 'officer.li', receivedBy: 'custodian.wang', documents: [] },
        },
      ],
    });
    const { fake, outcome } = await heldAfterPlan(reg, { referencePrices: { 'BTC/USDT': ['61234.56', '40000'] } });
    expect(outcome.status).toBe('HELD');
    const usd = outcome.leftovers.find((l) => l.asset === 'USD' && l.kind === 'BELOW_MINIMUM_WITHDRAWAL');
    expect(usd?.settled).toMatchObject({ how: 'RESIDUAL_AT_VENUE' });
    const statement = await fake.getExchangeStatement(reg.caseId);
    expect(statement.residuals).toContainEqual(
      expect.objectContaining({
        asset: 'USD',
        amount: usd?.amount,
        reason: 'BELOW_MINIMUM_WITHDRAWAL',
        withdrawalMinimum: '100',
      }),
    );
    expectAllSettled(outcome);
  });

  test('a residual the exchange service refuses is left UNSETTLED, never FAILED: the reconciliation before the pay-out asks a supervisor about it', async () => {
    const reg = registration({ lots: [ethLot('1.000856')] });
    await withCase(
      reg,
      async ({ handle }) => {
        await until(handle, awaiting('DISPOSAL_PLAN'));
        await handle.executeUpdate(decide, { args: [approvePlan()] });
        await until(handle, awaiting('FX_DECLARATION'));
        await handle.executeUpdate(decide, { args: [approveFx()] });
        await settleAt(handle);
        await until(handle, awaiting('RECONCILIATION'));
        const p = await handle.query(status);
        const eth = p.leftovers.find((l) => l.asset === 'ETH');
        expect(eth?.settled).toMatchObject({ how: 'UNSETTLED', why: expect.stringMatching(/did not book it/) });
        expect(p.reconciliationAsked).toEqual(
          expect.arrayContaining([{ check: 'venue ETH: deposited = sold + leftover', difference: eth?.amount }]),
        );
        await handle.terminate('test over');
      },
      { lotStep: { ETH: '0.001' }, residualsRefused: true },
    );
  });
});
