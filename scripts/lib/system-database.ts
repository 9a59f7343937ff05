/**
 * Every schema the system keeps in PostgreSQL and the role that works on it, in one place: the four
 * services' schemas, the control API's audit chain (`audit`, which the worker appends refusals to as
 * well), the notifications outbox (`notifications`, written by the worker, read by the control API) and
 * the lot manifests of large cases (`lot_manifests`, written by the control API, read by the worker's intake).
 * The provision step (scripts/db-provision.ts, the dev stack, the end-to-end stack, the tests) migrates
 * and provisions exactly these; each running process is then given the URL of the roles it needs.
 */
import {
  AUDIT_MIGRATIONS_DIR,
  env,
  type ProvisionedSchema,
  provision,
  type RoleCredential,
  type SchemaToProvision,
} from '@vcdc/shared';
import { z } from 'zod';
import { CUSTODY_MIGRATIONS_DIR } from '../../services/custody/src/service';
import { EXCHANGE_MIGRATIONS_DIR } from '../../services/exchange/src/app';
import { FX_MIGRATIONS_DIR } from '../../services/fx/src/app';
import { TREASURY_MIGRATIONS_DIR } from '../../services/treasury/src/app';
import { MANIFEST_MIGRATIONS_DIR } from '../../workflows/src/manifest/store';
import { NOTIFICATIONS_MIGRATIONS_DIR } from '../../workflows/src/notifications/store';

export const SYSTEM_ROLES = [
  'custody',
  'exchange',
  'fx',
  'treasury',
  'audit',
  'notifications',
  'lot_manifests',
] as const;
export type SystemRole = (typeof SYSTEM_ROLES)[number];

/** Each schema (named as its role: `<name>_service` works on schema `<name>`) and its migrations. */
export const SYSTEM_SCHEMAS: Record<SystemRole, Omit<SchemaToProvision, 'credential'>> = {
  // Custody's own migrations grant custody_service its tables (00003 and later).
  custody: { schema: 'custody', dir: CUSTODY_MIGRATIONS_DIR, tables: 'none' },
  exchange: { schema: 'exchange', dir: EXCHANGE_MIGRATIONS_DIR },
  fx: { schema: 'fx', dir: FX_MIGRATIONS_DIR },
  treasury: { schema: 'treasury', dir: TREASURY_MIGRATIONS_DIR },
  audit: { schema: 'audit', dir: AUDIT_MIGRATIONS_DIR },
  notifications: { schema: 'notifications', dir: NOTIFICATIONS_MIGRATIONS_DIR, auditChain: false },
  lot_manifests: { schema: 'lot_manifests', dir: MANIFEST_MIGRATIONS_DIR, auditChain: false },
};

/** The URL each role logs in with, for the running processes. */
export type RoleUrls = Record<SystemRole, string>;

/** Migrate every schema and provision every role as the owner; the role URLs, never the owner's. */
export async function provisionSystem(
  ownerUrl: string,
  credentials: Record<SystemRole, RoleCredential>,
  log?: (line: string) => void,
): Promise<RoleUrls> {
  const done: ProvisionedSchema[] = await provision(
    ownerUrl,
    SYSTEM_ROLES.map((name) => ({ ...SYSTEM_SCHEMAS[name], credential: credentials[name] })),
    log,
  );
  return Object.fromEntries(SYSTEM_ROLES.map((name, i) => [name, (done[i] as ProvisionedSchema).url])) as RoleUrls;
}

/** A password for each role (provisioning gives `<name>_service` LOGIN with it). */
export function passwordCredentials(password: (name: SystemRole) => string): Record<SystemRole, RoleCredential> {
  return Object.fromEntries(SYSTEM_ROLES.map((name) => [name, { password: password(name) }])) as Record<
    SystemRole,
    RoleCredential
  >;
}

const upper = (name: SystemRole) => name.toUpperCase();

/**
 * The provision step's settings: DATABASE_OWNER_URL, and per role either `<NAME>_DB_PASSWORD` (the
 * password provisioning gives `<name>_service`) or `<NAME>_DB_URL` (a login role a DBA made), e.g.
 * TREASURY_DB_PASSWORD, AUDIT_DB_URL.
 */
export const ProvisionConfig = z
  .object({
    DATABASE_OWNER_URL: env.databaseUrl(),
    LOG_LEVEL: env.logLevel(),
    ...Object.fromEntries(
      SYSTEM_ROLES.flatMap((name) => [
        [`${upper(name)}_DB_PASSWORD`, z.string().min(16).optional()],
        [`${upper(name)}_DB_URL`, env.databaseUrl().optional()],
      ]),
    ),
  })
  .superRefine((config, ctx) => {
    const settings = config as Record<string, unknown>;
    for (const name of SYSTEM_ROLES) {
      const password = settings[`${upper(name)}_DB_PASSWORD`];
      const url = settings[`${upper(name)}_DB_URL`];
      if ((password === undefined) === (url === undefined))
        ctx.addIssue({
          code: 'custom',
          path: [`${upper(name)}_DB_PASSWORD`],
          message: `set exactly one of ${upper(name)}_DB_PASSWORD and ${upper(name)}_DB_URL`,
        });
    }
  });

export function roleCredentials(config: z.infer<typeof ProvisionConfig>): Record<SystemRole, RoleCredential> {
  const settings = config as Record<string, string | undefined>;
  return Object.fromEntries(
    SYSTEM_ROLES.map((name) => {
      const url = settings[`${upper(name)}_DB_URL`];
      return [name, url ? { loginUrl: url } : { password: settings[`${upper(name)}_DB_PASSWORD`] as string }];
    }),
  ) as Record<SystemRole, RoleCredential>;
}
