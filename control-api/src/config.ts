/**
 * Control API configuration (environment variables, validated once). The DEFAULT_* settings fill
 * what a minimal case registration leaves out (disposal route, FX particulars, budget code); the
 * defaults below run the embedded dev stack.
 */
import path from 'node:path';
import { env } from '@vcdc/shared';
import { DecisionSigningKey } from '@vcdc/workflows/activities/decision-signature';
import { CodecKeyList } from '@vcdc/workflows/codec/payload-codec';
import { ManifestSchema } from '@vcdc/workflows/manifest/store';
import { NotificationsSchema } from '@vcdc/workflows/notifications/store';
import {
  Disposal,
  Execution,
  FxParticulars,
  type RegistrationDefaults,
  TreasuryParticulars,
} from '@vcdc/workflows/workflow/case-input';
import { TASK_QUEUE } from '@vcdc/workflows/workflow/shared';
import { z } from 'zod';
import { AuditServicesSettings } from './audit-chains';
import { parseSpanSeconds } from './auth';
import { QuorumThresholds } from './quorum';

/** The dev issuer's key folder by default: `.data/dev-issuer` at the repository root (beside the dev stack's state). */
export const DEV_KEY_DIR = path.resolve(__dirname, '../../.data/dev-issuer');

export const ControlApiConfig = z
  .object({
    PORT: env.port(7100),
    HOST: z.string().min(1).default('127.0.0.1'),
    TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default(TASK_QUEUE),
    /** The longest one call to Temporal may take before the request answers 503 temporal-not-answering (ms). */
    TEMPORAL_CALL_TIMEOUT_MS: env.positiveInt(10_000),
    LOG_LEVEL: env.logLevel(),
    /**
     * Where the audit chain of decisions and refusals is kept (its own schema): the login of
     * `<AUDIT_SCHEMA>_service`, a role that may append records and never change them. Never the owner's
     * URL: the control API refuses to start with it (the provision step, scripts/db-provision.ts, holds that).
     */
    DATABASE_URL: env.databaseUrl(),
    AUDIT_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/)
      .default('audit'),
    /** The services whose audit chains GET /v1/audit/verify walks too (their URLs and credentials). */
    ...AuditServicesSettings.shape,
    /**
     * The notifications outbox the worker writes and GET /v1/notifications reads: the login of
     * `<NOTIFICATIONS_SCHEMA>_service` (the worker's DATABASE_URL).
     */
    NOTIFICATIONS_DATABASE_URL: env.databaseUrl(),
    NOTIFICATIONS_SCHEMA: NotificationsSchema,
    /**
     * The lot manifests of large cases (manifest/store.ts): the login of `<LOT_MANIFESTS_SCHEMA>_service`.
     * Unset: no manifest (the control API answers its manifest routes 503; the worker registers no
     * manifest activity), and cases carry their lots inline (up to 5,000).
     */
    LOT_MANIFESTS_DATABASE_URL: env.databaseUrl().optional(),
    LOT_MANIFESTS_SCHEMA: ManifestSchema,
    /**
     * `oidc`: tokens from AUTH_ISSUER, keys from AUTH_JWKS_URL (any OIDC provider). `dev`: the local dev
     * issuer (keys in AUTH_DEV_KEY_DIR, JWKS served at /.well-known/jwks.json; tokens from `dev-token`).
     */
    AUTH_MODE: z.enum(['dev', 'oidc']).default('dev'),
    AUTH_ISSUER: z.string().min(1).optional(),
    AUTH_JWKS_URL: env.url().optional(),
    AUTH_AUDIENCE: z.string().min(1).default('vcdc-control-api'),
    /** The token claim that lists the person's roles (an array of role names). */
    AUTH_ROLES_CLAIM: z.string().min(1).default('roles'),
    /** The token claim that names the person's unit (case-handling, custody, finance…); a token without one may not act. */
    AUTH_UNIT_CLAIM: z.string().min(1).default('unit'),
    /** The longest a bearer token may live (exp - iat): `12h`, `30m`, or seconds. Longer-lived tokens are refused. */
    AUTH_MAX_TOKEN_LIFETIME: z
      .string()
      .default('12h')
      .transform((text, ctx) => {
        const seconds = parseSpanSeconds(text);
        if (seconds === undefined) {
          ctx.addIssue({ code: 'custom', message: 'must be a span such as 12h, 30m, 45s or a number of seconds' });
          return z.NEVER;
        }
        return seconds;
      }),
    AUTH_DEV_KEY_DIR: z.string().min(1).default(DEV_KEY_DIR),
    /**
     * The people's console (/console/) in oidc mode: its client id at AUTH_ISSUER (a public client: the
     * authorization code flow with PKCE, no secret), the scopes it asks for, and the audience/resource to
     * name when the issuer needs it to put AUTH_AUDIENCE in the token. Unset: the console cannot sign in.
     */
    CONSOLE_OIDC_CLIENT_ID: z.string().min(1).optional(),
    CONSOLE_OIDC_SCOPE: z.string().min(1).default('openid profile'),
    CONSOLE_OIDC_AUDIENCE: z.string().min(1).optional(),
    /** The console's address as people reach it (e.g. https://vcdc.example/console): each case's workflow links to its page. */
    CONSOLE_PUBLIC_URL: env.url().optional(),
    /** The Temporal Web UI, for the console's link from a case to its workflow (the dev stack's by default). */
    TEMPORAL_UI_URL: env.url().default('http://127.0.0.1:8233'),
    /**
     * The Ed25519 key the control API signs decisions and forwarded acts with (the worker and the
     * services verify with its public half: DECISION_VERIFY_KEYS, ACT_VERIFY_KEYS).
     */
    DECISION_SIGNING_KEY: DecisionSigningKey,
    /** Workflow payload encryption keys (`id:base64`, 32 bytes each; the worker has the same), and the current id. */
    PAYLOAD_CODEC_KEYS: CodecKeyList,
    PAYLOAD_CODEC_KEY_ID: z.string().min(1).optional(),
    /** Web UI origins allowed to call the codec endpoint from the browser. */
    CODEC_CORS_ORIGINS: z
      .string()
      .default('http://127.0.0.1:8233,http://localhost:8233')
      .transform((s) =>
        s
          .split(',')
          .map((o) => o.trim())
          .filter(Boolean),
      ),
    /** Removed: there is no token-free codec endpoint any more (CODEC_UI_SECRET is the dev UI's way). */
    CODEC_AUTH: z
      .string()
      .optional()
      .refine((v) => v === undefined || v === 'token', {
        message:
          'CODEC_AUTH=none was removed: the codec endpoint always needs a credential (dev Web UI: CODEC_UI_SECRET)',
      }),
    /**
     * The codec endpoint always needs a credential. A person's bearer token (the Web UI forwards its
     * user's with `passAccessToken`), or, for a Web UI without a login (the dev stack only), this
     * per-stack secret in the path: the UI is given `<control API>/codec/<secret>` as its codec endpoint
     * and may decode (never encode) there. At least 32 characters; refused with AUTH_MODE=oidc.
     */
    CODEC_UI_SECRET: z
      .string()
      .regex(/^[A-Za-z0-9_-]{32,256}$/, { message: 'must be 32-256 characters of A-Z a-z 0-9 _ -' })
      .optional(),
    /** Requests a minute per client address before 429. */
    RATE_LIMIT_PER_MINUTE: env.positiveInt(600),
    /** Above these declared amounts (per asset) the disposal plan needs two distinct supervisors. */
    QUORUM_THRESHOLDS: QuorumThresholds.default(QuorumThresholds.parse('BTC=10,ETH=150,USDT=1000000')),
    DEFAULT_OFFSHORE_BANK_ACCOUNT_ID: Disposal.shape.offshoreBankAccountId.default('HK-TRUST-0001'),
    DEFAULT_FX_TRANSACTION_CODE: FxParticulars.shape.transactionCode.default('622011'),
    DEFAULT_FX_PURPOSE: FxParticulars.shape.purpose.default(
      'Proceeds of the disposal of confiscated virtual currency, for remittance to the state treasury',
    ),
    DEFAULT_FX_REMITTER_NAME: z.string().min(1).max(200).default('VCDC disposal trust account'),
    DEFAULT_FX_REMITTER_ACCOUNT: z.string().min(1).max(64).default('HK-TRUST-0001'),
    DEFAULT_FX_REMITTER_BANK: z.string().min(1).max(200).default('Hong Kong branch (dev)'),
    DEFAULT_FX_BENEFICIARY_NAME: z.string().min(1).max(200).default('Agency special case-property account'),
    DEFAULT_FX_BENEFICIARY_ACCOUNT: z.string().min(1).max(64).default('CN-SPECIAL-0001'),
    DEFAULT_FX_BENEFICIARY_BANK: z.string().min(1).max(200).default('Domestic settlement bank (dev)'),
    DEFAULT_BUDGET_CLASSIFICATION_CODE: TreasuryParticulars.shape.budgetClassificationCode.default('1030501'),
    /** The execution engine's schedule for cases that name none (unset: the engine's own defaults). */
    DEFAULT_SALE_SLICES: z.coerce.number().int().min(1).max(500).optional(),
    DEFAULT_SALE_HORIZON_SECONDS: z.coerce.number().int().min(1).max(2_592_000).optional(),
    DEFAULT_SALE_BAND_BP: Execution.shape.bandBp.unwrap().optional(),
    DEFAULT_SALE_PRICE_OFFSET_BP: Execution.shape.priceOffsetBp.unwrap().optional(),
    DEFAULT_SALE_MAX_REPRICINGS: z.coerce.number().int().min(0).max(50).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.AUTH_MODE !== 'oidc') return;
    if (c.CODEC_UI_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['CODEC_UI_SECRET'],
        message: 'only for the dev stack: with AUTH_MODE=oidc the Web UI forwards its user’s token',
      });
    }
    for (const name of ['AUTH_ISSUER', 'AUTH_JWKS_URL'] as const) {
      if (!c[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'required when AUTH_MODE=oidc' });
    }
  });
