/** The custody service's environment. Parsed once at start-up; a bad value stops the process with one line. */
import { env } from '@vcdc/shared';
import { z } from 'zod';

/**
 * DEV ONLY. Lets the embedded dev stack and the tests derive custody addresses without any setup.
 * With NODE_ENV=production the service refuses to start unless CUSTODY_MASTER_SECRET is set to
 * something else.
 */
export const DEV_CUSTODY_MASTER_SECRET = 'vcdc-dev-only-custody-master-secret-never-use-in-production';

export const CustodyConfigSchema = z
  .object({
    PORT: env.port(7101),
    HOST: z.string().default('127.0.0.1'),
    DATABASE_URL: env.databaseUrl(),
    DB_SCHEMA: z.string().default('custody'),
    LOG_LEVEL: env.logLevel(),
    NODE_ENV: z.string().default('development'),
    /** The chain node (in dev and tests: the ledger-chain simulator). */
    CHAIN_RPC_URL: env.url('http://127.0.0.1:7202'),
    /** Confirmations a sweep needs before it is taken in, and a transfer before it counts as CONFIRMED. */
    CUSTODY_MIN_CONFIRMATIONS: env.positiveInt(2),
    /** The secret custody addresses are derived from. Never logged, never returned. */
    CUSTODY_MASTER_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  })
  .superRefine((config, ctx) => {
    const production = config.NODE_ENV === 'production';
    if (production && (!config.CUSTODY_MASTER_SECRET || config.CUSTODY_MASTER_SECRET === DEV_CUSTODY_MASTER_SECRET)) {
      ctx.addIssue({
        code: 'custom',
        path: ['CUSTODY_MASTER_SECRET'],
        message: 'must be set (and not the dev-only default) when NODE_ENV=production',
      });
    }
  })
  .transform((config) => ({
    ...config,
    CUSTODY_MASTER_SECRET: config.CUSTODY_MASTER_SECRET ?? DEV_CUSTODY_MASTER_SECRET,
  }));

export type CustodyConfig = z.infer<typeof CustodyConfigSchema>;
