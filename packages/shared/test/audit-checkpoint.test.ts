/**
 * Signed checkpoints kept outside the database (issue 12), on real PostgreSQL, tampering as the
 * database owner would (the test database URL is the owner's; it disables the append-only triggers):
 * a rewrite of records behind a checkpoint with every later hash re-computed, the deletion of the last
 * record and an insertion are each detected, naming the record and the checkpoint it contradicts; the
 * chain alone would have said ok. The checkpointer refuses to sign a chain that contradicts its last
 * checkpoint, and forged checkpoint lines are not believed.
 */
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createTestDatabase } from '../../../test/support/database';
import { provisionForTest } from '../../../test/support/provision';
import {
  ActSigningKey,
  ActVerifyKeys,
  AuditChain,
  CheckpointRefused,
  checkpointChain,
  checkpointFile,
  checkpointSourceFromEnv,
  createPool,
  createServiceApp,
  ensureServiceRole,
  fileCheckpoints,
  migrateAuditChain,
  newActKeyPair,
  type Pool,
  type RunningService,
  readCheckpointsAfter,
  roleUrl,
  setRolePassword,
  signCheckpoint,
  silentLogger,
  startCheckpointer,
  startService,
  verifyAuditChain,
} from '../src';

const PASSWORD = 'test-only-audit-checkpoint-password';
const pair = newActKeyPair();
const key = ActSigningKey.parse(pair.signingKey);
const verifyKeys = ActVerifyKeys.parse(pair.verifyKey);
const other = ActSigningKey.parse(newActKeyPair().signingKey);

let databaseUrl: string;
let owner: pg.Client;
const pools: Pool[] = [];

beforeAll(async () => {
  databaseUrl = await createTestDatabase('audit_checkpoint');
  owner = new pg.Client({ connectionString: databaseUrl });
  await owner.connect();
});

afterAll(async () => {
  await owner?.end();
  await Promise.all(pools.map((p) => p.end()));
});

let n = 0;
/** A chain of `count` records appended by the service role, and a fresh checkpoint directory. */
async function chainOf(count: number) {
  const schema = `cp_t${++n}`;
  await migrateAuditChain(databaseUrl, schema);
  const role = `${schema}_service`;
  await ensureServiceRole(databaseUrl, { schema, role });
  await setRolePassword(databaseUrl, role, PASSWORD);
  const pool = createPool(roleUrl(databaseUrl, role, PASSWORD), schema);
  pools.push(pool);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'audit-checkpoints-'));
  const source = fileCheckpoints(dir, verifyKeys);
  const chain = new AuditChain(pool, { checkpoints: source, chain: schema });
  const append = async (k: number) => {
    for (let i = 0; i < k; i++)
      await chain.append({ kind: 'value.moved', actor: 'service:t', caseId: 'CASE-1', data: { amount: `${i}.5` } });
  };
  await append(count);
  return { schema, pool, dir, source, chain, append };
}

