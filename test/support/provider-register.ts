/**
 * The register of licensed providers in tests: the providers tests deal with (the simulated HashKey
 * venue, the custodian, the bank), entered as the dev stack enters them — one person proposes, another
 * approves (services/exchange/src/provider-register.ts), both in the audit chain.
 */

import type { KeyObject } from 'node:crypto';
import type { ProviderRegister } from '../../packages/shared/src';
import {
  createPool,
  inTransaction,
  listen,
  migrate,
  type Pool,
  type ProviderTerms,
  silentLogger,
} from '../../packages/shared/src';
import {
  DEV_PROVIDERS,
  enterProvider as enterOn,
  seedDevProviders,
  seedProviders,
} from '../../scripts/lib/dev-providers';
import { createApp, EXCHANGE_MIGRATIONS_DIR } from '../../services/exchange/src/app';
import { CcxtVenue } from '../../services/exchange/src/ccxt-venue';
import { createTestDatabase } from './database';

export { DEV_PROVIDERS };

/** A provider's next version (or first) in the register of `pool`'s exchange schema, by two people, on one transaction. */
export function enterProvider(pool: Pool, terms: ProviderTerms, baseVersion?: number): Promise<number> {
  return inTransaction(pool, (tx) => enterOn(tx, terms, baseVersion));
}

/** The dev providers in the register of the exchange schema `pool` works on. */
export function seedProviderRegister(pool: Pool): Promise<void> {
  return seedProviders(pool);
}

/** The same, on the exchange schema of the database at `databaseUrl` (a service role's URL will do). */
export function seedProviderRegisterAt(databaseUrl: string): Promise<void> {
  return seedDevProviders(databaseUrl);
}

/**
 * A register holding `providers` (each at version 1) in place of the exchange service, for custody tests
 * that are about something else; services/custody/test/provider-standing.test.ts asks the real one.
 */
export function registerHolding(providers: readonly ProviderTerms[] = DEV_PROVIDERS): ProviderRegister {
  return {
    entryInForce: async (providerId) => {
      const terms = providers.find((p) => p.providerId === providerId);
      return terms ? { terms, version: 1 } : undefined;
    },
  };
}

/** The dev bank, in good standing, as fx settles with it in tests about something else. */
export function settlementBankInGoodStanding(): { providerId: string; register: ProviderRegister } {
  return { providerId: 'hk-trust-bank', register: registerHolding() };
}

/**
 * The register as other services reach it: the exchange service (its register routes; no venue is asked
 * anything) on a database of its own, on a loopback port, holding the dev providers unless told otherwise.
 */
export async function startProviderRegister(
  prefix: string,
  options: { seed?: boolean; actVerifyKeys?: KeyObject[] } = {},
): Promise<{ url: string; pool: Pool; close: () => Promise<void> }> {
  const databaseUrl = await createTestDatabase(prefix);
  await migrate({ databaseUrl, schema: 'exchange', dir: EXCHANGE_MIGRATIONS_DIR });
  const pool = createPool(databaseUrl, 'exchange', 4);
  if (options.seed !== false) await seedProviders(pool);
  const venue = new CcxtVenue({
    venueId: 'hashkey',
    apiUrl: 'http://127.0.0.1:9',
    apiKey: 'unused',
    secret: 'unused',
    timeoutMs: 500,
    enableRateLimit: false,
  });
  const server = await listen(
    createApp({
      pool,
      logger: silentLogger(),
      venue,
      ...(options.actVerifyKeys ? { actVerifyKeys: options.actVerifyKeys } : {}),
    }),
    0,
  );
  return {
    url: server.url,
    pool,
    close: async () => {
      await server.close();
      await pool.end();
    },
  };
}
