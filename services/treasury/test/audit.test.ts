/**
 * The treasury service's audit chain on real PostgreSQL, the app working as treasury_service logged in
 * with its own password: a credit, a correction and a remittance each append their record on the
 * transaction that books them; GET /v1/audit/verify names an edited, deleted or reordered record; the
 * role cannot rewrite the chain.
 */
import path from 'node:path';
import { createPool, migrate, type Pool, silentLogger } from '@vcdc/shared';
import type { Express } from 'express';
import request from 'supertest';
import { actHeader, PEOPLE, signedDecision, testActKeys } from '../../../test/support/acts';
import {
  auditRequests,
  expectRewritesRefused,
  expectTamperingNamed,
  servicePoolFor,
} from '../../../test/support/audit';
import { createTestDatabase } from '../../../test/support/database';
import { createApp } from '../src/app';
import { LocalReceiptTreasuryGateway } from '../src/treasury-gateway';

const acts = testActKeys();
let owner: Pool;
let rolePool: Pool;
let app: Express;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('treasury_audit');
  await migrate({ databaseUrl, schema: 'treasury', dir: path.join(__dirname, '../migrations') });
  owner = createPool(databaseUrl, 'treasury', 2);
  const { pool, role } = await servicePoolFor(databaseUrl, 'treasury');
  rolePool = pool;
  app = createApp({
    pool,
    logger: silentLogger(),
    gateway: new LocalReceiptTreasuryGateway(),
    serviceRole: role,
    actVerifyKeys: acts.verifyKeys,
  });
});

afterAll(async () => {
  await rolePool?.end();
  await owner?.end();
});

const { post, verify } = auditRequests(() => app);

/** A keyed POST with a person's forwarded act (the control API's VCDC-Act header). */
const postActing = async (route: string, body: object, act: Parameters<typeof actHeader>[1]) =>
  request(app)
    .post(route)
    .set('Idempotency-Key', `audit-act-${route}`)
    .set(actHeader(acts.signingKey, act))
    .send(body)
    .expect((r) => {
      if (r.status !== 201) throw new Error(`${route}: ${r.status} ${r.text}`);
    });

test('a credit, a correction (requested, approved) and a remittance each append their record, and the chain verifies', async () => {
  const caseId = 'CASE-TRA';
  await post('/v1/credits', {
    caseId,
    agency: 'Agency',
    amount: '100.00',
    fxSettlementId: 'fxs-1',
    bankReference: 'b1',
  });
  const correction = { caseId, line: 1, correctedAmount: '90.00', reason: 'the bank credited 90.00' };
  const requested = await postActing('/v1/corrections', correction, {
    kind: 'treasury.correction.request',
    actor: PEOPLE.treasuryOfficer,
    object: { type: 'credit', id: `${caseId}#1`, caseId },
    method: 'POST',
    path: '/v1/corrections',
    body: correction,
  });
  const approvalPath = `/v1/corrections/${requested.body.correctionId}/approval`;
  await postActing(
    approvalPath,
    {},
    {
      kind: 'treasury.correction.approve',
      actor: PEOPLE.supervisor,
      object: { type: 'correction', id: requested.body.correctionId, caseId },
      method: 'POST',
      path: approvalPath,
      body: {},
    },
  );
  await post('/v1/remittances', {
    caseId,
    amount: '90.00',
    budgetClassificationCode: '1030501',
    decision: signedDecision(acts.signingKey, caseId, PEOPLE.secondSupervisor, {
      stage: 'REMITTANCE',
      outcome: 'APPROVE',
      payout: { caseId, kind: 'TREASURY', amount: '90.00' },
    }),
  });

  const { records } = (await request(app).get(`/v1/audit/records?view=acts&caseId=${caseId}`).expect(200)).body;
  expect(records.map((r: { kind: string; actor: string }) => [r.kind, r.actor])).toEqual([
    ['treasury.credit.booked', 'service:treasury'],
    ['treasury.correction.requested', PEOPLE.treasuryOfficer.id],
    ['treasury.correction.booked', PEOPLE.supervisor.id],
    ['treasury.remittance.made', PEOPLE.secondSupervisor.id],
  ]);
  expect(records[0].data).toMatchObject({ amount: '100.00', fxSettlementId: 'fxs-1' });
  expect(records[1].data).toMatchObject({ line: 1, correctedAmount: '90.00' });
  expect(records[2].data).toMatchObject({
    line: 1,
    correctedAmount: '90.00',
    author: PEOPLE.treasuryOfficer.id,
    approver: PEOPLE.supervisor.id,
  });
  expect(records[3].data).toMatchObject({ amount: '90.00', budgetClassificationCode: '1030501' });
  const verified = await verify();
  expect(verified).toMatchObject({ ok: true });
  // Every money table is bound, and each agrees with the chain.
  expect(Object.fromEntries(verified.tables.map((t: { table: string; ok: boolean }) => [t.table, t.ok]))).toEqual(
    Object.fromEntries(
      [
        'case_accounts',
        'correction_requests',
        'corrections',
        'credits',
        'escrows',
        'ledger_entries',
        'owner_returns',
        'recoveries',
        'recovery_receivables',
        'remittances',
        'restitution_distributions',
        'restitution_orders',
        'restitution_payments',
        'restitution_victims',
      ].map((t) => [t, true]),
    ),
  );
  expect(verified.tables.find((t: { table: string }) => t.table === 'ledger_entries')).toMatchObject({
    rows: 4,
    images: 4,
    balances: { cases: 1, differing: [] },
  });
});

test("an owner's edit of treasury.ledger_entries, behind the chain, is named with its case's balance", async () => {
  // The insider's edit: the statement would show the credit as 0.00 and the balance as nothing.
  const edit = async (sql: string) => {
    await owner.query('ALTER TABLE ledger_entries DISABLE TRIGGER USER');
    try {
      await owner.query(sql);
    } finally {
      await owner.query('ALTER TABLE ledger_entries ENABLE TRIGGER USER');
    }
  };
  await edit(`UPDATE ledger_entries SET amount = 0.01, balance_after = 0.01 WHERE case_id = 'CASE-TRA' AND line = 1`);
  const verified = await verify();
  expect(verified.ok).toBe(false);
  const ledger = verified.tables.find((t: { table: string }) => t.table === 'ledger_entries');
  expect(ledger).toMatchObject({
    ok: false,
    problems: 1,
    first: [{ key: ['CASE-TRA', '1'], problem: 'edited' }],
    balances: { differing: [{ caseId: 'CASE-TRA', chain: '0.00', table: '-99.99' }] },
  });
  expect(ledger.first[0].detail).toMatch(/amount "100.00" → "0.01"/);
  expect(verified.why).toMatch(
    /^treasury\.ledger_entries row \["CASE-TRA", "1"\] differs from its image in audit record \d+/,
  );
  await edit(
    `UPDATE ledger_entries SET amount = 100.00, balance_after = 100.00 WHERE case_id = 'CASE-TRA' AND line = 1`,
  );
  expect(await verify()).toMatchObject({ ok: true });
});

test('editing, deleting or reordering a record makes GET /v1/audit/verify name it', async () => {
  await expectTamperingNamed(owner, 'treasury', 2, verify);
});

test('the app works as treasury_service, /readyz checks it, and that role cannot rewrite the chain', async () => {
  await request(app).get('/readyz').expect(200);
  await expectRewritesRefused(rolePool);
});
