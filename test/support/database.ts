/**
 * A fresh database per test file, in the embedded PostgreSQL that global-setup started, so test
 * files never see each other's rows and can run in parallel.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export async function createTestDatabase(prefix = 't'): Promise<string> {
  const adminUrl = process.env.VCDC_TEST_PG_ADMIN_URL;
  if (!adminUrl)
    throw new Error(
      'VCDC_TEST_PG_ADMIN_URL is not set: run the tests through jest (its global setup starts PostgreSQL)',
    );
  const name = `${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
