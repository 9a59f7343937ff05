/**
 * A held case is never a dead end (issue 13, part 3): after its compensation it waits in HELD for two
 * supervisors to resolve it (HOLD_RESOLUTION, with a reason each, the same resolution): RESUME at the
 * stage where it stopped, AMEND the disposal plan (approved again), or CLOSE with the assets handed back.
 * On the time-skipping server with the fake services.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { Decimal } from '@vcdc/shared/money';
import type { CaseRegistration } from '../src/workflow/case-input';
import type { CaseProgress } from '../src/workflow/case-state';
import type { Decision } from '../src/workflow/decision';
import type { HoldResolution } from '../src/workflow/hold-resolution';
import { decide, status } from '../src/workflow/shared';
import {
  awaiting,
  bundleCaseWorkflows,
  type CaseHandle,
  heldForResolution,
  runCase,
  settleAt,
  startCaseTestServer,
  until,
} from './case-support';
import { createFakeActivities, sampleRegistration } from './fake-services';

jest.setTimeout(180_000);

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  [env, bundle] = await Promise.all([startCaseTestServer(), bundleCaseWorkflows()]);
}, 180_000);

afterAll(async () => {
  await env?.teardown();
});

type Fake = ReturnType<typeof createFakeActivities>;
const at = '2026-01-02T09:00:00Z';

function registration(): CaseRegistration {
  return sampleRegistration(`C-${randomUUID().slice(0, 8)}`) as CaseRegistration;
}

/**
 * The venue credits the first BTC test deposit short: the case holds at TRANSFER and its compensation
 * brings the test deposit back to custody. Later credits are whole (a resumed case's transfers go through).
 */
function holdAtTransfer(fake: Fake): void {
  const real = fake.getVenueDeposit.getMockImplementation();
  let short = true;
  fake.getVenueDeposit.mockImplementation(async (q) => {
    const d = await real?.(q);
    if (!d) throw new Error('no deposit');
    if (short && q.asset === 'BTC' && d.status === 'CREDITED') {
      short = false;
      return { ...d, amount: new Decimal(d.amount).minus('0.0001').toFixed() };
    }
    return d;
  });
}

/** A case with the plan approved, run until `holdIt` has held it and it waits for its resolution; then `body`. */
function heldCase<T>(
  fake: Fake,
  reg: CaseRegistration,
  holdIt: (handle: CaseHandle) => Promise<void>,
  body: (handle: CaseHandle, held: CaseProgress) => Promise<T>,
): Promise<T> {
  return runCase(
    env,
    bundle,
    reg,
    fake,
    async (handle) => {
      await until(handle, awaiting('DISPOSAL_PLAN'));
      await handle.executeUpdate(decide, { args: [plan('supervisor.zhang')] });
      await holdIt(handle);
      return body(handle, await until(handle, heldForResolution));
    },
    `test-${randomUUID()}`,
  );
}

/** Held at TRANSFER (the venue credits the first BTC test deposit short). */
async function withHeldCase<T>(body: (handle: CaseHandle, fake: Fake, reg: CaseRegistration) => Promise<T>) {
  const reg = registration();
  const fake = createFakeActivities();
  holdAtTransfer(fake);
  return heldCase(
    fake,
    reg,
    async () => undefined,
    (handle) => body(handle, fake, reg),
  );
}

function plan(by: string): Decision {
  return { stage: 'DISPOSAL_PLAN', outcome: 'APPROVE', decidedBy: by, role: 'supervisor', decidedAt: at };
}

function resolve(by: string, resolution: HoldResolution, reason: string | null = `${by} reviewed the hold`) {
  return {
    stage: 'HOLD_RESOLUTION',
    outcome: 'APPROVE',
    decidedBy: by,
    role: 'supervisor',
    decidedAt: at,
    resolution,
    ...(reason ? { reason } : {}),
  } as Decision;
}

