/**
 * Records are appended by the database itself (issue 12), on real PostgreSQL: the service role may
 * only call `audit_append(kind, actor, case_id, data)`, which assigns seq, time, link and hash; its
 * own INSERT with a seq of its choosing is refused. Records written before the function existed
 * (hash version 1) still verify, and the chain goes on from them with version 2.
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createTestDatabase } from '../../../test/support/database';
import {
  AUDIT_MIGRATIONS_DIR,
  AuditChain,
  appendAuditRecord,
  appendAuditRecords,
  assertServiceRole,
  auditRecordHash,
  auditRecordHashV2,
  createPool,
  ensureServiceRole,
  GENESIS_HASH,
  migrate,
  migrateAuditChain,
  type Pool,
  roleUrl,
  setRolePassword,
  verifyAuditChain,
} from '../src';

const PASSWORD = 'test-only-audit-append-password';
let databaseUrl: string;
let owner: pg.Client;
const pools: Pool[] = [];

beforeAll(async () => {
  databaseUrl = await createTestDatabase('audit_append');
  owner = new pg.Client({ connectionString: databaseUrl });
  await owner.connect();
});

afterAll(async () => {
  await owner?.end();
  await Promise.all(pools.map((p) => p.end()));
});

/** A chain in `schema`, and a pool logged in as `<schema>_service` as a service's would be. */
async function servicePool(schema: string): Promise<Pool> {
  const role = `${schema}_service`;
  await ensureServiceRole(databaseUrl, { schema, role });
  await setRolePassword(databaseUrl, role, PASSWORD);
  const pool = createPool(roleUrl(databaseUrl, role, PASSWORD), schema);
  pools.push(pool);
  return pool;
}

test('the service role appends through audit_append only: its own INSERT, with a seq of its choosing, is refused', async () => {
  await migrateAuditChain(databaseUrl, 'append_a');
  const pool = await servicePool('append_a');
  const chain = new AuditChain(pool);
  const first = await chain.append({
    kind: 'value.moved',
    actor: 'service:a',
    caseId: 'CASE-1',
    data: { amount: '1.5' },
  });
  expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH, kind: 'value.moved', caseId: 'CASE-1' });
  const forged = [
    `INSERT INTO audit_records (seq, at, kind, actor, data, prev_hash, hash) VALUES (1000, now(), 'x', 'mallory', '{}', '${'0'.repeat(64)}', '${'1'.repeat(64)}')`,
    `INSERT INTO audit_records (seq, at, kind, actor, data, prev_hash, hash) VALUES (2, now(), 'x', 'mallory', '{}', '${first.hash}', '${'1'.repeat(64)}')`,
  ];
  for (const sql of forged) await expect(pool.query(sql)).rejects.toThrow(/permission denied/);
  // Nor can it give itself the right back.
  await expect(pool.query(`GRANT INSERT ON audit_records TO append_a_service; ${forged[1]}`)).rejects.toThrow(
    /permission denied/,
  );
  const second = await chain.append({ kind: 'value.moved', actor: 'service:a', data: { amount: '2' } });
  expect(second).toMatchObject({ seq: 2, prevHash: first.hash });
  expect(await chain.verify()).toMatchObject({ ok: true, checked: 2, headHash: second.hash });
  await expect(assertServiceRole(pool, 'append_a_service')).resolves.toBeUndefined();
});

test('the definer function cannot be pointed elsewhere: a temporary audit_records of the caller’s is not the chain', async () => {
  await migrateAuditChain(databaseUrl, 'append_e');
  const pool = await servicePool('append_e');
  const client = await pool.connect();
  try {
    await client.query('CREATE TEMP TABLE audit_records (LIKE append_e.audit_records)');
    await client.query(`SET search_path = pg_temp, append_e`);
    await appendAuditRecord(client, { kind: 'k', actor: 'a', data: {} });
    expect((await client.query('SELECT count(*)::int AS n FROM pg_temp.audit_records')).rows[0].n).toBe(0);
    expect((await client.query('SELECT count(*)::int AS n FROM append_e.audit_records')).rows[0].n).toBe(1);
    await client.query('DISCARD ALL');
  } finally {
    client.release();
  }
  expect(await verifyAuditChain(pool)).toMatchObject({ ok: true, checked: 1 });
});

