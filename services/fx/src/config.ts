import { ActVerifyKeys, env } from '@vcdc/shared';
import { z } from 'zod';

export const FxConfig = z.object({
  PORT: env.port(7103),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: env.databaseUrl(),
  DB_SCHEMA: z.string().default('fx'),
  LOG_LEVEL: env.logLevel(),
  /** Where the bank's daily buying rates come from (the FX-rate simulator in dev). */
  FX_RATE_SOURCE_URL: env.url('http://127.0.0.1:7203'),
  FX_RATE_SOURCE_TIMEOUT_MS: env.positiveInt(5_000),
  /** The control API's act verify keys (base64 SPKI Ed25519, comma-separated): decisions are checked against them. */
  ACT_VERIFY_KEYS: ActVerifyKeys,
});
export type FxConfig = z.infer<typeof FxConfig>;
