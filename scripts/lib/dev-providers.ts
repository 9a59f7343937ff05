/**
 * The providers the dev stack, the demo and the tests deal with, as the register of licensed providers
 * (services/exchange/src/provider-register.ts) holds them: the HashKey-compatible venue (the venue
 * simulator), the custodian running custody, and the bank of the case property trust account. Dev data:
 * a deployment's register starts empty and is filled by two people's acts, provider by provider.
 */
import type { ProviderTerms } from '../../packages/shared/src/provider-register';

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
];
