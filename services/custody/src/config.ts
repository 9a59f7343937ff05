/** The custody service's environment. Parsed once at start-up; a bad value stops the process with one line. */
import { ActVerifyKeys, env } from '@vcdc/shared';
import { z } from 'zod';
import { parseTestDepositMax } from './test-deposit-policy';

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
    /**
     * The control API's act verify keys: base64 DER (SPKI) Ed25519 public keys, comma-separated (old and
     * new while rotating). Every person's act custody carries out (VCDC-Act header) and every DISPOSAL_PLAN
     * approval a transfer carries must verify with one of them. Required: without it no one can act.
     */
    ACT_VERIFY_KEYS: ActVerifyKeys,
    /**
     * Cooling-off after a whitelist entry's second approval before coins may go to it (seconds). Default
     * 24 h; the dev stack uses a short non-zero one (so a person sees the COOLING_OFF state); 0 (ACTIVE at
     * the second approval) is allowed for tests only.
     */
    CUSTODY_WHITELIST_COOLING_OFF_SECONDS: z.coerce
      .number()
      .int()
      .min(0)
      .default(24 * 60 * 60),
    /**
     * The largest TEST_DEPOSIT per asset, "ASSET=amount" comma-separated; unnamed assets keep the default
     * (ETH=0.01,USDT=10,BTC=0.001).
     */
    CUSTODY_TEST_DEPOSIT_MAX: z
      .string()
      .optional()
      .transform((text, ctx) => {
        try {
          return parseTestDepositMax(text);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
          return z.NEVER;
        }
      }),
    /** Per chain (default: CUSTODY_MIN_CONFIRMATIONS). */
    CUSTODY_MIN_CONFIRMATIONS_BITCOIN: z.coerce.number().int().positive().optional(),
    CUSTODY_MIN_CONFIRMATIONS_ETHEREUM: z.coerce.number().int().positive().optional(),
    /**
     * The secret the custody key (HD root) is made from: a BIP-39 mnemonic or any >= 32 character
     * secret. Never logged, never returned. CUSTODY_KEYSTORE_FILE, when set, is used instead.
     */
    CUSTODY_MASTER_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    /** An encrypted JSON keystore (ethers / Web3 secret storage) holding the custody HD wallet. */
    CUSTODY_KEYSTORE_FILE: z.string().min(1).optional(),
    CUSTODY_KEYSTORE_PASSWORD: z.string().optional(),
    /** An EVM JSON-RPC node: when set, ETH and USDT custody is on that chain (else on CHAIN_RPC_URL). */
    EVM_RPC_URL: env.url().optional(),
    /** The USDT ERC-20 contract on that chain. */
    EVM_USDT_CONTRACT: z
      .string()
      .regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte hex address')
      .optional(),
    EVM_USDT_DECIMALS: env.positiveInt(6),
    /**
     * The register of licensed providers: the exchange service that keeps it (GET /v1/providers/:id). A
     * transfer to a whitelisted address is refused unless its provider is in good standing there; a
     * register that cannot be asked refuses the transfer for now (503).
     */
    PROVIDER_REGISTER_URL: env.url('http://127.0.0.1:7102'),
    /** The credential custody presents to the register (Authorization: Bearer), when it wants one. */
    PROVIDER_REGISTER_TOKEN: z.string().min(1).optional(),
  })
  .superRefine((config, ctx) => {
    if (config.CUSTODY_KEYSTORE_FILE && config.CUSTODY_KEYSTORE_PASSWORD === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['CUSTODY_KEYSTORE_PASSWORD'],
        message: 'must be set with CUSTODY_KEYSTORE_FILE',
      });
    }
    if (config.EVM_RPC_URL && !config.EVM_USDT_CONTRACT) {
      ctx.addIssue({ code: 'custom', path: ['EVM_USDT_CONTRACT'], message: 'must be set with EVM_RPC_URL' });
    }
    const production = config.NODE_ENV === 'production';
    if (
      production &&
      !config.CUSTODY_KEYSTORE_FILE &&
      (!config.CUSTODY_MASTER_SECRET || config.CUSTODY_MASTER_SECRET === DEV_CUSTODY_MASTER_SECRET)
    ) {
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
