/**
 * The money tables as the verified chain says they must be (issue 12, part 3). Every table a
 * service's migrations bound (`audit_bind_table`, audit migration 00004) has the image of each of its
 * rows on the chain, appended by the database at the commit that wrote the row. Here, in the same
 * snapshot as the walk that verified those records, each bound table's latest image per key is set
 * against the row as it is now:
 *
 *  - `edited`: the row differs from its image (an owner's UPDATE with the triggers off, say);
 *  - `deleted`: the chain has an image, the table no row;
 *  - `unrecorded`: the table has a row the chain never recorded (inserted with the trigger off);
 *  - `changed`: the chain records an UPDATE of a row in an append-only table.
 *
 * and each case's sums (per asset or currency where the table has one) are re-derived from the
 * images and from the table and compared, so an auditor reads "case X: chain 1,200,000.00, table
 * 0.00" beside the row that made it so. Only the differences travel back from the database: memory
 * stays flat however large the tables.
 *
 * The comparison is written out here, not taken from the database's functions (which their owner
 * could replace); the image rendering must match `audit_row_image` in the migration.
 */
import type { Queryable } from '../db/pool';
import { assertIdentifier } from '../db/pool';

/** A table as its latest `table.bound` record on the chain describes it. */
export interface BoundTable {
  table: string;
  /** Its primary key columns, in order: a row's key on the chain is their values. */
  key: string[];
  appendOnly: boolean;
  /** The record that bound it. */
  seq: number;
}

export type RowProblemKind = 'edited' | 'deleted' | 'unrecorded' | 'changed';

export interface RowProblem {
  /** The row's primary key values. */
  key: unknown[];
  problem: RowProblemKind;
  /** The chain record holding the row's latest image (none for `unrecorded`). */
  seq?: number;
  /** In words, with the columns that differ. */
  detail: string;
}

export interface BalanceProblem {
  caseId: string;
  /** The asset or currency the sum is in, where the table says. */
  unit?: string;
  /** The sum of `amount` over the case's rows, from the chain's images and from the table. */
  chain: string;
  table: string;
}

export interface BoundTableCheck {
  table: string;
  ok: boolean;
  /** Rows in the table, and rows the chain has an image of. */
  rows: number;
  images: number;
  /** How many rows differ, and the first of them (in key order). */
  problems: number;
  first: RowProblem[];
  /** Per-case sums of `amount` (tables with `case_id` and `amount`): how many cases, and those that differ. */
  balances?: { cases: number; differing: BalanceProblem[] };
}

/** How many differing rows (and cases) a check names; it counts them all. */
const NAMED = 10;

/** The records that carry a bound row's image. */
const IMAGE_KINDS = `('row.inserted', 'row.updated', 'row.bound')`;

/** The row image, as audit_row_image renders it: every number as its decimal text. */
const IMAGE = (j: string) =>
  `(SELECT coalesce(jsonb_object_agg(e.k, CASE jsonb_typeof(e.v) WHEN 'number' THEN to_jsonb(e.v #>> '{}') ELSE e.v END), '{}'::jsonb) FROM jsonb_each(${j}) AS e(k, v))`;

/** A row's key from its image: its key columns' values, as a jsonb array's text. */
const KEY = (image: string) =>
  `(SELECT jsonb_agg(${image} -> c ORDER BY o) FROM unnest((SELECT cols FROM p)) WITH ORDINALITY AS u(c, o))::text`;

/** Every query's parameters, named once: $1 the table, $2 its key columns, $3 the verified head's seq. */
const PARAMS = `p AS (SELECT $1::text AS tbl, $2::text[] AS cols, $3::bigint AS head)`;

/** The bound tables a walk met: call with every `table.bound` record's data, in chain order. */
export function boundTableOf(seq: number, dataText: string): BoundTable | undefined {
  const data = JSON.parse(dataText) as { table?: unknown; key?: unknown; appendOnly?: unknown };
  if (typeof data.table !== 'string' || !Array.isArray(data.key) || !data.key.every((k) => typeof k === 'string'))
    return undefined;
  return { table: data.table, key: data.key as string[], appendOnly: data.appendOnly === true, seq };
}

function changedColumns(image: Record<string, unknown>, live: Record<string, unknown>): string {
  const columns = [...new Set([...Object.keys(image), ...Object.keys(live)])].sort();
  const show = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v));
  return columns
    .filter((c) => JSON.stringify(image[c]) !== JSON.stringify(live[c]))
    .map((c) => `${c} ${show(image[c])} → ${show(live[c])}`)
    .join(', ');
}

/**
 * Compare one bound table with the chain's images in records up to `headSeq`. `db` must see the same
 * snapshot the walk verified (one REPEATABLE READ transaction), with TimeZone UTC.
 */
