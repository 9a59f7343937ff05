/**
 * Reading and verifying an audit chain: the records' hashes (two versions), the walk in `seq` order
 * through a server-side cursor (memory stays flat however long the chain), and the comparison with
 * signed checkpoints kept outside the database (./checkpoint.ts).
 *
 * What each check catches:
 *  - a record edited in place: its hash no longer matches its content ('edited');
 *  - a record deleted: a gap in `seq` ('missing'); records reordered or renumbered: a broken link ('relinked');
 *  - the owner rewriting records AND re-computing every later hash (the chain alone is consistent):
 *    the record a signed checkpoint names no longer has the hash that was signed ('edited', with
 *    `brokenAt.checkpoint`);
 *  - the last records deleted: the chain ends before a signed checkpoint's seq ('missing', with
 *    `brokenAt.checkpoint`);
 *  - a record inserted (the later ones renumbered and re-hashed): as a rewrite.
 */
import { canonicalJson, sha256Hex } from '../canonical';
import type { Pool, PoolClient, Queryable } from '../db/pool';
import { type BoundTable, type BoundTableCheck, boundTableOf, checkBoundTable, tableWhy } from './bound-tables';
import type { CheckpointSource, VerifiedCheckpoint } from './checkpoint';

/** The link of the first record: there is nothing before it. */
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  /** What happened, e.g. `decision.accepted`, `decision.refused`, `access.refused`, `value.moved`. */
  kind: string;
  /** Who did it (a person's id, or a service/workflow for automatic steps; `anonymous` when unknown). */
  actor: string;
  caseId?: string;
  /** The particulars; amounts as decimal strings. */
  data: Record<string, unknown>;
}

export interface AuditRecord extends AuditEntry {
  seq: number;
  at: string;
  prevHash: string;
  hash: string;
}

export type ChainBreak = 'edited' | 'missing' | 'relinked';

/** A signed checkpoint as a verification names it. */
export interface CheckpointRef {
  /** The chain's record it vouches for, and that record's hash when it was signed. */
  seq: number;
  hash: string;
  /** When it was signed. */
  at: string;
  /** Which verify key's signature it carries. */
  keyId: string;
}

export interface ChainVerification {
  ok: boolean;
  /** Records checked (up to and including the first broken one). */
  checked: number;
  /** The hash of the last good record: the chain's head when ok. */
  headHash: string;
  /** The first record where the chain breaks. */
  brokenAt?: {
    seq: number;
    problem: ChainBreak;
    detail: string;
    /** The signed checkpoint the chain contradicts (a rewrite or a truncation behind it). */
    checkpoint?: CheckpointRef;
    /**
     * For a rewrite seen only through a checkpoint: the first record that may have been rewritten
     * (the one after the last checkpoint the chain still agrees with); the rewrite is in `from`..`seq`.
     */
    from?: number;
  };
  /** Why the chain is broken, in words naming the record (and the checkpoint it contradicts). */
  why?: string;
  /**
   * The refusals the chain holds (records whose kind ends in `.refused`), by kind: every refused act,
   * decision, call and message is a record, so an auditor sees how many were tried and of which sort.
   */
  refusals?: { total: number; byKind: Record<string, number> };
  /**
   * With a checkpoint source: the latest valid signed checkpoint of this chain (`null`: none yet),
   * and whether the chain agrees with it. `refused` counts lines of the checkpoint file that are not
   * a valid signed checkpoint of this chain (forged, damaged, unknown key).
   */
  checkpoint?: (CheckpointRef & { ok: boolean; refused: number }) | { seq: null; ok: boolean; refused: number } | null;
  /**
   * The bound money tables (./bound-tables.ts), each compared row by row and case by case with the
   * images the verified chain holds; a table that differs makes the verification fail.
   */
  tables?: BoundTableCheck[];
}

/** Version 1 (records written by TypeScript before migration 00003): over canonical JSON. */
export function auditRecordHash(r: Omit<AuditRecord, 'hash'>): string {
  return sha256Hex(
    canonicalJson({
      prevHash: r.prevHash,
      seq: r.seq,
      at: r.at,
      kind: r.kind,
      actor: r.actor,
      caseId: r.caseId ?? null,
      data: r.data,
    }),
  );
}

/** What version 2 hashes: the record as the database reads it back. */
export interface HashV2Fields {
  prevHash: string;
  seq: number;
  /** UTC, microseconds: `YYYY-MM-DDTHH:MM:SS.ffffffZ` (see AT_TEXT). */
  at: string;
  kind: string;
  actor: string;
  caseId: string | null;
  /** `data::text`: jsonb's own rendering. */
  dataText: string;
}

