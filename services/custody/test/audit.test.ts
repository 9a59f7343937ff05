/**
 * Custody's audit chain on real PostgreSQL, the app working as custody_service logged in with its own
 * password: an intake, a transfer out (with its fee) and a return each append one record on the
 * transaction that books them; GET /v1/audit/verify names an edited, deleted or reordered record; the
 * role cannot rewrite the chain.
 */
import type { Pool } from '@vcdc/shared';
import type { Express } from 'express';
import request from 'supertest';
import {
  expectRewritesRefused,
  expectRowEditNamed,
  expectTamperingNamed,
  servicePoolFor,
} from '../../../test/support/audit';
import {
  chainCall,
  type Harness,
  MIN_CONFIRMATIONS,
  PEOPLE,
  post,
  proveDestination,
  startHarness,
  whitelistActive,
} from './harness';

const VENUE = 'venue-btc-deposit-audit';
let h: Harness;
let rolePool: Pool;
let app: Express;

beforeAll(async () => {
  h = await startHarness('custody_audit');
  ({ pool: rolePool } = await servicePoolFor(h.databaseUrl, 'custody', 'none'));
  app = h.appWith(h.chainClient, { pool: rolePool });
  await whitelistActive(app, 'bitcoin', VENUE);
});

afterAll(async () => {
  await rolePool?.end();
  await h?.close();
});

const verify = async () => (await request(app).get('/v1/audit/verify').expect(200)).body;

test('an intake, a transfer out and a return each append their record, and the chain verifies', async () => {
  const transfer = await proveDestination(h, VENUE, app);
  const { caseId } = transfer;
  const { address } = (await request(app).get(`/v1/accounts/${caseId}/BTC`).expect(200)).body;
  const back = await chainCall(h, 'POST', '/v1/chains/bitcoin/transactions', {
    from: VENUE,
    to: address,
    asset: 'BTC',
    amount: '0.0002',
  });
  h.chainSim.mine('bitcoin', MIN_CONFIRMATIONS);
  await post(app, '/v1/returns', { caseId, transferId: transfer.transferId, txHash: back.txHash }).expect(201);

  const { records } = (await request(app).get(`/v1/audit/records?view=acts&caseId=${caseId}`).expect(200)).body;
  expect(records.map((r: { kind: string }) => r.kind)).toEqual([
    'custody.intake.credited',
    'custody.transfer.sent',
    'custody.return.credited',
  ]);
  expect(records[0]).toMatchObject({ actor: PEOPLE.custodian.id, data: { credited: '0.01', asset: 'BTC' } });
  expect(records[1].data).toMatchObject({
    transferId: transfer.transferId,
    sent: transfer.netAmount,
    fee: transfer.fee,
    purpose: 'TEST_DEPOSIT',
  });
  expect(records[2].data).toMatchObject({ transferId: transfer.transferId, credited: '0.0002' });
  expect(await verify()).toMatchObject({ ok: true });
});

test("an owner's edit of a custody ledger line behind the chain is named", async () => {
  // A whole coin more booked in than came in.
  await expectRowEditNamed(
    h.pool,
    'custody.ledger_entries',
    `entry_id = (SELECT min(entry_id) FROM custody.ledger_entries WHERE kind = 'INTAKE')`,
    ['amount = amount + 1', 'amount = amount - 1'],
    verify,
  );
});

test('editing, deleting or reordering a record makes GET /v1/audit/verify name it', async () => {
  const { records } = (await request(app).get('/v1/audit/records?view=acts').expect(200)).body;
  expect(records.length).toBeGreaterThanOrEqual(3);
  await expectTamperingNamed(h.pool, 'custody', 2, verify);
});

test('the app works as custody_service, /readyz checks it, and that role cannot rewrite the chain', async () => {
  await request(app).get('/readyz').expect(200);
  await expectRewritesRefused(rolePool);
});
