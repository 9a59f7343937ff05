/**
 * refuse_change(), the trigger function of every append-only table, has one definition: the shared
 * migrations' (packages/shared/migrations/00002_refuse_change.sql). Every schema migrated afresh has
 * that one and no other, every table whose trigger calls it refuses UPDATE and DELETE (row triggers)
 * and TRUNCATE (statement triggers) where it has them, and a schema migrated before the shared
 * definition existed has its own replaced by it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createPool, migrate, type Pool, SHARED_MIGRATIONS_DIR } from '../packages/shared/src';
import { createTestDatabase } from './support/database';

const ROOT = path.resolve(__dirname, '..');
const SCHEMAS: Record<string, string> = {
  custody: 'services/custody/migrations',
  exchange: 'services/exchange/migrations',
  fx: 'services/fx/migrations',
  treasury: 'services/treasury/migrations',
  notifications: 'workflows/src/notifications/migrations',
};
const SHARED_FILE = path.join(SHARED_MIGRATIONS_DIR, '00002_refuse_change.sql');
/** The function's body as the shared file writes it (between the $$ quotes). */
const SHARED_BODY = (readFileSync(SHARED_FILE, 'utf8').split('$$')[1] ?? '').trim();

let databaseUrl: string;
let pool: Pool;

beforeAll(async () => {
  databaseUrl = await createTestDatabase('refuse_change');
  for (const [schema, dir] of Object.entries(SCHEMAS)) {
    await migrate({ databaseUrl, schema, dir: path.join(ROOT, dir), auditChain: schema !== 'notifications' });
  }
  pool = createPool(databaseUrl, 'public');
});
afterAll(async () => {
  await pool.end();
});

async function definitions(schema: string): Promise<string[]> {
  const { rows } = await pool.query<{ body: string }>(
    `SELECT p.prosrc AS body FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = $1 AND p.proname = 'refuse_change'`,
    [schema],
  );
  return rows.map((r) => r.body.trim());
}

test('no migration but the shared one defines refuse_change()', () => {
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  const found = execFileSync(
    'git',
    ['grep', '--untracked', '-l', '-i', '-E', 'CREATE +(OR +REPLACE +)?FUNCTION +refuse_change', '--', '*.sql'],
    { cwd: ROOT },
  )
    .toString()
    .trim()
    .split('\n');
  expect(found).toEqual([path.relative(ROOT, SHARED_FILE)]);
});

test.each(Object.keys(SCHEMAS))(
  '%s has the one shared refuse_change() and its append-only tables refuse every change',
  async (schema) => {
    expect(await definitions(schema)).toEqual([SHARED_BODY]);
    // Every trigger calling it: tgtype bit 1 = row, 2 = before, 4 insert, 8 delete, 16 update, 32 truncate.
    const { rows } = await pool.query<{ table: string; tgtype: number }>(
      `SELECT c.relname AS table, t.tgtype FROM pg_trigger t
       JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_proc p ON p.oid = t.tgfoid
      WHERE n.nspname = $1 AND p.proname = 'refuse_change' AND NOT t.tgisinternal`,
      [schema],
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const { table, tgtype } of rows) {
      const before = (tgtype & 2) !== 0;
      const row = (tgtype & 1) !== 0;
      expect({ table, before }).toEqual({ table, before: true });
      if (row) expect({ table, updateAndDelete: (tgtype & 24) === 24 }).toEqual({ table, updateAndDelete: true });
      else expect({ table, truncate: (tgtype & 32) !== 0 }).toEqual({ table, truncate: true });
    }
    // A TRUNCATE trigger fires on an empty table too: the function refuses, with its one error.
    const truncated = rows.find((r) => (r.tgtype & 32) !== 0);
    if (truncated) {
      await expect(pool.query(`TRUNCATE ${schema}.${truncated.table} CASCADE`)).rejects.toMatchObject({
        code: '23001',
        message: expect.stringMatching(/is append-only: TRUNCATE refused/),
      });
    }
  },
);

test('a row of an append-only table is neither updated nor deleted', async () => {
  await pool.query(`CREATE TABLE fx.scratch_facts (id INT PRIMARY KEY);
    CREATE TRIGGER scratch_append_only BEFORE UPDATE OR DELETE ON fx.scratch_facts
      FOR EACH ROW EXECUTE FUNCTION fx.refuse_change();
    INSERT INTO fx.scratch_facts VALUES (1);`);
  await expect(pool.query('UPDATE fx.scratch_facts SET id = 2')).rejects.toMatchObject({ code: '23001' });
  await expect(pool.query('DELETE FROM fx.scratch_facts')).rejects.toMatchObject({ code: '23001' });
  expect((await pool.query('SELECT id FROM fx.scratch_facts')).rows).toEqual([{ id: 1 }]);
});

test('a schema migrated before the shared definition has its own replaced by it', async () => {
  // As treasury's 00003 defined it, and the shared migration not yet applied.
  await pool.query(`CREATE OR REPLACE FUNCTION treasury.refuse_change() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; END $$ LANGUAGE plpgsql`);
  await pool.query(`DELETE FROM treasury.shared_migrations WHERE name = '00002_refuse_change'`);
  expect(await definitions('treasury')).not.toEqual([SHARED_BODY]);
  const applied = await migrate({ databaseUrl, schema: 'treasury', dir: path.join(ROOT, SCHEMAS.treasury as string) });
  expect(applied).toEqual(['00002_refuse_change']);
  expect(await definitions('treasury')).toEqual([SHARED_BODY]);
});
