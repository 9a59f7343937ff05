/**
 * For the services' audit tests: a pool logged in as a service's restricted role (as in production,
 * not the owner), the statements that role must be refused, and tampering with an audit chain behind
 * the service's back, as a superuser would (the append-only triggers switched off for the statement),
 * checking that a verifier names the record: an edited record, a deleted one, two swapped. The chain
 * is put back after each, so one chain serves all three.
 */
import {
  type ChainVerification,
  createPool,
  ensureServiceRole,
  type Pool,
  type Queryable,
  roleUrl,
  setRolePassword,
} from '@vcdc/shared';
import type { Express } from 'express';
import request from 'supertest';

import { TEST_ROLE_PASSWORD } from './provision';

/** A pool on `schema` logged in as `<schema>_service` with its own password. */
export async function servicePoolFor(
  databaseUrl: string,
  schema: string,
  tables: 'dml' | 'none' = 'dml',
): Promise<{ pool: Pool; role: string }> {
  const role = `${schema}_service`;
  await ensureServiceRole(databaseUrl, { schema, role, tables });
  await setRolePassword(databaseUrl, role, TEST_ROLE_PASSWORD);
  return { pool: createPool(roleUrl(databaseUrl, role, TEST_ROLE_PASSWORD), schema), role };
}

/**
 * A service's app as its audit tests drive it: `post` sends a body under a fresh Idempotency-Key and
 * fails the test on any answer that is not a success; `verify` is GET /v1/audit/verify. `app` is read
 * at each call (the test file builds it in beforeAll).
 */
export function auditRequests(app: () => Express) {
  let keys = 0;
  const post = (route: string, body: object) =>
    request(app())
      .post(route)
      .set('Idempotency-Key', `audit-${++keys}`)
      .send(body)
      .expect((r) => {
        if (r.status >= 300) throw new Error(`${route}: ${r.status} ${r.text}`);
      });
  const verify = async () => (await request(app()).get('/v1/audit/verify').expect(200)).body;
  return { post, verify };
}

/** What the role that writes the audit chain must be refused, each with how PostgreSQL refuses it. */
export const REWRITES: Array<[string, string, RegExp]> = [
  ['UPDATE', `UPDATE audit_records SET actor = 'mallory'`, /permission denied/],
  ['DELETE', 'DELETE FROM audit_records', /permission denied/],
  ['TRUNCATE', 'TRUNCATE audit_records', /permission denied/],
  ['ALTER TABLE … DISABLE TRIGGER', 'ALTER TABLE audit_records DISABLE TRIGGER USER', /must be owner/],
];

/** Connected as the service role: every rewrite of the chain is refused. */
export async function expectRewritesRefused(rolePool: Pool): Promise<void> {
  for (const [what, sql, refusal] of REWRITES) {
    await expect(rolePool.query(sql).then(() => `${what} passed`)).rejects.toThrow(refusal);
  }
}

interface Tamper {
  what: string;
  sql: string;
  /** The record the verifier must name, and how it finds it broken. */
  seq: number;
  problem: 'edited' | 'missing' | 'relinked';
}

/** The three tamperings of record `seq` (which must have a record after it). */
export function tamperings(seq: number): Tamper[] {
  return [
    {
      what: 'edited',
      sql: `UPDATE $T SET data = data || '{"amount":"0.00000001"}' WHERE seq = ${seq}`,
      seq,
      problem: 'edited',
    },
    { what: 'deleted', sql: `DELETE FROM $T WHERE seq = ${seq}`, seq: seq + 1, problem: 'missing' },
    {
      what: 'reordered',
      sql: `UPDATE $T SET seq = 999999 WHERE seq = ${seq}; UPDATE $T SET seq = ${seq} WHERE seq = ${seq + 1}; UPDATE $T SET seq = ${seq + 1} WHERE seq = 999999`,
      seq,
      problem: 'relinked',
    },
  ];
}

/**
 * For each tampering of record `seq` in `<schema>.audit_records` (as `owner`, a superuser): `verify`
 * (e.g. the service's GET /v1/audit/verify) names the record; then the chain is restored and verifies.
 */
export async function expectTamperingNamed(
  owner: Queryable,
  schema: string,
  seq: number,
  verify: () => Promise<ChainVerification>,
): Promise<void> {
  const table = `${schema}.audit_records`;
  const run = async (sql: string) => {
    await owner.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
    try {
      await owner.query(sql.replaceAll('$T', table));
    } finally {
      await owner.query(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
    }
  };
  // Kept in the database, not read back through JSON: records hold numbers whose text (100.00) is hashed.
  const backup = `${schema}.audit_records_before_tampering`;
  await owner.query(`DROP TABLE IF EXISTS ${backup}; CREATE TABLE ${backup} AS SELECT * FROM ${table}`);
  const restore = `DELETE FROM $T; INSERT INTO $T SELECT * FROM ${backup}`;
  for (const t of tamperings(seq)) {
    await run(t.sql);
    const result = await verify();
    expect({ what: t.what, ok: result.ok, brokenAt: result.brokenAt?.seq, problem: result.brokenAt?.problem }).toEqual({
      what: t.what,
      ok: false,
      brokenAt: t.seq,
      problem: t.problem,
    });
    await run(restore);
    expect(await verify()).toMatchObject({ ok: true });
  }
  await owner.query(`DROP TABLE ${backup}`);
}

/**
 * An owner edits one row of a bound money table behind the chain's back (its triggers off, as only
 * the owner can): `verify` names that table's row as edited, and the chain's own walk still holds.
 * `change` is the edit and its undoing (SET clauses); after the undoing everything verifies again.
 */
export async function expectRowEditNamed(
  owner: Queryable,
  qualifiedTable: string,
  where: string,
  change: [edit: string, undo: string],
  verify: () => Promise<ChainVerification>,
): Promise<void> {
  const table = qualifiedTable.split('.').at(-1);
  const set = async (clause: string) => {
    await owner.query(`ALTER TABLE ${qualifiedTable} DISABLE TRIGGER USER`);
    try {
      const { rowCount } = await owner.query(`UPDATE ${qualifiedTable} SET ${clause} WHERE ${where}`);
      expect(rowCount).toBe(1);
    } finally {
      await owner.query(`ALTER TABLE ${qualifiedTable} ENABLE TRIGGER USER`);
    }
  };
  await set(change[0]);
  const result = await verify();
  expect({ ok: result.ok, brokenAt: result.brokenAt }).toEqual({ ok: false, brokenAt: undefined });
  expect(result.tables?.find((t) => t.table === table)).toMatchObject({
    ok: false,
    problems: 1,
    first: [{ problem: 'edited' }],
  });
  expect(result.why).toMatch(new RegExp(`^${qualifiedTable.replace('.', '\\.')} row \\[.+\\] differs from its image`));
  await set(change[1]);
  expect(await verify()).toMatchObject({ ok: true });
}