/**
 * Version 2 (appended by the database's `audit_append`, migration 00003): SHA-256 of one field per
 * line, texts length-prefixed in UTF-8 bytes. Recomputed here from what the database reads back.
 */
export function auditRecordHashV2(r: HashV2Fields): string {
  const text = (s: string) => `${Buffer.byteLength(s, 'utf8')}:${s}`;
  return sha256Hex(
    [
      'vcdc-audit-record/2',
      r.prevHash,
      String(r.seq),
      r.at,
      text(r.kind),
      text(r.actor),
      r.caseId === null ? '-' : text(r.caseId),
      text(r.dataText),
    ].join('\n'),
  );
}

/** A record as stored, read for verification (texts exactly as the database renders them). */
export interface StoredRecord {
  seq: number;
  hashV: number;
  /** Only for version-1 records (null otherwise). */
  at: Date | null;
  atText: string;
  kind: string;
  actor: string;
  caseId: string | null;
  dataText: string;
  prevHash: string;
  hash: string;
}

const AT_TEXT = `to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
// `at` as a Date only for version-1 records (their hash took it through JavaScript); version 2 hashes the text.
const COLUMNS = `seq, hash_v, CASE WHEN hash_v = 1 THEN at END AS at, ${AT_TEXT} AS at_text, kind, actor, case_id, data::text AS data_text, prev_hash, hash`;

interface StoredRow {
  seq: number;
  hash_v: number;
  at: Date | null;
  at_text: string;
  kind: string;
  actor: string;
  case_id: string | null;
  data_text: string;
  prev_hash: string;
  hash: string;
}

function stored(row: StoredRow): StoredRecord {
  return {
    seq: Number(row.seq),
    hashV: Number(row.hash_v),
    at: row.at,
    atText: row.at_text,
    kind: row.kind,
    actor: row.actor,
    caseId: row.case_id,
    dataText: row.data_text,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** The hash a stored record should carry, by its version; undefined for a version we do not know. */
export function storedRecordHash(r: StoredRecord): string | undefined {
  if (r.hashV === 2)
    return auditRecordHashV2({
      prevHash: r.prevHash,
      seq: r.seq,
      at: r.atText,
      kind: r.kind,
      actor: r.actor,
      caseId: r.caseId,
      dataText: r.dataText,
    });
  if (r.hashV === 1 && r.at)
    return auditRecordHash({
      seq: r.seq,
      at: r.at.toISOString(),
      kind: r.kind,
      actor: r.actor,
      ...(r.caseId !== null ? { caseId: r.caseId } : {}),
      data: JSON.parse(r.dataText) as Record<string, unknown>,
      prevHash: r.prevHash,
    });
  return undefined;
}

function isPool(db: Queryable): db is Pool {
  return typeof (db as Pool).connect === 'function' && 'totalCount' in db && typeof (db as Pool).end === 'function';
}

/**
 * The records with seq >= `fromSeq`, in `seq` order, `pageSize` at a time. On a pool: a server-side
 * cursor in one read-only REPEATABLE READ transaction (one snapshot of the whole chain, nothing but
 * the current page in memory). On a connection the caller holds (maybe inside its transaction):
 * keyset pages over the primary key.
 */
export async function* readAuditChain(
  db: Queryable,
  options: { fromSeq?: number; pageSize?: number } = {},
): AsyncGenerator<StoredRecord> {
  const fromSeq = options.fromSeq ?? 1;
  const pageSize = options.pageSize ?? 1000;
  if (!Number.isSafeInteger(fromSeq) || !Number.isSafeInteger(pageSize) || pageSize < 1)
    throw new Error('readAuditChain: fromSeq and pageSize must be integers');
  if (isPool(db)) {
    const client: PoolClient = await db.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      yield* cursorRead(client, fromSeq, pageSize);
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
    }
    return;
  }
  let next = fromSeq;
  for (;;) {
    const { rows } = await db.query<StoredRow>(
      `SELECT ${COLUMNS} FROM audit_records WHERE seq >= $1 ORDER BY seq LIMIT $2`,
      [next, pageSize],
    );
    for (const row of rows) yield stored(row);
    if (rows.length < pageSize) return;
    next = Number(rows[rows.length - 1]!.seq) + 1;
  }
}

/** The records with seq >= `fromSeq` through a server-side cursor: `client` must be in a transaction. */
async function* cursorRead(client: Queryable, fromSeq: number, pageSize: number): AsyncGenerator<StoredRecord> {
  // Both go into the statement's text (a cursor takes no parameters): integers only.
  if (!Number.isSafeInteger(fromSeq) || !Number.isSafeInteger(pageSize) || pageSize < 1)
    throw new Error('readAuditChain: fromSeq and pageSize must be integers');
  await client.query(
    `DECLARE audit_walk NO SCROLL CURSOR FOR SELECT ${COLUMNS} FROM audit_records WHERE seq >= ${fromSeq} ORDER BY seq`,
  );
  try {
    for (;;) {
      const { rows } = await client.query<StoredRow>(`FETCH FORWARD ${pageSize} FROM audit_walk`);
      for (const row of rows) yield stored(row);
      if (rows.length < pageSize) return;
    }
  } finally {
    await client.query('CLOSE audit_walk').catch(() => undefined);
  }
}

export interface VerifyOptions {
  /** Records fetched at a time (default 1000). */
  pageSize?: number;
  /** Where the signed checkpoints of this chain are kept (./checkpoint.ts). */
  checkpoints?: CheckpointSource;
  /** The chain's name in the checkpoints (default: the schema, `current_schema()`). */
  chain?: string;
  /**
   * Start at a checkpoint instead of the genesis: the records before it are taken as verified, the
   * record at its seq must still have its hash. (The checkpointer, before it signs a new head.)
   */
  from?: CheckpointRef;
  /**
   * Also compare every bound money table with its rows' images on the chain (./bound-tables.ts);
   * default true. On a pool the walk and the comparison share one snapshot.
   */
  tables?: boolean;
}

function label(c: CheckpointRef): string {
  return `checkpoint seq ${c.seq} (signed ${c.at}, key ${c.keyId})`;
}

function ref(c: CheckpointRef): CheckpointRef {
  return { seq: c.seq, hash: c.hash, at: c.at, keyId: c.keyId };
}

/**
 * Walk the chain in `seq` order, streaming, and stop at the first record that breaks it; with
 * `checkpoints`, every valid signed checkpoint of the chain must name a record the chain still has,
 * with the hash that was signed.
 */
export async function verifyAuditChain(
  db: Queryable,
  options: number | VerifyOptions = {},
): Promise<ChainVerification> {
  return (await verifyAuditChainHead(db, options)).verification;
}

/** `verifyAuditChain`, and the seq of the head it verified (0: an empty chain). */
export async function verifyAuditChainHead(
  db: Queryable,
  options: number | VerifyOptions = {},
): Promise<{ verification: ChainVerification; headSeq: number }> {
  const opts: VerifyOptions = typeof options === 'number' ? { pageSize: options } : options;
  const pageSize = opts.pageSize ?? 1000;
  const fromSeq = opts.from ? opts.from.seq : 1;
  if (!isPool(db)) {
    const head = { seq: 0, bound: new Map<string, BoundTable>() };
    let verification = await walk(db, opts, head, readAuditChain(db, { fromSeq, pageSize }));
    if (opts.tables !== false) verification = await withTables(db, verification, head);
    return { verification, headSeq: head.seq };
  }
  // One snapshot for the walk and the tables: the rows compared are those of the chain just verified.
  const client: PoolClient = await db.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    // Row images render timestamps in UTC (audit migration 00004); so must the rows read here.
    await client.query(`SET LOCAL TimeZone = 'UTC'`);
    const head = { seq: 0, bound: new Map<string, BoundTable>() };
    let verification = await walk(client, opts, head, cursorRead(client, fromSeq, pageSize));
    if (opts.tables !== false) verification = await withTables(client, verification, head);
    return { verification, headSeq: head.seq };
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
}

/** The verification with every bound table checked against the chain (when the chain itself holds). */
async function withTables(
  db: Queryable,
  verification: ChainVerification,
  head: { seq: number; bound: Map<string, BoundTable> },
): Promise<ChainVerification> {
  if (!verification.ok || head.bound.size === 0) return verification;
  const schema = (await db.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]?.schema ?? 'public';
  const tables: BoundTableCheck[] = [];
  for (const bound of [...head.bound.values()].sort((a, b) => a.table.localeCompare(b.table)))
    tables.push(await checkBoundTable(db, schema, bound, head.seq));
  const bad = tables.find((t) => !t.ok);
  return {
    ...verification,
    ok: !bad,
    tables,
    ...(bad ? { why: tableWhy(schema, bad) } : {}),
  };
}

async function walk(
  db: Queryable,
  options: VerifyOptions,
  head: { seq: number; bound: Map<string, BoundTable> },
  records: AsyncIterable<StoredRecord>,
): Promise<ChainVerification> {
  const { checkpoints, chain, from } = options;
  // Checkpoints first, then the chain: the chain read afterwards can only be longer than any of them.
  let signed: VerifiedCheckpoint[] = [];
  let refused = 0;
  let withCheckpoints = false;
  if (checkpoints) {
    withCheckpoints = true;
    const name =
      chain ?? (await db.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]?.schema ?? 'public';
    const read = await checkpoints.read(name);
    signed = [...read.checkpoints].sort((a, b) => a.seq - b.seq || a.at.localeCompare(b.at));
    refused = read.refused;
  }
  const latest = signed.at(-1);
  let next = 0; // the next checkpoint to meet, in `signed`
  let agreed: VerifiedCheckpoint | CheckpointRef | undefined = from;
  let latestOk = false;

  let expectedSeq = from ? from.seq : 1;
  let prevHash = GENESIS_HASH;
  let checked = 0;
  let seenV2 = false;
  const refusals = { total: 0, byKind: {} as Record<string, number> };

  const report = (): Pick<ChainVerification, 'checkpoint'> =>
    withCheckpoints
      ? {
          checkpoint: latest
            ? { ...ref(latest), ok: latestOk, refused }
            : refused
              ? { seq: null, ok: false, refused }
              : null,
        }
      : {};
  const broken = (
    seq: number,
    problem: ChainBreak,
    detail: string,
    extra: { checkpoint?: CheckpointRef; from?: number } = {},
  ): ChainVerification => ({
    ok: false,
    checked,
    headHash: prevHash,
    brokenAt: { seq, problem, detail, ...extra },
    why: detail,
    refusals,
    ...report(),
  });

  while (next < signed.length && signed[next]!.seq < expectedSeq) next++;
  for await (const record of records) {
    checked++;
    if (from && record.seq === from.seq) {
      if (record.hash !== from.hash)
        return broken(
          record.seq,
          'edited',
          `record ${record.seq} is not the record ${label(from)} vouches for: its hash changed from ${from.hash} to ${record.hash}`,
          { checkpoint: ref(from) },
        );
      prevHash = record.prevHash;
    }
    if (record.seq !== expectedSeq) {
      return broken(
        record.seq,
        'missing',
        `record ${record.seq} follows record ${expectedSeq - 1}: ${record.seq - expectedSeq} record(s) before it were deleted`,
      );
    }
    if (record.prevHash !== prevHash) {
      return broken(
        record.seq,
        'relinked',
        `record ${record.seq} does not link to the record before it (its prevHash is not that record's hash): moved, or the one before was replaced`,
      );
    }
    if (record.hashV === 1 && seenV2)
      return broken(
        record.seq,
        'edited',
        `record ${record.seq} claims the old hash version 1 after records of version 2: its version was changed`,
      );
    if (record.hashV === 2) seenV2 = true;
    if (storedRecordHash(record) !== record.hash) {
      return broken(record.seq, 'edited', `record ${record.seq} does not match its hash: its content was changed`);
    }
    while (next < signed.length && signed[next]!.seq === record.seq) {
      const c = signed[next]!;
      if (c.hash !== record.hash) {
        const first = (agreed?.seq ?? 0) + 1;
        return broken(
          record.seq,
          'edited',
          `record ${record.seq} is not the record ${label(c)} vouches for (signed hash ${c.hash}, now ${record.hash}): ` +
            `the chain was rewritten and re-hashed ${first === record.seq ? `at record ${first}` : `in records ${first}..${record.seq}`}` +
            (agreed ? ` (it still agrees with ${label(agreed)})` : ''),
          { checkpoint: ref(c), from: first },
        );
      }
      agreed = c;
      if (c === latest) latestOk = true;
      next++;
    }
    if (record.kind === 'table.bound') {
      const bound = boundTableOf(record.seq, record.dataText);
      if (bound) head.bound.set(bound.table, bound);
    }
    if (record.kind.endsWith('.refused')) {
      refusals.total++;
      refusals.byKind[record.kind] = (refusals.byKind[record.kind] ?? 0) + 1;
    }
    prevHash = record.hash;
    head.seq = record.seq;
    expectedSeq++;
  }
  if (from && expectedSeq === from.seq)
    return broken(
      from.seq,
      'missing',
      `the chain ends at record ${from.seq - 1}, but ${label(from)} vouches for record ${from.seq}: the last record(s) were deleted`,
      { checkpoint: ref(from) },
    );
  if (latest && next < signed.length) {
    const last = expectedSeq - 1;
    return broken(
      expectedSeq,
      'missing',
      `the chain ends at record ${last}, but ${label(latest)} vouches for record ${latest.seq}: ` +
        `${latest.seq === expectedSeq ? `record ${expectedSeq} was` : `records ${expectedSeq}..${latest.seq} were`} deleted`,
      { checkpoint: ref(latest) },
    );
  }
  return { ok: true, checked, headHash: prevHash, refusals, ...report() };
}
