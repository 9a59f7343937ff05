/**
 * The case workflow's waits, decisions, compensation and cancellation on the time-skipping test
 * server (days pass at once while a test awaits a result), with the fake services: reminders and
 * escalation before a deadline, a discrepancy ruled on, a price-band breach continued or stopped,
 * a venue refusal, a held deposit, and a cancellation at each stage, each ending in its safe state.
 */
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { Decimal } from '@vcdc/shared/money';
import type { CaseRegistration } from '../src/workflow/case-input';
import type { CaseProgress } from '../src/workflow/case-state';
import type { Decision } from '../src/workflow/decision';
import { decide, status } from '../src/workflow/shared';
import {
  awaiting,
  bundleCaseWorkflows,
  type CaseHandle,
  DECISIONS,
  decideAt,
  heldForResolution,
  outcomeOf,
  runCase,
  settleAt,
  startCaseTestServer,
  until,
} from './case-support';
import { createFakeActivities, type FakeOptions, sampleRegistration } from './fake-services';

// Each case runs to its end on the time-skipping server while the engine's slices take real seconds:
// a minute is usually plenty, but not on a machine that is busy with something else.
jest.setTimeout(180_000);

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, bundle] = await Promise.all([startCaseTestServer(), bundleCaseWorkflows()]);
}, 180_000);

afterAll(async () => {
  await env?.teardown();
});

type Fake = ReturnType<typeof createFakeActivities>;

function registration(overrides: Record<string, unknown> = {}): CaseRegistration {
  return sampleRegistration(`W-${randomUUID().slice(0, 8)}`, overrides) as CaseRegistration;
}

/** Run a case with the fake services (`runCase` ends it if the test left it waiting). */
function withCase<T>(
  reg: CaseRegistration,
  body: (h: CaseHandle, fake: Fake) => Promise<T>,
  opts: FakeOptions = {},
  fake: Fake = createFakeActivities(opts),
) {
  return runCase(env, bundle, reg, fake, (h) => body(h, fake), `waits-${randomUUID()}`);
}

const at = '2026-01-05T09:00:00Z';
const supervisor = (stage: Decision['stage'], outcome: Decision['outcome'], reason?: string): Decision => ({
  stage,
  outcome,
  decidedBy: 'supervisor.zhou',
  role: 'supervisor',
  decidedAt: at,
  ...(reason ? { reason } : {}),
});
const cancel = (reason = 'the legal basis was revoked on appeal'): Decision =>
  supervisor('CANCELLATION', 'APPROVE', reason);

// The held case's own wait for its resolution reminds too (as the time-skipping server jumps it): not these tests' subject.
const notified = (fake: Fake) =>
  fake.notify.mock.calls
    .filter(([n]) => n.stage !== 'HOLD_RESOLUTION')
    .map(([n]) => [n.kind, n.toRole, n.stage ?? null]);