test('the database assigns seq, time (to the millisecond), link and a version-2 hash the verifier recomputes', async () => {
  await migrateAuditChain(databaseUrl, 'append_b');
  const pool = await servicePool('append_b');
  const data = {
    amount: '1.50000000',
    n: 12.5,
    big: 1e21,
    text: 'quote " backslash \\ newline \n tab \t 汉字 😀 \u0001',
    nested: { z: [1, 'two', null, true], a: {} },
  };
  const client = await pool.connect();
  let record: Awaited<ReturnType<typeof appendAuditRecord>>;
  try {
    await client.query('BEGIN');
    record = await appendAuditRecord(client, { kind: 'k\nind', actor: 'actor:é', data });
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  expect(record.seq).toBe(1);
  expect(record.at).toMatch(/\.\d{3}Z$/);
  expect(Math.abs(Date.parse(record.at) - Date.now())).toBeLessThan(60_000);
  const { rows } = await owner.query(
    `SELECT hash_v, data::text AS data_text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at_text
       FROM append_b.audit_records WHERE seq = 1`,
  );
  expect(rows[0].hash_v).toBe(2);
  // Recomputed in TypeScript from what the database reads back: not trusting its sha256.
  expect(
    auditRecordHashV2({
      prevHash: GENESIS_HASH,
      seq: 1,
      at: rows[0].at_text,
      kind: 'k\nind',
      actor: 'actor:é',
      caseId: null,
      dataText: rows[0].data_text,
    }),
  ).toBe(record.hash);
  // An append rolled back leaves no gap: the next one takes seq 2.
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    await appendAuditRecord(tx, { kind: 'rolled.back', actor: 'a', data: {} });
    await tx.query('ROLLBACK');
  } finally {
    tx.release();
  }
  expect((await new AuditChain(pool).append({ kind: 'k', actor: 'a', data: {} })).seq).toBe(2);
  expect(await verifyAuditChain(pool)).toMatchObject({ ok: true, checked: 2 });
});

