/**
 * The register of licensed providers (issue 16, part 4): the venues, OTC desks, custodians and banks
 * value may move to or through, each with its licence, its performance bond and whether the competent
 * department verified it. The exchange service keeps the register (services/exchange/src/provider-register.ts:
 * versions changed only on two people's word); every service that moves value asks it at the moment of
 * effect and refuses, before anything happens, a provider that is not in good standing.
 *
 * Pure (zod and decimals only): the one rule of "in good standing on day D", which the owner applies to
 * an order and any other service applies to what the owner answers for a provider.
 */
import { z } from 'zod';
import { FiatCurrency, PositiveDecimalString } from './money';
import { Problem } from './problem';

export const ProviderKind = z.enum(['venue', 'desk', 'custodian', 'bank']);
export type ProviderKind = z.infer<typeof ProviderKind>;

/** How services name a provider: the venue id the exchange trades on (`hashkey`), a desk's, a bank's. */
export const ProviderId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, { message: 'must be 1-64 lower-case letters, digits, ".", "_" or "-"' });

const Day = z.iso.date();

export const ProviderLicence = z
  .object({
    /** Who licensed it (the SFC, the HKMA, a mainland regulator). */
    regulator: z.string().trim().min(1).max(100),
    /** The licence's number as the regulator publishes it (e.g. an SFC CE number). */
    number: z.string().trim().min(1).max(100),
    /** The last day the licence is valid (YYYY-MM-DD). */
    expires: Day,
  })
  .strict();

export const PerformanceBond = z
  .object({
    amount: PositiveDecimalString,
    currency: FiatCurrency,
    /** The last day the bond covers (YYYY-MM-DD). */
    expires: Day,
  })
  .strict();

/** The competent department's verification of the provider; absent (null): not verified. */
export const ProviderVerification = z
  .object({
    department: z.string().trim().min(1).max(200),
    /** Its file or letter reference. */
    reference: z.string().trim().min(1).max(200),
    verifiedOn: Day,
  })
  .strict();

/** One version of a provider's entry: all of it, as proposed and approved (never a partial patch). */
export const ProviderTerms = z
  .object({
    providerId: ProviderId,
    kind: ProviderKind,
    name: z.string().trim().min(1).max(200),
    licence: ProviderLicence,
    bond: PerformanceBond,
    verification: ProviderVerification.nullable(),
  })
  .strict();
export type ProviderTerms = z.infer<typeof ProviderTerms>;

/**
 * POST /v1/providers/changes (exchange; a person's act `register.provider.propose`): the provider's
 * whole next entry, the version it changes (absent: a new provider) and why.
 */
export const ProposeProviderChange = z
  .object({
    terms: ProviderTerms,
    baseVersion: z.number().int().positive().optional(),
    reason: z.string().trim().min(1).max(1000),
  })
  .strict();
export type ProposeProviderChange = z.infer<typeof ProposeProviderChange>;

/** POST /v1/providers/changes/:changeId/approval (act `register.provider.approve`): the act is the approval. */
export const ApproveProviderChange = z.object({}).strict();

/** Why a provider is not in good standing; the first one named is the refusal's type. */
export type StandingFailure = 'not-registered' | 'licence-expired' | 'bond-expired' | 'not-verified';

export type ProviderStanding =
  | { inGoodStanding: true; on: string }
  | { inGoodStanding: false; on: string; failures: StandingFailure[] };

/**
 * The calendar day (UTC, as the venue capability table's licence expiry is read) a moment falls on:
 * a licence "expires 2026-12-31" is good through that whole day.
 */
export function standingDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/**
 * Whether a provider may be dealt with on day `on` (YYYY-MM-DD): registered, licence and bond both
 * valid through that day, and verified. Every failure is named (a refusal says all that is wrong).
 */
export function providerStanding(provider: ProviderTerms | undefined, on: string): ProviderStanding {
  if (!provider) return { inGoodStanding: false, on, failures: ['not-registered'] };
  const failures: StandingFailure[] = [];
  if (on > provider.licence.expires) failures.push('licence-expired');
  if (on > provider.bond.expires) failures.push('bond-expired');
  if (!provider.verification) failures.push('not-verified');
  return failures.length === 0 ? { inGoodStanding: true, on } : { inGoodStanding: false, on, failures };
}

/** The problem type (slug) a refusal for `failure` carries: `provider-licence-expired` and so on. */
export function standingProblemType(failure: StandingFailure): string {
  return `provider-${failure}`;
}

/** One sentence naming the provider and everything wrong with it on the day, for a refusal's detail. */
export function standingDetail(
  providerId: string,
  provider: ProviderTerms | undefined,
  standing: Extract<ProviderStanding, { inGoodStanding: false }>,
): string {
  const reasons: Record<StandingFailure, string> = {
    'not-registered': 'it is not in the register of licensed providers',
    'licence-expired': `its licence ${provider?.licence.regulator} ${provider?.licence.number} expired on ${provider?.licence.expires}`,
    'bond-expired': `its performance bond expired on ${provider?.bond.expires}`,
    'not-verified': 'the competent department has not verified it',
  };
  const why = standing.failures.map((failure) => reasons[failure]);
  return `${providerId} is not in good standing on ${standing.on}: ${why.join('; ')}`;
}

/**
 * The refusal of a dealing with a provider not in good standing: 422, typed by its first failure
 * (`provider-licence-expired`, `provider-bond-expired`, `provider-not-verified`, `provider-not-registered`),
 * naming the provider, every failure and the register version it was judged on.
 */
export function standingRefusal(
  providerId: string,
  provider: ProviderTerms | undefined,
  standing: Extract<ProviderStanding, { inGoodStanding: false }>,
  version?: number,
): Problem {
  const first = standing.failures[0] as StandingFailure;
  return new Problem(
    422,
    standingProblemType(first),
    'Provider not in good standing',
    standingDetail(providerId, provider, standing),
    {
      providerId,
      failures: standing.failures,
      on: standing.on,
      ...(version !== undefined ? { registerVersion: version } : {}),
      ...(provider ? { licenceExpires: provider.licence.expires, bondExpires: provider.bond.expires } : {}),
    },
  );
}