describe('waits: reminder, escalation, final deadline', () => {
  test('nobody decides the plan: reminded, escalated to the senior supervisor, held at the deadline with the assets in custody', async () => {
    const reg = registration({
      deadlines: { waits: { DISPOSAL_PLAN: { remindAfter: '1d', escalateAfter: '2d', deadline: '3d' } } },
    });
    await withCase(reg, async (handle, fake) => {
      const waiting = await until(handle, awaiting('DISPOSAL_PLAN'));
      expect(waiting.awaiting).toMatchObject({ role: 'supervisor', escalateTo: 'senior-supervisor' });
      const since = Date.parse(waiting.awaiting?.since ?? '');
      expect(Date.parse(waiting.awaiting?.remindAt ?? '') - since).toBe(86_400_000);
      expect(Date.parse(waiting.awaiting?.escalateAt ?? '') - since).toBe(2 * 86_400_000);
      expect(Date.parse(waiting.awaiting?.deadline ?? '') - since).toBe(3 * 86_400_000);
      const described = await handle.describe();
      expect(described.searchAttributes).toMatchObject({
        PendingDecision: ['DISPOSAL_PLAN'],
        PendingRole: ['supervisor'],
      });

      const outcome = await outcomeOf(handle);
      expect(outcome.status).toBe('HELD');
      expect(outcome.reason).toContain('no decision on the disposal plan within 3 days; the assets stay in custody');
      expect(notified(fake)).toEqual([
        ['REMINDER', 'supervisor', 'DISPOSAL_PLAN'],
        ['ESCALATION', 'senior-supervisor', 'DISPOSAL_PLAN'],
        ['DEADLINE_PASSED', 'senior-supervisor', 'DISPOSAL_PLAN'],
        ['CASE_HELD', 'supervisor', null],
      ]);
      expect(fake.requestTransfer).not.toHaveBeenCalled();
      // No decision of the case's disposal is pending any more: the held case waits for its resolution.
      expect(((await handle.describe()).searchAttributes.PendingDecision ?? []).filter(Boolean)).toEqual([
        'HOLD_RESOLUTION',
      ]);
    });
  });

  test('a decision before the reminder sends no notification and moves the case', async () => {
    const reg = registration();
    await withCase(reg, async (handle, fake) => {
      await decideAt(handle, DECISIONS.plan);
      await until(handle, awaiting('FX_DECLARATION'));
      expect(fake.notify).not.toHaveBeenCalled();
    });
  });
});

describe('intake discrepancy', () => {
  test('accepted: once custody has the difference classified and countersigned, the case goes on with what was received', async () => {
    const reg = registration();
    await withCase(
      reg,
      async (handle, fake) => {
        const p = await until(handle, awaiting('INTAKE_DISCREPANCY'));
        expect(p.awaiting?.what).toContain('lot L1 declared 1.25 BTC, received 1.2');
        await handle.executeUpdate(decide, { args: [supervisor('INTAKE_DISCREPANCY', 'APPROVE')] });
        // Not final yet: the case waits at custody, nothing moves.
        const waiting = await until(handle, (s) =>
          s.details.includes('classify and countersign the difference of lot L1'),
        );
        expect(waiting.stage).toBe('INTAKE');
        const intakeId = waiting.intakes.find((i) => i.lotId === 'L1')?.intakeId ?? '';
        // The custodians' side, as custody takes it: classified, then countersigned by both.
        await fake.classifyIntakeDifference(
          intakeId,
          { classification: 'SHORT_DELIVERY', explanation: 'the suspect wallet held less', amount: '0.05' },
          'test/classify',
        );
        await fake.countersignIntakeDifference(intakeId, { role: 'handing-officer' }, 'test/cs1');
        await fake.countersignIntakeDifference(intakeId, { role: 'custodian' }, 'test/cs2');
        const plan = await until(handle, awaiting('DISPOSAL_PLAN'));
        expect(plan.intakes.find((i) => i.lotId === 'L1')?.final).toBe(true);
        expect(fake.requestTransfer).not.toHaveBeenCalled();
      },
      { received: { L1: '1.2' } },
    );
  });

  test('refused: the case is held with the coins in custody', async () => {
    const reg = registration();
    await withCase(
      reg,
      async (handle, fake) => {
        await until(handle, awaiting('INTAKE_DISCREPANCY'));
        await handle.executeUpdate(decide, {
          args: [supervisor('INTAKE_DISCREPANCY', 'REJECT', 'the sweep must be investigated')],
        });
        const outcome = await outcomeOf(handle);
        expect(outcome.status).toBe('HELD');
        expect(outcome.reason).toContain(
          'held by supervisor.zhou: the sweep must be investigated; the coins stay in custody',
        );
        expect(fake.requestTransfer).not.toHaveBeenCalled();
      },
      { received: { L1: '1.2' } },
    );
  });
});

