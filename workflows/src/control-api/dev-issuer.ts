/**
 * The local development identity provider: one ES256 signing key (kept under `.data/dev-issuer/`
 * so tokens survive a restart of the dev stack), its public JWKS (served by the control API at
 * `/.well-known/jwks.json`), and tokens for the seeded people of every role. Production uses a
 * real OIDC provider instead (AUTH_MODE=oidc); nothing here is used there.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK, SignJWT } from 'jose';
import type { Role } from '../decision';

export const DEV_ISSUER = 'urn:vcdc:dev-issuer';
export const CONTROL_API_AUDIENCE = 'vcdc-control-api';
const ALG = 'ES256';

/** The seeded people of the dev stack and the demo: at least one for every role, two supervisors for quorums. */
export const DEV_USERS: Record<string, { name: string; roles: Role[] }> = {
  'officer.zhang': { name: 'Zhang Wei (case officer)', roles: ['case-officer'] },
  'supervisor.li': { name: 'Li Na (supervisor)', roles: ['supervisor'] },
  'supervisor.zhou': { name: 'Zhou Min (supervisor)', roles: ['supervisor'] },
  'senior.supervisor.wu': { name: 'Wu Gang (senior supervisor)', roles: ['senior-supervisor', 'supervisor'] },
  'custodian.chen': { name: 'Chen Jie (custodian)', roles: ['custodian'] },
  'fx.officer.wang': { name: 'Wang Fang (FX officer)', roles: ['fx-officer'] },
  'treasury.officer.sun': { name: 'Sun Li (treasury officer)', roles: ['treasury-officer'] },
  'auditor.qian': { name: 'Qian Hui (auditor)', roles: ['auditor'] },
  'operator.he': { name: 'He Jun (operator)', roles: ['operator'] },
};

export interface TokenRequest {
  /** The person (JWT `sub`). */
  sub: string;
  roles: readonly string[];
  /** Lifetime: seconds, or a jose time span such as '8h'. Default 1h. */
  expiresIn?: number | string;
  audience?: string;
  /** Issued-at override (seconds since the epoch), to mint already-expired tokens in tests. */
  issuedAt?: number;
}

export interface DevIssuer {
  issuer: string;
  /** The public keys, as a JWKS document. */
  jwks: JSONWebKeySet;
  sign(request: TokenRequest): Promise<string>;
  /** A token for one of DEV_USERS. */
  mint(userId: string, expiresIn?: number | string): Promise<string>;
}

interface StoredKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

async function newKey(): Promise<StoredKey> {
  const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
  const kid = randomUUID();
  return {
    kid,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: ALG },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' },
  };
}

async function issuerFrom(key: StoredKey, issuer: string): Promise<DevIssuer> {
  const privateKey = await importJWK(key.privateJwk, ALG);
  const sign = async ({ sub, roles, expiresIn = 3600, audience = CONTROL_API_AUDIENCE, issuedAt }: TokenRequest) => {
    const iat = issuedAt ?? Math.floor(Date.now() / 1000);
    const exp = typeof expiresIn === 'number' ? iat + expiresIn : expiresIn;
    return new SignJWT({ roles: [...roles] })
      .setProtectedHeader({ alg: ALG, kid: key.kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setSubject(sub)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setJti(randomUUID())
      .setExpirationTime(exp)
      .sign(privateKey);
  };
  return {
    issuer,
    jwks: { keys: [key.publicJwk] },
    sign,
    mint: (userId, expiresIn) => {
      const user = DEV_USERS[userId];
      if (!user) throw new Error(`no seeded user ${userId}; known: ${Object.keys(DEV_USERS).join(', ')}`);
      return sign({ sub: userId, roles: user.roles, expiresIn });
    },
  };
}

/** An issuer whose key lives only in memory (tests; a second one plays "another issuer"). */
export async function createDevIssuer(issuer = DEV_ISSUER): Promise<DevIssuer> {
  return issuerFrom(await newKey(), issuer);
}

/**
 * The dev stack's issuer: the key in `dir/signing-key.json` (created, readable by this user only,
 * on first use). Two processes starting together both end up with the first key written.
 */
export async function loadOrCreateDevIssuer(dir: string): Promise<DevIssuer> {
  const file = path.join(dir, 'signing-key.json');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    await writeFile(file, JSON.stringify(await newKey()), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const key = JSON.parse(await readFile(file, 'utf8')) as StoredKey;
  return issuerFrom(key, DEV_ISSUER);
}