async function refusal(handle: CaseHandle, d: Decision): Promise<ApplicationFailure> {
  const error = await handle.executeUpdate(decide, { args: [d] }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (error as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

const fxApproval = (): Decision => ({
  stage: 'FX_DECLARATION',
  outcome: 'APPROVE',
  decidedBy: 'fx.officer.chen',
  role: 'fx-officer',
  reference: 'SAFE-2026-0042',
  decidedAt: at,
});
const remittanceApproval = (): Decision => ({
  stage: 'REMITTANCE',
  outcome: 'APPROVE',
  decidedBy: 'supervisor.zhang',
  role: 'supervisor',
  decidedAt: at,
});

/** From FX to the end: the declaration, the settlement, the remittance. */
async function finish(handle: CaseHandle): Promise<CaseProgress> {
  const fx = await until(handle, (p) => awaiting('FX_DECLARATION')(p) || p.status === 'HELD' || p.status === 'FAILED');
  if (fx.status !== 'AWAITING_DECISION') throw new Error(`the case stopped ${fx.status}: ${fx.reason}`);
  await handle.executeUpdate(decide, { args: [fxApproval()] });
  await settleAt(handle);
  await until(handle, awaiting('REMITTANCE'));
  await handle.executeUpdate(decide, { args: [remittanceApproval()] });
  // A case that stops again waits in HELD (it does not end): its status says why.
  const ended = await until(handle, (p) => p.status !== 'RUNNING' && p.status !== 'AWAITING_DECISION');
  if (ended.status !== 'COMPLETED') throw new Error(`the case ended ${ended.status}: ${ended.reason}`);
  return handle.result();
}

describe('a held case waits for its resolution', () => {
  test('held at TRANSFER, the coins are back in custody and the case waits in HELD for HOLD_RESOLUTION; one supervisor, the same one twice, no reason or another resolution do not resolve it', async () => {
    await withHeldCase(async (handle, _fake, reg) => {
      const held = await handle.query(status);
      expect(held.stage).toBe('TRANSFER');
      expect(held.reason).toContain('the bulk transfer waits for a person');
      expect(held.returns).toEqual([expect.objectContaining({ asset: 'BTC', status: 'RECEIVED' })]);
      expect(held.notifications.map((n) => n.kind)).toContain('CASE_HELD');
      expect(held.holds).toEqual([
        expect.objectContaining({
          attempt: 1,
          stage: 'TRANSFER',
          inCustody: { BTC: '1.2498', ETH: '10.5' },
          options: expect.not.objectContaining({ notResumable: expect.anything() }),
        }),
      ]);

      // A reason is required; the requester may not resolve his own case.
      expect((await refusal(handle, resolve('supervisor.wu', { path: 'RESUME' }, null))).type).toBe('decision-invalid');
      expect((await refusal(handle, resolve(reg.requestedBy, { path: 'RESUME' }))).type).toBe('four-eyes');
      // An amended plan may not dispose of more than custody holds.
      const tooMuch = await refusal(
        handle,
        resolve('supervisor.wu', { path: 'AMEND', dispose: [{ asset: 'BTC', amount: '2' }] }),
      );
      expect(tooMuch.message).toContain('resolution.dispose[0].amount: custody holds 1.2498 BTC');

      // One approval does not resolve it; the same person again is not a second approval.
      const first = await handle.executeUpdate(decide, { args: [resolve('supervisor.wu', { path: 'RESUME' })] });
      expect(first.approvals).toEqual({ given: 1, required: 2 });
      expect(first.movesTo).toEqual({ stage: 'TRANSFER', status: 'HELD' });
      expect((await refusal(handle, resolve('supervisor.wu', { path: 'RESUME' }))).type).toBe('quorum-same-person');
      // A second supervisor must approve the same resolution.
      const other = await refusal(handle, resolve('supervisor.zhang', { path: 'CLOSE', handBackTo: 'CUSTODY' }));
      expect(other.message).toContain('supervisor.wu approved RESUME; the second approval must carry the same');
      const still = await handle.query(status);
      expect(still.status).toBe('HELD');
      expect(still.awaiting?.stage).toBe('HOLD_RESOLUTION');
    });
  });

  test('RESUME: the case goes on at TRANSFER under the plan already approved, and completes and reconciles', async () => {
    await withHeldCase(async (handle, fake, reg) => {
      await handle.executeUpdate(decide, { args: [resolve('supervisor.wu', { path: 'RESUME' })] });
      const second = await handle.executeUpdate(decide, { args: [resolve('supervisor.zhang', { path: 'RESUME' })] });
      expect(second.movesTo).toEqual({ stage: 'TRANSFER', status: 'RUNNING' });
      const outcome = await finish(handle);

      expect(outcome.status).toBe('COMPLETED');
      expect(outcome.reconciliation?.ok).toBe(true);
      // No second DISPOSAL_PLAN: the coins went out again under the approvals given before.
      expect(outcome.decisions.accepted.filter((d) => d.stage === 'DISPOSAL_PLAN')).toHaveLength(1);
      const [hold] = outcome.holds ?? [];
      expect(hold?.resolution).toMatchObject({
        path: 'RESUME',
        approvedBy: [
          { decidedBy: 'supervisor.wu', reason: 'supervisor.wu reviewed the hold' },
          { decidedBy: 'supervisor.zhang', reason: 'supervisor.zhang reviewed the hold' },
        ],
        outcome: 'resumed at TRANSFER under the disposal plan already approved (attempt 2)',
      });
      // The returned BTC went out again, with keys of the second attempt (the first attempt's stand).
      expect(outcome.transfers.map((t) => [t.asset, t.testTransfer?.amount, t.transfer?.amount])).toEqual([
        ['BTC', undefined, '1.2498'],
        ['ETH', '0.01', '10.49'],
      ]);
      const keys = fake.requestTransfer.mock.calls.map(([, key]) => key);
      expect(keys).toEqual([
        `case-${reg.caseId}/test-deposit/BTC`,
        `case-${reg.caseId}/attempt-2/transfer/BTC`,
        `case-${reg.caseId}/attempt-2/test-deposit/ETH`,
        `case-${reg.caseId}/attempt-2/transfer/ETH`,
      ]);
      // The reconciliation books the return: received + returned = transferred + fees + balance.
      expect(outcome.reconciliation?.checks.map((c) => c.name)).toEqual(
        expect.arrayContaining([
          'custody BTC: received = transferred + network fees + balance',
          "BTC: returned from the venue = booked back in custody + the venue's return fees",
          'venue BTC: deposited = sold + leftover',
        ]),
      );
    });
  });

  test('held at SALE after part of the BTC was sold: only RESUME is open; it sells the returned coins and goes on with the proceeds already at the venue, and the books reconcile', async () => {
    const reg = registration();
    // Fair references until the first slice has sold, then a fall 10% under the arrival price, out of the
    // engine's band: the sale pauses with part of the BTC sold, and the supervisor stops it.
    const fake = createFakeActivities({
      referencePrices: { 'BTC/USDT': ['61234.56', '61234.56', '61234.56', '55000'] },
      // A lot size that leaves dust under it: it goes back to custody with the unsold coins, not left at the venue.
      lotStep: { BTC: '0.001' },
    });
    await heldCase(
      fake,
      reg,
      async (handle) => {
        await until(handle, awaiting('SALE_PRICE'));
        await handle.executeUpdate(decide, {
          args: [
            {
              stage: 'SALE_PRICE',
              outcome: 'REJECT',
              decidedBy: 'supervisor.zhou',
              role: 'supervisor',
              reason: 'wait for a calmer market',
              decidedAt: at,
            },
          ],
        });
      },
      async (handle, held) => {
        expect(held.stage).toBe('SALE');
        const soldFirst = held.sales.filter((s) => new Decimal(s.filled).gt(0));
        expect(soldFirst.length).toBeGreaterThan(0);
        const [hold] = held.holds ?? [];
        expect(hold?.options.notResumable).toBeUndefined();
        expect(hold?.options.notAmendable).toMatch(
          /^part of the coins was sold before the case stopped: the proceeds \(\d+(\.\d+)? USDT\) are at the venue/,
        );
        const amend = await refusal(
          handle,
          resolve('supervisor.wu', { path: 'AMEND', dispose: [{ asset: 'ETH', amount: '1' }] }),
        );
        expect(amend.message).toContain('resolution.path: AMEND is not possible: part of the coins was sold');
        const close = await refusal(handle, resolve('supervisor.wu', { path: 'CLOSE', handBackTo: 'CUSTODY' }));
        expect(close.message).toContain('resolution.path: CLOSE is not possible: part of the coins was sold');

        await handle.executeUpdate(decide, { args: [resolve('supervisor.wu', { path: 'RESUME' })] });
        await handle.executeUpdate(decide, { args: [resolve('supervisor.zhang', { path: 'RESUME' })] });
        const outcome = await finish(handle);

        expect(outcome.status).toBe('COMPLETED');
        expect(outcome.reconciliationBeforePayout?.ok).toBe(true);
        expect(outcome.reconciliation?.ok).toBe(true);
        // The coins that came back went out again and were sold; nothing was sold twice.
        const ids = outcome.sales.map((s) => s.clientOrderId);
        expect(new Set(ids).size).toBe(ids.length);
        const btcSold = outcome.sales
          .filter((s) => s.symbol === 'BTC/USDT')
          .reduce((t, s) => t.plus(s.filled), new Decimal(0));
        const btcBack = outcome.returns
          .filter((r) => r.asset === 'BTC')
          .reduce((t, r) => t.plus(r.amount), new Decimal(0));
        const firstCredit = new Decimal(held.transfers.find((t) => t.asset === 'BTC')?.credited ?? '0');
        const againCredit = new Decimal(outcome.transfers.find((t) => t.asset === 'BTC')?.credited ?? '0');
        // The second attempt's dust under the lot size is its own leftover (booked by the case); the first's went back.
        const btcLeft = outcome.leftovers
          .filter((l) => l.asset === 'BTC')
          .reduce((t, l) => t.plus(l.amount), new Decimal(0));
        expect(btcLeft.gt(0)).toBe(true);
        expect(btcSold.plus(btcLeft).toFixed()).toBe(firstCredit.minus(btcBack).plus(againCredit).toFixed());
        // Every USDT the coins brought, in both attempts, was sold for USD, and all the USD was wired out.
        const net = (symbol: string) =>
          outcome.sales
            .filter((s) => s.symbol === symbol)
            .reduce((t, s) => t.plus(s.cost).minus(s.fee), new Decimal(0));
        const usdtSold = outcome.sales
          .filter((s) => s.symbol === 'USDT/USD')
          .reduce((t, s) => t.plus(s.filled), new Decimal(0));
        const usdtLeft = outcome.leftovers
          .filter((l) => l.asset === 'USDT')
          .reduce((t, l) => t.plus(l.amount), new Decimal(0));
        expect(usdtSold.plus(usdtLeft).toFixed()).toBe(net('BTC/USDT').plus(net('ETH/USDT')).toFixed());
        const usdLeft = outcome.leftovers
          .filter((l) => l.asset === 'USD')
          .reduce((t, l) => t.plus(l.amount), new Decimal(0));
        expect(new Decimal(outcome.withdrawal?.amount ?? '0').plus(usdLeft).toFixed()).toBe(net('USDT/USD').toFixed());
        expect(outcome.holds?.[0]?.resolution?.outcome).toBe(
          'resumed at SALE under the disposal plan already approved (attempt 2)',
        );
      },
    );
  });

  test('AMEND: a new plan for part of the coins is approved again at DISPOSAL_PLAN; the rest stays in custody', async () => {
    await withHeldCase(async (handle, fake) => {
      const amend: HoldResolution = { path: 'AMEND', dispose: [{ asset: 'BTC', amount: '1' }] };
      await handle.executeUpdate(decide, { args: [resolve('supervisor.wu', amend)] });
      const second = await handle.executeUpdate(decide, { args: [resolve('supervisor.zhang', amend)] });
      expect(second.movesTo).toEqual({ stage: 'AUTHORISATION', status: 'RUNNING' });

      const asked = await until(handle, awaiting('DISPOSAL_PLAN'));
      // What the approvers sign is the amended plan.
      expect(asked.authorisationRequested?.assets).toEqual([{ asset: 'BTC', maxAmount: '1' }]);
      await handle.executeUpdate(decide, { args: [plan('supervisor.zhang')] });
      const outcome = await finish(handle);

      expect(outcome.status).toBe('COMPLETED');
      expect(outcome.reconciliation?.ok).toBe(true);
      expect(outcome.decisions.accepted.filter((d) => d.stage === 'DISPOSAL_PLAN')).toHaveLength(2);
      // At most 1 BTC is ever out of the case wallet: what the first attempt lost to fees comes off it.
      expect(outcome.transfers.map((t) => [t.asset, t.transfer?.amount])).toEqual([['BTC', '0.9998']]);
      expect(outcome.holds?.[0]?.resolution).toMatchObject({
        path: 'AMEND',
        dispose: [{ asset: 'BTC', amount: '1' }],
        outcome: 'the amended plan goes to DISPOSAL_PLAN for approval (attempt 2)',
      });
      // The ETH and the rest of the BTC stay in the case wallet.
      const ledger = await fake.getCustodyLedger(outcome.caseId);
      expect(ledger.balances).toEqual({ BTC: '0.25', ETH: '10.5' });
    });
  });

  test('CLOSE to CUSTODY: the case ends CLOSED with the coins in the case wallet, and the reconciliation accepts it', async () => {
    await withHeldCase(async (handle, fake) => {
      const close: HoldResolution = { path: 'CLOSE', handBackTo: 'CUSTODY' };
      await handle.executeUpdate(decide, { args: [resolve('supervisor.wu', close)] });
      const second = await handle.executeUpdate(decide, { args: [resolve('supervisor.zhang', close)] });
      expect(second.movesTo).toEqual({ stage: 'TRANSFER', status: 'CLOSED' });
      const outcome = await handle.result();

      expect(outcome.status).toBe('CLOSED');
      expect(outcome.reconciliation).toMatchObject({ ok: true, phase: 'closing' });
      expect(outcome.holds?.[0]?.resolution).toMatchObject({
        path: 'CLOSE',
        handBackTo: 'CUSTODY',
        outcome: 'closed with 1.2498 BTC, 10.5 ETH in the case wallet; reconciled',
      });
      expect(outcome.details).toContain('CLOSE (hand back to CUSTODY) approved by supervisor.wu and supervisor.zhang');
      expect(fake.placeSellOrder).not.toHaveBeenCalled();
      const ledger = await fake.getCustodyLedger(outcome.caseId);
      expect(ledger.balances).toEqual({ BTC: '1.2498', ETH: '10.5' });
    });
  });

  test('after the pay-out, books found wrong by the closing reconciliation: AMEND and CLOSE are refused (the money has left); once corrected, RESUME runs the reconciliation again and the case completes', async () => {
    const reg = registration();
    const fake = createFakeActivities();
    // After the remittance the exchange's statement shows one satoshi more deposited than custody sent,
    // until the record is corrected.
    let corrected = false;
    const real = fake.getExchangeStatement.getMockImplementation();
    fake.getExchangeStatement.mockImplementation(async (caseId: string) => {
      const statement = await real?.(caseId);
      if (!statement) throw new Error('no statement');
      const first = statement.deposits[0];
      if (first && !corrected && fake.requestRemittance.mock.calls.length > 0) {
        first.amount = new Decimal(first.amount).plus('0.00000001').toFixed();
      }
      return statement;
    });
    await heldCase(
      fake,
      reg,
      async (handle) => {
        await expect(finish(handle)).rejects.toThrow(/the case ended HELD: reconciliation failed: /);
      },
      async (handle, held) => {
        expect(held.stage).toBe('RECONCILIATION');
        expect(held.remittance).toBeDefined();
        expect(held.holds?.[0]?.options).toMatchObject({
          notAmendable: expect.stringContaining('the money has left the special account'),
          notClosable: expect.stringContaining('the money has left the special account'),
        });
        expect(held.holds?.[0]?.options.notResumable).toBeUndefined();
        expect(held.details).toContain('(RESUME)');

        const close = await refusal(handle, resolve('supervisor.wu', { path: 'CLOSE', handBackTo: 'CUSTODY' }));
        expect(close.message).toContain('resolution.path: CLOSE is not possible: the money has left');
        const amend = await refusal(
          handle,
          resolve('supervisor.wu', { path: 'AMEND', dispose: [{ asset: 'BTC', amount: '1' }] }),
        );
        expect(amend.message).toContain('resolution.path: AMEND is not possible: the money has left');

        corrected = true;
        await handle.executeUpdate(decide, { args: [resolve('supervisor.wu', { path: 'RESUME' })] });
        const second = await handle.executeUpdate(decide, { args: [resolve('supervisor.zhang', { path: 'RESUME' })] });
        expect(second.movesTo).toEqual({ stage: 'RECONCILIATION', status: 'RUNNING' });
        const outcome = await handle.result();

        expect(outcome.status).toBe('COMPLETED');
        expect(outcome.reconciliation).toMatchObject({ ok: true, phase: 'closing' });
        expect(outcome.holds?.[0]?.resolution?.outcome).toBe(
          'the closing reconciliation runs again on the corrected books (attempt 2)',
        );
        // Nothing was paid or moved twice: the resume only read the books again.
        expect(fake.requestRemittance).toHaveBeenCalledTimes(1);
        expect(fake.requestTransfer.mock.calls.every(([, key]) => !key.includes('attempt-2'))).toBe(true);
        expect(fake.placeSellOrder.mock.calls.every(([, key]) => !key.includes('attempt-2'))).toBe(true);
      },
    );
  });

  describe('past the sale, RESUME goes on with the money from the step the case stopped at; nothing is done twice', () => {
    /** A case run to a hold past the sale by `holdIt`, then resumed by two supervisors. */
    async function resumedPastTheSale(
      fake: Fake,
      reg: CaseRegistration,
      holdIt: (handle: CaseHandle) => Promise<void>,
      stage: string,
      then: (handle: CaseHandle) => Promise<CaseProgress>,
    ): Promise<CaseProgress> {
      return heldCase(fake, reg, holdIt, async (handle, held) => {
        expect(held.stage).toBe(stage);
        expect(held.holds?.[0]?.options.notResumable).toBeUndefined();
        expect(held.holds?.[0]?.options.notAmendable).toContain('the coins were sold: the money is');
        const close = await refusal(handle, resolve('supervisor.wu', { path: 'CLOSE', handBackTo: 'CUSTODY' }));
        expect(close.message).toContain('resolution.path: CLOSE is not possible: the coins were sold');
        await handle.executeUpdate(decide, { args: [resolve('supervisor.wu', { path: 'RESUME' })] });
        const second = await handle.executeUpdate(decide, {
          args: [resolve('supervisor.zhang', { path: 'RESUME' })],
        });
        expect(second.movesTo).toEqual({ stage, status: 'RUNNING' });
        const outcome = await then(handle);
        expect(outcome.status).toBe('COMPLETED');
        expect(outcome.reconciliation?.ok).toBe(true);
        expect(outcome.holds?.[0]?.resolution?.outcome).toBe(`resumed at ${stage} (attempt 2)`);
        // The coins were sold once and the fiat withdrawn once, under the first attempt's keys.
        const keys = [
          ...fake.requestTransfer.mock.calls.map(([, key]) => key),
          ...fake.placeSellOrder.mock.calls.map(([, key]) => key),
          ...fake.requestWithdrawal.mock.calls.map(([, key]) => key),
        ];
        expect(keys.some((k) => k.includes('attempt-'))).toBe(false);
        expect(fake.requestWithdrawal).toHaveBeenCalledTimes(1);
        expect(fake.createDeclaration).toHaveBeenCalledTimes(1);
        expect(fake.requestRemittance).toHaveBeenCalledTimes(1);
        expect(outcome.credits).toHaveLength(outcome.settlements.length);
        return outcome;
      });
    }

    test('WITHDRAWAL: a wire that did not arrive in time is waited for again (not asked for again)', async () => {
      const fake = createFakeActivities();
      let arrived = false;
      const real = fake.awaitWithdrawalCompleted.getMockImplementation();
      fake.awaitWithdrawalCompleted.mockImplementation(async (id: string) => {
        if (!arrived) throw ApplicationFailure.retryable('still processing', 'urn:vcdc:problem:not-yet');
        const w = await real?.(id);
        if (!w) throw new Error('no withdrawal');
        return w;
      });
      await resumedPastTheSale(
        fake,
        registration(),
        async () => {
          await env.sleep('6 days'); // past the wait's five days
        },
        'WITHDRAWAL',
        async (handle) => {
          arrived = true;
          return finish(handle);
        },
      );
    });

    test('FX: no decision on the declaration by its deadline; resumed, the same declaration is decided and settled', async () => {
      const fake = createFakeActivities();
      await resumedPastTheSale(
        fake,
        registration(),
        async (handle) => {
          await until(handle, awaiting('FX_DECLARATION'));
          await env.sleep('31 days');
        },
        'FX',
        finish,
      );
    });

    test('TREASURY: the pay-out rejected; resumed, the credits stand and the pay-out is asked again', async () => {
      const fake = createFakeActivities();
      await resumedPastTheSale(
        fake,
        registration(),
        async (handle) => {
          await until(handle, awaiting('FX_DECLARATION'));
          await handle.executeUpdate(decide, { args: [fxApproval()] });
          await settleAt(handle);
          await until(handle, awaiting('REMITTANCE'));
          await handle.executeUpdate(decide, {
            args: [
              {
                stage: 'REMITTANCE',
                outcome: 'REJECT',
                decidedBy: 'supervisor.zhang',
                role: 'supervisor',
                reason: 'the budget code is being confirmed',
                decidedAt: at,
              },
            ],
          });
        },
        'TREASURY',
        async (handle) => {
          await until(handle, awaiting('REMITTANCE'));
          await handle.executeUpdate(decide, { args: [remittanceApproval()] });
          return handle.result();
        },
      );
      expect(fake.recordCredit.mock.calls.length).toBe(1);
    });
  });

  describe('CLOSE to the OWNER (acquittal): custody hands every unit back to the addresses the two supervisors signed', () => {
    const owner = (addresses: Array<{ asset: 'BTC' | 'ETH' | 'USDT'; address: string }>): HoldResolution => ({
      path: 'CLOSE',
      handBackTo: 'OWNER',
      owner: { courtOrder: '(2026) Jing 0105 Xing Chu 1234', name: 'Li Ming', addresses },
    });
    const btc = { asset: 'BTC', address: 'bc1qowner0000000000000000000000000000000' } as const;
    const eth = { asset: 'ETH', address: '0x00000000000000000000000000000000000000aa' } as const;
    const both = owner([btc, eth]);

    test('each asset goes to its named address, the ledger books OWNER_RETURN, the wallet is empty and the closing reconciliation accepts it', async () => {
      await withHeldCase(async (handle, fake) => {
        // Every asset custody holds must be named; an asset it does not hold may not be.
        const onlyBtc = await refusal(handle, resolve('supervisor.wu', owner([btc])));
        expect(onlyBtc.message).toContain(
          "resolution.owner.addresses: custody holds 10.5 ETH for the case; name the owner's ETH address",
        );
        const usdt = await refusal(
          handle,
          resolve(
            'supervisor.wu',
            owner([btc, eth, { asset: 'USDT', address: '0x00000000000000000000000000000000000000bb' }]),
          ),
        );
        expect(usdt.message).toContain('resolution.owner.addresses[2].asset: custody holds no USDT for the case');

        await handle.executeUpdate(decide, { args: [resolve('supervisor.wu', both)] });
        const second = await handle.executeUpdate(decide, { args: [resolve('supervisor.zhang', both)] });
        expect(second.movesTo).toEqual({ stage: 'TRANSFER', status: 'CLOSED' });
        const outcome = await handle.result();

        expect(outcome.status).toBe('CLOSED');
        const sent = fake.requestTransfer.mock.calls.map(([body]) => body).filter((b) => b.purpose === 'OWNER_RETURN');
        expect(sent.map((b) => [b.asset, b.toAddress, b.amount])).toEqual([
          ['BTC', 'bc1qowner0000000000000000000000000000000', '1.2498'],
          ['ETH', '0x00000000000000000000000000000000000000aa', '10.5'],
        ]);
        // Custody is shown both supervisors' approvals, each with the resolution it signed.
        for (const b of sent) {
          expect(b.approvals?.map((d) => [d.stage, d.decidedBy, d.resolution])).toEqual([
            ['HOLD_RESOLUTION', 'supervisor.wu', both],
            ['HOLD_RESOLUTION', 'supervisor.zhang', both],
          ]);
        }
        const ledger = await fake.getCustodyLedger(outcome.caseId);
        expect(ledger.balances).toEqual({ BTC: '0', ETH: '0' });
        expect(ledger.entries.filter((e) => e.kind === 'OWNER_RETURN').map((e) => [e.asset, e.amount])).toEqual([
          ['BTC', '-1.2497'],
          ['ETH', '-10.49958'],
        ]);
        expect(outcome.reconciliation).toMatchObject({ ok: true, phase: 'closing' });
        expect(outcome.reconciliation?.checks.map((c) => c.name)).toEqual(
          expect.arrayContaining([
            'custody BTC: received = transferred + handed back to the owner + network fees + balance',
            'custody BTC: handed back to the owner, the case wallet is empty',
            'custody ETH: handed back to the owner, the case wallet is empty',
          ]),
        );
        const hold = outcome.holds?.[0];
        expect(hold?.handBack).toMatchObject({
          courtOrder: '(2026) Jing 0105 Xing Chu 1234',
          name: 'Li Ming',
          transfers: [
            { asset: 'BTC', netAmount: '1.2497', status: 'CONFIRMED' },
            { asset: 'ETH', netAmount: '10.49958', status: 'CONFIRMED' },
          ],
        });
        expect(hold?.resolution?.outcome).toMatch(
          /^closed: 1\.2497 BTC to bc1qowner.* handed back to Li Ming on \(2026\) Jing 0105 Xing Chu 1234; reconciled$/,
        );
        expect(fake.placeSellOrder).not.toHaveBeenCalled();
      });
    });

    test('custody refuses the hand-back: the case stays HELD saying why, nothing is sent twice, and a second CLOSE finishes it', async () => {
      await withHeldCase(async (handle, fake) => {
        const real = fake.requestTransfer.getMockImplementation();
        let refuseEth = true;
        fake.requestTransfer.mockImplementation(async (body, key) => {
          if (body.purpose === 'OWNER_RETURN' && body.asset === 'ETH' && refuseEth) {
            refuseEth = false;
            throw ApplicationFailure.nonRetryable('the chain is paused', 'urn:vcdc:problem:chain-unavailable-test', {
              status: 403,
            });
          }
          return real!(body, key);
        });
        await handle.executeUpdate(decide, { args: [resolve('supervisor.wu', both)] });
        await handle.executeUpdate(decide, { args: [resolve('supervisor.zhang', both)] });
        const held = await until(handle, (p) => p.status === 'HELD' && p.holds?.[0]?.resolution?.outcome !== undefined);
        expect(held.holds?.[0]?.resolution?.outcome).toContain(
          'not closed: custody did not hand back the ETH: the chain is paused',
        );
        expect(held.holds?.[0]?.handBack?.transfers.map((t) => [t.asset, t.status])).toEqual([['BTC', 'CONFIRMED']]);
        const partly = await fake.getCustodyLedger(held.caseId);
        expect(partly.balances).toEqual({ BTC: '0', ETH: '10.5' });

        // What went back cannot come back: only CLOSE to the OWNER is open now.
        const again = await until(handle, heldForResolution);
        expect(again.awaiting?.what).toContain('(CLOSE to OWNER)');
        const toCustody = await refusal(handle, resolve('supervisor.wu', { path: 'CLOSE', handBackTo: 'CUSTODY' }));
        expect(toCustody.message).toContain(
          'resolution.handBackTo: CUSTODY is not possible: 1.2497 BTC already went back to the owner',
        );
        expect((await refusal(handle, resolve('supervisor.wu', { path: 'RESUME' }))).message).toContain(
          'resolution.path: RESUME is not possible',
        );
        // Asked again: the BTC already sent is not sent again; the ETH goes now.
        await handle.executeUpdate(decide, { args: [resolve('supervisor.wu', both)] });
        await handle.executeUpdate(decide, { args: [resolve('supervisor.zhang', both)] });
        const outcome = await handle.result();
        expect(outcome.status).toBe('CLOSED');
        const sent = fake.requestTransfer.mock.calls.map(([b]) => b).filter((b) => b.purpose === 'OWNER_RETURN');
        expect(sent.map((b) => b.asset)).toEqual(['BTC', 'ETH', 'ETH']);
        expect(outcome.reconciliation).toMatchObject({ ok: true });
        const ledger = await fake.getCustodyLedger(outcome.caseId);
        expect(ledger.entries.filter((e) => e.kind === 'OWNER_RETURN')).toHaveLength(2);
      });
    });
  });
});
