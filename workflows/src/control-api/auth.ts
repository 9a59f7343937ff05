/**
 * Authentication of people on the control API: a bearer JWT verified with `jose` against the
 * configured issuer, audience and key set (a remote JWKS URL for any OIDC provider, or the dev
 * issuer's keys). The person and their roles come from the token only.
 */
import { Problem } from '@vcdc/shared';
import { errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { Role } from '../decision';

export interface Identity {
  /** The person: the token's `sub`. */
  id: string;
  /** The roles of the token's roles claim that this system knows (others are ignored). */
  roles: Role[];
  /** The token's id (`jti`), when it has one. */
  tokenId?: string;
}

/** Why a request is not authenticated (the `reason` member of the 401 problem). */
export type AuthFailure = 'no-token' | 'token-expired' | 'wrong-issuer' | 'unknown-key' | 'token-invalid';

export interface Authenticator {
  /** The identity behind an Authorization header, or a 401 Problem. */
  authenticate(authorization: string | undefined): Promise<Identity>;
}

export interface JwtAuthenticatorOptions {
  issuer: string;
  audience: string;
  keys: JWTVerifyGetKey;
  rolesClaim?: string;
  /** Leeway for clock skew between the issuer and us. */
  clockToleranceSeconds?: number;
}

export function unauthenticated(reason: AuthFailure, detail: string): Problem {
  return new Problem(401, 'unauthenticated', 'Not authenticated', detail, { reason });
}

export function jwtAuthenticator({
  issuer,
  audience,
  keys,
  rolesClaim = 'roles',
  clockToleranceSeconds = 5,
}: JwtAuthenticatorOptions): Authenticator {
  return {
    async authenticate(authorization) {
      const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(authorization?.trim() ?? '');
      if (!match?.[1]) throw unauthenticated('no-token', 'an Authorization: Bearer <token> header is required');
      try {
        const { payload } = await jwtVerify(match[1], keys, {
          issuer,
          audience,
          algorithms: ['ES256', 'RS256', 'PS256', 'EdDSA'],
          clockTolerance: clockToleranceSeconds,
          requiredClaims: ['sub', 'exp'],
        });
        const claimed = payload[rolesClaim];
        const roles = (Array.isArray(claimed) ? claimed : []).filter((r): r is Role => Role.safeParse(r).success);
        return { id: payload.sub as string, roles, ...(payload.jti ? { tokenId: payload.jti } : {}) };
      } catch (error) {
        throw authFailure(error);
      }
    },
  };
}

function authFailure(error: unknown): Problem {
  if (error instanceof errors.JWTExpired) return unauthenticated('token-expired', 'the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'iss') {
    return unauthenticated('wrong-issuer', 'the token was issued by an issuer this system does not trust');
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return unauthenticated('unknown-key', 'the token is signed with a key the trusted issuer does not publish');
  }
  if (error instanceof errors.JOSEError) {
    return unauthenticated('token-invalid', `the token is not valid: ${error.code}`);
  }
  throw error;
}
