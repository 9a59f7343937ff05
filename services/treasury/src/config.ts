import { ActVerifyKeys, env } from '@vcdc/shared';
import { z } from 'zod';

export const TreasuryConfig = z.object({
  PORT: env.port(7104),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: env.databaseUrl(),
  DB_SCHEMA: z.string().default('treasury'),
  LOG_LEVEL: env.logLevel(),
  /** The control API's act verify keys (base64 SPKI Ed25519, comma-separated): decisions and acts are checked against them. */
  ACT_VERIFY_KEYS: ActVerifyKeys,
});
export type TreasuryConfig = z.infer<typeof TreasuryConfig>;