describe('sale: price band, legal floor, venue refusal', () => {
  // The first reference is the arrival price; the third falls 10% under it, out of the 3% band.
  const falling = { referencePrices: { 'BTC/USDT': ['61234.56', '61234.56', '55000'] } };

  test('a band breach pauses for SALE_PRICE; continue sells the rest from a new arrival price', async () => {
    const reg = registration();
    await withCase(
      reg,
      async (handle) => {
        await decideAt(handle, DECISIONS.plan);
        const paused = await until(handle, awaiting('SALE_PRICE'));
        expect(paused.awaiting?.what).toContain('PRICE_BAND');
        const soldBefore = paused.sales.filter((s) => s.symbol === 'BTC/USDT').length;
        expect(soldBefore).toBe(1);
        // The round as the console charts it: its band (300 bp under the arrival price), and the pause, open.
        const [first] = paused.saleRounds ?? [];
        expect(first).toEqual(
          expect.objectContaining({
            symbol: 'BTC/USDT',
            round: 1,
            arrivalPrice: '61234.56',
            band: { bp: '300', lowest: '59397.5232' },
            floor: null,
            status: 'PAUSED',
            breach: expect.objectContaining({ kind: 'PRICE_BAND' }),
            orders: 1,
            pause: { why: expect.stringContaining('PRICE_BAND') },
          }),
        );
        expect(first?.endedAt).toBe(paused.awaiting?.since);
        await handle.executeUpdate(decide, { args: [supervisor('SALE_PRICE', 'APPROVE')] });
        await decideAt(handle, DECISIONS.fx);
        await settleAt(handle);
        await decideAt(handle, DECISIONS.remit);
        const outcome = await outcomeOf(handle);
        expect(outcome.status).toBe('COMPLETED');
        const btc = outcome.sales.filter((s) => s.symbol === 'BTC/USDT');
        const sold = btc.reduce((s, leg) => s.plus(leg.filled), new Decimal(0));
        expect(sold.toFixed()).toBe(outcome.transfers[0]?.credited);
        // After the decision every slice was priced from the new reference, none from the old one.
        expect(btc.slice(1).every((leg) => leg.reference === '55000')).toBe(true);
        expect(outcome.reconciliation?.ok).toBe(true);
        // The pause closed when the supervisor let the sale go on; the next round sold from the new arrival price.
        const rounds = (outcome.saleRounds ?? []).filter((r) => r.symbol === 'BTC/USDT');
        const decided = outcome.decisions.accepted.find((d) => d.stage === 'SALE_PRICE');
        expect(rounds[0]?.pause).toEqual(
          expect.objectContaining({ outcome: 'APPROVE', decidedBy: decided?.decidedBy, until: expect.any(String) }),
        );
        expect((rounds[0]?.pause?.until as string) >= (rounds[0]?.endedAt as string)).toBe(true);
        expect(rounds[1]).toEqual(expect.objectContaining({ round: 2, arrivalPrice: '55000', status: 'COMPLETED' }));
        expect(rounds.reduce((n, r) => n + r.orders, 0)).toBe(btc.length);
      },
      // One more reference first: the case values its coins before it sells, to see that its fiat could
      // leave the venue (case-sale.ts, the minimum wire); then the arrival price, a slice sold, the fall.
      { referencePrices: { 'BTC/USDT': ['61234.56', ...falling.referencePrices['BTC/USDT']] } },
    );
  });

  test('a band breach stopped by the supervisor returns the unsold coins to custody and holds the case', async () => {
    const reg = registration();
    await withCase(
      reg,
      async (handle, fake) => {
        await decideAt(handle, DECISIONS.plan);
        await until(handle, awaiting('SALE_PRICE'));
        await handle.executeUpdate(decide, { args: [supervisor('SALE_PRICE', 'REJECT', 'wait for a calmer market')] });
        const outcome = await outcomeOf(handle);
        expect(outcome.status).toBe('HELD');
        expect(outcome.stage).toBe('SALE');
        const soldBtc = outcome.sales.reduce((s, leg) => s.plus(leg.filled), new Decimal(0));
        const returned = outcome.returns.filter((r) => r.asset === 'BTC' && r.status === 'RECEIVED');
        const returnedBtc = returned.reduce((s, r) => s.plus(r.amount), new Decimal(0));
        expect(returnedBtc.plus(soldBtc).toFixed()).toBe(outcome.transfers[0]?.credited);
        // ETH was never sold: all of it went back, each transfer's share under its own key.
        const eth = outcome.returns.filter((r) => r.asset === 'ETH' && r.status === 'RECEIVED');
        expect(eth.reduce((s, r) => s.plus(r.amount), new Decimal(0)).toFixed()).toBe(outcome.transfers[1]?.credited);
        expect(new Set(fake.requestVenueReturn.mock.calls.map(([, key]) => key)).size).toBe(
          fake.requestVenueReturn.mock.calls.length,
        );
        const ledger = await fake.getCustodyLedger(reg.caseId);
        expect(ledger.entries.filter((e) => e.kind === 'RETURN').length).toBe(returned.length + eth.length);
        expect(outcome.reason).toContain('returned to custody');
        expect(notified(fake)).toContainEqual(['CASE_HELD', 'supervisor', null]);
      },
      falling,
    );
  });

  test('under the legal floor nothing is placed below it: the engine pauses and no fill is under the floor', async () => {
    const reg = registration();
    await withCase(
      reg,
      async (handle) => {
        await decideAt(handle, DECISIONS.plan);
        const paused = await until(handle, awaiting('SALE_PRICE'));
        expect(paused.awaiting?.what).toContain('FLOOR');
        for (const leg of paused.sales) expect(new Decimal(leg.limitPrice).gte('60000')).toBe(true);
        expect(paused.saleRounds?.[0]).toEqual(
          expect.objectContaining({
            floor: '60000',
            status: 'PAUSED',
            breach: expect.objectContaining({ kind: 'FLOOR' }),
          }),
        );
      },
      { floor: { 'BTC/USDT': '60000' }, referencePrices: { 'BTC/USDT': ['61234.56', '61234.56', '59000'] } },
    );
  });

  test('the venue refuses every order: the sale pauses for a decision, a stop returns the coins and holds the case', async () => {
    const reg = registration();
    const fake = createFakeActivities();
    fake.placeSellOrder.mockRejectedValue(
      ApplicationFailure.nonRetryable(
        'market closed for professional investors only',
        'urn:vcdc:problem:market-refused',
      ),
    );
    await withCase(
      reg,
      async (handle) => {
        await decideAt(handle, DECISIONS.plan);
        const paused = await until(handle, awaiting('SALE_PRICE'));
        expect(paused.awaiting?.what).toContain('REFUSED: urn:vcdc:problem:market-refused');
        await handle.executeUpdate(decide, {
          args: [supervisor('SALE_PRICE', 'REJECT', 'the venue refuses the market')],
        });
        const outcome = await outcomeOf(handle);
        expect(outcome.status).toBe('HELD');
        expect(fake.placeSellOrder).toHaveBeenCalledTimes(1); // a refusal is not retried
        const back = outcome.returns.filter((r) => r.status === 'RECEIVED');
        expect(back.map((r) => r.asset).sort()).toEqual(['BTC', 'BTC', 'ETH', 'ETH']);
        expect(outcome.sales).toEqual([]);
      },
      {},
      fake,
    );
  });
});

