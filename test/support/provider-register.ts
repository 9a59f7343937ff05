/**
 * The register of licensed providers in tests: the providers tests deal with, entered as a deployment
 * enters them — one person proposes, another approves (provider-register.ts), both in the audit chain.
 */
import { randomUUID } from 'node:crypto';
import type { ProviderTerms, Queryable } from '../../packages/shared/src';
import { createPool, inTransaction, type Pool } from '../../packages/shared/src';
import { DEV_PROVIDERS } from '../../scripts/lib/dev-providers';
import {
  approveProviderChange,
  proposeProviderChange,
  type RegisterActor,
} from '../../services/exchange/src/provider-register';

export { DEV_PROVIDERS };

const proposer = (): RegisterActor => ({
  id: 'supervisor.li',
  role: 'supervisor',
  unit: 'case-handling',
  actId: randomUUID(),
});
const approver = (): RegisterActor => ({
  id: 'senior.supervisor.wu',
  role: 'senior-supervisor',
  unit: 'finance',
  actId: randomUUID(),
});

/** One provider's next version (or first), through both people; its version number. */
export async function enterProvider(db: Queryable, terms: ProviderTerms, baseVersion?: number): Promise<number> {
  const change = await proposeProviderChange(
    db,
    { terms, ...(baseVersion !== undefined ? { baseVersion } : {}), reason: 'test register' },
    proposer(),
  );
  const approved = await approveProviderChange(db, change.changeId, approver());
  return approved.approval?.version as number;
}

/** The dev providers (the simulated HashKey venue, the custodian, the bank) in the exchange's register. */
export async function seedProviderRegister(
  pool: Pool,
  providers: readonly ProviderTerms[] = DEV_PROVIDERS,
): Promise<void> {
  await inTransaction(pool, async (tx) => {
    for (const terms of providers) await enterProvider(tx, terms);
  });
}

/** The same, on the exchange schema of the database at `databaseUrl` (a service role's URL will do). */
export async function seedProviderRegisterAt(databaseUrl: string): Promise<void> {
  const pool = createPool(databaseUrl, 'exchange', 1);
  try {
    await seedProviderRegister(pool);
  } finally {
    await pool.end();
  }
}
