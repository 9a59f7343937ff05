/**
 * The lot manifests of large cases in PostgreSQL (their own schema, `lot_manifests` by default, like
 * the notifications outbox: the control API writes it, the worker's intake reads it in pages). Lots
 * arrive in chunks of at most 2,000 (POST /v1/cases/:caseId/lots), each stored once: the same chunk
 * again answers the stored one, another body under the same index is a conflict. The seal fixes the
 * count, a SHA-256 over the chunks' hashes in chunk order, and each asset's exact total; after it no
 * chunk may be added (a trigger refuses it), and no row is ever changed.
 *
 * A chunk is held in memory once, as the request's parsed body, and goes to the database in one
 * statement (arrays unnested server side); the seal's totals are summed by PostgreSQL in NUMERIC.
 */
import path from 'node:path';
import {
  canonicalJson,
  Decimal,
  inTransaction,
  migrate,
  openRolePool,
  type Pool,
  Problem,
  problems,
  sha256Hex,
} from '@vcdc/shared';
import { z } from 'zod';
import { Lot } from '../workflow/case-input';
import { LotManifestRef, MANIFEST_PAGE_SIZE, MAX_LOTS_PER_CHUNK, MAX_MANIFEST_LOTS } from '../workflow/lot-manifest';

export const MANIFEST_MIGRATIONS_DIR = path.join(__dirname, 'migrations');
export const DEFAULT_MANIFEST_SCHEMA = 'lot_manifests';
export const ManifestSchema = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
  .default(DEFAULT_MANIFEST_SCHEMA);

/** One chunk as POST /v1/cases/:caseId/lots takes it: a problem names the field as `lots[i].field`. */
export const LotChunk = z
  .object({
    /** The chunk's place in the manifest, from 0: the seal takes chunks 0 to n-1 in this order. */
    chunk: z
      .number()
      .int()
      .min(0)
      .max(MAX_MANIFEST_LOTS - 1),
    lots: z.array(Lot).min(1).max(MAX_LOTS_PER_CHUNK),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.lots.forEach((lot, i) => {
      if (seen.has(lot.lotId)) {
        ctx.addIssue({ code: 'custom', path: ['lots', i, 'lotId'], message: `lot ${lot.lotId} appears twice` });
      }
      seen.add(lot.lotId);
    });
  });
export type LotChunk = z.infer<typeof LotChunk>;

export const SealRequest = z.object({
  /** How many chunks the manifest has: the seal is refused unless chunks 0 to chunks-1 are all stored. */
  chunks: z.number().int().min(1).max(MAX_MANIFEST_LOTS),
});

export const LotsPageQuery = z.object({
  page: z.coerce.number().int().min(0).default(0),
  pageSize: z.coerce.number().int().min(1).max(MANIFEST_PAGE_SIZE).default(100),
});

export interface ChunkStored {
  caseId: string;
  chunk: number;
  lots: number;
  chunkSha256: string;
  /** True when the same chunk was stored before (nothing changed). */
  replayed: boolean;
}

export interface SealedManifest extends LotManifestRef {
  caseId: string;
  sealedBy: string;
  sealedAt: string;
}

/** The manifest's hash: SHA-256 over each chunk's SHA-256 (of its lots' canonical JSON), one a line, in chunk order. */
export function manifestSha256(chunkHashes: readonly string[]): string {
  return sha256Hex(chunkHashes.join('\n'));
}

export function migrateManifests(databaseUrl: string, schema = DEFAULT_MANIFEST_SCHEMA, log?: (m: string) => void) {
  return migrate({ databaseUrl, schema, dir: MANIFEST_MIGRATIONS_DIR, log, auditChain: false });
}

/** The store as the control API and the worker open it: the schema's service role (adds and reads rows, never changes one). */
export async function openManifestPool(options: { url: string; schema: string; max: number; source?: string }) {
  const { pool } = await openRolePool({
    url: options.url,
    schema: options.schema,
    migrationsDir: MANIFEST_MIGRATIONS_DIR,
    auditChain: false,
    max: options.max,
    ...(options.source ? { source: options.source } : {}),
  });
  return pool;
}

interface SealRow {
  manifest_id: string;
  case_id: string;
  chunks: number;
  lot_count: number;
  manifest_sha256: string;
  totals: LotManifestRef['totals'];
  sealed_by: string;
  sealed_at: Date;
}

