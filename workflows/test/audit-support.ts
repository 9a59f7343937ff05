/** A control-API audit chain in a fresh test database (the embedded PostgreSQL of the jest run). */
import { AuditChain, createPool, migrateAuditChain, type Pool } from '@vcdc/shared';
import { createTestDatabase } from '../../test/support/database';
import { DecisionVerifyKeys, newDecisionKeyPair } from '../src/activities/decision-signature';
import { newCodecKey } from '../src/codec/payload-codec';

/** One decision key pair for a test file: the control API signs with it, the test worker verifies with it. */
export const TEST_DECISION_KEYS = newDecisionKeyPair();
export const testDecisionVerifyKeys = () => DecisionVerifyKeys.parse(TEST_DECISION_KEYS.verifyKey);

/** The settings ControlApiConfig requires, for tests that only want its defaults. */
export const TEST_CONTROL_API_ENV = {
  DATABASE_URL: 'postgres://unused',
  NOTIFICATIONS_DATABASE_URL: 'postgres://unused',
  PAYLOAD_CODEC_KEYS: newCodecKey('test'),
  DECISION_SIGNING_KEY: TEST_DECISION_KEYS.signingKey,
  // Sell in two one-second slices: the tests run on real servers and wait for the sale.
  DEFAULT_SALE_SLICES: '2',
  DEFAULT_SALE_HORIZON_SECONDS: '2',
};

export async function testAuditChain(prefix: string): Promise<{ audit: AuditChain; pool: Pool; databaseUrl: string }> {
  const databaseUrl = await createTestDatabase(prefix);
  await migrateAuditChain(databaseUrl, 'audit');
  const pool = createPool(databaseUrl, 'audit', 4);
  return { audit: new AuditChain(pool), pool, databaseUrl };
}
