/**
 * The exchange service's audit chain on real PostgreSQL and the real venue simulator (through ccxt),
 * the app working as exchange_service logged in with its own password: an order placed, each fill, a
 * cancel, a fiat withdrawal (and its completion) and a return to custody each append their record on
 * the transaction that records them; GET /v1/audit/verify names an edited, deleted or reordered
 * record; the role cannot rewrite the chain.
 */
import type { Pool } from '@vcdc/shared';
import type { Express } from 'express';
import request from 'supertest';
import { type RunningChainSimulator, startChainSimulator } from '../../../simulators/src/chain';
import {
  auditRequests,
  expectRewritesRefused,
  expectRowEditNamed,
  expectTamperingNamed,
} from '../../../test/support/audit';
import { type SimulatedExchange, startSimulatedExchange } from '../../../test/support/simulated-exchange';

const BANK = { id: 'HK-TRUST-001', name: 'Case property trust account', bank: 'Hong Kong branch' };
const CASE = 'CASE-EXA';
let owner: Pool;
let rolePool: Pool;
let chain: RunningChainSimulator;
let ex: SimulatedExchange;
let app: Express;

beforeAll(async () => {
  chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  ex = await startSimulatedExchange({
    database: 'exchange_audit',
    chainUrl: chain.url,
    asServiceRole: true,
    venue: {
      seed: 7,
      bankAccounts: [BANK],
      depositConfirmations: 2,
      withdrawalDelayMs: 100,
      withdrawalFee: '10',
      initialBalances: { BTC: '20', ETH: '50', USD: '100000' },
    },
  });
  ({ pool: owner, app } = ex);
  rolePool = ex.servicePool!;
});

afterAll(async () => {
  await ex?.close();
  await chain?.close();
});

const { post, verify } = auditRequests(() => app);
const kinds = async () =>
  (
    (await request(app).get(`/v1/audit/records?view=acts&caseId=${CASE}`).expect(200)).body.records as {
      kind: string;
    }[]
  ).map((r) => r.kind);

test('orders, fills, a cancel, a withdrawal and a return each append their record, and the chain verifies', async () => {
  const sold = (
    await post('/v1/orders', {
      caseId: CASE,
      clientOrderId: 'exa-sell-1',
      symbol: 'BTC/USDT',
      type: 'market',
      amount: '0.5',
    })
  ).body;
  expect(sold.status).toBe('closed');
  const fills = sold.fills.length;
  expect(fills).toBeGreaterThan(0);
  await post('/v1/orders', {
    caseId: CASE,
    clientOrderId: 'exa-sell-2',
    symbol: 'ETH/USDT',
    type: 'limit',
    amount: '1.5',
    limitPrice: '3600',
  });
  await post('/v1/orders/exa-sell-2/cancel', { caseId: CASE });
  const w = (await post('/v1/withdrawals', { caseId: CASE, currency: 'USD', amount: '1000', bankAccountId: BANK.id }))
    .body;
  expect(w.status).toBe('PENDING');
  for (let i = 0; i < 40; i++) {
    if ((await request(app).get(`/v1/withdrawals/${w.withdrawalId}`).expect(200)).body.status === 'COMPLETED') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await post('/v1/returns', {
    caseId: CASE,
    asset: 'BTC',
    chain: 'bitcoin',
    amount: '0.2',
    toAddress: 'bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh',
    transferId: 'transfer-exa',
  });

  const recorded = await kinds();
  expect(recorded).toEqual([
    'exchange.order.placed',
    ...Array(fills).fill('exchange.fill.booked'),
    'exchange.order.closed',
    'exchange.order.placed',
    'exchange.order.canceled',
    'exchange.withdrawal.requested',
    'exchange.withdrawal.completed',
    expect.stringMatching(/^exchange\.return\./),
  ]);
  const { records } = (await request(app).get(`/v1/audit/records?view=acts&caseId=${CASE}`).expect(200)).body;
  expect(records[0].data).toMatchObject({ clientOrderId: 'exa-sell-1', amount: '0.5', adopted: false });
  expect(records[fills + 3].data).toMatchObject({ clientOrderId: 'exa-sell-2', filled: '0', remaining: '1.5' });
  expect(records.at(-1).data).toMatchObject({ amount: '0.2', transferId: 'transfer-exa' });
  expect(await verify()).toMatchObject({ ok: true });
  // Asking again about what already happened appends nothing.
  await request(app).get('/v1/orders/exa-sell-1').expect(200);
  await request(app).get(`/v1/withdrawals/${w.withdrawalId}`).expect(200);
  expect(await kinds()).toHaveLength(recorded.length);
});

test("an owner's edit of a fill behind the chain is named", async () => {
  // The fee skimmed: a venue fee doubled, the difference gone from the books.
  await expectRowEditNamed(
    owner,
    'exchange.fills',
    '(venue, trade_id) = (SELECT venue, trade_id FROM exchange.fills ORDER BY trade_id LIMIT 1)',
    ['fee = fee + 1', 'fee = fee - 1'],
    verify,
  );
});

test('editing, deleting or reordering a record makes GET /v1/audit/verify name it', async () => {
  await expectTamperingNamed(owner, 'exchange', 2, verify);
});

test('the app works as exchange_service, /readyz checks it, and that role cannot rewrite the chain', async () => {
  await request(app).get('/readyz').expect(200);
  await expectRewritesRefused(rolePool);
});
