/**
 * The audit chain against real PostgreSQL: appended records verify; editing, deleting or reordering
 * one record (as a superuser would, with the append-only triggers switched off) makes the verifier
 * name that record, on a pool (server-side cursor) or a held connection (keyset pages); the role that
 * writes cannot update, delete or truncate.
 */
import pg from 'pg';
import { createTestDatabase } from '../../../test/support/database';
import { AuditChain, createPool, migrateAuditChain, type Pool, verifyAuditChain } from '../src';

let databaseUrl: string;
let admin: pg.Client;
const pools: Pool[] = [];

beforeAll(async () => {
  databaseUrl = await createTestDatabase('audit');
  admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
});

afterAll(async () => {
  await admin?.end();
  await Promise.all(pools.map((p) => p.end()));
});

let n = 0;
/** A fresh chain of `count` records in its own schema. */
async function chainOf(count: number): Promise<{ chain: AuditChain; schema: string }> {
  const schema = `audit_t${++n}`;
  await migrateAuditChain(databaseUrl, schema);
  const pool = createPool(databaseUrl, schema, 4);
  pools.push(pool);
  const chain = new AuditChain(pool);
  for (let i = 1; i <= count; i++) {
    await chain.append({
      kind: i % 2 ? 'decision.accepted' : 'decision.refused',
      actor: `supervisor.${i}`,
      caseId: `CASE-${i % 3}`,
      data: { stage: 'DISPOSAL_PLAN', amount: `${i}.00000001`, nested: { b: 1, a: [i, 'x'] } },
    });
  }
  return { chain, schema };
}

/** Tamper as a superuser would: with the append-only triggers off. */
async function tamper(schema: string, sql: string): Promise<void> {
  await admin.query(`ALTER TABLE ${schema}.audit_records DISABLE TRIGGER USER`);
  try {
    await admin.query(sql.replaceAll('$T', `${schema}.audit_records`));
  } finally {
    await admin.query(`ALTER TABLE ${schema}.audit_records ENABLE TRIGGER USER`);
  }
}

test('appended records link to each other and the untouched chain verifies', async () => {
  const { chain } = await chainOf(6);
  const records = await chain.list();
  expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  expect(records[0]?.prevHash).toBe('0'.repeat(64));
  for (let i = 1; i < records.length; i++) expect(records[i]?.prevHash).toBe(records[i - 1]?.hash);
  expect(await chain.verify()).toEqual({
    ok: true,
    checked: 6,
    headHash: records[5]?.hash,
    // The refusals it holds are counted by kind, for the auditor.
    refusals: { total: 3, byKind: { 'decision.refused': 3 } },
  });
  expect((await chain.list({ caseId: 'CASE-1' })).map((r) => r.seq)).toEqual([1, 4]);
});

test('concurrent writers still make one unbroken chain', async () => {
  const { chain } = await chainOf(0);
  await Promise.all(Array.from({ length: 20 }, (_, i) => chain.append({ kind: 'k', actor: `a${i}`, data: { i } })));
  expect(await chain.verify()).toMatchObject({ ok: true, checked: 20 });
});

test.each([
  ['an edited amount', `UPDATE $T SET data = jsonb_set(data, '{amount}', '"999"') WHERE seq = 4`, 4, 'edited'],
  ['an edited actor', `UPDATE $T SET actor = 'supervisor.mallory' WHERE seq = 3`, 3, 'edited'],
  ['an edited timestamp', `UPDATE $T SET at = at + interval '1 second' WHERE seq = 2`, 2, 'edited'],
  ['a deleted record', `DELETE FROM $T WHERE seq = 3`, 4, 'missing'],
  ['the first record deleted', `DELETE FROM $T WHERE seq = 1`, 2, 'missing'],
  [
    'two records swapped (reordered)',
    `UPDATE $T SET seq = 1000 WHERE seq = 3; UPDATE $T SET seq = 3 WHERE seq = 4; UPDATE $T SET seq = 4 WHERE seq = 1000`,
    3,
    'relinked',
  ],
  [
    'a deleted record with the later ones renumbered to close the gap',
    `DELETE FROM $T WHERE seq = 3; UPDATE $T SET seq = seq - 1 WHERE seq > 3`,
    3,
    'relinked',
  ],
])('%s: the verifier names the record', async (_what, sql, seq, problem) => {
  const { chain, schema } = await chainOf(6);
  await tamper(schema, sql);
  const result = await chain.verify();
  expect(result.ok).toBe(false);
  expect(result.brokenAt).toMatchObject({ seq, problem });
  expect(result.brokenAt?.detail).toContain(`record ${seq}`);
});

test('a long chain is walked across pages and a break far in is found', async () => {
  const { chain, schema } = await chainOf(25);
  expect(await verifyAuditChain(pools.at(-1)!, 7)).toMatchObject({ ok: true, checked: 25 });
  await tamper(schema, `UPDATE $T SET kind = 'nothing.happened' WHERE seq = 22`);
  expect((await verifyAuditChain(pools.at(-1)!, 7)).brokenAt).toMatchObject({ seq: 22, problem: 'edited' });
  expect((await chain.verify()).checked).toBe(22);
});

test('on a connection the caller holds (inside its transaction), the walk goes by keyset pages and finds the break too', async () => {
  const { schema } = await chainOf(25);
  const client = await pools.at(-1)!.connect();
  try {
    await client.query('BEGIN');
    expect(await verifyAuditChain(client, 4)).toMatchObject({ ok: true, checked: 25 });
    await client.query('COMMIT');
    await tamper(schema, `UPDATE $T SET actor = 'mallory' WHERE seq = 18`);
    expect(await verifyAuditChain(client, { pageSize: 4 })).toMatchObject({
      ok: false,
      checked: 18,
      brokenAt: { seq: 18, problem: 'edited' },
      why: 'record 18 does not match its hash: its content was changed',
    });
  } finally {
    client.release();
  }
});

test('the writing role has no UPDATE, DELETE or TRUNCATE, and the table refuses them anyway', async () => {
  const { schema } = await chainOf(2);
  const granted = await admin.query<{ privilege_type: string }>(
    `SELECT privilege_type FROM information_schema.table_privileges
      WHERE table_schema = $1 AND table_name = 'audit_records' AND grantee = current_user`,
    [schema],
  );
  const privileges = granted.rows.map((r) => r.privilege_type).sort();
  expect(privileges).toEqual(expect.arrayContaining(['INSERT', 'SELECT']));
  expect(privileges).not.toEqual(expect.arrayContaining(['UPDATE']));
  expect(privileges).not.toContain('DELETE');
  expect(privileges).not.toContain('TRUNCATE');
  // Even a role that bypasses privileges (the test's superuser) meets the triggers.
  await expect(admin.query(`UPDATE ${schema}.audit_records SET actor = 'x'`)).rejects.toThrow(/append-only/);
  await expect(admin.query(`DELETE FROM ${schema}.audit_records`)).rejects.toThrow(/append-only/);
  await expect(admin.query(`TRUNCATE ${schema}.audit_records`)).rejects.toThrow(/append-only/);
});
