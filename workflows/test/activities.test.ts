/**
 * Activities over real HTTP against a scripted stand-in for the services: the request each one sends
 * (path, body, Idempotency-Key) and how each kind of answer becomes something Temporal understands.
 */
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { listen, type RunningServer, ServiceCallError } from '@vcdc/shared';
import express from 'express';
import { CONTRACT_VIOLATION, createActivities, ENDED_BADLY, NOT_YET } from '../src/activities/case-activities';
import { FOLLOWING_WAITS, type Follow } from '../src/activities/follow';
import { serviceClients } from '../src/worker/worker';

interface Seen {
  method: string;
  path: string;
  key: string | undefined;
  body: unknown;
}

let server: RunningServer;
let seen: Seen[] = [];
let answer: { status: number; body: unknown } = { status: 200, body: {} };
/** Answers given one per request before `answer` (a thing that changes while an activity follows it). */
let script: Array<{ status: number; body: unknown }> = [];

beforeAll(async () => {
  const app = express();
  app.use(express.json());
  app.use((req, res) => {
    seen.push({ method: req.method, path: req.originalUrl, key: req.get('Idempotency-Key'), body: req.body });
    const answer = script.shift() ?? current();
    res
      .status(answer.status)
      .type(answer.status >= 400 ? 'application/problem+json' : 'application/json')
      .send(JSON.stringify(answer.body));
  });
  server = await listen(app, 0);
});
afterAll(() => server?.close());
beforeEach(() => {
  seen = [];
  script = [];
});
const current = () => answer;

const activities = (follow?: Follow) =>
  createActivities(
    serviceClients({ custody: server.url, exchange: server.url, fx: server.url, treasury: server.url }, 2_000),
    follow,
  );
const problem = (status: number, slug: string) => ({
  status,
  body: { type: `urn:vcdc:problem:${slug}`, title: slug, status, detail: `${slug} detail` },
});
const T = '2026-01-01T00:00:00Z';
const deposit = (status: string) => ({
  caseId: 'C1',
  venue: 'hashkey',
  asset: 'BTC',
  txHash: '0xabc',
  amount: '1.2499',
  status,
  venueDepositId: 'd1',
  observedAt: T,
});

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
}

