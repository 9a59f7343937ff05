/**
 * The local development identity provider: one ES256 signing key (kept under `.data/dev-issuer/`
 * so tokens survive a restart of the dev stack), its public JWKS (served by the control API at
 * `/.well-known/jwks.json`), and tokens for the seeded people of every role. Production uses a
 * real OIDC provider instead (AUTH_MODE=oidc); nothing here is used there.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Role } from '@vcdc/workflows/workflow/decision';
import { exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK, SignJWT } from 'jose';
import { parseSpanSeconds } from './auth';

export const DEV_ISSUER = 'urn:vcdc:dev-issuer';
export const CONTROL_API_AUDIENCE = 'vcdc-control-api';
const ALG = 'ES256';

/**
 * The seeded people of the dev stack, the demo and the tests (test/support/acts.ts PEOPLE uses the
 * same ids, roles and units): at least one for every role, two or three where four eyes or a quorum
 * need distinct people. Each has a unit (the token's `unit` claim): case-handling, custody or finance
 * (auditing and operations for the watchers).
 */
export const DEV_USERS: Record<string, { name: string; roles: Role[]; unit: string }> = {
  'officer.zhang': { name: 'Zhang Wei (case officer)', roles: ['case-officer'], unit: 'case-handling' },
  'officer.zhao': { name: 'Zhao Lei (seizing case officer)', roles: ['case-officer'], unit: 'case-handling' },
  'supervisor.li': { name: 'Li Na (supervisor)', roles: ['supervisor'], unit: 'case-handling' },
  'supervisor.zhou': { name: 'Zhou Min (supervisor)', roles: ['supervisor'], unit: 'finance' },
  'senior.supervisor.wu': {
    name: 'Wu Gang (senior supervisor)',
    roles: ['senior-supervisor', 'supervisor'],
    unit: 'finance',
  },
  'custodian.chen': { name: 'Chen Jie (custodian)', roles: ['custodian'], unit: 'custody' },
  'custodian.liu': { name: 'Liu Yang (custodian)', roles: ['custodian'], unit: 'custody' },
  'custodian.ma': { name: 'Ma Lin (custodian)', roles: ['custodian'], unit: 'custody' },
  'fx.officer.wang': { name: 'Wang Fang (FX officer)', roles: ['fx-officer'], unit: 'finance' },
  'fx.officer.zhao': { name: 'Zhao Qing (FX officer)', roles: ['fx-officer'], unit: 'finance' },
  'treasury.officer.sun': { name: 'Sun Li (treasury officer)', roles: ['treasury-officer'], unit: 'finance' },
  'treasury.officer.gao': { name: 'Gao Yan (treasury officer)', roles: ['treasury-officer'], unit: 'finance' },
  'auditor.qian': { name: 'Qian Hui (auditor)', roles: ['auditor'], unit: 'audit' },
  'operator.he': { name: 'He Jun (operator)', roles: ['operator'], unit: 'operations' },
};

export interface TokenRequest {
  /** The person (JWT `sub`). */
  sub: string;
  roles: readonly string[];
  /** The person's unit (the `unit` claim); none: the token carries no unit (and may not act). */
  unit?: string;
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
  const sign = async ({
    sub,
    roles,
    unit,
    expiresIn = 3600,
    audience = CONTROL_API_AUDIENCE,
    issuedAt,
  }: TokenRequest) => {
    const iat = issuedAt ?? Math.floor(Date.now() / 1000);
    const exp = typeof expiresIn === 'number' ? iat + expiresIn : iat + spanSeconds(expiresIn);
    return new SignJWT({ roles: [...roles], ...(unit ? { unit } : {}) })
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
      return sign({ sub: userId, roles: user.roles, unit: user.unit, expiresIn });
    },
  };
}

function spanSeconds(span: string): number {
  const seconds = parseSpanSeconds(span);
  if (seconds === undefined) throw new Error(`not a lifetime: ${span} (e.g. 30m, 8h, or seconds)`);
  return seconds;
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

/**
 * The dev stack's codec secret for its Web UI (CODEC_UI_SECRET): 43 url-safe characters kept in
 * `file` (created readable by this user only, 0600, on first use; the same one after a restart).
 */
export async function loadOrCreateCodecUiSecret(file: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    await writeFile(file, `${randomBytes(32).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  await chmod(file, 0o600);
  return (await readFile(file, 'utf8')).trim();
}
