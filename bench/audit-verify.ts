/**
 * Benchmark (a script, not a test): verify an audit chain of N records (default 1,000,000) against a
 * signed checkpoint of its head, and compare a bound money table of M rows (default 100,000) with the
 * images the chain holds of them; print records per second and the process's peak memory.
 *
 * The chain is built in a fresh database by PostgreSQL itself, in one statement: a recursive query
 * computes each record's version-2 hash from the one before (`audit_record_hash_v2`, the function
 * `audit_append` uses) and inserts them all, no round trip per record. Its head is signed as a
 * checkpoint into a temporary checkpoint directory. Then `verifyAuditChain` walks it as an auditor
 * would (server-side cursor, every hash recomputed in TypeScript from `data::text`, the checkpoint
 * compared), while the resident set size is sampled every 20 ms.
 *
 * The money table is a ledger of M lines over 1,000 cases, bound by `audit_bind_table` (audit migration
 * 00004) after the records: its rows' images are the chain's last M records (`row.bound`), and the
 * verifier compares every row and every case's sum with them in the walk's snapshot.
 *
 *   node --import tsx bench/audit-verify.ts [records] [pageSize] [rows]
 *   e.g. node --import tsx bench/audit-verify.ts 1000000
 *
 * PostgreSQL: DATABASE_URL (a server where it may create and drop a database), or an embedded one in
 * a temporary folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  ActSigningKey,
  ActVerifyKeys,
  checkpointFile,
  createPool,
  fileCheckpoints,
  migrateAuditChain,
  newActKeyPair,
  signCheckpoint,
  verifyAuditChain,
} from '../packages/shared/src';
import { benchDatabase } from './lib/postgres';

const SCHEMA = 'bench';
const records = Number(process.argv[2] ?? 1_000_000);
const pageSize = Number(process.argv[3] ?? 1000);
const rows = Number(process.argv[4] ?? 100_000);
if (!Number.isSafeInteger(rows) || rows < 0) throw new Error('rows: a non-negative integer');
if (!Number.isSafeInteger(records) || records < 1) throw new Error('records: a positive integer');
if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new Error('pageSize: a positive integer');

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function main(): Promise<void> {
  const db = await benchDatabase(`audit_bench_${process.pid}`);
  const checkpointDir = mkdtempSync(path.join(os.tmpdir(), 'vcdc-bench-checkpoints-'));
  const pool = createPool(db.url, SCHEMA, 2);
  try {
    await migrateAuditChain(db.url, SCHEMA);

    // What record i holds: a movement of value like the services append, its data a few hundred bytes.
    await pool.query(
      `CREATE FUNCTION bench_record(i BIGINT)
       RETURNS TABLE (at TIMESTAMPTZ, kind TEXT, actor TEXT, case_id TEXT, data JSONB) LANGUAGE sql IMMUTABLE AS $$
         SELECT timestamptz '2026-01-01 00:00:00+00' + i * interval '1 millisecond',
                (ARRAY['value.moved', 'decision.accepted', 'request.refused'])[i % 3 + 1],
                'service:custody',
                'CASE-' || (i % 1000),
                jsonb_build_object(
                  'amount', (i % 100000) || '.' || lpad((i % 100000000)::text, 8, '0'),
                  'asset', 'BTC',
                  'txid', md5(i::text) || md5((i + 1)::text),
                  'stage', 'DISPOSAL_PLAN',
                  'venue', 'venue-a',
                  'fees', jsonb_build_array(jsonb_build_object('asset', 'BTC', 'amount', '0.00001000'))
                )
       $$`,
    );
    const started = Date.now();
    // One statement: each record's hash from the one before, computed by PostgreSQL.
    await pool.query(
      `INSERT INTO audit_records (seq, at, kind, actor, case_id, data, prev_hash, hash, hash_v)
       WITH RECURSIVE chain (seq, at, kind, actor, case_id, data, prev_hash, hash) AS (
         SELECT 1::bigint, r.at, r.kind, r.actor, r.case_id, r.data, repeat('0', 64),
                audit_record_hash_v2(repeat('0', 64), 1, r.at, r.kind, r.actor, r.case_id, r.data)
           FROM (SELECT * FROM bench_record(1)) r
         UNION ALL
         SELECT c.seq + 1, r.at, r.kind, r.actor, r.case_id, r.data, c.hash,
                audit_record_hash_v2(c.hash, c.seq + 1, r.at, r.kind, r.actor, r.case_id, r.data)
           FROM chain c, LATERAL bench_record(c.seq + 1) r
          WHERE c.seq < $1
       )
       SELECT seq, at, kind, actor, case_id, data, prev_hash, hash, 2 FROM chain`,
      [records],
    );
    const filled = Date.now() - started;
    // The bound money table: its rows first, then the binding appends each row's image to the chain.
    const bindStarted = Date.now();
    await pool.query(
      `CREATE TABLE ledger (case_id TEXT NOT NULL, line INTEGER NOT NULL, asset TEXT NOT NULL, amount NUMERIC NOT NULL,
                            at TIMESTAMPTZ NOT NULL, PRIMARY KEY (case_id, line))`,
    );
    await pool.query(
      `INSERT INTO ledger
       SELECT 'CASE-' || (i % 1000), i / 1000 + 1, 'BTC', ((i % 100000) || '.' || lpad((i % 100000000)::text, 8, '0'))::numeric,
              timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second'
         FROM generate_series(0, $1::int - 1) AS i`,
      [rows],
    );
    if (rows > 0) await pool.query(`SELECT audit_bind_table('ledger')`);
    const bound = Date.now() - bindStarted;
    const total = records + (rows > 0 ? rows + 1 : 0);
    const head = (
      await pool.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1')
    ).rows[0];
    if (!head || Number(head.seq) !== total) throw new Error(`filled ${head?.seq ?? 0} records, not ${total}`);

    // The head signed as a checkpoint, as the checkpointer would (without its own full verification).
    const pair = newActKeyPair();
    const signed = signCheckpoint(ActSigningKey.parse(pair.signingKey), {
      chain: SCHEMA,
      seq: Number(head.seq),
      hash: head.hash,
      at: new Date().toISOString(),
    });
    const file = await open(checkpointFile(checkpointDir, SCHEMA), 'a');
    await file.write(`${JSON.stringify(signed)}\n`);
    await file.close();
    const checkpoints = fileCheckpoints(checkpointDir, ActVerifyKeys.parse(pair.verifyKey));

    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const t0 = process.hrtime.bigint();
    const result = await verifyAuditChain(pool, { checkpoints, chain: SCHEMA, pageSize });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    const ledger = result.tables?.find((t) => t.table === 'ledger');
    if (!result.ok || result.checked !== total || result.checkpoint?.ok !== true || (rows > 0 && ledger?.rows !== rows))
      throw new Error(`verification did not pass: ${JSON.stringify(result)}`);

    const out = (k: string, v: string) => process.stdout.write(`${k.padEnd(28)} ${v}\n`);
    out('records', total.toLocaleString('en-US'));
    out('filled in (SQL, one INSERT)', `${(filled / 1000).toFixed(1)} s`);
    out('money rows bound', `${rows.toLocaleString('en-US')} (bound in ${(bound / 1000).toFixed(1)} s)`);
    out(
      'verified in',
      `${seconds.toFixed(2)} s (page ${pageSize}, server-side cursor, checkpoint seq ${head.seq} ok, ${rows.toLocaleString('en-US')} rows and ${ledger?.balances?.cases ?? 0} case sums compared)`,
    );
    out('records per second', Math.round(total / seconds).toLocaleString('en-US'));
    out('rss before verifying', mb(baseline));
    out('peak rss while verifying', mb(peak));
    out('peak rss of the process', mb(process.resourceUsage().maxRSS * 1024));
    out('node', process.version);
  } finally {
    await pool.end();
    await db.stop();
    rmSync(checkpointDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