describe("cancellation at each stage: unwound to that stage's safe state", () => {
  const notYet = () => ApplicationFailure.retryable('not yet', 'urn:vcdc:activity:not-yet');
  test.each([
    {
      stage: 'INTAKE',
      arrange: (fake: Fake) => fake.recordIntake.mockRejectedValue(notYet()),
      reach: async (h: CaseHandle) => until(h, (p) => p.stage === 'INTAKE' && p.status === 'RUNNING'),
      safe: (o: CaseProgress, fake: Fake) => {
        expect(fake.requestTransfer).not.toHaveBeenCalled();
        expect(o.returns).toEqual([]);
      },
    },
    {
      stage: 'TRANSFER',
      arrange: (fake: Fake) => {
        const real = fake.getVenueDeposit.getMockImplementation();
        fake.getVenueDeposit.mockImplementation(async (q) => {
          const d = await real?.(q);
          if (!d) throw new Error('no deposit');
          return { ...d, status: 'PENDING' as const };
        });
      },
      reach: async (h: CaseHandle) => {
        await decideAt(h, DECISIONS.plan);
        return until(h, (p) => p.details.startsWith('waiting for hashkey to credit'));
      },
      // The test deposit already left custody: it is asked back and booked into the case wallet.
      safe: (o: CaseProgress) => {
        expect(o.returns.map((r) => [r.asset, r.status])).toEqual([['BTC', 'RECEIVED']]);
        expect(o.sales).toEqual([]);
      },
    },
    {
      stage: 'WITHDRAWAL',
      arrange: (fake: Fake) => fake.awaitWithdrawalCompleted.mockRejectedValue(notYet()),
      reach: async (h: CaseHandle) => {
        await decideAt(h, DECISIONS.plan);
        return until(h, (p) => p.stage === 'WITHDRAWAL' && p.status === 'RUNNING');
      },
      // Sold: the fiat goes on to the offshore account, nothing is returned to custody.
      safe: (o: CaseProgress) => {
        expect(o.returns).toEqual([]);
        expect(o.declaration).toBeUndefined();
      },
    },
    {
      stage: 'TREASURY',
      arrange: () => undefined,
      reach: async (h: CaseHandle) => {
        await decideAt(h, DECISIONS.plan);
        await decideAt(h, DECISIONS.fx);
        await settleAt(h);
        return until(h, awaiting('REMITTANCE'));
      },
      // The CNY stays in the special account: nothing paid out.
      safe: (o: CaseProgress, fake: Fake) => {
        expect(o.remittance).toBeUndefined();
        expect(fake.requestRemittance).not.toHaveBeenCalled();
      },
    },
  ])('$stage', async ({ stage, arrange, reach, safe }) => {
    const fake = createFakeActivities();
    arrange(fake);
    await withCase(
      registration(),
      async (handle) => {
        await reach(handle);
        const answer = await handle.executeUpdate(decide, { args: [cancel()] });
        expect(answer.movesTo.status).toBe('CANCELLED');
        const outcome = await outcomeOf(handle);
        expect(outcome.status).toBe('CANCELLED');
        expect(outcome.stage).toBe(stage);
        expect(outcome.cancellation?.stage).toBe(stage);
        safe(outcome, fake);
      },
      {},
      fake,
    );
  });

  test('a price-band wait that reaches its deadline holds the case with the unsold coins back in custody', async () => {
    const reg = registration();
    await withCase(
      reg,
      async (handle) => {
        await decideAt(handle, DECISIONS.plan);
        await until(handle, awaiting('SALE_PRICE'));
        // Nobody decides: the 2-day deadline passes. Time is moved by hand, not by waiting on the result: a
        // held case then waits for its resolution with no timer left, and a result waiter would let the
        // time-skipping server jump its clock past any end (the run "timed out" in virtual time).
        await env.sleep('2 days');
        await env.sleep('1 hour');
        const outcome = await until(handle, heldForResolution);
        expect(outcome.status).toBe('HELD');
        expect(outcome.reason).toContain('no decision within 2 days');
        const eth = outcome.returns.filter((r) => r.asset === 'ETH' && r.status === 'RECEIVED');
        expect(eth.reduce((s, r) => s.plus(r.amount), new Decimal(0)).toFixed()).toBe(outcome.transfers[1]?.credited);
      },
      { referencePrices: { 'BTC/USDT': ['61234.56', '61234.56', '55000'] } },
    );
  });
});