function fromSeal(row: SealRow): SealedManifest {
  return {
    manifestId: row.manifest_id,
    caseId: row.case_id,
    lots: row.lot_count,
    chunks: row.chunks,
    sha256: row.manifest_sha256,
    totals: row.totals,
    sealedBy: row.sealed_by,
    sealedAt: row.sealed_at.toISOString(),
  };
}

export class LotManifestStore {
  constructor(private readonly pool: Pool) {}

  /** Store one chunk of `caseId`'s manifest once (see the module comment). */
  async appendChunk(caseId: string, chunk: LotChunk, submittedBy: string): Promise<ChunkStored> {
    const chunkSha256 = sha256Hex(canonicalJson(chunk.lots));
    const stored = (replayed: boolean): ChunkStored => ({
      caseId,
      chunk: chunk.chunk,
      lots: chunk.lots.length,
      chunkSha256,
      replayed,
    });
    return inTransaction(this.pool, async (db) => {
      // One writer per case at a time: the seal check, the chunk and its lots are one decision.
      await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`lot-manifest:${caseId}`]);
      const existing = await db.query<{ chunk_sha256: string }>(
        'SELECT chunk_sha256 FROM lot_manifest_chunks WHERE case_id = $1 AND chunk_index = $2',
        [caseId, chunk.chunk],
      );
      const before = existing.rows[0];
      if (before) {
        if (before.chunk_sha256 === chunkSha256) return stored(true);
        throw problems.conflict(
          'manifest-chunk-conflict',
          'Chunk already stored differently',
          `chunk ${chunk.chunk} of case ${caseId}'s lot manifest was already stored with other lots`,
          { caseId, chunk: chunk.chunk },
        );
      }
      const sealed = await db.query('SELECT manifest_id FROM lot_manifest_seals WHERE case_id = $1', [caseId]);
      if (sealed.rowCount) {
        throw problems.conflict(
          'manifest-sealed',
          'Lot manifest sealed',
          `the lot manifest of case ${caseId} is sealed: no chunk may be added`,
          { caseId, chunk: chunk.chunk },
        );
      }
      const ids = chunk.lots.map((l) => l.lotId);
      const taken = await db.query<{ lot_id: string }>(
        'SELECT lot_id FROM lot_manifest_lots WHERE case_id = $1 AND lot_id = ANY($2::text[])',
        [caseId, ids],
      );
      if (taken.rowCount) {
        const set = new Set(taken.rows.map((r) => r.lot_id));
        const errors = ids
          .map((id, i) => ({ id, i }))
          .filter(({ id }) => set.has(id))
          .map(({ id, i }) => ({ field: `lots[${i}].lotId`, message: `lot ${id} is already in another chunk` }));
        throw new Problem(
          400,
          'validation',
          'Invalid request body',
          errors.map((e) => `${e.field}: ${e.message}`).join('; '),
          { errors },
        );
      }
      await db.query(
        'INSERT INTO lot_manifest_chunks (case_id, chunk_index, chunk_sha256, lot_count, submitted_by) VALUES ($1, $2, $3, $4, $5)',
        [caseId, chunk.chunk, chunkSha256, chunk.lots.length, submittedBy],
      );
      await db.query(
        `INSERT INTO lot_manifest_lots (case_id, chunk_index, position, lot_id, asset, declared_amount, lot)
         SELECT $1, $2, t.position - 1, t.lot_id, t.asset, t.declared_amount, t.lot
           FROM unnest($3::text[], $4::text[], $5::numeric[], $6::jsonb[]) WITH ORDINALITY
                AS t(lot_id, asset, declared_amount, lot, position)`,
        [
          caseId,
          chunk.chunk,
          ids,
          chunk.lots.map((l) => l.asset),
          chunk.lots.map((l) => l.declaredAmount),
          chunk.lots.map((l) => JSON.stringify(l)),
        ],
      );
      return stored(false);
    });
  }

  /**
   * Seal `caseId`'s manifest of `chunks` chunks: refused (422 manifest-incomplete) unless chunks 0 to
   * chunks-1 are all there and no other; the same seal again answers the stored one.
   */
  async seal(caseId: string, chunks: number, sealedBy: string): Promise<SealedManifest & { replayed: boolean }> {
    return inTransaction(this.pool, async (db) => {
      await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`lot-manifest:${caseId}`]);
      const sealed = await db.query<SealRow>('SELECT * FROM lot_manifest_seals WHERE case_id = $1', [caseId]);
      const before = sealed.rows[0];
      if (before) {
        if (before.chunks === chunks) return { ...fromSeal(before), replayed: true };
        throw problems.conflict(
          'manifest-sealed',
          'Lot manifest sealed',
          `the lot manifest of case ${caseId} was sealed with ${before.chunks} chunk(s), not ${chunks}`,
          { caseId, chunks: before.chunks },
        );
      }
      const stored = await db.query<{ chunk_index: number; chunk_sha256: string; lot_count: number }>(
        'SELECT chunk_index, chunk_sha256, lot_count FROM lot_manifest_chunks WHERE case_id = $1 ORDER BY chunk_index',
        [caseId],
      );
      const have = new Set(stored.rows.map((r) => r.chunk_index));
      const missing = Array.from({ length: chunks }, (_, i) => i).filter((i) => !have.has(i));
      const extra = stored.rows.map((r) => r.chunk_index).filter((i) => i >= chunks);
      if (missing.length > 0 || extra.length > 0) {
        throw problems.refused(
          'manifest-incomplete',
          'Lot manifest incomplete',
          [
            missing.length ? `chunk(s) ${missing.slice(0, 20).join(', ')} missing` : '',
            extra.length ? `chunk(s) ${extra.slice(0, 20).join(', ')} beyond ${chunks}` : '',
          ]
            .filter(Boolean)
            .join('; '),
          { caseId, missing: missing.slice(0, 100), extra: extra.slice(0, 100) },
        );
      }
      const lots = stored.rows.reduce((n, r) => n + r.lot_count, 0);
      if (lots > MAX_MANIFEST_LOTS) {
        throw problems.refused(
          'manifest-too-large',
          'Lot manifest too large',
          `${lots} lots: at most ${MAX_MANIFEST_LOTS}`,
          {
            caseId,
          },
        );
      }
      const sha256 = manifestSha256(stored.rows.map((r) => r.chunk_sha256));
      const sums = await db.query<{ asset: string; lots: number; declared: string }>(
        `SELECT asset, count(*)::int AS lots, sum(declared_amount)::text AS declared
           FROM lot_manifest_lots WHERE case_id = $1 GROUP BY asset ORDER BY asset`,
        [caseId],
      );
      const totals = sums.rows.map((r) => ({
        asset: r.asset,
        lots: r.lots,
        declared: new Decimal(r.declared).toFixed(),
      }));
      const manifestId = `lm-${sha256Hex(`${caseId}\n${sha256}`).slice(0, 32)}`;
      const ref = LotManifestRef.parse({ manifestId, lots, chunks, sha256, totals });
      const row = await db.query<SealRow>(
        `INSERT INTO lot_manifest_seals (manifest_id, case_id, chunks, lot_count, manifest_sha256, totals, sealed_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
        [ref.manifestId, caseId, chunks, lots, sha256, JSON.stringify(ref.totals), sealedBy],
      );
      return { ...fromSeal(row.rows[0] as SealRow), replayed: false };
    });
  }

  /** The sealed manifest of a case, or undefined. */
  async sealedFor(caseId: string): Promise<SealedManifest | undefined> {
    const { rows } = await this.pool.query<SealRow>('SELECT * FROM lot_manifest_seals WHERE case_id = $1', [caseId]);
    return rows[0] && fromSeal(rows[0]);
  }

  async byId(manifestId: string): Promise<SealedManifest | undefined> {
    const { rows } = await this.pool.query<SealRow>('SELECT * FROM lot_manifest_seals WHERE manifest_id = $1', [
      manifestId,
    ]);
    return rows[0] && fromSeal(rows[0]);
  }

  /** Page `page` (from 0) of a sealed manifest's lots, in chunk order: at most `pageSize` lots. */
  async page(manifestId: string, page: number, pageSize: number = MANIFEST_PAGE_SIZE): Promise<Lot[]> {
    const { rows } = await this.pool.query<{ lot: Lot }>(
      `SELECT l.lot FROM lot_manifest_lots l JOIN lot_manifest_seals s ON s.case_id = l.case_id
        WHERE s.manifest_id = $1 ORDER BY l.chunk_index, l.position OFFSET $2 LIMIT $3`,
      [manifestId, page * pageSize, pageSize],
    );
    return rows.map((r) => r.lot);
  }
}
