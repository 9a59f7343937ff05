import { ActVerifyKeys, env, ProviderId } from '@vcdc/shared';
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
  /** The bank settlements are made with: its id in the register of licensed providers. */
  FX_SETTLEMENT_BANK: ProviderId.default('hk-trust-bank'),
  /** The register of licensed providers (the exchange service) and the credential fx reads it with. */
  PROVIDER_REGISTER_URL: env.url('http://127.0.0.1:7102'),
  PROVIDER_REGISTER_TOKEN: z.string().min(1).optional(),
});
export type FxConfig = z.infer<typeof FxConfig>;
