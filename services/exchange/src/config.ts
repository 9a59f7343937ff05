import { env } from '@vcdc/shared';
import { z } from 'zod';

export const ExchangeConfig = z.object({
  PORT: env.port(7102),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: env.databaseUrl(),
  DB_SCHEMA: z.string().default('exchange'),
  LOG_LEVEL: env.logLevel(),
  /** Base URL of the venue's REST API (the venue simulator in dev). */
  VENUE_API_URL: env.url('http://127.0.0.1:7201'),
  /** Dev defaults are the venue simulator's dev-only credentials; production sets real ones. */
  VENUE_API_KEY: z.string().min(1).default('vcdc-dev-venue-key'),
  VENUE_API_SECRET: z.string().min(1).default('vcdc-dev-venue-secret-not-for-production'),
  /** The ccxt exchange class that speaks the venue's protocol. Only HashKey is mapped so far. */
  VENUE_ID: z.enum(['hashkey']).default('hashkey'),
  VENUE_TIMEOUT_MS: env.positiveInt(10_000),
});
export type ExchangeConfig = z.infer<typeof ExchangeConfig>;
