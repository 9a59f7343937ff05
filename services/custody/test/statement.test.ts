/**
 * The custody ledger as a statement an auditor reads: every entry and balance in base units beside the
 * decimal, and the intake totals across the case's lots per asset ("13,000 satoshi short across three
 * lots"), on real PostgreSQL and the ledger-chain simulator.
 */
import { contracts } from '@vcdc/shared';
import request from 'supertest';
import { EVIDENCE, type Harness, post, startHarness, sweepToCustody } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('custody_statement');
});
afterAll(() => h.close());

async function lot(caseId: string, lotId: string, declared: string, received: string) {
  const { txHash } = await sweepToCustody(h, caseId, received);
  await post(h.app, '/v1/intakes', {
    caseId,
    lotId,
    asset: 'BTC',
    chain: 'bitcoin',
    declaredAmount: declared,
    txHash,
    evidence: EVIDENCE,
  }).expect(201);
}

test('three short lots: entries, balance and the totals across lots in satoshi beside the decimal', async () => {
  await lot('CASE-S1', 'LOT-1', '1', '0.99995');
  await lot('CASE-S1', 'LOT-2', '2', '1.99994');
  await lot('CASE-S1', 'LOT-3', '0.5', '0.49998');

  const { body } = await request(h.app).get('/v1/cases/CASE-S1/ledger').expect(200);
  expect(contracts.custody.CustodyLedger.parse(body)).toEqual(body);
  expect(body.entries.map((e: { amount: string; baseUnits: string }) => [e.amount, e.baseUnits])).toEqual([
    ['0.99995', '99995000'],
    ['1.99994', '199994000'],
    ['0.49998', '49998000'],
  ]);
  expect(body.balances).toEqual({ BTC: '3.49987' });
  expect(body.balancesBaseUnits).toEqual({ BTC: '349987000' });
  expect(body.intakeTotals).toEqual([
    {
      asset: 'BTC',
      unit: 'satoshi',
      lots: 3,
      declared: { amount: '3.5', baseUnits: '350000000' },
      received: { amount: '3.49987', baseUnits: '349987000' },
      difference: { amount: '-0.00013', baseUnits: '-13000' },
    },
  ]);
});

test('an account with no intake yet has zero balances and no intake totals', async () => {
  await post(h.app, '/v1/accounts', { caseId: 'CASE-S2', asset: 'BTC', chain: 'bitcoin' }).expect(201);
  const { body } = await request(h.app).get('/v1/cases/CASE-S2/ledger').expect(200);
  expect(body).toMatchObject({ balances: { BTC: '0' }, balancesBaseUnits: { BTC: '0' }, intakeTotals: [] });
});
