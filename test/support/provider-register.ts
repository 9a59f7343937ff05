/**
 * The register of licensed providers in tests: the providers tests deal with (the simulated HashKey
 * venue, the custodian, the bank), entered as the dev stack enters them — one person proposes, another
 * approves (services/exchange/src/provider-register.ts), both in the audit chain.
 */
import type { Pool } from '../../packages/shared/src';
import { DEV_PROVIDERS, enterProvider, seedDevProviders, seedProviders } from '../../scripts/lib/dev-providers';

export { DEV_PROVIDERS, enterProvider };

/** The dev providers in the register of the exchange schema `pool` works on. */
export function seedProviderRegister(pool: Pool): Promise<void> {
  return seedProviders(pool);
}

/** The same, on the exchange schema of the database at `databaseUrl` (a service role's URL will do). */
export function seedProviderRegisterAt(databaseUrl: string): Promise<void> {
  return seedDevProviders(databaseUrl);
}
