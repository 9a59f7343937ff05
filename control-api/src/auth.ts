/**
 * Authentication of people on the control API: a bearer JWT verified with `jose` against the
 * configured issuer, audience and key set (a remote JWKS URL for any OIDC provider, or the dev
 * issuer's keys). The person, their roles and their unit come from the token only.
 *
 * A token must say when it was issued (`iat`) and may live at most `maxLifetimeSeconds` (exp - iat,
 * default 12 h): a long-lived token is a stolen credential that does not expire, so it is refused
 * (401 `token-too-long-lived`, or `token-invalid` without `iat`) however valid its signature.
 */
import { Problem } from '@vcdc/shared';
import { Role } from '@vcdc/workflows/workflow/decision';
import { errors, type JWTVerifyGetKey, jwtVerify } from 'jose';

export interface Identity {
  /** The person: the token's `sub`. */
  id: string;
  /** The roles of the token's roles claim that this system knows (others are ignored). */
  roles: Role[];
  /** The person's organisational unit (case-handling, custody, finance…): the token's unit claim, when it has one. */
  unit?: string;
  /** The token's id (`jti`), when it has one. */
  tokenId?: string;
}

/** Why a request is not authenticated (the `reason` member of the 401 problem). */
export type AuthFailure =
  | 'no-token'
  | 'token-expired'
  | 'wrong-issuer'
  | 'unknown-key'
  | 'token-invalid'
  | 'token-too-long-lived';

export interface Authenticator {
  /** The identity behind an Authorization header, or a 401 Problem. */
  authenticate(authorization: string | undefined): Promise<Identity>;
}

/** The longest a token may live (exp - iat) unless configured otherwise: 12 hours. */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 12 * 60 * 60;

export interface JwtAuthenticatorOptions {
  issuer: string;
  audience: string;
  keys: JWTVerifyGetKey;
  rolesClaim?: string;
  /** The token claim naming the person's unit (default `unit`). */
  unitClaim?: string;
  /** Leeway for clock skew between the issuer and us. */
  clockToleranceSeconds?: number;
  /** Tokens whose exp - iat exceeds this are refused (default 12 h). */
  maxLifetimeSeconds?: number;
}

export function unauthenticated(reason: AuthFailure, detail: string): Problem {
  return new Problem(401, 'unauthenticated', 'Not authenticated', detail, { reason });
}

const UNIT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function jwtAuthenticator({
  issuer,
  audience,
  keys,
  rolesClaim = 'roles',
  unitClaim = 'unit',
  clockToleranceSeconds = 5,
  maxLifetimeSeconds = DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
}: JwtAuthenticatorOptions): Authenticator {
  return {
    async authenticate(authorization) {
      const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(authorization?.trim() ?? '');
      if (!match?.[1]) throw unauthenticated('no-token', 'an Authorization: Bearer <token> header is required');
      let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
      try {
        ({ payload } = await jwtVerify(match[1], keys, {
          issuer,
          audience,
          algorithms: ['ES256', 'RS256', 'PS256', 'EdDSA'],
          clockTolerance: clockToleranceSeconds,
          requiredClaims: ['sub', 'exp', 'iat'],
        }));
      } catch (error) {
        throw authFailure(error);
      }
      // Issued in the future (beyond the clock tolerance): minted to outlive the lifetime check.
      if ((payload.iat as number) > Math.floor(Date.now() / 1000) + clockToleranceSeconds) {
        throw unauthenticated('token-invalid', 'the token says it was issued in the future');
      }
      const lifetime = (payload.exp as number) - (payload.iat as number);
      if (lifetime > maxLifetimeSeconds) {
        throw unauthenticated(
          'token-too-long-lived',
          `the token lives ${lifetime}s (exp - iat); at most ${maxLifetimeSeconds}s is accepted`,
        );
      }
      const claimed = payload[rolesClaim];
      const roles = (Array.isArray(claimed) ? claimed : []).filter((r): r is Role => Role.safeParse(r).success);
      const unit = payload[unitClaim];
      return {
        id: payload.sub as string,
        roles,
        ...(typeof unit === 'string' && UNIT_PATTERN.test(unit) ? { unit } : {}),
        ...(payload.jti ? { tokenId: payload.jti } : {}),
      };
    },
  };
}

function authFailure(error: unknown): Problem {
  if (error instanceof errors.JWTExpired) return unauthenticated('token-expired', 'the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'iss') {
    return unauthenticated('wrong-issuer', 'the token was issued by an issuer this system does not trust');
  }
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'iat') {
    return unauthenticated('token-invalid', 'the token does not say when it was issued (iat is required)');
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return unauthenticated('unknown-key', 'the token is signed with a key the trusted issuer does not publish');
  }
  if (error instanceof errors.JOSEError) {
    return unauthenticated('token-invalid', `the token is not valid: ${error.code}`);
  }
  throw error;
}

/** `12h`, `30m`, `45s`, `2d` or a number of seconds, in seconds. */
export function parseSpanSeconds(text: string): number | undefined {
  const m = /^\s*(\d+)\s*([smhd]?)\s*$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return n > 0 ? n * unit : undefined;
}