export type ControlApiConfig = z.infer<typeof ControlApiConfig>;

export function registrationDefaults(config: ControlApiConfig): RegistrationDefaults {
  return {
    disposal: {
      venue: 'hashkey',
      stablecoin: 'USDT',
      fiat: 'USD',
      offshoreBankAccountId: config.DEFAULT_OFFSHORE_BANK_ACCOUNT_ID,
      ...defaultExecution(config),
    },
    fx: {
      transactionCode: config.DEFAULT_FX_TRANSACTION_CODE,
      purpose: config.DEFAULT_FX_PURPOSE,
      remitter: {
        name: config.DEFAULT_FX_REMITTER_NAME,
        account: config.DEFAULT_FX_REMITTER_ACCOUNT,
        bank: config.DEFAULT_FX_REMITTER_BANK,
      },
      beneficiary: {
        name: config.DEFAULT_FX_BENEFICIARY_NAME,
        account: config.DEFAULT_FX_BENEFICIARY_ACCOUNT,
        bank: config.DEFAULT_FX_BENEFICIARY_BANK,
      },
    },
    treasury: { budgetClassificationCode: config.DEFAULT_BUDGET_CLASSIFICATION_CODE },
  };
}

function defaultExecution(config: ControlApiConfig): { execution?: Execution } {
  const execution: Execution = {
    ...(config.DEFAULT_SALE_SLICES ? { slices: config.DEFAULT_SALE_SLICES } : {}),
    ...(config.DEFAULT_SALE_HORIZON_SECONDS ? { horizonSeconds: config.DEFAULT_SALE_HORIZON_SECONDS } : {}),
    ...(config.DEFAULT_SALE_BAND_BP ? { bandBp: config.DEFAULT_SALE_BAND_BP } : {}),
    ...(config.DEFAULT_SALE_PRICE_OFFSET_BP ? { priceOffsetBp: config.DEFAULT_SALE_PRICE_OFFSET_BP } : {}),
    ...(config.DEFAULT_SALE_MAX_REPRICINGS !== undefined ? { maxRepricings: config.DEFAULT_SALE_MAX_REPRICINGS } : {}),
  };
  return Object.keys(execution).length > 0 ? { execution } : {};
}
