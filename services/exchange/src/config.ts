import { ActVerifyKeys, env } from '@vcdc/shared';
import { z } from 'zod';
import { CapabilityTable, DEFAULT_CAPABILITIES, InvestorClass } from './capabilities';
import { parseFloorRule } from './legal-floor';

/** An environment variable holding JSON, validated by `schema` (a bad value names the variable at start-up). */
function jsonEnv<T extends z.ZodType>(schema: T) {
  return z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

export const ReferenceVenue = z.object({
  /** Name in records. */
  id: z.string().min(1),
  /** ccxt exchange id. */
  exchange: z.string().min(1),
  /** API base URL override (a licensed venue's host; the simulator in dev). */
  url: z.url().optional(),
});

/** An OTC desk an RFQ asks (rfq/desk-client.ts): its register id, its API, our key and secret there. */
export const DeskConfig = z.object({
  id: z.string().min(1),
  url: z.url(),
  apiKey: z.string().min(1),
  secret: z.string().min(16),
});

/**
 * A trading venue besides the default one (VENUE_ID): orders, deposits and withdrawals reach it at
 * /v1/venues/:id/... (app.ts). `adapter`: the ccxt class that speaks its API (ccxt's own for HashKey,
 * ours for OSL: src/osl). Its capability entry is VENUE_CAPABILITIES[id].
 */
export const TradingVenue = z.object({
  id: z.string().regex(/^[a-z0-9-]{2,32}$/),
  adapter: z.enum(['hashkey', 'osl']),
  url: z.url(),
  apiKey: z.string().min(1),
  secret: z.string().min(1),
  /** The account's investor class at this venue; absent: INVESTOR_CLASS. */
  investorClass: InvestorClass.optional(),
});
export type TradingVenue = z.infer<typeof TradingVenue>;

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
  /** Further trading venues as JSON `[{"id","adapter","url","apiKey","secret","investorClass"?}]`; empty: the default alone. */
  TRADING_VENUES: jsonEnv(z.array(TradingVenue)).default([]),
  /**
   * Venues whose mid prices make the reference price and whose daily candles make the legal floor,
   * as JSON `[{"id","exchange","url"}]` (public data, no credentials). Empty: the trading venue alone.
   */
  REFERENCE_VENUES: jsonEnv(z.array(ReferenceVenue)).default([]),
  /** A venue's book older than this does not count towards the reference. */
  REFERENCE_MAX_AGE_MS: env.positiveInt(10_000),
  /** The most a venue's mid may differ from the median before the reference is refused (basis points). */
  REFERENCE_MAX_DISPERSION_BP: z
    .string()
    .regex(/^\d+(\.\d+)?$/)
    .default('100'),
  REFERENCE_MIN_SOURCES: env.positiveInt(1),
  /**
   * The reference index across venues (reference-index.ts, BRR-like): its window in minutes, the number
   * of equal partitions (must divide the window), and how many must have volume for there to be an index.
   */
  REFERENCE_INDEX_WINDOW_MINUTES: env.positiveInt(60),
  REFERENCE_INDEX_PARTITIONS: env.positiveInt(12),
  REFERENCE_INDEX_MIN_PARTITIONS: env.positiveInt(6),
  /** "average-close:<days>" (court practice: 20 days before the trade date) or "none". */
  LEGAL_FLOOR_RULE: z
    .string()
    .refine((s) => parseFloorRule(s) !== undefined, { message: 'must be "average-close:<days>" or "none"' })
    .default('average-close:20'),
  /** The venue capability table (capabilities.ts) as JSON; default: the design's HashKey snapshot. */
  VENUE_CAPABILITIES: jsonEnv(CapabilityTable).default(DEFAULT_CAPABILITIES),
  /** The investor class of the disposal account at the venue. */
  INVESTOR_CLASS: InvestorClass.default('professional'),
  /**
   * The control API's act verify keys (base64 DER SPKI Ed25519, comma-separated): a change to the register
   * of licensed providers is a person's act signed with one of them. Absent: the register is read-only.
   */
  ACT_VERIFY_KEYS: ActVerifyKeys.optional(),
  /**
   * The credential another service presents to read the register of licensed providers (GET /v1/providers…)
   * and nothing else: custody's PROVIDER_REGISTER_TOKEN. At least 32 characters; absent: no such reader.
   */
  PROVIDER_REGISTER_READ_TOKEN: z.string().min(32).optional(),
  /**
   * The OTC desks asked for quotes on a block, as JSON `[{"id","url","apiKey","secret"}]` (the simulated
   * desks in dev). Each is asked only while the register holds it in good standing. Empty: no RFQ trades.
   */
  RFQ_DESKS: jsonEnv(z.array(DeskConfig)).default([]),
  /** How long an acceptance or a settlement call to a desk may take. */
  RFQ_DESK_TIMEOUT_MS: env.positiveInt(5000),
});
export type ExchangeConfig = z.infer<typeof ExchangeConfig>;
