/**
 * Every money row is bound to its chain (issue 12, part 3), on real PostgreSQL: the database appends
 * each row's image at commit; the verifier compares the tables with the verified images and names
 * every row an owner edited, deleted or added behind the chain's back, with each case's sums.
 */
import path from 'node:path';
import pg from 'pg';
import { createTestDatabase } from '../../../test/support/database';
import { provisionForTest } from '../../../test/support/provision';
import { AuditChain, appendAuditRecord, createPool, inTransaction, type Pool, verifyAuditChain } from '../src';

const DIR = path.join(__dirname, 'fixtures/bound-migrations');
let databaseUrl: string;
let owner: pg.Client;
const pools: Pool[] = [];

beforeAll(async () => {
  databaseUrl = await createTestDatabase('bound_tables');
  owner = new pg.Client({ connectionString: databaseUrl });
  await owner.connect();
});

afterAll(async () => {
  await owner?.end();
  await Promise.all(pools.map((p) => p.end()));
});

/** A schema with the fixture's bound tables, and a pool logged in as its service role. */
async function bound(schema: string): Promise<Pool> {
  const pool = createPool(await provisionForTest(databaseUrl, { schema, dir: DIR }), schema);
  pools.push(pool);
  return pool;
}

/** Two cases' ledgers and a pay-out, written as a service writes them (with its own record last). */
async function book(pool: Pool): Promise<void> {
  await inTransaction(pool, async (tx) => {
    await tx.query(`INSERT INTO entries (case_id, line, currency, amount) VALUES ('CASE-1', 1, 'CNY', 1200000.00)`);
    await tx.query(`INSERT INTO entries (case_id, line, currency, amount) VALUES ('CASE-1', 2, 'CNY', -100000.00)`);
    await tx.query(`INSERT INTO entries (case_id, line, currency, amount) VALUES ('CASE-2', 1, 'CNY', 10.10)`);
    await appendAuditRecord(tx, { kind: 'value.moved', actor: 'service:test', caseId: 'CASE-1', data: {} });
  });
  await inTransaction(pool, async (tx) => {
    await tx.query(`INSERT INTO payouts VALUES ('p-1', 'CASE-1', 1100000.00, 'PENDING')`);
    // Inserted and moved on in one transaction: both images are recorded, in order.
    await tx.query(`UPDATE payouts SET status = 'SENT' WHERE payout_id = 'p-1'`);
  });
  // An update that changes nothing records nothing.
  await pool.query(`UPDATE payouts SET status = 'SENT' WHERE payout_id = 'p-1'`);
}

/** As the owner, with the table's triggers off (the binding trigger among them). */
async function behindTheChain(schema: string, table: string, sql: string): Promise<void> {
  await owner.query(`ALTER TABLE ${schema}.${table} DISABLE TRIGGER USER`);
  try {
    await owner.query(sql);
  } finally {
    await owner.query(`ALTER TABLE ${schema}.${table} ENABLE TRIGGER USER`);
  }
}

test('the database appends every bound row at commit, numbers as their decimal text; the tables verify', async () => {
  const pool = await bound('bound_a');
  await book(pool);
  const records = await new AuditChain(pool).list();
  expect(records.map((r) => [r.kind, r.actor, r.caseId ?? null, (r.data as { table?: string }).table ?? null])).toEqual(
    [
      ['table.bound', expect.stringMatching(/^db:/), null, 'entries'],
      ['table.bound', expect.stringMatching(/^db:/), null, 'payouts'],
      ['row.bound', expect.stringMatching(/^db:/), 'CASE-0', 'payouts'],
      // The service's own record first (it appended during the transaction), the rows at its commit.
      ['value.moved', 'service:test', 'CASE-1', null],
      ['row.inserted', 'db:bound_a_service', 'CASE-1', 'entries'],
      ['row.inserted', 'db:bound_a_service', 'CASE-1', 'entries'],
      ['row.inserted', 'db:bound_a_service', 'CASE-2', 'entries'],
      ['row.inserted', 'db:bound_a_service', 'CASE-1', 'payouts'],
      ['row.updated', 'db:bound_a_service', 'CASE-1', 'payouts'],
    ],
  );
  expect(records[4]!.data).toEqual({
    table: 'entries',
    key: ['CASE-1', '1'],
    row: expect.objectContaining({ case_id: 'CASE-1', line: '1', amount: '1200000.00', currency: 'CNY' }),
  });
  expect((records[8]!.data as { row: { status: string } }).row.status).toBe('SENT');

  const result = await verifyAuditChain(pool);
  expect(result.ok).toBe(true);
  expect(result.tables).toEqual([
    { table: 'entries', ok: true, rows: 3, images: 3, problems: 0, first: [], balances: { cases: 2, differing: [] } },
    { table: 'payouts', ok: true, rows: 2, images: 2, problems: 0, first: [], balances: { cases: 2, differing: [] } },
  ]);
});

