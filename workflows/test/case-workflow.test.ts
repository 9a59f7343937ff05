import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { toBaseUnits } from '@vcdc/shared/base-units';
import { Decimal, sum } from '@vcdc/shared/money';
import type { Decision } from '../src/workflow/decision';
import { decide, decision, status } from '../src/workflow/shared';
import { approveFx, approvePlan, approveRemittance, caseHarness, type Fake, registration } from './case-harness';
import { awaiting, callsInHistory, outcomeOf, settleAt, until } from './case-support';
import { createFakeActivities, sampleRegistration } from './fake-services';

// Each case runs to its end on the time-skipping server while the engine's slices take real seconds:
// a minute is usually plenty, but not on a machine that is busy with something else.
jest.setTimeout(180_000);

const harness = caseHarness();
const { withCase, runHappyPath } = harness;

/** Every Idempotency-Key the workflow passed, in call order (the key is the last argument of each POST). */
function keysUsed(fake: Fake): string[] {
  const mutating: (keyof Fake)[] = [
    'openCustodyAccount',
    'recordIntake',
    'requestTransfer',
    'placeSellOrder',
    'cancelSellOrder',
    'requestWithdrawal',
    'createDeclaration',
    'submitDeclaration',
    'recordFxDecision',
    'settleDeclaration',
    'recordCredit',
    'requestRemittance',
  ];
  return mutating.flatMap((name) => fake[name].mock.calls.map((args) => String(args[args.length - 1])));
}