describe('activities', () => {
  test('a POST carries the Idempotency-Key it was given and the contract-checked answer comes back', async () => {
    answer = {
      status: 201,
      body: { caseId: 'C1', asset: 'BTC', chain: 'bitcoin', address: 'bc1q', balance: '0', openedAt: T },
    };
    const account = await activities().openCustodyAccount(
      { caseId: 'C1', asset: 'BTC', chain: 'bitcoin' },
      'case-C1/account/BTC',
    );
    expect(account.address).toBe('bc1q');
    expect(seen).toEqual([
      {
        method: 'POST',
        path: '/v1/accounts',
        key: 'case-C1/account/BTC',
        body: { caseId: 'C1', asset: 'BTC', chain: 'bitcoin' },
      },
    ]);
  });

  test('a 4xx refusal becomes a non-retryable failure typed with the problem type', async () => {
    answer = problem(422, 'address-not-whitelisted');
    const error = await failure(
      activities().requestTransfer(
        { caseId: 'C1', asset: 'BTC', chain: 'bitcoin', toAddress: 'x', amount: '1', purpose: 'VENUE_DEPOSIT' },
        'k',
      ),
    );
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ nonRetryable: true, type: 'urn:vcdc:problem:address-not-whitelisted' });
    expect((error as ApplicationFailure).message).toContain('address-not-whitelisted detail');
  });

  test('a 5xx fault and a 409 not-yet are rethrown as they are, so Temporal retries them', async () => {
    answer = problem(503, 'unavailable');
    const fault = await failure(activities().getCustodyLedger('C1'));
    expect(fault).toBeInstanceOf(ServiceCallError);
    expect((fault as ServiceCallError).retryable).toBe(true);

    answer = problem(409, 'not-yet');
    const pending = await failure(
      activities().recordIntake(
        {
          caseId: 'C1',
          lotId: 'L1',
          asset: 'BTC',
          chain: 'bitcoin',
          declaredAmount: '1',
          txHash: 't',
          evidence: { handoverFormNo: 'H', handedOverBy: 'a', receivedBy: 'b', documents: [] },
        },
        'k',
      ),
    );
    expect(pending).toBeInstanceOf(ServiceCallError);
    expect((pending as ServiceCallError).retryable).toBe(true);
  });

  test('an answer that breaks the contract is a non-retryable contract violation naming the field', async () => {
    answer = { status: 200, body: { ...deposit('CREDITED'), amount: 1.2499 } };
    const error = await failure(activities().getVenueDeposit({ caseId: 'C1', asset: 'BTC', txHash: '0xabc' }));
    expect(error).toMatchObject({ nonRetryable: true, type: CONTRACT_VIOLATION });
    expect((error as Error).message).toContain('amount');
  });

  test('a deposit as the venue has it: only 404 is "not yet" (retryable); PENDING, HELD and FAILED are answers', async () => {
    const q = { caseId: 'C1', asset: 'BTC', txHash: '0xabc' };
    answer = problem(404, 'not-found');
    expect(await failure(activities().getVenueDeposit(q))).toMatchObject({ type: NOT_YET, nonRetryable: false });
    expect(seen[0]?.path).toBe('/v1/deposits?caseId=C1&asset=BTC&txHash=0xabc');
    for (const status of ['PENDING', 'HELD', 'FAILED', 'CREDITED'] as const) {
      answer = { status: 200, body: deposit(status) };
      expect(await activities().getVenueDeposit(q)).toMatchObject({ status, amount: '1.2499' });
    }
  });

  test('path parameters are encoded', async () => {
    answer = {
      status: 200,
      body: { caseId: 'C1', currency: 'CNY', lines: [], totalCredited: '0', totalRemitted: '0', balance: '0' },
    };
    await activities().getTreasuryStatement('C1/../x');
    expect(seen[0]?.path).toBe('/v1/cases/C1%2F..%2Fx/statement');
  });

  describe('the waits follow the answer within one attempt (issue 18)', () => {
    const follow: Follow = { forMs: 1_500, firstGapMs: 50, maxGapMs: 200, forAttempts: 3 };
    const transfer = (status: string, confirmations: number) => ({
      status: 200,
      body: {
        transferId: 'T1',
        caseId: 'C1',
        asset: 'BTC',
        chain: 'bitcoin',
        toAddress: 'bc1q',
        amount: '1',
        fee: '0.0001',
        netAmount: '0.9999',
        txHash: '0xt',
        confirmations,
        status,
        createdAt: T,
      },
    });
    const withdrawal = (status: string) => ({
      status: 200,
      body: {
        caseId: 'C1',
        venue: 'hashkey',
        withdrawalId: 'W1',
        currency: 'USD',
        amount: '100',
        fee: '1',
        netAmount: '99',
        bankAccountId: 'B1',
        status,
        createdAt: T,
      },
    });

    test('a transfer confirmed while the attempt looks is answered by that attempt, soon after', async () => {
      script = [transfer('BROADCAST', 0), transfer('BROADCAST', 1)];
      answer = transfer('CONFIRMED', 2);
      const started = Date.now();
      expect(await activities(follow).awaitTransferConfirmed('T1')).toMatchObject({ status: 'CONFIRMED' });
      expect(seen.map((s) => s.path)).toEqual(Array(3).fill('/v1/transfers/T1'));
      // Looks at 0, 50 and 150 ms: well before the window's end.
      expect(Date.now() - started).toBeLessThan(1_000);
    });

    test('the list the benchmark counts as waiting names activities', () => {
      const names = Object.keys(activities());
      for (const name of FOLLOWING_WAITS) expect(names).toContain(name);
    });

    test('attestations, waited on ten lots at once for people, are never followed: one look', async () => {
      answer = problem(404, 'not-found');
      expect(await failure(activities(follow).awaitAttestedIntake({ caseId: 'C1', lotId: 'L1' }))).toMatchObject({
        type: NOT_YET,
      });
      expect(seen).toHaveLength(1);
    });

    test('one look per attempt unless the worker gives a window: not yet at once', async () => {
      answer = transfer('BROADCAST', 0);
      expect(await failure(activities().awaitTransferConfirmed('T1'))).toMatchObject({ type: NOT_YET });
      expect(seen).toHaveLength(1);
    });

    test('a thing that never comes: not yet after the window, its looks backing off to the largest gap', async () => {
      answer = withdrawal('PENDING');
      const started = Date.now();
      const error = await failure(activities(follow).awaitWithdrawalCompleted('W1'));
      const took = Date.now() - started;
      expect(error).toMatchObject({ type: NOT_YET, nonRetryable: false });
      expect(took).toBeGreaterThanOrEqual(1_300);
      expect(took).toBeLessThan(2_500);
      // Gaps 50, 100, 200, 200, ...: about 9 looks in 1.5 s, not one every 50 ms (30).
      expect(seen.length).toBeGreaterThanOrEqual(6);
      expect(seen.length).toBeLessThanOrEqual(11);
    });

    test('only the first attempts follow: a wait of days is back to one look per retry', async () => {
      answer = withdrawal('PENDING');
      const inAttempt = (attempt: number) =>
        failure(new MockActivityEnvironment({ attempt }).run(() => activities(follow).awaitWithdrawalCompleted('W1')));
      expect(await inAttempt(4)).toMatchObject({ type: NOT_YET });
      expect(seen).toHaveLength(1);
      seen = [];
      script = [withdrawal('PENDING')];
      answer = withdrawal('COMPLETED');
      expect(
        await new MockActivityEnvironment({ attempt: 3 }).run(() => activities(follow).awaitWithdrawalCompleted('W1')),
      ).toMatchObject({ status: 'COMPLETED' });
      expect(seen).toHaveLength(2);
    });

    test('an answer that ends the wait badly ends the following at once', async () => {
      script = [withdrawal('PENDING')];
      answer = withdrawal('FAILED');
      expect(await failure(activities(follow).awaitWithdrawalCompleted('W1'))).toMatchObject({
        type: ENDED_BADLY,
        nonRetryable: true,
      });
      expect(seen).toHaveLength(2);
    });

    test('a venue deposit: not seen and PENDING are followed, HELD is answered at once, the last PENDING answered as it is', async () => {
      const q = { caseId: 'C1', asset: 'BTC', txHash: '0xabc' };
      script = [problem(404, 'not-found'), { status: 200, body: deposit('PENDING') }];
      answer = { status: 200, body: deposit('CREDITED') };
      expect(await activities(follow).getVenueDeposit(q)).toMatchObject({ status: 'CREDITED' });
      expect(seen).toHaveLength(3);

      seen = [];
      script = [{ status: 200, body: deposit('PENDING') }];
      answer = { status: 200, body: deposit('HELD') };
      expect(await activities(follow).getVenueDeposit(q)).toMatchObject({ status: 'HELD' });
      expect(seen).toHaveLength(2);

      seen = [];
      answer = { status: 200, body: deposit('PENDING') };
      expect(await activities(follow).getVenueDeposit(q)).toMatchObject({ status: 'PENDING' });
      expect(seen.length).toBeGreaterThan(3);
    });
  });
});
