/**
 * The providers the dev stack, the demo and the tests deal with, as the register of licensed providers
 * (services/exchange/src/provider-register.ts) holds them: the HashKey-compatible venue (the venue
 * simulator), the simulated OSL (simulators/src/osl), the custodian running custody, the bank of the case
 * property trust account, and the simulated OTC desks (kind 'desk'). Dev data: a deployment's register
 * starts empty and is filled by two people's acts, provider by provider.
 */
import { randomUUID } from 'node:crypto';
import { createPool, inTransaction, type Pool, type Queryable } from '../../packages/shared/src';
import type { ProviderTerms } from '../../packages/shared/src/provider-register';
import {
  approveProviderChange,
  listProviders,
  proposeProviderChange,
} from '../../services/exchange/src/provider-register';

const VERIFIED = { department: 'Case property office, compliance section', verifiedOn: '2026-01-15' } as const;

export const DEV_PROVIDERS: readonly ProviderTerms[] = [
  {
    providerId: 'hashkey',
    kind: 'venue',
    name: 'HashKey Exchange (simulated)',
    // The same last day as the venue capability table's (services/exchange/src/capabilities.ts).
    licence: { regulator: 'SFC', number: 'BPX227', expires: '2027-12-31' },
    bond: { amount: '10000000', currency: 'HKD', expires: '2027-12-31' },
    verification: { ...VERIFIED, reference: 'DEV-VERIFY-HASHKEY' },
  },
  {
    providerId: 'osl',
    kind: 'venue',
    name: 'OSL Exchange (simulated)',
    // The same last day as the venue capability table's osl entry (services/exchange/src/capabilities.ts).
    licence: { regulator: 'SFC', number: 'DEV-VENUE-OSL', expires: '2027-12-31' },
    bond: { amount: '10000000', currency: 'HKD', expires: '2027-12-31' },
    verification: { ...VERIFIED, reference: 'DEV-VERIFY-OSL' },
  },
  {
    providerId: 'vcdc-custody',
    kind: 'custodian',
    name: 'VCDC custody (dev)',
    licence: { regulator: 'SFC', number: 'DEV-CUSTODY-1', expires: '2027-12-31' },
    bond: { amount: '5000000', currency: 'HKD', expires: '2027-12-31' },
    verification: { ...VERIFIED, reference: 'DEV-VERIFY-CUSTODY' },
  },
  {
    providerId: 'hk-trust-bank',
    kind: 'bank',
    name: 'Case property trust account bank (dev)',
    licence: { regulator: 'HKMA', number: 'DEV-BANK-1', expires: '2027-12-31' },
    bond: { amount: '5000000', currency: 'HKD', expires: '2027-12-31' },
    verification: { ...VERIFIED, reference: 'DEV-VERIFY-BANK' },
  },
  // The simulated OTC desks asked for quotes on a block (simulators/src/desks devDeskTerms).
  ...(['alpha', 'beta', 'gamma'] as const).map(
    (name, i): ProviderTerms => ({
      providerId: `desk-${name}`,
      kind: 'desk',
      name: `OTC desk ${name} (simulated)`,
      licence: { regulator: 'SFC', number: `DEV-DESK-${i + 1}`, expires: '2027-12-31' },
      bond: { amount: '2000000', currency: 'HKD', expires: '2027-12-31' },
      verification: { ...VERIFIED, reference: `DEV-VERIFY-DESK-${name.toUpperCase()}` },
    }),
  ),
];

/** The dev people who enter the dev providers: one proposes, another approves (the dev issuer's ids). */
const PROPOSER = { id: 'supervisor.li', role: 'supervisor', unit: 'case-handling' } as const;
const APPROVER = { id: 'senior.supervisor.wu', role: 'senior-supervisor', unit: 'finance' } as const;

/** One provider's next version (or its first), proposed and approved by the two dev people: its version. */
export async function enterProvider(db: Queryable, terms: ProviderTerms, baseVersion?: number): Promise<number> {
  const change = await proposeProviderChange(
    db,
    { terms, ...(baseVersion !== undefined ? { baseVersion } : {}), reason: 'dev register' },
    { ...PROPOSER, actId: randomUUID() },
  );
  const approved = await approveProviderChange(db, change.changeId, { ...APPROVER, actId: randomUUID() });
  return approved.approval?.version as number;
}

/**
 * The dev providers in the exchange's register, each through the same four eyes and audit chain as a
 * person's change (without the control API's signature: this is the dev stack's and the tests' setup).
 * A provider already in the register is left as it is, so a restarted dev stack adds nothing.
 */
export async function seedDevProviders(
  databaseUrl: string,
  providers: readonly ProviderTerms[] = DEV_PROVIDERS,
): Promise<void> {
  const pool = createPool(databaseUrl, 'exchange', 1);
  try {
    await seedProviders(pool, providers);
  } finally {
    await pool.end();
  }
}

export async function seedProviders(pool: Pool, providers: readonly ProviderTerms[] = DEV_PROVIDERS): Promise<void> {
  await inTransaction(pool, async (tx) => {
    const present = new Set((await listProviders(tx)).map((p) => p.providerId));
    for (const terms of providers) if (!present.has(terms.providerId)) await enterProvider(tx, terms);
  });
}