export async function checkBoundTable(
  db: Queryable,
  schema: string,
  bound: BoundTable,
  headSeq: number,
): Promise<BoundTableCheck> {
  assertIdentifier(schema);
  assertIdentifier(bound.table);
  for (const k of bound.key) assertIdentifier(k);
  const qualified = `"${schema}"."${bound.table}"`;
  const check: BoundTableCheck = { table: bound.table, ok: true, rows: 0, images: 0, problems: 0, first: [] };
  const note = (p: RowProblem) => {
    check.ok = false;
    check.problems++;
    if (check.first.length < NAMED) check.first.push(p);
  };

  const exists = await db.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [qualified]);
  if (!exists.rows[0]?.present) {
    check.ok = false;
    check.problems = 1;
    check.first.push({ key: [], problem: 'deleted', detail: `table ${schema}.${bound.table} is gone` });
    return check;
  }

  const images = `
    SELECT DISTINCT ON (a.data ->> 'key') a.data ->> 'key' AS key, a.data -> 'row' AS image, a.seq
      FROM "${schema}".audit_records a
     WHERE a.kind IN ${IMAGE_KINDS} AND a.data ->> 'table' = (SELECT tbl FROM p) AND a.seq <= (SELECT head FROM p)
     ORDER BY a.data ->> 'key', a.seq DESC`;
  const live = `SELECT ${KEY('l.image')} AS key, l.image FROM (SELECT ${IMAGE('to_jsonb(t)')} AS image FROM ${qualified} t) l`;
  const params = [bound.table, bound.key, headSeq];

  const counts = await db.query<{ rows: string; images: string }>(
    `WITH ${PARAMS} SELECT (SELECT count(*) FROM ${qualified}) AS rows, (SELECT count(*) FROM (${images}) i) AS images`,
    params,
  );
  check.rows = Number(counts.rows[0]?.rows ?? 0);
  check.images = Number(counts.rows[0]?.images ?? 0);

  // Only the rows that differ come back (normally none).
  const differing = await db.query<{
    key: string;
    image: Record<string, unknown> | null;
    live: Record<string, unknown> | null;
    seq: string | null;
  }>(
    `WITH ${PARAMS}, images AS (${images}), live AS (${live})
     SELECT coalesce(i.key, l.key) AS key, i.image, l.image AS live, i.seq
       FROM images i FULL JOIN live l ON l.key = i.key
      WHERE i.image IS DISTINCT FROM l.image
      ORDER BY 1`,
    params,
  );
  for (const d of differing.rows) {
    const key = JSON.parse(d.key) as unknown[];
    const name = `${bound.table} row ${d.key}`;
    const seq = d.seq === null ? undefined : Number(d.seq);
    if (d.image === null)
      note({
        key,
        problem: 'unrecorded',
        detail: `${name} is not on the audit chain: it was added behind the chain's back`,
      });
    else if (d.live === null)
      note({ key, problem: 'deleted', seq, detail: `${name} (audit record ${seq}) is gone from the table` });
    else
      note({
        key,
        problem: 'edited',
        seq,
        detail: `${name} differs from its image in audit record ${seq}: ${changedColumns(d.image, d.live)}`,
      });
  }

  if (bound.appendOnly) {
    const changed = await db.query<{ key: string; seq: string }>(
      `SELECT a.data ->> 'key' AS key, a.seq FROM "${schema}".audit_records a
        WHERE a.kind = 'row.updated' AND a.data ->> 'table' = $1 AND a.seq <= $2 ORDER BY a.seq`,
      [bound.table, headSeq],
    );
    for (const c of changed.rows)
      note({
        key: JSON.parse(c.key) as unknown[],
        problem: 'changed',
        seq: Number(c.seq),
        detail: `${bound.table} row ${c.key} is append-only, yet audit record ${c.seq} records a change to it`,
      });
  }

  const columns = await db.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2`,
    [schema, bound.table],
  );
  const has = new Set(columns.rows.map((c) => c.column_name));
  if (has.has('case_id') && has.has('amount')) {
    const unit = ['asset', 'currency'].find((c) => has.has(c));
    const unitOf = (image: string) => (unit ? `${image} ->> '${unit}'` : `NULL::text`);
    const sums = await db.query<{ case_id: string; unit: string | null; chain: string; table: string }>(
      `WITH ${PARAMS}, images AS (${images}), live AS (${live}),
        chain AS (SELECT image ->> 'case_id' AS case_id, ${unitOf('image')} AS unit, sum((image ->> 'amount')::numeric) AS total
                    FROM images GROUP BY 1, 2),
        tab AS (SELECT image ->> 'case_id' AS case_id, ${unitOf('image')} AS unit, sum((image ->> 'amount')::numeric) AS total
                  FROM live GROUP BY 1, 2)
       SELECT coalesce(c.case_id, t.case_id) AS case_id, coalesce(c.unit, t.unit) AS unit,
              coalesce(c.total, 0)::text AS chain, coalesce(t.total, 0)::text AS "table"
         FROM chain c FULL JOIN tab t ON coalesce(t.case_id, '') = coalesce(c.case_id, '') AND coalesce(t.unit, '') = coalesce(c.unit, '')
        WHERE c.total IS DISTINCT FROM t.total
        ORDER BY 1, 2`,
      params,
    );
    const total = await db.query<{ cases: string }>(
      `WITH ${PARAMS}, live AS (${live}) SELECT count(DISTINCT (image ->> 'case_id', ${unitOf('image')}))::text AS cases FROM live`,
      params,
    );
    check.balances = {
      cases: Number(total.rows[0]?.cases ?? 0),
      differing: sums.rows.slice(0, NAMED).map((s) => ({
        caseId: s.case_id,
        ...(s.unit !== null ? { unit: s.unit } : {}),
        chain: s.chain,
        table: s.table,
      })),
    };
    if (sums.rows.length) check.ok = false;
  }
  return check;
}

/** Why a table check failed, in words naming its first row (and case). */
export function tableWhy(schema: string, check: BoundTableCheck): string | undefined {
  if (check.ok) return undefined;
  const first = check.first[0];
  const balance = check.balances?.differing[0];
  const parts = [
    first ? `${schema}.${first.detail}` : undefined,
    balance
      ? `case ${balance.caseId}${balance.unit ? ` (${balance.unit})` : ''}: ${check.table} sums to ${balance.table}, the chain's images to ${balance.chain}`
      : undefined,
  ].filter(Boolean);
  const more = check.problems > 1 ? ` (${check.problems} rows differ)` : '';
  return `${parts.join('; ')}${more}`;
}
