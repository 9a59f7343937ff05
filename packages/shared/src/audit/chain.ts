/**
 * The tamper-evident audit chain: an append-only table where every record carries the SHA-256 of
 * the record before it, and its own hash over its content and that link. Editing a record breaks
 * its own hash; deleting one leaves a gap in `seq` and breaks the next record's link; reordering
 * breaks links. `verifyAuditChain` walks the chain and names the first record where it breaks.
 *
 * Each part keeps its chain in its own schema (the migrations in ./migrations): every service's
 * schema gets the table with its other migrations (db/migrate.ts), so a movement of value and its
 * record are written in one transaction (`appendAuditRecord` on that transaction); the control
 * API's is the `audit` schema. The role a service works as may read records and append them only
 * through the database's own `audit_append` function (migration 00003), which assigns each record's
 * seq, time, link and hash: it never chooses them and never changes a record (db/service-role.ts).
 * Whoever owns the table can still rewrite it consistently; signed checkpoints kept outside the
 * database (./checkpoint.ts) catch that, when the verifier is given them.
 */
import { AUDIT_CHAIN_MIGRATIONS_DIR, migrate } from '../db/migrate';
import { inTransaction, type Pool, type Queryable } from '../db/pool';
import { type CheckpointSource, checkpointSourceFromEnv } from './checkpoint';
import { type AuditEntry, type AuditRecord, type ChainVerification, verifyAuditChain } from './verify';

export * from './verify';

export const AUDIT_MIGRATIONS_DIR = AUDIT_CHAIN_MIGRATIONS_DIR;
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
 * Append one record on `tx` (a transaction on the chain's schema, or a pool: then the record commits
 * on its own). The database assigns the record's seq (last + 1), time, link and hash
 * (`audit_append`, migration 00003), under a transaction-scoped lock held until `tx` ends: the record
 * commits or rolls back with the work it describes, so append last, after the work's own row locks.
 */
export async function appendAuditRecord(tx: Queryable, entry: AuditEntry): Promise<AuditRecord> {
  // Through JSON once, as jsonb will store it (no undefined members, no class instances).
  const data = JSON.stringify(entry.data ?? {});
  const { rows } = await tx.query<Row>('SELECT * FROM audit_append($1::text, $2::text, $3::text, $4::jsonb)', [
    entry.kind,
    entry.actor,
    entry.caseId ?? null,
    data,
  ]);
  const row = rows[0];
  if (!row) throw new Error('audit_append returned no record');
  return fromRow(row);
}

/**
 * Append several records on `tx` in one statement, in the order given (issue 19: an order appended its
 * records one round trip each, holding the chain's lock from the first to the commit). Each is appended
 * by `audit_append` exactly as `appendAuditRecord` would, so each links to the one before it; the
 * statement appends all of them or none. Nothing to append sends nothing.
 */
export async function appendAuditRecords(tx: Queryable, entries: readonly AuditEntry[]): Promise<AuditRecord[]> {
  if (entries.length === 0) return [];
  // The calls run in the order of the unnest (a nested loop over it, one call per entry); the seqs
  // returned are checked to follow that order all the same, so a plan that did not would roll back.
  const { rows } = await tx.query<Row & { n: string }>(
    `SELECT a.*, e.n FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS e(kind, actor, case_id, data, n)
       CROSS JOIN LATERAL audit_append(e.kind, e.actor, e.case_id, e.data::jsonb) AS a
      ORDER BY e.n`,
    [
      entries.map((e) => e.kind),
      entries.map((e) => e.actor),
      entries.map((e) => e.caseId ?? null),
      // Through JSON once, as jsonb will store it (no undefined members, no class instances).
      entries.map((e) => JSON.stringify(e.data ?? {})),
    ],
  );
  if (rows.length !== entries.length || rows.some((r, i) => i > 0 && Number(r.seq) !== Number(rows[i - 1]?.seq) + 1)) {
    throw new Error('audit_append did not append the records in the order given');
  }
  return rows.map(fromRow);
}

/** Which records a listing shows: see `AuditChain.list`. */
export type AuditView = 'all' | 'acts' | 'rows';

export interface AuditChainOptions {
  /**
   * The signed checkpoints `verify` checks the chain against. Default: AUDIT_CHECKPOINT_DIR and
   * AUDIT_CHECKPOINT_VERIFY_KEYS from the environment when both are set (./checkpoint.ts).
   */
  checkpoints?: CheckpointSource;
  /** The chain's name in the checkpoints (default: the pool's schema). */
  chain?: string;
}

/** The audit chain in one schema (the pool's search_path names it). */
export class AuditChain {
  constructor(
    private readonly pool: Pool,
    private readonly options: AuditChainOptions = {},
  ) {}

  /** Append one record: serialised with every other writer, linked to the current head. */
  append(entry: AuditEntry): Promise<AuditRecord> {
    return inTransaction(this.pool, (tx) => appendAuditRecord(tx, entry));
  }

  /**
   * Records in chain order, optionally of one case, after `afterSeq`. `view`: `acts` (what people,
   * services and workflows did), `rows` (the database's images of bound money rows, audit migration
   * 00004), or `all` (default).
   */
  async list(
    options: { caseId?: string; afterSeq?: number; limit?: number; view?: AuditView } = {},
  ): Promise<AuditRecord[]> {
    const view = options.view ?? 'all';
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM audit_records WHERE seq > $1 AND ($2::text IS NULL OR case_id = $2)
          AND ($4 = 'all' OR (kind LIKE 'row.%' OR kind LIKE 'table.%') = ($4 = 'rows'))
        ORDER BY seq LIMIT $3`,
      [options.afterSeq ?? 0, options.caseId ?? null, options.limit ?? 1000, view],
    );
    return rows.map(fromRow);
  }

  /** Walk the whole chain (streaming), against the signed checkpoints when there are any. */
  verify(): Promise<ChainVerification> {
    const checkpoints = this.options.checkpoints ?? checkpointSourceFromEnv();
    return verifyAuditChain(this.pool, {
      ...(checkpoints ? { checkpoints } : {}),
      ...(this.options.chain ? { chain: this.options.chain } : {}),
    });
  }
}