describe('case workflow', () => {
  test('a case approved at both decisions runs from intake to the treasury, reconciles and completes', async () => {
    const reg = registration();
    const { fake, handle, outcome, shown } = await runHappyPath(reg);

    expect(outcome.status).toBe('COMPLETED');
    expect(outcome.stage).toBe('RECONCILIATION');
    expect(outcome.reason).toBeUndefined();
    expect(outcome.reconciliation?.ok).toBe(true);
    expect(outcome.reconciliation?.checks.every((c) => c.pass)).toBe(true);
    expect(outcome.decisions.accepted.map((d) => d.stage)).toEqual([
      'DISPOSAL_PLAN',
      'FX_DECLARATION',
      'FX_SETTLEMENT',
      'REMITTANCE',
    ]);
    expect(outcome.compensations).toEqual([]);

    // The whole custody balance went to the venue, and everything credited was sold.
    // A test deposit to each new address first, then the rest of the balance.
    expect(
      outcome.transfers.map((t) => [t.asset, t.testTransfer?.amount, t.transfer?.amount, t.testTransfer?.purpose]),
    ).toEqual([
      ['BTC', '0.001', '1.249', 'TEST_DEPOSIT'],
      ['ETH', '0.01', '10.49', 'TEST_DEPOSIT'],
    ]);
    // Each market was sold by the execution engine in slices: what was offered adds up to what the venue credited.
    const bySymbol = (symbol: string) => outcome.sales.filter((s) => s.symbol === symbol);
    const offered = (symbol: string) => bySymbol(symbol).reduce((s, leg) => s.plus(leg.filled), new Decimal(0));
    const net = (symbol: string) =>
      bySymbol(symbol).reduce((s, leg) => s.plus(leg.cost).minus(leg.fee), new Decimal(0));
    expect(bySymbol('BTC/USDT').length).toBeGreaterThan(1);
    expect(offered('BTC/USDT').toFixed()).toBe(outcome.transfers[0]?.credited);
    expect(offered('ETH/USDT').toFixed()).toBe(outcome.transfers[1]?.credited);
    // The stablecoin sold is the proceeds of both legs, rounded down to the micro-USDT; the rest is a recorded leftover.
    const stable = net('BTC/USDT').plus(net('ETH/USDT'));
    expect(offered('USDT/USD').toFixed()).toBe(stable.toDecimalPlaces(6, Decimal.ROUND_DOWN).toFixed());
    // Every slice was priced inside the band: at most the engine's offset under its reference.
    for (const leg of outcome.sales) {
      expect(
        new Decimal(leg.limitPrice).gte(
          new Decimal(leg.reference).times('0.9997').toDecimalPlaces(2, Decimal.ROUND_DOWN),
        ),
      ).toBe(true);
    }
    const usd = net('USDT/USD');
    expect(outcome.withdrawal?.amount).toBe(usd.toDecimalPlaces(2, Decimal.ROUND_DOWN).toFixed());
    expect(outcome.withdrawal?.status).toBe('COMPLETED');
    // The leftovers are what those two cuts left, worked out from the venue's fills: the USDT under the
    // micro-USDT and the USD under the cent, each recorded when there is any.
    const cutOff = (amount: Decimal, places: number) =>
      amount.minus(amount.toDecimalPlaces(places, Decimal.ROUND_DOWN));
    const expectedLeftovers = [
      ['USD', cutOff(usd, 2)],
      ['USDT', cutOff(stable, 6)],
    ] as const;
    expect(outcome.leftovers.map((l) => [l.asset, l.amount]).sort()).toEqual(
      expectedLeftovers.filter(([, amount]) => amount.gt(0)).map(([asset, amount]) => [asset, amount.toFixed()]),
    );

    expect(outcome.declaration?.amount).toBe(outcome.withdrawal?.netAmount);
    expect(outcome.settlements.map((s) => [s.foreignAmount, s.bankReference])).toEqual([
      [outcome.withdrawal?.netAmount, 'BOCHK-FX-0001'],
    ]);
    expect(outcome.credits.map((c) => c.amount)).toEqual([outcome.settlements[0]?.cnyAmount]);
    expect(new Decimal(outcome.remittance?.amount ?? '0').eq(outcome.credits[0]?.amount ?? 'NaN')).toBe(true);
    expect(outcome.remittance?.receiptNo).toMatch(/^R-/);
    // The supervisor's own REMITTANCE decision goes to the treasury, which books its person.
    expect(fake.requestRemittance.mock.calls[0]?.[0]).toMatchObject({
      budgetClassificationCode: '1030501',
      decision: { stage: 'REMITTANCE', outcome: 'APPROVE', decidedBy: 'supervisor.zhang' },
    });
    expect(outcome.remittance?.approvedBy).toBe('supervisor.zhang');
    // The FX officer's signed decision itself goes to fx: its outcome, reference and person are fx's to book.
    expect(fake.recordFxDecision.mock.calls[0]?.[1]).toMatchObject({
      decision: {
        stage: 'FX_DECLARATION',
        outcome: 'APPROVE',
        decidedBy: 'fx.officer.chen',
        reference: 'SAFE-2026-0042',
      },
    });

    // The status, asked after the end, shows what went to the venue and what was sold in base units.
    const btc = shown.amounts?.totals.find((t) => t.asset === 'BTC');
    expect(btc?.sold).toEqual({
      amount: offered('BTC/USDT').toFixed(),
      baseUnits: toBaseUnits(offered('BTC/USDT'), 'BTC').toString(),
    });
    expect(btc?.sentToVenue?.baseUnits).toBe(
      toBaseUnits(
        sum(
          outcome.transfers[0]
            ? [outcome.transfers[0].testTransfer?.netAmount ?? '0', outcome.transfers[0].transfer?.netAmount ?? '0']
            : [],
        ),
        'BTC',
      ).toString(),
    );

    // Its three values: at seizure as valued for the plan, at disposal what was credited, and distributed.
    expect(shown.values?.atSeizure?.valueCny).toBe(shown.valuation?.valueCny);
    expect(shown.values?.atDisposal?.proceeds).toEqual([{ currency: 'USD', amount: usd.toFixed() }]);
    const cny = (value: string | undefined) => new Decimal(value ?? 'NaN');
    expect(cny(shown.values?.atDisposal?.valueCny).eq(cny(outcome.credits[0]?.amount))).toBe(true);
    expect(cny(shown.values?.distributed?.toTreasury).eq(cny(outcome.remittance?.amount))).toBe(true);
    expect(shown.values?.distributed).toMatchObject({ toVictims: '0.00', toOwner: '0.00' });
    expect(shown.values?.distributed?.valueCny).toBe(shown.values?.atDisposal?.valueCny);

    // Orders carry deterministic client ids within the contract's pattern.
    for (const leg of outcome.sales) expect(leg.clientOrderId).toMatch(/^[A-Za-z0-9_-]{1,36}$/);

    // Each reconciliation (before the pay-out, closing) read every service's records in one activity (issue 18);
    // the treasury's statement once more on its own, for the balance the pay-out is asked for.
    const inHistory = await callsInHistory(handle);
    expect(inHistory.patches).toContain('reconcile-one-read');
    expect(inHistory.tasks.filter((name) => name === 'readCaseStatements')).toHaveLength(2);
    expect(
      inHistory.tasks.filter((name) => /^(getCustodyLedger|getExchangeStatement|listDeclarations)$/.test(name)),
    ).toEqual([]);
    expect(inHistory.tasks.filter((name) => name === 'getTreasuryStatement')).toHaveLength(1);
    expect(fake.getExchangeStatement).toHaveBeenCalledTimes(2);

    // Visibility: search attributes follow the case.
    const description = await handle.describe();
    expect(description.searchAttributes).toMatchObject({
      CaseId: [reg.caseId],
      CaseStage: ['RECONCILIATION'],
      CaseStatus: ['COMPLETED'],
    });
  });

  test('idempotency keys are derived from the workflow id and the step, the same on every run of the same case', async () => {
    const reg = registration();
    const first = await runHappyPath(reg);
    const second = await runHappyPath(reg);
    const keys = keysUsed(first.fake);
    // The same keys every run (in any order: a batch records its lots' intakes concurrently).
    expect([...keysUsed(second.fake)].sort()).toEqual([...keys].sort());
    expect(new Set(keys).size).toBe(keys.length);
    const wf = `case-${reg.caseId}`;
    expect(keys).toEqual(
      expect.arrayContaining([
        `${wf}/account/BTC`,
        `${wf}/intake/L1`,
        `${wf}/test-deposit/BTC`,
        `${wf}/transfer/BTC`,
        `${wf}/transfer/ETH`,
        `${wf}/sale/BTC-USDT/slice/1/place`,
        `${wf}/sale/BTC-USDT/slice/1/cancel`,
        `${wf}/sale/USDT-USD/slice/1/place`,
        `${wf}/withdrawal/USD`,
        `${wf}/remittance`,
      ]),
    );
    expect(first.outcome.sales.map((s) => s.clientOrderId)).toEqual(second.outcome.sales.map((s) => s.clientOrderId));
  });

  test('while it waits for the disposal plan, the status shows the intakes, the wait and its deadline', async () => {
    const reg = registration();
    await withCase(reg, async ({ handle }) => {
      const p = await until(handle, awaiting('DISPOSAL_PLAN'));
      expect(p).toMatchObject({
        caseId: reg.caseId,
        workflowId: `case-${reg.caseId}`,
        stage: 'AUTHORISATION',
        status: 'AWAITING_DECISION',
        agency: reg.agency,
      });
      expect(p.intakes.map((i) => [i.lotId, i.status, i.receivedAmount])).toEqual([
        ['L1', 'RECEIVED', '1.25'],
        ['L2', 'RECEIVED', '10.5'],
      ]);
      expect(p.accounts.map((a) => a.asset)).toEqual(['BTC', 'ETH']);
      // Every amount in base units beside the decimal, and the totals across the case's lots.
      expect(p.amounts?.lots.map((l) => [l.lotId, l.unit, l.received.baseUnits])).toEqual([
        ['L1', 'satoshi', '125000000'],
        ['L2', 'wei', '10500000000000000000'],
      ]);
      expect(p.amounts?.totals).toEqual([
        {
          asset: 'BTC',
          unit: 'satoshi',
          lots: 1,
          declared: { amount: '1.25', baseUnits: '125000000' },
          received: { amount: '1.25', baseUnits: '125000000' },
          difference: { amount: '0', baseUnits: '0' },
        },
        {
          asset: 'ETH',
          unit: 'wei',
          lots: 1,
          declared: { amount: '10.5', baseUnits: '10500000000000000000' },
          received: { amount: '10.5', baseUnits: '10500000000000000000' },
          difference: { amount: '0', baseUnits: '0' },
        },
      ]);
      const since = Date.parse(p.awaiting?.since ?? '');
      expect(Date.parse(p.awaiting?.deadline ?? '') - since).toBe(30 * 24 * 3600 * 1000);
      expect(p.details).toContain('DISPOSAL_PLAN');
      expect(p.transfers).toEqual([]);
      await handle.terminate('test done');
    });
  });

  test('a rejected disposal plan ends REJECTED with the assets in custody: nothing is transferred', async () => {
    const reg = registration();
    await withCase(reg, async ({ fake, handle }) => {
      await until(handle, awaiting('DISPOSAL_PLAN'));
      const answer = await handle.executeUpdate(decide, {
        args: [{ ...approvePlan(), outcome: 'REJECT', reason: 'price band not set' }],
      });
      expect(answer.movesTo).toEqual({ stage: 'AUTHORISATION', status: 'REJECTED' });
      const outcome = await outcomeOf(handle);
      expect(outcome.status).toBe('REJECTED');
      expect(outcome.reason).toContain('price band not set');
      expect(outcome.reason).toContain('stay in custody');
      expect(fake.getDepositAddress).not.toHaveBeenCalled();
      expect(fake.findWhitelistEntries).not.toHaveBeenCalled();
      expect(fake.requestTransfer).not.toHaveBeenCalled();
    });
  });

  test('a decision for a stage the case is not waiting on, or by the requester, is refused by the validator and leaves history unchanged', async () => {
    const reg = registration();
    await withCase(reg, async ({ handle }) => {
      await until(handle, awaiting('DISPOSAL_PLAN'));
      const before = (await handle.fetchHistory()).events?.length ?? 0;

      const refusal = async (d: Decision) => {
        const error = await handle.executeUpdate(decide, { args: [d] }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
        const cause = (error as WorkflowUpdateFailedError).cause;
        expect(cause).toBeInstanceOf(ApplicationFailure);
        return cause as ApplicationFailure;
      };
      expect((await refusal(approveFx())).type).toBe('decision-not-awaited');
      const own = await refusal(approvePlan(reg.requestedBy));
      expect(own.type).toBe('four-eyes');
      expect(own.message).toContain('four-eyes');
      expect((await refusal({ ...approvePlan(), role: 'fx-officer' })).type).toBe('decision-role');
      expect((await refusal({ ...approvePlan(), outcome: 'REJECT' })).type).toBe('decision-invalid');

      // No Update reached history. (The time-skipping server still records the workflow task that ran
      // the validators; a real server drops those speculative tasks too: see control-api.test.ts.)
      const after = (await handle.fetchHistory()).events ?? [];
      expect(after.length).toBeGreaterThanOrEqual(before);
      expect(
        after.filter(
          (e) =>
            e.workflowExecutionUpdateAcceptedEventAttributes ||
            e.workflowExecutionUpdateCompletedEventAttributes ||
            e.workflowExecutionUpdateAdmittedEventAttributes ||
            e.workflowExecutionSignaledEventAttributes,
        ),
      ).toEqual([]);
      const p = await handle.query(status);
      expect(p.status).toBe('AWAITING_DECISION');
      expect(p.decisions).toEqual({ accepted: [], refused: [] });
      await handle.terminate('test done');
    });
  });

  test('decisions sent as signals go through the same checks: a refused one is recorded, valid ones move the case', async () => {
    const reg = registration();
    await withCase(reg, async ({ handle }) => {
      await until(handle, awaiting('DISPOSAL_PLAN'));
      await handle.signal(decision, approvePlan(reg.requestedBy));
      const refused = await until(handle, (p) => p.decisions.refused.length === 1);
      expect(refused.decisions.refused[0]).toMatchObject({ code: 'four-eyes', via: 'signal' });
      expect(refused.status).toBe('AWAITING_DECISION');

      await handle.signal(decision, approvePlan());
      await until(handle, awaiting('FX_DECLARATION'));
      await handle.signal(decision, approveFx());
      await settleAt(handle);
      await until(handle, awaiting('REMITTANCE'));
      await handle.signal(decision, approveRemittance());
      const outcome = await outcomeOf(handle);
      expect(outcome.status).toBe('COMPLETED');
      expect(outcome.decisions.accepted).toHaveLength(4);
      expect(outcome.decisions.refused).toHaveLength(1);
    });
  });

  test('when nobody decides before the deadline, the case is held with the assets in custody', async () => {
    const reg = registration({ deadlines: { decisionDays: 3 } });
    await withCase(reg, async ({ fake, handle }) => {
      const started = await harness.env.currentTimeMs();
      const outcome = await outcomeOf(handle); // the time-skipping server jumps the three days
      expect(outcome.status).toBe('HELD');
      expect(outcome.stage).toBe('AUTHORISATION');
      expect(outcome.reason).toBe('no decision on the disposal plan within 3 days; the assets stay in custody');
      expect((await harness.env.currentTimeMs()) - started).toBeGreaterThanOrEqual(3 * 24 * 3600 * 1000);
      expect(fake.requestTransfer).not.toHaveBeenCalled();
      expect((await handle.describe()).searchAttributes).toMatchObject({ CaseStatus: ['HELD'] });
    });
  });

  test('a short receipt at intake holds the case before any decision is asked', async () => {
    const reg = registration();
    await withCase(
      reg,
      async ({ handle }) => {
        const outcome = await outcomeOf(handle);
        expect(outcome.status).toBe('HELD');
        expect(outcome.stage).toBe('INTAKE');
        expect(outcome.reason).toContain('lot L1 declared 1.25 BTC, received 1.2');
        // No decision of the disposal was asked: the held case waits only for its resolution.
        expect(outcome.awaiting?.stage).toBe('HOLD_RESOLUTION');
        expect(outcome.decisions.accepted).toEqual([]);
      },
      { received: { L1: '1.2' } },
    );
  });

  test('custody answering not-yet while confirmations are pending is retried until the intake is recorded', async () => {
    const reg = registration();
    const fake = createFakeActivities();
    const real = fake.recordIntake.getMockImplementation();
    let refusals = 0;
    fake.recordIntake.mockImplementation(async (body, key) => {
      if (body.lotId === 'L1' && refusals < 2) {
        refusals++;
        throw ApplicationFailure.retryable('2 of 6 confirmations', 'urn:vcdc:problem:not-yet');
      }
      if (!real) throw new Error('no implementation');
      return real(body, key);
    });
    await withCase(
      reg,
      async ({ handle }) => {
        await harness.env.sleep('1 minute'); // lets the time-skipping server jump the retry backoff
        const p = await until(handle, awaiting('DISPOSAL_PLAN'));
        expect(p.intakes.map((i) => i.lotId)).toEqual(['L1', 'L2']);
        // Every attempt carried the same key, so custody records the intake once.
        const l1Keys = fake.recordIntake.mock.calls.filter(([b]) => b.lotId === 'L1').map(([, k]) => k);
        expect(l1Keys).toEqual([
          `case-${reg.caseId}/intake/L1`,
          `case-${reg.caseId}/intake/L1`,
          `case-${reg.caseId}/intake/L1`,
        ]);
        await handle.terminate('test done');
      },
      {},
      fake,
    );
  });

  test('when the venue never credits a deposit, the wait gives up at its limit and the case is held', async () => {
    const reg = registration({ lots: [sampleRegistration('x').lots[0]] });
    const fake = createFakeActivities();
    const real = fake.getVenueDeposit.getMockImplementation();
    fake.getVenueDeposit.mockImplementation(async (q) => {
      const d = await real?.(q);
      if (!d) throw new Error('no deposit');
      return { ...d, status: 'PENDING' as const };
    });
    await withCase(
      reg,
      async ({ handle }) => {
        await until(handle, awaiting('DISPOSAL_PLAN'));
        await handle.executeUpdate(decide, { args: [approvePlan()] });
        const outcome = await outcomeOf(handle);
        expect(outcome.status).toBe('HELD');
        expect(outcome.stage).toBe('TRANSFER');
        expect(outcome.reason).toContain(
          `the venue has not credited the BTC deposit ${outcome.transfers[0]?.testTransfer?.txHash} within a day (PENDING)`,
        );
        // The test deposit is asked back from the venue and booked into the case wallet again.
        expect(outcome.returns).toEqual([
          expect.objectContaining({ asset: 'BTC', amount: '0.0009', status: 'RECEIVED' }),
        ]);
        expect(outcome.compensations).toEqual([]);
        expect(fake.placeSellOrder).not.toHaveBeenCalled();
      },
      {},
      fake,
    );
  });

  test('what the venue lot size cannot take stays at the venue as a recorded leftover and the case still reconciles', async () => {
    const reg = registration();
    const { fake, outcome } = await runHappyPath(reg, { lotStep: { BTC: '0.01', ETH: '0.1', USDT: '1' } });
    expect(outcome.status).toBe('COMPLETED');
    expect(outcome.leftovers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ asset: 'BTC', amount: '0.0098', where: 'venue' }),
        expect.objectContaining({ asset: 'ETH', amount: '0.09916', where: 'venue' }),
      ]),
    );
    const usdtLeft = outcome.leftovers
      .filter((l) => l.asset === 'USDT')
      .reduce((s, l) => s.plus(l.amount), new Decimal(0));
    expect(usdtLeft.gt(0) && usdtLeft.lt(1)).toBe(true);
    // Only whole steps were offered to the venue.
    const offered = (symbol: string) =>
      fake.placeSellOrder.mock.calls
        .filter(([body]) => body.symbol === symbol)
        .map(([body]) => new Decimal(body.amount));
    expect(offered('BTC/USDT').every((a) => a.mod('0.01').isZero())).toBe(true);
    expect(offered('ETH/USDT').every((a) => a.mod('0.1').isZero())).toBe(true);
    expect(offered('USDT/USD').every((a) => a.isInteger())).toBe(true);
    expect(outcome.reconciliation?.ok).toBe(true);
  });

  test('the execution engine cuts each lot into slices no larger than the venue allows, each its own order and key', async () => {
    const reg = registration({
      disposal: { ...registration().disposal, execution: { slices: 1, horizonSeconds: 1, maxRepricings: 0 } },
    });
    const { fake, outcome } = await runHappyPath(reg, { lotStep: { BTC: '0.01' }, maxQty: { BTC: '0.5' } });
    expect(outcome.status).toBe('COMPLETED');
    const btc = outcome.sales.filter((s) => s.symbol === 'BTC/USDT');
    expect(btc.map((s) => s.amount)).toEqual(['0.42', '0.41', '0.41']);
    expect(new Set(btc.map((s) => s.clientOrderId)).size).toBe(3);
    const wf = `case-${reg.caseId}`;
    expect(fake.placeSellOrder.mock.calls.filter(([b]) => b.symbol === 'BTC/USDT').map(([, key]) => key)).toEqual([
      `${wf}/sale/BTC-USDT/slice/1/place`,
      `${wf}/sale/BTC-USDT/slice/2/place`,
      `${wf}/sale/BTC-USDT/slice/3/place`,
    ]);
    expect(outcome.reconciliation?.ok).toBe(true);
  });

  test('what earlier slices carried is offered in several child orders when it passes the largest order: no refusal, no pause for it', async () => {
    const reg = registration({
      disposal: { ...registration().disposal, execution: { slices: 3, horizonSeconds: 3, maxRepricings: 2 } },
    });
    // Half of each order fills: what is left is carried, and the next round offers more than 0.5 BTC.
    await withCase(
      reg,
      async ({ fake, handle }) => {
        await until(handle, awaiting('DISPOSAL_PLAN'));
        await handle.executeUpdate(decide, { args: [approvePlan()] });
        const waiting = await until(handle, awaiting('SALE_PRICE'));
        // the engine ran its schedule to the end: it asks to go on with what the market did not take, not about a refusal
        expect(waiting.awaiting?.what).toMatch(/within its band and horizon/);
        expect(waiting.awaiting?.what).not.toMatch(/REFUSED|above-maximum-order-size/);
        const offers = fake.placeSellOrder.mock.calls.filter(([b]) => b.symbol === 'BTC/USDT').map(([b]) => b);
        expect(offers.every((b) => new Decimal(b.amount).lte('0.5'))).toBe(true);
        // a round that offered more than 0.5 BTC went out as children (-c1: the second child)
        expect(offers.some((b) => /-c1$/.test(b.clientOrderId))).toBe(true);
        await handle.terminate('test over');
      },
      { lotStep: { BTC: '0.01' }, maxQty: { BTC: '0.5' }, fillRatio: { 'BTC/USDT': '0.5' } },
    );
  });

  describe('the sale route', () => {
    const proceedsOf = (outcome: { sales: { symbol: string; cost: string; fee: string }[] }, symbol: string) =>
      outcome.sales
        .filter((s) => s.symbol === symbol)
        .reduce((sum, s) => sum.plus(s.cost).minus(s.fee), new Decimal(0));
    const soldOf = (outcome: { sales: { symbol: string; filled: string }[] }, symbol: string) =>
      outcome.sales.filter((s) => s.symbol === symbol).reduce((sum, s) => sum.plus(s.filled), new Decimal(0));

    test('ETH sells straight for USD where its book is deep enough, BTC through USDT where the direct book is thin; the case reconciles', async () => {
      const reg = registration();
      // credited after network fees: ETH 10.49916 (1000 >= 3 x it), BTC 1.2498 (3 < 3 x it)
      const { fake, outcome } = await runHappyPath(reg, { directDepth: { 'ETH/USD': '1000', 'BTC/USD': '3' } });
      expect(outcome.status).toBe('COMPLETED');
      // Asked of the exchange service once per coin, with the plan's rule (defaults) and a key per coin.
      const wf = `case-${reg.caseId}`;
      const rule = { mode: 'AUTO', bandBp: '50', minDepthMultiple: '3' };
      expect(fake.chooseSaleRoute.mock.calls).toEqual([
        [reg.caseId, { asset: 'BTC', lot: '1.2498', fiat: 'USD', rule }, `${wf}/route/BTC`],
        [reg.caseId, { asset: 'ETH', lot: '10.49916', fiat: 'USD', rule }, `${wf}/route/ETH`],
      ]);
      expect(outcome.routes).toEqual([
        expect.objectContaining({
          choiceId: expect.stringMatching(/^rc/),
          asset: 'BTC',
          lot: '1.2498',
          route: 'VIA_STABLECOIN',
          required: '3.7494',
          seen: '3',
        }),
        expect.objectContaining({ asset: 'ETH', route: 'DIRECT', directSymbol: 'ETH/USD', seen: '1000' }),
      ]);
      const symbols = new Set(outcome.sales.map((s) => s.symbol));
      expect([...symbols].sort()).toEqual(['BTC/USDT', 'ETH/USD', 'USDT/USD']);
      // All the ETH was sold for USD, all the BTC for USDT, and exactly the USDT it brought was sold for USD.
      const ethCredited = outcome.transfers.find((t) => t.asset === 'ETH')?.credited;
      expect(soldOf(outcome, 'ETH/USD').toFixed()).toBe(new Decimal(ethCredited ?? 'NaN').toFixed());
      const usdtFromBtc = proceedsOf(outcome, 'BTC/USDT');
      const usdtLeft = outcome.leftovers
        .filter((l) => l.asset === 'USDT')
        .reduce((s, l) => s.plus(l.amount), new Decimal(0));
      expect(soldOf(outcome, 'USDT/USD').plus(usdtLeft).eq(usdtFromBtc)).toBe(true);
      // The withdrawal carries both legs' USD.
      const usd = proceedsOf(outcome, 'ETH/USD').plus(proceedsOf(outcome, 'USDT/USD'));
      const usdLeft = outcome.leftovers
        .filter((l) => l.asset === 'USD')
        .reduce((s, l) => s.plus(l.amount), new Decimal(0));
      expect(new Decimal(outcome.withdrawal?.amount ?? 'NaN').plus(usdLeft).eq(usd)).toBe(true);
      expect(outcome.valueUsd).toBe(usd.toFixed(2));
      expect(outcome.reconciliation?.ok).toBe(true);
    });

    test('every coin direct: no stablecoin leg at all, and the case still completes and reconciles', async () => {
      const reg = registration();
      const { fake, outcome } = await runHappyPath(reg, { directDepth: { 'ETH/USD': '1000', 'BTC/USD': '1000' } });
      expect(outcome.status).toBe('COMPLETED');
      expect(outcome.routes.map((r) => r.route)).toEqual(['DIRECT', 'DIRECT']);
      expect(fake.placeSellOrder.mock.calls.every(([body]) => body.symbol.endsWith('/USD'))).toBe(true);
      expect(fake.placeSellOrder.mock.calls.some(([body]) => body.symbol.startsWith('USDT/'))).toBe(false);
      expect(outcome.reconciliation?.ok).toBe(true);
    });

    test('a plan that names the stablecoin route is kept to; a refused choice fails the case, an answer for another lot holds it', async () => {
      const viaStable = registration({
        disposal: { ...registration().disposal, route: { mode: 'VIA_STABLECOIN' } },
      });
      const first = await runHappyPath(viaStable, { directDepth: { 'ETH/USD': '1000', 'BTC/USD': '1000' } });
      expect(first.outcome.status).toBe('COMPLETED');
      expect(first.fake.chooseSaleRoute.mock.calls.map(([, body]) => body.rule.mode)).toEqual([
        'VIA_STABLECOIN',
        'VIA_STABLECOIN',
      ]);
      expect(first.outcome.routes.map((r) => [r.asset, r.route, r.reason])).toEqual([
        ['BTC', 'VIA_STABLECOIN', 'the disposal plan sells through the stablecoin'],
        ['ETH', 'VIA_STABLECOIN', 'the disposal plan sells through the stablecoin'],
      ]);

      /** Run a case to its end with the route choice answered by `answer`; nothing may be sold. */
      const stopsAtRoute = async (answer: (fake: Fake) => void) => {
        const fake = createFakeActivities({ directDepth: { 'ETH/USD': '1000', 'BTC/USD': '1000' } });
        answer(fake);
        const outcome = await withCase(
          registration(),
          async ({ handle }) => {
            await until(handle, awaiting('DISPOSAL_PLAN'));
            await handle.executeUpdate(decide, { args: [approvePlan()] });
            return outcomeOf(handle);
          },
          {},
          fake,
        );
        expect(fake.placeSellOrder).not.toHaveBeenCalled();
        // the coins at the venue went back to the case wallet (each transfer's share: test deposit and bulk)
        expect(outcome.returns.map((r) => [r.asset, r.status])).toEqual([
          ['BTC', 'RECEIVED'],
          ['BTC', 'RECEIVED'],
          ['ETH', 'RECEIVED'],
          ['ETH', 'RECEIVED'],
        ]);
        return outcome;
      };

      // A refusal (here: the answer breaks the contract) is not a route: the case stops as for any refused call.
      const refused = await stopsAtRoute((fake) =>
        fake.chooseSaleRoute.mockRejectedValue(
          ApplicationFailure.nonRetryable(
            'sale route: the answer breaks the contract',
            'urn:vcdc:activity:contract-violation',
          ),
        ),
      );
      expect(refused.status).toBe('FAILED');
      expect(refused.reason).toMatch(/^SALE: chooseSaleRoute failed: sale route: the answer breaks the contract/);
      expect(refused.routes).toEqual([]);

      // An answer about another lot is never acted on.
      const other = await stopsAtRoute((fake) => {
        const real = fake.chooseSaleRoute.getMockImplementation();
        fake.chooseSaleRoute.mockImplementation(async (caseId, body, key) => {
          const kept = await real?.(caseId, body, key);
          if (!kept) throw new Error('no answer');
          return { ...kept, lot: '0.5' };
        });
      });
      expect(other.status).toBe('HELD');
      expect(other.reason).toContain('with the choice rc');
      expect(other.reason).toContain('for 0.5 BTC');
    });
  });

  /** The venue's statement with one satoshi more deposited than custody sent, once `when()` holds. */
  const oneSatoshiMore = (fake: ReturnType<typeof createFakeActivities>, when: () => boolean) => {
    const real = fake.getExchangeStatement.getMockImplementation();
    fake.getExchangeStatement.mockImplementation(async (caseId: string) => {
      const statement = await real?.(caseId);
      if (!statement) throw new Error('no statement');
      const first = statement.deposits[0];
      if (first && when()) first.amount = new Decimal(first.amount).plus('0.00000001').toFixed();
      return statement;
    });
  };

  test('when the records do not add up before the pay-out, nothing leaves: a supervisor is asked, and a hold holds it', async () => {
    const reg = registration();
    const fake = createFakeActivities();
    oneSatoshiMore(fake, () => true);
    await withCase(
      reg,
      async ({ handle }) => {
        await until(handle, awaiting('DISPOSAL_PLAN'));
        await handle.executeUpdate(decide, { args: [approvePlan()] });
        await until(handle, awaiting('FX_DECLARATION'));
        await handle.executeUpdate(decide, { args: [approveFx()] });
        await settleAt(handle);
        const asked = await until(handle, awaiting('RECONCILIATION'));
        expect(asked.reconciliationAsked).toEqual([
          { check: 'BTC: transferred out of custody = credited at the venue', difference: '-0.00000001' },
          { check: 'venue BTC: deposited = sold + leftover', difference: '0.00000001' },
        ]);
        await handle.executeUpdate(decide, {
          args: [
            {
              stage: 'RECONCILIATION',
              outcome: 'REJECT',
              decidedBy: 'supervisor.zhang',
              role: 'supervisor',
              reason: 'ask the venue about its deposit record',
              decidedAt: '2026-01-06T09:00:00Z',
            },
          ],
        });
        const outcome = await outcomeOf(handle);
        expect(outcome.status).toBe('HELD');
        expect(outcome.reason).toContain('held by supervisor.zhang at reconciliation');
        expect(outcome.reason).toContain('BTC: transferred out of custody = credited at the venue: -0.00000001');
        expect(outcome.reconciliationBeforePayout?.ok).toBe(false);
        expect(outcome.remittance).toBeUndefined();
        expect(fake.requestRemittance).not.toHaveBeenCalled();
      },
      {},
      fake,
    );
  });

  test('records that stop adding up after the pay-out: the closing reconciliation holds the case as "reconciliation failed"', async () => {
    const reg = registration();
    const fake = createFakeActivities();
    oneSatoshiMore(fake, () => fake.requestRemittance.mock.calls.length > 0);
    await withCase(
      reg,
      async ({ handle }) => {
        await until(handle, awaiting('DISPOSAL_PLAN'));
        await handle.executeUpdate(decide, { args: [approvePlan()] });
        await until(handle, awaiting('FX_DECLARATION'));
        await handle.executeUpdate(decide, { args: [approveFx()] });
        await settleAt(handle);
        await until(handle, awaiting('REMITTANCE'));
        await handle.executeUpdate(decide, { args: [approveRemittance()] });
        const outcome = await outcomeOf(handle);
        expect(outcome.status).toBe('HELD');
        expect(outcome.reason).toMatch(/^reconciliation failed: /);
        expect(outcome.reason).toContain('BTC: transferred out of custody = credited at the venue');
        expect(outcome.reconciliationBeforePayout?.ok).toBe(true);
        expect(outcome.reconciliation?.ok).toBe(false);
        expect(outcome.remittance).toBeDefined();
      },
      {},
      fake,
    );
  });
});