describe('cancellation', () => {
  test('while the plan is awaited: CANCELLED with the assets in custody, nothing transferred', async () => {
    const reg = registration();
    await withCase(reg, async (handle, fake) => {
      await until(handle, awaiting('DISPOSAL_PLAN'));
      const answer = await handle.executeUpdate(decide, { args: [cancel()] });
      expect(answer.movesTo).toEqual({ stage: 'AUTHORISATION', status: 'CANCELLED' });
      const outcome = await outcomeOf(handle);
      expect(outcome.status).toBe('CANCELLED');
      expect(outcome.reason).toBe(
        'cancelled at AUTHORISATION by supervisor.zhou: the legal basis was revoked on appeal',
      );
      expect(outcome.cancellation).toMatchObject({ decidedBy: 'supervisor.zhou', stage: 'AUTHORISATION' });
      expect(fake.requestTransfer).not.toHaveBeenCalled();
      expect(notified(fake)).toContainEqual(['CASE_CANCELLED', 'supervisor', null]);
    });
  });

  test('during the sale: the engine stops at the venue and the unsold coins come back to custody', async () => {
    const reg = registration();
    await withCase(
      reg,
      async (handle) => {
        await decideAt(handle, DECISIONS.plan);
        await until(handle, awaiting('SALE_PRICE'));
        await handle.executeUpdate(decide, { args: [cancel()] });
        const outcome = await outcomeOf(handle);
        expect(outcome.status).toBe('CANCELLED');
        expect(outcome.stage).toBe('SALE');
        expect(outcome.returns.filter((r) => r.status === 'RECEIVED').length).toBeGreaterThan(0);
        expect(outcome.compensations).toEqual([]);
      },
      { referencePrices: { 'BTC/USDT': ['61234.56', '61234.56', '55000'] } },
    );
  });

  test('at the FX stage: the money stays in the offshore account', async () => {
    const reg = registration();
    await withCase(reg, async (handle) => {
      await decideAt(handle, DECISIONS.plan);
      await until(handle, awaiting('FX_DECLARATION'));
      await handle.executeUpdate(decide, { args: [cancel()] });
      const outcome = await outcomeOf(handle);
      expect(outcome.status).toBe('CANCELLED');
      expect(outcome.stage).toBe('FX');
      expect(outcome.returns).toEqual([]);
      expect(outcome.settlements).toEqual([]);
    });
  });

  test('a cancellation by the requester, or after the case ended, is refused', async () => {
    const reg = registration();
    await withCase(reg, async (handle) => {
      await until(handle, awaiting('DISPOSAL_PLAN'));
      await expect(
        handle.executeUpdate(decide, { args: [{ ...cancel(), decidedBy: reg.requestedBy }] }),
      ).rejects.toHaveProperty('cause.type', 'four-eyes');
      await handle.executeUpdate(decide, { args: [DECISIONS.planReject] });
      await outcomeOf(handle);
      expect((await handle.query(status)).status).toBe('REJECTED');
    });
  });
});

