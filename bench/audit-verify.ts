/**
 * Benchmark (a script, not a test): verify an audit chain of N records (default 1,000,000) against a
 * signed checkpoint of its head, and print records per second and the process's peak memory.
 *
 * The chain is built in a fresh database by PostgreSQL itself, in one statement: a recursive query
 * computes each record's version-2 hash from the one before (`audit_record_hash_v2`, the function
 * `audit_append` uses) and inserts them all, no round trip per record. Its head is signed as a
 * checkpoint into a temporary checkpoint directory. Then `verifyAuditChain` walks it as an auditor
 * would (server-side cursor, every hash recomputed in TypeScript from `data::text`, the checkpoint
 * compared), while the resident set size is sampled every 20 ms.
 *
 *   node --import tsx bench/audit-verify.ts [records] [pageSize]
 *   e.g. node --import tsx bench/audit-verify.ts 1000000
 *
 * PostgreSQL: DATABASE_URL (a server where it may create and drop a database), or an embedded one in
 * a temporary folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
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
import { freePort } from '../scripts/lib/ports';

const SCHEMA = 'bench';
const records = Number(process.argv[2] ?? 1_000_000);
const pageSize = Number(process.argv[3] ?? 1000);
if (!Number.isSafeInteger(records) || records < 1) throw new Error('records: a positive integer');
if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new Error('pageSize: a positive integer');

async function postgres(): Promise<{ url: string; stop: () => Promise<void> }> {
  const name = `audit_bench_${process.pid}`;
  const admin = process.env.DATABASE_URL;
  if (admin) {
    const sql = async (text: string) => {
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      try {
        await client.query(text);
      } finally {
        await client.end();
      }
    };
    await sql(`CREATE DATABASE ${name}`);
    const url = new URL(admin);
    url.pathname = `/${name}`;
    return { url: url.toString(), stop: () => sql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
  }
  const { startEmbeddedPostgres } = await import('../scripts/lib/embedded-postgres');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vcdc-bench-pg-'));
  const server = await startEmbeddedPostgres({ dir: path.join(dir, 'db'), port: await freePort() });
  await server.createDatabase(name);
  return {
    url: server.url(name),
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function main(): Promise<void> {
  const db = await postgres();
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
    const head = (
      await pool.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1')
    ).rows[0];
    if (!head || Number(head.seq) !== records) throw new Error(`filled ${head?.seq ?? 0} records, not ${records}`);

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
    if (!result.ok || result.checked !== records || result.checkpoint?.ok !== true)
      throw new Error(`verification did not pass: ${JSON.stringify(result)}`);

    const out = (k: string, v: string) => process.stdout.write(`${k.padEnd(28)} ${v}\n`);
    out('records', records.toLocaleString('en-US'));
    out('filled in (SQL, one INSERT)', `${(filled / 1000).toFixed(1)} s`);
    out('verified in', `${seconds.toFixed(2)} s (page ${pageSize}, server-side cursor, checkpoint seq ${head.seq} ok)`);
    out('records per second', Math.round(records / seconds).toLocaleString('en-US'));
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
