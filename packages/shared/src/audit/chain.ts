/**
 * The tamper-evident audit chain: an append-only table where every record carries the SHA-256 of
 * the record before it, and its own hash over its content and that link. Editing a record breaks
 * its own hash; deleting one leaves a gap in `seq` and breaks the next record's link; reordering
 * breaks links. `verifyAuditChain` walks the chain and names the first record where it breaks.
 *
 * Each part keeps its chain in its own schema (the migrations in ./migrations): every service's
 * schema gets the table with its other migrations (db/migrate.ts), so a movement of value and its
 * record are written in one transaction (`appendAuditRecord` on that transaction); the control
 * API's is the `audit` schema. The role a service works as may add and read records, never change
 * them (db/service-role.ts).
 */
import { canonicalJson, sha256Hex } from '../canonical';
import { AUDIT_CHAIN_MIGRATIONS_DIR, migrate } from '../db/migrate';
import { inTransaction, type Pool, type Queryable } from '../db/pool';

export const AUDIT_MIGRATIONS_DIR = AUDIT_CHAIN_MIGRATIONS_DIR;
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

export interface ChainVerification {
  ok: boolean;
  /** Records checked (up to and including the first broken one). */
  checked: number;
  /** The hash of the last good record: the chain's head when ok. */
  headHash: string;
  /** The first record where the chain breaks. */
  brokenAt?: { seq: number; problem: ChainBreak; detail: string };
}

/** The record's hash: over its link and its content, canonically serialised. */
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

/** A schema that holds only a chain (the control API's); a service's schema gets its chain from `migrate`. */
export function migrateAuditChain(databaseUrl: string, schema: string, log?: (m: string) => void): Promise<string[]> {
  return migrate({ databaseUrl, schema, dir: AUDIT_MIGRATIONS_DIR, log });
}

interface Row {
  seq: number;
  at: Date;
  kind: string;
  actor: string;
  case_id: string | null;
  data: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

function fromRow(row: Row): AuditRecord {
  return {
    seq: Number(row.seq),
    at: row.at.toISOString(),
    kind: row.kind,
    actor: row.actor,
    ...(row.case_id !== null ? { caseId: row.case_id } : {}),
    data: row.data,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/**
 * Append one record on `tx`, which must be a transaction (BEGIN … COMMIT) on the schema of the chain:
 * the record commits or rolls back with the work it describes. Writers are serialised by a
 * transaction-scoped lock held until `tx` ends, so append last, after the work's own row locks.
 */
export async function appendAuditRecord(
  tx: Queryable,
  entry: AuditEntry,
  clock: () => Date = () => new Date(),
): Promise<AuditRecord> {
  // A transaction-scoped lock (not LOCK TABLE, which would need the UPDATE privilege we revoke).
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.audit_records'))`);
  const head = await tx.query<{ seq: number; hash: string }>(
    'SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1',
  );
  const last = head.rows[0];
  // Millisecond precision, so the timestamp reads back exactly as it was hashed.
  const at = new Date(Math.floor(clock().getTime())).toISOString();
  const record: Omit<AuditRecord, 'hash'> = {
    seq: last ? Number(last.seq) + 1 : 1,
    at,
    kind: entry.kind,
    actor: entry.actor,
    ...(entry.caseId !== undefined ? { caseId: entry.caseId } : {}),
    // Through JSON once, as jsonb will store it (no undefined members, no class instances).
    data: JSON.parse(JSON.stringify(entry.data)) as Record<string, unknown>,
    prevHash: last?.hash ?? GENESIS_HASH,
  };
  const hash = auditRecordHash(record);
  await tx.query(
    `INSERT INTO audit_records (seq, at, kind, actor, case_id, data, prev_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [record.seq, record.at, record.kind, record.actor, record.caseId ?? null, record.data, record.prevHash, hash],
  );
  return { ...record, hash };
}

/** The audit chain in one schema (the pool's search_path names it). */
export class AuditChain {
  constructor(
    private readonly pool: Pool,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Append one record: serialised with every other writer, linked to the current head. */
  append(entry: AuditEntry): Promise<AuditRecord> {
    return inTransaction(this.pool, (tx) => appendAuditRecord(tx, entry, this.clock));
  }

  /** Records in chain order, optionally of one case, after `afterSeq`. */
  async list(options: { caseId?: string; afterSeq?: number; limit?: number } = {}): Promise<AuditRecord[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM audit_records WHERE seq > $1 AND ($2::text IS NULL OR case_id = $2) ORDER BY seq LIMIT $3`,
      [options.afterSeq ?? 0, options.caseId ?? null, options.limit ?? 1000],
    );
    return rows.map(fromRow);
  }

  verify(): Promise<ChainVerification> {
    return verifyAuditChain(this.pool);
  }
}

/** Walk the whole chain in `seq` order, in pages, and stop at the first record that breaks it. */
export async function verifyAuditChain(db: Queryable, pageSize = 1000): Promise<ChainVerification> {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let checked = 0;
  for (;;) {
    const { rows } = await db.query<Row>('SELECT * FROM audit_records WHERE seq >= $1 ORDER BY seq LIMIT $2', [
      expectedSeq,
      pageSize,
    ]);
    for (const row of rows) {
      const record = fromRow(row);
      checked++;
      const broken = (problem: ChainBreak, detail: string): ChainVerification => ({
        ok: false,
        checked,
        headHash: prevHash,
        brokenAt: { seq: record.seq, problem, detail },
      });
      if (record.seq !== expectedSeq) {
        return broken(
          'missing',
          `record ${record.seq} follows record ${expectedSeq - 1}: ${record.seq - expectedSeq} record(s) before it were deleted`,
        );
      }
      if (record.prevHash !== prevHash) {
        return broken(
          'relinked',
          `record ${record.seq} does not link to the record before it (its prevHash is not that record's hash): moved, or the one before was replaced`,
        );
      }
      const { hash, ...content } = record;
      if (auditRecordHash(content) !== hash) {
        return broken('edited', `record ${record.seq} does not match its hash: its content was changed`);
      }
      prevHash = hash;
      expectedSeq++;
    }
    if (rows.length < pageSize) return { ok: true, checked, headHash: prevHash };
  }
}