/** As the owner: with the triggers off, run `sql` ($T is the table). */
async function asOwner(schema: string, sql: string): Promise<void> {
  const table = `${schema}.audit_records`;
  await owner.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
  try {
    await owner.query(sql.replaceAll('$T', table));
  } finally {
    await owner.query(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
  }
}

/** As the owner: re-compute seq `from`'s hash and every later one, in order, so the chain alone is consistent again. */
async function rehashFrom(schema: string, from: number): Promise<void> {
  await asOwner(
    schema,
    `DO $$
     DECLARE r record; prev text;
     BEGIN
       SELECT hash INTO prev FROM $T WHERE seq = ${from - 1};
       prev := coalesce(prev, repeat('0', 64));
       FOR r IN SELECT * FROM $T WHERE seq >= ${from} ORDER BY seq LOOP
         UPDATE $T SET prev_hash = prev,
                       hash = ${schema}.audit_record_hash_v2(prev, r.seq, r.at, r.kind, r.actor, r.case_id, r.data)
          WHERE seq = r.seq
          RETURNING hash INTO prev;
       END LOOP;
     END $$`,
  );
}

test('a checkpoint is the head signed and appended to the chain’s file; the untouched chain verifies against it', async () => {
  const { schema, pool, dir, chain, append } = await chainOf(3);
  expect(await chain.verify()).toMatchObject({ ok: true, checked: 3, checkpoint: null });
  const first = await checkpointChain(pool, schema, key, dir);
  expect(first).toMatchObject({ written: true, checkpoint: { chain: schema, seq: 3 } });
  // The head has not moved: nothing new is signed.
  expect(await checkpointChain(pool, schema, key, dir)).toMatchObject({ written: false, checkpoint: { seq: 3 } });
  await append(2);
  expect(await checkpointChain(pool, schema, key, dir)).toMatchObject({ written: true, checkpoint: { seq: 5 } });
  const lines = readFileSync(checkpointFile(dir, schema), 'utf8').trim().split('\n');
  expect(lines).toHaveLength(2);
  expect(JSON.parse(lines[1]!)).toMatchObject({
    v: 1,
    checkpoint: { chain: schema, seq: 5 },
    signature: expect.any(String),
  });
  const result = await chain.verify();
  expect(result).toMatchObject({ ok: true, checked: 5, checkpoint: { seq: 5, ok: true, refused: 0 } });
  expect(result.checkpoint).toMatchObject({ keyId: first.checkpoint?.keyId, at: expect.stringMatching(/Z$/) });
});

test('the owner edits a record behind the checkpoint and re-computes every later hash: the chain alone says ok, the checkpoint does not', async () => {
  const { schema, pool, dir, chain, append } = await chainOf(4);
  await checkpointChain(pool, schema, key, dir); // seq 4
  await append(2);
  const last = await checkpointChain(pool, schema, key, dir); // seq 6
  await asOwner(schema, `UPDATE $T SET data = '{"amount": "0.01"}' WHERE seq = 5`);
  await rehashFrom(schema, 5);
  expect(await verifyAuditChain(pool)).toMatchObject({ ok: true, checked: 6 });
  const result = await chain.verify();
  expect(result).toMatchObject({
    ok: false,
    brokenAt: {
      seq: 6,
      problem: 'edited',
      from: 5,
      checkpoint: { seq: 6, hash: last.checkpoint?.hash, keyId: last.checkpoint?.keyId },
    },
    checkpoint: { seq: 6, ok: false },
  });
  expect(result.why).toMatch(
    /record 6 is not the record checkpoint seq 6 .* rewritten and re-hashed in records 5\.\.6 \(it still agrees with checkpoint seq 4/,
  );
  // The checkpointer will not sign the rewritten head either.
  await expect(checkpointChain(pool, schema, key, dir)).rejects.toThrow(CheckpointRefused);
});

test('the owner deletes the last record: the chain is shorter than the checkpoint says', async () => {
  const { schema, pool, dir, chain } = await chainOf(5);
  const signed = await checkpointChain(pool, schema, key, dir);
  await asOwner(schema, 'DELETE FROM $T WHERE seq = 5');
  expect(await verifyAuditChain(pool)).toMatchObject({ ok: true, checked: 4 });
  const result = await chain.verify();
  expect(result).toMatchObject({
    ok: false,
    checked: 4,
    brokenAt: { seq: 5, problem: 'missing', checkpoint: { seq: 5, hash: signed.checkpoint?.hash } },
    checkpoint: { seq: 5, ok: false },
  });
  expect(result.why).toMatch(/the chain ends at record 4, but checkpoint seq 5 .* record 5 was deleted/);
  await expect(checkpointChain(pool, schema, key, dir)).rejects.toThrow(/record\(s\) were deleted|deleted/);
});

test('the owner inserts a record and renumbers and re-hashes the rest: detected at the first checkpoint behind it', async () => {
  const { schema, pool, dir, chain } = await chainOf(6);
  await checkpointChain(pool, schema, key, dir);
  await asOwner(
    schema,
    `UPDATE $T SET seq = seq + 1000 WHERE seq >= 3;
     UPDATE $T SET seq = seq - 999 WHERE seq >= 1003;
     INSERT INTO $T (seq, at, kind, actor, case_id, data, prev_hash, hash, hash_v)
       VALUES (3, now(), 'value.moved', 'mallory', 'CASE-1', '{"amount": "1000"}', repeat('0', 64), repeat('0', 64), 2)`,
  );
  await rehashFrom(schema, 3);
  expect(await verifyAuditChain(pool)).toMatchObject({ ok: true, checked: 7 });
  expect(await chain.verify()).toMatchObject({
    ok: false,
    brokenAt: { seq: 6, problem: 'edited', from: 1, checkpoint: { seq: 6 } },
  });
});

test('as the service role, an insertion with a chosen seq is refused outright', async () => {
  const { pool } = await chainOf(2);
  await expect(
    pool.query(
      `INSERT INTO audit_records (seq, at, kind, actor, data, prev_hash, hash) VALUES (3, now(), 'k', 'mallory', '{}', repeat('0', 64), repeat('1', 64))`,
    ),
  ).rejects.toThrow(/permission denied/);
});

test('forged, damaged and foreign checkpoint lines are not believed, and are counted', async () => {
  const { schema, pool, dir, chain } = await chainOf(3);
  await checkpointChain(pool, schema, key, dir);
  const file = checkpointFile(dir, schema);
  // Signed by a key the verifier does not hold, claiming the chain is longer; a damaged line; another chain's checkpoint.
  appendFileSync(
    file,
    `${JSON.stringify(signCheckpoint(other, { chain: schema, seq: 9, hash: 'a'.repeat(64), at: new Date().toISOString() }))}\n`,
  );
  appendFileSync(file, '{"v":1,"checkpoint":\n');
  const tampered = signCheckpoint(key, { chain: schema, seq: 3, hash: 'b'.repeat(64), at: new Date().toISOString() });
  appendFileSync(file, `${JSON.stringify({ ...tampered, checkpoint: { ...tampered.checkpoint, seq: 2 } })}\n`);
  appendFileSync(
    file,
    `${JSON.stringify(signCheckpoint(key, { chain: 'elsewhere', seq: 1, hash: 'c'.repeat(64), at: new Date().toISOString() }))}\n`,
  );
  expect(await chain.verify()).toMatchObject({ ok: true, checked: 3, checkpoint: { seq: 3, ok: true, refused: 4 } });
});

test('the periodic checkpointer signs when the head moves, on demand too, and stops', async () => {
  const { schema, pool, dir, append } = await chainOf(2);
  const checkpointer = startCheckpointer({ db: pool, chain: schema, key, dir, intervalMs: 1000 });
  try {
    expect(await checkpointer.checkpoint()).toMatchObject({ checkpoint: { seq: 2 } });
    await append(1);
    // On demand (e.g. at a case's stage change)…
    expect(await checkpointer.checkpoint()).toMatchObject({ written: true, checkpoint: { seq: 3 } });
    await append(1);
    // …and by the timer.
    const source = fileCheckpoints(dir, verifyKeys);
    for (let i = 0; i < 50; i++) {
      const { checkpoints } = await source.read(schema);
      if (checkpoints.some((c) => c.seq === 4)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await source.read(schema)).checkpoints.map((c) => c.seq)).toEqual([2, 3, 4]);
  } finally {
    await checkpointer.stop();
  }
});

test('asks made while a checkpoint waits to start share it; each still gets one that began after its ask', async () => {
  const { schema, pool, dir, append } = await chainOf(2);
  let queries = 0;
  const counted = {
    query: ((...args: Parameters<Pool['query']>) => {
      queries++;
      return (pool.query as (...a: unknown[]) => unknown)(...args);
    }) as Pool['query'],
  } as Pool;
  const checkpointer = startCheckpointer({ db: counted, chain: schema, key, dir, intervalMs: 3_600_000 });
  try {
    await checkpointer.checkpoint(); // the first tick's, and this one
    const one = queries;
    await checkpointer.checkpoint();
    const perCheckpoint = queries - one;
    expect(perCheckpoint).toBeGreaterThan(0);
    await append(3);
    queries = 0;
    // Twenty asks at once (cases at their stage changes): the one running and one shared after it, not twenty.
    const answers = await Promise.all(Array.from({ length: 20 }, () => checkpointer.checkpoint()));
    expect(queries).toBeLessThanOrEqual(2 * perCheckpoint);
    for (const a of answers) expect(a.checkpoint?.seq).toBe(5);
    // A record appended after the asks is not vouched for by a checkpoint that had started: the next ask signs it.
    await append(1);
    expect(await checkpointer.checkpoint()).toMatchObject({ written: true, checkpoint: { seq: 6 } });
  } finally {
    await checkpointer.stop();
  }
});

test('a checkpointer reads only what was appended to its file since its last look, and a replaced file from its start', async () => {
  const { schema, pool, dir, append } = await chainOf(1);
  const cursor = { offset: 0 };
  await checkpointChain(pool, schema, key, dir, { cursor });
  const file = checkpointFile(dir, schema);
  const firstLength = readFileSync(file).length;
  await append(1);
  // Another instance of the service signs the head: the cursor sees its line, not only its own.
  await checkpointChain(pool, schema, key, dir);
  await append(1);
  expect(await checkpointChain(pool, schema, key, dir, { cursor })).toMatchObject({
    written: true,
    checkpoint: { seq: 3 },
  });
  expect(cursor).toMatchObject({ latest: { seq: 3 } });
  // The head has not moved: the next look reads the line it wrote and signs nothing.
  expect(await checkpointChain(pool, schema, key, dir, { cursor })).toMatchObject({ written: false });
  expect(cursor).toMatchObject({ offset: readFileSync(file).length, latest: { seq: 3 } });
  // Lines before the cursor are not read again: a damaged line there is not even seen…
  const lines = readFileSync(file, 'utf8');
  writeFileSync(file, `${'x'.repeat(firstLength - 1)}\n${lines.slice(firstLength)}`);
  expect(await readCheckpointsAfter(dir, schema, verifyKeys, { ...cursor })).toMatchObject({ latest: { seq: 3 } });
  // …while a file cut shorter than the cursor is read again from its start (here it holds only seq 1).
  writeFileSync(file, lines.slice(0, firstLength));
  expect(await readCheckpointsAfter(dir, schema, verifyKeys, { ...cursor })).toMatchObject({
    offset: firstLength,
    latest: { seq: 1 },
  });
});

test('settings from the environment: AUDIT_CHECKPOINT_DIR and AUDIT_CHECKPOINT_VERIFY_KEYS make the verifier’s source', async () => {
  const { schema, pool, dir } = await chainOf(2);
  await checkpointChain(pool, schema, key, dir);
  expect(checkpointSourceFromEnv({})).toBeUndefined();
  expect(() => checkpointSourceFromEnv({ AUDIT_CHECKPOINT_DIR: dir, AUDIT_CHECKPOINT_VERIFY_KEYS: 'nope' })).toThrow(
    /AUDIT_CHECKPOINT_VERIFY_KEYS/,
  );
  const source = checkpointSourceFromEnv({ AUDIT_CHECKPOINT_DIR: dir, AUDIT_CHECKPOINT_VERIFY_KEYS: pair.verifyKey });
  expect(source).toBeDefined();
  // The chain's name defaults to the schema.
  expect(await verifyAuditChain(pool, { checkpoints: source! })).toMatchObject({ ok: true, checkpoint: { seq: 2 } });
});

test('a service started with AUDIT_CHECKPOINT_KEY and AUDIT_CHECKPOINT_DIR checkpoints its chain; GET /v1/audit/verify checks against it', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'audit-checkpoints-service-'));
  const settings = {
    AUDIT_CHECKPOINT_KEY: pair.signingKey,
    AUDIT_CHECKPOINT_DIR: dir,
    AUDIT_CHECKPOINT_INTERVAL_MS: '1000',
  };
  const saved = Object.fromEntries(Object.keys(settings).map((k) => [k, process.env[k]]));
  Object.assign(process.env, settings);
  let service: RunningService | undefined;
  let servicePool: Pool | undefined;
  try {
    const migrationsDir = path.join(__dirname, 'fixtures/migrations');
    const serviceUrl = await provisionForTest(databaseUrl, { schema: 'cp_ledger', dir: migrationsDir });
    service = await startService({
      name: 'ledger',
      config: { PORT: 0, HOST: '127.0.0.1', DATABASE_URL: serviceUrl, DB_SCHEMA: 'cp_ledger' },
      migrationsDir,
      logger: silentLogger(),
      buildApp: (pool, { serviceRole }) => {
        servicePool = pool;
        void new AuditChain(pool).append({ kind: 'value.moved', actor: 'service:ledger', data: { amount: '1' } });
        return createServiceApp({
          service: 'ledger',
          logger: silentLogger(),
          readiness: async () => undefined,
          routes: () => undefined,
          audit: { pool, role: serviceRole },
        });
      },
    });
    const source = fileCheckpoints(dir, verifyKeys);
    for (let i = 0; i < 50 && (await source.read('cp_ledger')).checkpoints.length === 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect((await source.read('cp_ledger')).checkpoints).toEqual([expect.objectContaining({ seq: 1 })]);
    const verify = async () => (await fetch(`${service!.url}/v1/audit/verify`)).json();
    expect(await verify()).toMatchObject({ ok: true, checked: 1, checkpoint: { seq: 1, ok: true } });

    // A stage change of a case asks for a checkpoint now: the signed line comes back (for the case's history).
    const askNow = () =>
      fetch(`${service!.url}/v1/audit/checkpoints`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ caseId: 'CASE-1', stage: 'TREASURY' }),
      });
    const unmoved = await askNow();
    expect(unmoved.status).toBe(200);
    expect(await unmoved.json()).toMatchObject({ chain: 'cp_ledger', written: false, checkpoint: { seq: 1 } });
    await new AuditChain(servicePool!).append({ kind: 'value.moved', actor: 'service:ledger', data: { amount: '2' } });
    // A body that is not { caseId?, stage? } of strings: 400 naming the field, and nothing signed though the head has moved.
    const signedLines = () => readFileSync(checkpointFile(dir, 'cp_ledger'), 'utf8').trim().split('\n').length;
    const before = signedLines();
    const bad = await fetch(`${service!.url}/v1/audit/checkpoints`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ caseId: 5 }),
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await bad.json()).toMatchObject({
      type: 'urn:vcdc:problem:validation',
      errors: [expect.objectContaining({ field: 'caseId' })],
    });
    expect(signedLines()).toBe(before);
    const moved = await askNow();
    const answer = (await moved.json()) as { signed?: unknown };
    expect(answer).toMatchObject({ chain: 'cp_ledger', written: true, checkpoint: { seq: 2 } });
    expect(readFileSync(checkpointFile(dir, 'cp_ledger'), 'utf8').trim().split('\n').at(-1)).toBe(
      JSON.stringify(answer.signed),
    );
    await asOwner('cp_ledger', `UPDATE $T SET actor = 'mallory' WHERE seq = 2`);
    const refused = await askNow();
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ type: 'urn:vcdc:problem:checkpoint-refused' });
    await asOwner('cp_ledger', `UPDATE $T SET actor = 'service:ledger' WHERE seq = 2`);
    await asOwner('cp_ledger', 'DELETE FROM $T');
    expect(await verify()).toMatchObject({
      ok: false,
      checked: 0,
      brokenAt: { seq: 1, problem: 'missing', checkpoint: { seq: 2 } },
      why: expect.stringContaining('records 1..2 were deleted'),
    });
  } finally {
    await service?.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});
