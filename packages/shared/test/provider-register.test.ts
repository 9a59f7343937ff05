/**
 * The one rule of good standing (provider-register.ts): registered, licence and bond valid through the
 * day (the expiry day itself included), verified; every failure named, the first one typing the refusal.
 */
import {
  ProposeProviderChange,
  type ProviderTerms,
  providerStanding,
  standingDay,
  standingRefusal,
} from '../src/provider-register';

const TERMS: ProviderTerms = {
  providerId: 'hashkey',
  kind: 'venue',
  name: 'HashKey',
  licence: { regulator: 'SFC', number: 'BPX227', expires: '2026-12-31' },
  bond: { amount: '10000000', currency: 'HKD', expires: '2026-06-30' },
  verification: { department: 'Compliance', reference: 'V-1', verifiedOn: '2026-01-15' },
};

test('good through the last day of licence and bond, not the day after', () => {
  expect(providerStanding(TERMS, '2026-06-30')).toEqual({ inGoodStanding: true, on: '2026-06-30' });
  expect(providerStanding(TERMS, '2026-07-01')).toEqual({
    inGoodStanding: false,
    on: '2026-07-01',
    failures: ['bond-expired'],
  });
  expect(providerStanding(TERMS, '2027-01-01')).toMatchObject({ failures: ['licence-expired', 'bond-expired'] });
});

test('unverified, or not in the register at all, is never in good standing', () => {
  expect(providerStanding({ ...TERMS, verification: null }, '2026-01-01')).toMatchObject({
    inGoodStanding: false,
    failures: ['not-verified'],
  });
  expect(providerStanding(undefined, '2026-01-01')).toMatchObject({ failures: ['not-registered'] });
});

test('the day of a moment is its UTC calendar day', () => {
  expect(standingDay(new Date('2026-06-30T23:59:59.999Z'))).toBe('2026-06-30');
  expect(standingDay(new Date('2026-07-01T00:00:00Z'))).toBe('2026-07-01');
});

test('the refusal: 422 typed by the first failure, naming the provider and every failure', () => {
  const standing = providerStanding({ ...TERMS, verification: null }, '2027-01-02');
  if (standing.inGoodStanding) throw new Error('expected a failure');
  const problem = standingRefusal('hashkey', { ...TERMS, verification: null }, standing, 3);
  expect(problem.status).toBe(422);
  expect(problem.type).toBe('urn:vcdc:problem:provider-licence-expired');
  expect(problem.detail).toBe(
    'hashkey is not in good standing on 2027-01-02: its licence SFC BPX227 expired on 2026-12-31; its performance bond expired on 2026-06-30; the competent department has not verified it',
  );
  expect(problem.extensions).toMatchObject({
    providerId: 'hashkey',
    failures: ['licence-expired', 'bond-expired', 'not-verified'],
    registerVersion: 3,
  });
});

test('a proposed change is a whole entry: no partial terms, no unknown fields, a positive bond', () => {
  expect(ProposeProviderChange.safeParse({ terms: TERMS, reason: 'new' }).success).toBe(true);
  const { bond: _bond, ...noBond } = TERMS;
  expect(ProposeProviderChange.safeParse({ terms: noBond, reason: 'x' }).success).toBe(false);
  expect(
    ProposeProviderChange.safeParse({ terms: { ...TERMS, bond: { ...TERMS.bond, amount: '0' } }, reason: 'x' }).success,
  ).toBe(false);
  expect(ProposeProviderChange.safeParse({ terms: { ...TERMS, kind: 'broker' }, reason: 'x' }).success).toBe(false);
  expect(ProposeProviderChange.safeParse({ terms: TERMS, reason: 'x', approvedBy: 'me' }).success).toBe(false);
  expect(
    ProposeProviderChange.safeParse({
      terms: { ...TERMS, licence: { ...TERMS.licence, expires: '31/12/2026' } },
      reason: 'x',
    }).success,
  ).toBe(false);
});