describe('a deposit the venue refuses', () => {
  test('holds the case and brings what was sent back into the case wallet', async () => {
    const fake = createFakeActivities();
    const real = fake.getVenueDeposit.getMockImplementation();
    fake.getVenueDeposit.mockImplementation(async (q) => {
      const d = await real?.(q);
      if (!d) throw new Error('no deposit');
      return { ...d, status: 'FAILED' as const };
    });
    await withCase(
      registration(),
      async (handle) => {
        await decideAt(handle, DECISIONS.plan);
        const outcome = await outcomeOf(handle);
        expect(outcome.status).toBe('HELD');
        expect(outcome.stage).toBe('TRANSFER');
        expect(outcome.reason).toContain('the venue refused the BTC deposit');
        expect(outcome.returns.map((r) => [r.asset, r.status])).toEqual([['BTC', 'RECEIVED']]);
        expect(fake.placeSellOrder).not.toHaveBeenCalled();
      },
      {},
      fake,
    );
  });
});

describe('deposits the venue holds for review', () => {
  test('are waited out without resending, escalated after the configured time, and the case resumes when credited', async () => {
    const reg = registration({ deadlines: { depositHoldEscalateAfter: '1h' } });
    const fake = createFakeActivities();
    const real = fake.getVenueDeposit.getMockImplementation();
    let polls = 0;
    fake.getVenueDeposit.mockImplementation(async (q) => {
      const d = await real?.(q);
      if (!d) throw new Error('no deposit');
      polls += 1;
      // Fourteen polls backing off from 1 s to 30 min: about two hours held, past the 1 h escalation.
      return polls < 15 ? { ...d, status: 'HELD' as const, holdReason: 'AML review of seized coins' } : d;
    });
    await withCase(
      reg,
      async (handle) => {
        await decideAt(handle, DECISIONS.plan);
        await until(handle, (s) => s.transfers[0]?.hold !== undefined);
        // The hold lasts hours: the test server skips them once the case is polling the venue.
        await env.sleep('4 hours');
        const p = await until(handle, (s) => s.transfers[0]?.hold?.releasedAt !== undefined);
        expect(p.transfers[0]?.hold).toMatchObject({ reason: 'AML review of seized coins' });
        expect(p.transfers[0]?.hold?.escalated).toBeDefined();
        expect(notified(fake)).toContainEqual(['DEPOSIT_HELD', 'supervisor', null]);
        // The held test deposit was waited for, never sent again.
        expect(
          fake.requestTransfer.mock.calls.filter(([b]) => b.purpose === 'TEST_DEPOSIT' && b.asset === 'BTC').length,
        ).toBe(1);
      },
      {},
      fake,
    );
  });
});

