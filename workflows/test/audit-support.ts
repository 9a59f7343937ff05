/** A control-API audit chain in a fresh test database (the embedded PostgreSQL of the jest run). */
import { AuditChain, createPool, migrateAuditChain, type Pool } from '@vcdc/shared';
import { createTestDatabase } from '../../test/support/database';
import { newCodecKey } from '../src/codec/payload-codec';

/** The settings ControlApiConfig requires, for tests that only want its defaults. */
export const TEST_CONTROL_API_ENV = { DATABASE_URL: 'postgres://unused', PAYLOAD_CODEC_KEYS: newCodecKey('test') };

export async function testAuditChain(prefix: string): Promise<{ audit: AuditChain; pool: Pool; databaseUrl: string }> {
  const databaseUrl = await createTestDatabase(prefix);
  await migrateAuditChain(databaseUrl, 'audit');
  const pool = createPool(databaseUrl, 'audit', 4);
  return { audit: new AuditChain(pool), pool, databaseUrl };
}