test('several records appended in one statement: in the order given, linked as one at a time would be, by the service role', async () => {
  await migrateAuditChain(databaseUrl, 'append_batch');
  const pool = await servicePool('append_batch');
  const chain = new AuditChain(pool);
  const first = await chain.append({ kind: 'before', actor: 'a', data: {} });
  const client = await pool.connect();
  const sent: string[] = [];
  const query = client.query.bind(client);
  (client as unknown as { query: typeof query }).query = ((text: string, ...rest: unknown[]) => {
    sent.push(text);
    return (query as (...a: unknown[]) => unknown)(text, ...rest);
  }) as typeof query;
  let records: Awaited<ReturnType<typeof appendAuditRecords>>;
  try {
    await client.query('BEGIN');
    sent.length = 0;
    records = await appendAuditRecords(client, [
      { kind: 'exchange.order.placed', actor: 'service:x', caseId: 'CASE-1', data: { n: 1 } },
      { kind: 'exchange.fill.booked', actor: 'service:x', caseId: 'CASE-1', data: { n: 2, text: 'quote " \\ 汉字' } },
      { kind: 'exchange.order.closed', actor: 'service:x', data: { n: 3 } },
    ]);
    expect(sent).toHaveLength(1);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  expect(records.map((r) => [r.seq, r.kind, r.caseId])).toEqual([
    [2, 'exchange.order.placed', 'CASE-1'],
    [3, 'exchange.fill.booked', 'CASE-1'],
    [4, 'exchange.order.closed', undefined],
  ]);
  expect(records.map((r) => r.prevHash)).toEqual([first.hash, records[0]?.hash, records[1]?.hash]);
  expect(records[1]?.data).toEqual({ n: 2, text: 'quote " \\ 汉字' });
  expect(await chain.verify()).toMatchObject({ ok: true, checked: 4, headHash: records[2]?.hash });
  expect(await appendAuditRecords(pool, [])).toEqual([]);
  // One record the function refuses refuses them all: the statement appends nothing.
  await expect(
    appendAuditRecords(pool, [
      { kind: 'fine', actor: 'a', data: {} },
      { kind: 'row.forged', actor: 'a', data: {} },
    ]),
  ).rejects.toThrow(/appended by the database itself/);
  expect(await chain.verify()).toMatchObject({ ok: true, checked: 4 });
});

test('version-2 hashes bind every field: an edit of any field, or a hash version changed back to 1, is named', async () => {
  await migrateAuditChain(databaseUrl, 'append_c');
  const pool = await servicePool('append_c');
  const chain = new AuditChain(pool);
  for (let i = 1; i <= 4; i++) await chain.append({ kind: 'k', actor: 'a', caseId: `C-${i}`, data: { i } });
  const edits: Array<[string, string]> = [
    ['case_id', `UPDATE $T SET case_id = NULL WHERE seq = 3`],
    ['at (a microsecond)', `UPDATE $T SET at = at + interval '1 microsecond' WHERE seq = 3`],
    ['hash version', `UPDATE $T SET hash_v = 1 WHERE seq = 3`],
  ];
  const { rows: saved } = await owner.query('SELECT * FROM append_c.audit_records WHERE seq = 3');
  for (const [what, sql] of edits) {
    await owner.query('ALTER TABLE append_c.audit_records DISABLE TRIGGER USER');
    try {
      await owner.query(sql.replaceAll('$T', 'append_c.audit_records'));
      const result = await chain.verify();
      expect({ what, ok: result.ok, seq: result.brokenAt?.seq, problem: result.brokenAt?.problem }).toEqual({
        what,
        ok: false,
        seq: 3,
        problem: 'edited',
      });
      expect(result.why).toMatch(/record 3/);
      await owner.query('DELETE FROM append_c.audit_records WHERE seq = 3');
      await owner.query(
        'INSERT INTO append_c.audit_records SELECT * FROM jsonb_populate_record(NULL::append_c.audit_records, $1)',
        [JSON.stringify(saved[0])],
      );
    } finally {
      await owner.query('ALTER TABLE append_c.audit_records ENABLE TRIGGER USER');
    }
  }
  expect(await chain.verify()).toMatchObject({ ok: true, checked: 4 });
});

test('records written before the migration (hash version 1) still verify, and the chain goes on from them', async () => {
  // A chain as it was before 00003: only the first two migrations, appended by the old code.
  const before = mkdtempSync(path.join(os.tmpdir(), 'audit-before-'));
  for (const f of ['00001_audit_chain.sql', '00002_signed_acts.sql'])
    copyFileSync(path.join(AUDIT_MIGRATIONS_DIR, f), path.join(before, f));
  await migrate({ databaseUrl, schema: 'append_old', dir: before, auditChain: false });
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= 3; seq++) {
    const record = {
      seq,
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq, 123)).toISOString(),
      kind: 'value.moved',
      actor: 'service:old',
      ...(seq === 2 ? { caseId: 'CASE-OLD' } : {}),
      data: { amount: `${seq}.10`, nested: { b: 1, a: [seq] } },
      prevHash,
    };
    const hash = auditRecordHash(record);
    await owner.query(
      `INSERT INTO append_old.audit_records (seq, at, kind, actor, case_id, data, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [seq, record.at, record.kind, record.actor, record.caseId ?? null, record.data, prevHash, hash],
    );
    prevHash = hash;
  }
  // Now the migration: the old rows are version 1.
  expect(await migrateAuditChain(databaseUrl, 'append_old')).toEqual([
    '00003_append_by_the_database',
    '00004_bound_rows',
  ]);
  const pool = await servicePool('append_old');
  const chain = new AuditChain(pool);
  const next = await chain.append({ kind: 'value.moved', actor: 'service:new', data: { amount: '4' } });
  expect(next).toMatchObject({ seq: 4, prevHash });
  const { rows } = await owner.query('SELECT seq, hash_v FROM append_old.audit_records ORDER BY seq');
  expect(rows).toEqual([
    { seq: 1, hash_v: 1 },
    { seq: 2, hash_v: 1 },
    { seq: 3, hash_v: 1 },
    { seq: 4, hash_v: 2 },
  ]);
  expect(await chain.verify()).toMatchObject({ ok: true, checked: 4, headHash: next.hash });
  // An edit of an old record is still found by the old hash.
  await owner.query('ALTER TABLE append_old.audit_records DISABLE TRIGGER USER');
  await owner.query(`UPDATE append_old.audit_records SET actor = 'mallory' WHERE seq = 2`);
  await owner.query('ALTER TABLE append_old.audit_records ENABLE TRIGGER USER');
  expect((await chain.verify()).brokenAt).toMatchObject({ seq: 2, problem: 'edited' });
});

test('a role that still holds INSERT on audit_records fails the readiness check; start-up takes it away again', async () => {
  await migrate({ databaseUrl, schema: 'append_d', dir: path.join(__dirname, 'fixtures/migrations') });
  const pool = await servicePool('append_d');
  await expect(assertServiceRole(pool, 'append_d_service')).resolves.toBeUndefined();
  await owner.query('GRANT INSERT ON append_d.audit_records TO append_d_service');
  await expect(assertServiceRole(pool, 'append_d_service')).rejects.toThrow(/may INSERT into audit_records/);
  await ensureServiceRole(databaseUrl, { schema: 'append_d', role: 'append_d_service' });
  await expect(assertServiceRole(pool, 'append_d_service')).resolves.toBeUndefined();
  await owner.query('REVOKE EXECUTE ON FUNCTION append_d.audit_append(text, text, text, jsonb) FROM append_d_service');
  await expect(assertServiceRole(pool, 'append_d_service')).rejects.toThrow(/may not append/);
  await ensureServiceRole(databaseUrl, { schema: 'append_d', role: 'append_d_service' });
  await expect(assertServiceRole(pool, 'append_d_service')).resolves.toBeUndefined();
  // The function is not anyone's: PUBLIC may not execute it.
  const { rows } = await owner.query(
    `SELECT has_function_privilege('public', 'append_d.audit_append(text, text, text, jsonb)', 'EXECUTE') AS public`,
  );
  expect(rows[0].public).toBe(false);
});
