/**
 * The register of licensed providers in tests: the providers tests deal with (the simulated HashKey
 * venue, the custodian, the bank), entered as the dev stack enters them — one person proposes, another
 * approves (services/exchange/src/provider-register.ts), both in the audit chain.
 */

import type { ProviderRegister } from '../../packages/shared/src';
import { inTransaction, type Pool, type ProviderTerms } from '../../packages/shared/src';
import {
  DEV_PROVIDERS,
  enterProvider as enterOn,
  seedDevProviders,
  seedProviders,
} from '../../scripts/lib/dev-providers';

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