test('the service role cannot append row or table records itself', async () => {
  const pool = await bound('bound_b');
  for (const kind of ['row.inserted', 'row.updated', 'row.bound', 'table.bound'])
    await expect(
      new AuditChain(pool).append({ kind, actor: 'service:test', data: { table: 'entries', key: ['CASE-9', 1] } }),
    ).rejects.toThrow(/appended by the database itself/);
});

test("an owner's edit of a ledger row, with the triggers off, is named with its columns and its case's sum", async () => {
  const pool = await bound('bound_c');
  await book(pool);
  await behindTheChain(
    'bound_c',
    'entries',
    `UPDATE bound_c.entries SET amount = 0.00 WHERE case_id = 'CASE-1' AND line = 1`,
  );
  const result = await verifyAuditChain(pool);
  expect(result.ok).toBe(false);
  const entries = result.tables?.find((t) => t.table === 'entries');
  expect(entries).toMatchObject({
    ok: false,
    problems: 1,
    first: [{ key: ['CASE-1', '1'], problem: 'edited', seq: 5 }],
    balances: { differing: [{ caseId: 'CASE-1', unit: 'CNY', chain: '1100000.00', table: '-100000.00' }] },
  });
  expect(entries?.first[0]?.detail).toBe(
    'entries row ["CASE-1", "1"] differs from its image in audit record 5: amount "1200000.00" → "0.00"',
  );
  expect(result.why).toContain('bound_c.entries row ["CASE-1", "1"] differs from its image in audit record 5');
  expect(result.tables?.find((t) => t.table === 'payouts')).toMatchObject({ ok: true });
});

test('a deleted row, a row added behind the chain and an append-only row changed with its guard off are each named', async () => {
  const pool = await bound('bound_d');
  await book(pool);
  await behindTheChain('bound_d', 'payouts', `DELETE FROM bound_d.payouts WHERE payout_id = 'p-0'`);
  await behindTheChain('bound_d', 'payouts', `INSERT INTO bound_d.payouts VALUES ('p-9', 'CASE-2', 999.00, 'SENT')`);
  // Only the append-only guard off: the binding trigger records the change, and the verifier names it.
  await owner.query('ALTER TABLE bound_d.entries DISABLE TRIGGER entries_append_only');
  await owner.query(`UPDATE bound_d.entries SET amount = 10.11 WHERE case_id = 'CASE-2'`);
  await owner.query('ALTER TABLE bound_d.entries ENABLE TRIGGER entries_append_only');

  const result = await verifyAuditChain(pool);
  expect(result.ok).toBe(false);
  const byTable = Object.fromEntries((result.tables ?? []).map((t) => [t.table, t]));
  expect(byTable.payouts).toMatchObject({
    ok: false,
    problems: 2,
    first: [
      { key: ['p-0'], problem: 'deleted', seq: 3 },
      { key: ['p-9'], problem: 'unrecorded' },
    ],
  });
  expect(byTable.entries).toMatchObject({
    ok: false,
    first: [{ key: ['CASE-2', '1'], problem: 'changed', detail: expect.stringContaining('append-only') }],
  });
  // The change is on the chain, by the owner's login, not by the service.
  const changes = (await new AuditChain(pool).list()).filter((r) => r.kind === 'row.updated' && r.caseId === 'CASE-2');
  expect(changes.map((r) => r.actor)).toEqual([expect.not.stringMatching(/_service$/)]);
});
