/**
 * The register of licensed providers read from another service (issue 16, part 4): the register is the
 * exchange service's (GET /v1/providers/:providerId); custody before a transfer to a whitelisted
 * address, and fx before recording a settlement with its bank, apply the one rule of good standing
 * (provider-register.ts) to the entry in force it answers. It fails closed: a provider the register does
 * not hold is refused, and a register that cannot be asked refuses for now (503) — never lets it through.
 */
import { z } from 'zod';
import { routeClient, ServiceCallError, ServiceClient } from './http/client';
import type { RouteTable } from './http/routes';
import { Problem } from './problem';
import { ProviderId, ProviderTerms, providerStanding, standingDay, standingRefusal } from './provider-register';

export const ProviderParams = z.object({ providerId: ProviderId });

/**
 * The register's route other services read, as a table of its own: the exchange serves it (its api.ts
 * takes this entry into EXCHANGE_ROUTES, so it is mounted and documented from here) and custody and fx
 * call it by name. It lives with the register's rule, in shared, because shared cannot import a service.
 */
export const PROVIDER_REGISTER_ROUTES = {
  getProvider: {
    method: 'get',
    path: '/v1/providers/:providerId',
    summary: "A provider's entry in force and every version before it",
    params: ProviderParams,
  },
} as const satisfies RouteTable;

/** A provider's entry in force, as the register answers it (undefined: not in the register). */
export interface ProviderRegister {
  entryInForce(providerId: string): Promise<{ terms: ProviderTerms; version: number } | undefined>;
}

const RegisterAnswer = z.object({
  providerId: z.string(),
  current: z.object({ version: z.number().int().positive(), terms: ProviderTerms }),
});

/** The exchange service's register over HTTP, with the credential presented there (PROVIDER_REGISTER_TOKEN). */
export class HttpProviderRegister implements ProviderRegister {
  private readonly client;

  constructor(options: { url: string; token?: string; timeoutMs?: number }) {
    const http = new ServiceClient({
      service: 'provider-register',
      baseUrl: options.url,
      timeoutMs: options.timeoutMs ?? 5000,
      ...(options.token ? { headers: { authorization: `Bearer ${options.token}` } } : {}),
    });
    this.client = routeClient(http, PROVIDER_REGISTER_ROUTES);
  }

  async entryInForce(providerId: string): Promise<{ terms: ProviderTerms; version: number } | undefined> {
    let answer: unknown;
    try {
      answer = await this.client.call('getProvider', { params: { providerId } });
    } catch (error) {
      if (error instanceof ServiceCallError && error.status === 404) return undefined;
      throw registerUnavailable(providerId, error);
    }
    const parsed = RegisterAnswer.safeParse(answer);
    if (!parsed.success || parsed.data.providerId !== providerId) {
      throw registerUnavailable(
        providerId,
        new Error('the register answered something that is not the provider asked for'),
      );
    }
    return parsed.data.current;
  }
}

/**
 * Throws the standing refusal (422 provider-licence-expired / -bond-expired / -not-verified /
 * -not-registered, naming the provider) unless `providerId` is in good standing on the day of `at`;
 * 503 provider-register-unavailable when the register cannot say.
 */
export async function assertProviderStandingIn(
  register: ProviderRegister,
  providerId: string,
  at: Date,
): Promise<void> {
  const entry = await register.entryInForce(providerId);
  const standing = providerStanding(entry?.terms, standingDay(at));
  if (!standing.inGoodStanding) throw standingRefusal(providerId, entry?.terms, standing, entry?.version);
}

function registerUnavailable(providerId: string, cause: unknown): Problem {
  return new Problem(
    503,
    'provider-register-unavailable',
    'Register of licensed providers unavailable',
    `the standing of ${providerId} could not be read from the register (${(cause as Error).message}); nothing was done`,
    { providerId },
  );
}
