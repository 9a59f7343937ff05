/**
 * The FX service's audit chain on real PostgreSQL, the app working as fx_service logged in with its
 * own password: every declaration transition and settlement tranche appends its record on the
 * transaction of the change; GET /v1/audit/verify names an edited, deleted or reordered record; the
 * role cannot rewrite the chain.
 */
import path from 'node:path';
import { createPool, migrate, type Pool, silentLogger } from '@vcdc/shared';
import type { Express } from 'express';
import request from 'supertest';
import { PEOPLE, signedDecision, testActKeys } from '../../../test/support/acts';
import {
  auditRequests,
  expectRewritesRefused,
  expectRowEditNamed,
  expectTamperingNamed,
  servicePoolFor,
} from '../../../test/support/audit';
import { createTestDatabase } from '../../../test/support/database';
import { settlementBankInGoodStanding } from '../../../test/support/provider-register';
import { createApp } from '../src/app';
import type { RateSource } from '../src/rate-source';

const rates: RateSource = {
  bankBuyRate: async (currency, date) => ({
    currency,
    date,
    bankBuyRate: '7.1000',
    centralParity: '7.1500',
    source: 'test-bank',
    publishedAt: new Date('2026-03-10T01:00:00Z'),
  }),
};
const acts = testActKeys();
let owner: Pool;
let rolePool: Pool;
let app: Express;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('fx_audit');
  await migrate({ databaseUrl, schema: 'fx', dir: path.join(__dirname, '../migrations') });
  owner = createPool(databaseUrl, 'fx', 2);
  const { pool, role } = await servicePoolFor(databaseUrl, 'fx');
  rolePool = pool;
  app = createApp({
    pool,
    logger: silentLogger(),
    rateSource: rates,
    serviceRole: role,
    actVerifyKeys: acts.verifyKeys,
    settlementBank: settlementBankInGoodStanding(),
  });
});

afterAll(async () => {
  await rolePool?.end();
  await owner?.end();
});

const { post, verify } = auditRequests(() => app);

test('each transition and each tranche appends its record, and the chain verifies', async () => {
  const party = { name: 'n', account: 'a', bank: 'b' };
  const { declarationId } = (
    await post('/v1/declarations', {
      caseId: 'CASE-FXA',
      currency: 'USD',
      amount: '100.00',
      transactionCode: '622011',
      purpose: 'disposal proceeds',
      remitter: party,
      beneficiary: party,
      workflowId: 'case-CASE-FXA',
    })
  ).body;
  await post(`/v1/declarations/${declarationId}/submit`, { workflowId: 'case-CASE-FXA' });
  const decide = (stage: 'FX_DECLARATION' | 'FX_SETTLEMENT', extra: object) =>
    signedDecision(acts.signingKey, 'CASE-FXA', PEOPLE.fxOfficer, { stage, outcome: 'APPROVE', ...extra });
  await post(`/v1/declarations/${declarationId}/decision`, {
    decision: decide('FX_DECLARATION', { reference: 'SAFE-1' }),
  });
  await post(`/v1/declarations/${declarationId}/settlements`, {
    decision: decide('FX_SETTLEMENT', { settlement: { amount: '60.00', bankReference: 'BANK-1' } }),
  });
  await post(`/v1/declarations/${declarationId}/settlements`, {
    decision: decide('FX_SETTLEMENT', {
      settlement: { amount: '40.00', bankReference: 'BANK-2', bankCharges: '1.00' },
    }),
  });

  const { records } = (await request(app).get('/v1/audit/records?view=acts&caseId=CASE-FXA').expect(200)).body;
  expect(records.map((r: { kind: string; actor: string }) => [r.kind, r.actor])).toEqual([
    ['fx.declaration.draft', 'workflow:case-CASE-FXA'],
    ['fx.declaration.submitted', 'workflow:case-CASE-FXA'],
    ['fx.declaration.approved', PEOPLE.fxOfficer.id],
    ['fx.settlement.tranche', PEOPLE.fxOfficer.id],
    ['fx.settlement.tranche', PEOPLE.fxOfficer.id],
    ['fx.declaration.settled', PEOPLE.fxOfficer.id],
  ]);
  expect(records[4].data).toMatchObject({
    foreignAmount: '40.00',
    bankCharges: '1.00',
    netForeignAmount: '39.00',
    rate: '7.1000',
    cnyAmount: '276.90',
  });
  expect(await verify()).toMatchObject({
    ok: true,
    tables: [
      { table: 'declarations', ok: true, rows: 1 },
      { table: 'settlement_correction_requests', ok: true, rows: 0 },
      { table: 'settlement_corrections', ok: true, rows: 0 },
      { table: 'settlement_entries', ok: true, rows: 0 },
      { table: 'settlements', ok: true, rows: 2 },
    ],
  });
});

test("an owner's edit of a settlement behind the chain is named", async () => {
  await expectRowEditNamed(
    owner,
    'fx.settlements',
    'settlement_id = (SELECT min(settlement_id) FROM fx.settlements)',
    // The bank's reference swapped for another (the table's CHECKs tie the amounts to each other).
    ["bank_reference = bank_reference || '-FORGED'", "bank_reference = replace(bank_reference, '-FORGED', '')"],
    verify,
  );
});

test('editing, deleting or reordering a record makes GET /v1/audit/verify name it', async () => {
  await expectTamperingNamed(owner, 'fx', 3, verify);
});

test('the app works as fx_service, /readyz checks it, and that role cannot rewrite the chain', async () => {
  await request(app).get('/readyz').expect(200);
  await expectRewritesRefused(rolePool);
});