describe('polls follow the answer, not a fixed timer (issue 18)', () => {
  type Event = Awaited<ReturnType<CaseHandle['fetchHistory']>>['events'] extends (infer E)[] | null | undefined
    ? E
    : never;
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
    Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
  const typeOf = (events: Event[], scheduledEventId: unknown) =>
    events.find((e) => String(e.eventId) === String(scheduledEventId))?.activityTaskScheduledEventAttributes
      ?.activityType?.name;

  test('a venue deposit credited after the first poll, and a bank withdrawal completed after the first, are each seen about a second later', async () => {
    const fake = createFakeActivities();
    // The venue has not credited a deposit at its first poll; it has by the next.
    const realDeposit = fake.getVenueDeposit.getMockImplementation();
    const polled = new Set<string>();
    fake.getVenueDeposit.mockImplementation(async (q) => {
      const d = await realDeposit?.(q);
      if (!d) throw new Error('no deposit');
      if (polled.has(q.txHash)) return d;
      polled.add(q.txHash);
      return { ...d, status: 'PENDING' as const };
    });
    // The bank has not completed the withdrawal at the first poll; it has by the next.
    const realWithdrawal = fake.awaitWithdrawalCompleted.getMockImplementation();
    let withdrawalPolls = 0;
    fake.awaitWithdrawalCompleted.mockImplementation(async (withdrawalId) => {
      withdrawalPolls += 1;
      if (withdrawalPolls === 1) throw ApplicationFailure.retryable('pending at the bank', 'urn:vcdc:activity:not-yet');
      const w = await realWithdrawal?.(withdrawalId);
      if (!w) throw new Error('no withdrawal');
      return w;
    });
    await withCase(
      registration(),
      async (handle) => {
        await decideAt(handle, DECISIONS.plan);
        await until(handle, awaiting('FX_DECLARATION'));
        const events = ((await handle.fetchHistory()).events ?? []) as Event[];

        // Each pause between a deposit poll that saw PENDING and the next is one second, not ten.
        const pauses: Array<{ setMs: number; tookMs: number }> = [];
        let afterDepositPoll = false;
        for (const e of events) {
          const done = e.activityTaskCompletedEventAttributes;
          if (done) afterDepositPoll = typeOf(events, done.scheduledEventId) === 'getVenueDeposit';
          const timer = e.timerStartedEventAttributes;
          if (timer && afterDepositPoll) {
            const fired = events.find((f) => String(f.timerFiredEventAttributes?.startedEventId) === String(e.eventId));
            pauses.push({ setMs: ms(timer.startToFireTimeout), tookMs: ms(fired?.eventTime) - ms(e.eventTime) });
          }
        }
        expect(polled.size).toBeGreaterThan(0);
        expect(pauses.length).toBeGreaterThanOrEqual(polled.size);
        for (const pause of pauses) {
          expect(pause.setMs).toBe(1000);
          expect(pause.tookMs).toBeLessThan(5000);
        }

        // The withdrawal's second poll comes a second after its first, not thirty.
        const scheduled = events.find(
          (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'awaitWithdrawalCompleted',
        );
        const completed = events.find(
          (e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === String(scheduled?.eventId),
        );
        const started = events.find(
          (e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(scheduled?.eventId),
        );
        expect(ms(scheduled?.activityTaskScheduledEventAttributes?.retryPolicy?.initialInterval)).toBe(1000);
        expect(started?.activityTaskStartedEventAttributes?.attempt).toBe(2);
        expect(ms(completed?.eventTime) - ms(scheduled?.eventTime)).toBeLessThan(5000);
      },
      {},
      fake,
    );
  });
  test("an approved venue address in its cooling-off is looked at again just after the entry's activeFrom, not at the next back-off", async () => {
    const fake = createFakeActivities();
    const real = fake.findWhitelistEntries.getMockImplementation();
    // Each address is approved at its first look, ACTIVE 3 s later (on the workflow's clock, which the
    // time-skipping server may have moved ahead of the machine's).
    const activeFrom = new Map<string, number>();
    const looks = new Map<string, number>();
    fake.findWhitelistEntries.mockImplementation(async (q) => {
      const answer = await real?.(q);
      if (!answer) throw new Error('no entries');
      const now = Context.current().info.currentAttemptScheduledTimestampMs;
      looks.set(q.address, (looks.get(q.address) ?? 0) + 1);
      const from = activeFrom.get(q.address) ?? now + 3000;
      activeFrom.set(q.address, from);
      if (now >= from) return answer;
      return {
        entries: answer.entries.map((e) => ({
          ...e,
          status: 'COOLING_OFF' as const,
          activeFrom: new Date(from).toISOString(),
        })),
      };
    });
    await withCase(
      registration(),
      async (handle) => {
        await decideAt(handle, DECISIONS.plan);
        await until(handle, (p) => p.stage === 'SALE' || p.stage === 'FX');
        const events = ((await handle.fetchHistory()).events ?? []) as Event[];
        // The case's pauses between its first look at the whitelist and its last (the sale's are its child's).
        const lookIds = events
          .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'findWhitelistEntries')
          .map((e) => Number(e.eventId));
        const pauses = events
          .filter(
            (e) =>
              e.timerStartedEventAttributes &&
              Number(e.eventId) > Math.min(...lookIds) &&
              Number(e.eventId) < Math.max(...lookIds),
          )
          .map((e) => ms(e.timerStartedEventAttributes?.startToFireTimeout));
        expect(activeFrom.size).toBeGreaterThan(0);
        // One look in the cooling-off, one pause to just after activeFrom, one look that finds it ACTIVE.
        for (const n of looks.values()) expect(n).toBe(2);
        expect(pauses.length).toBe(activeFrom.size);
        for (const pause of pauses) expect(pause).toBeLessThanOrEqual(3500);
      },
      {},
      fake,
    );
  });
});
