/**
 * Signed acts: how a person's act reaches the part that carries it out. The control API
 * authenticates the person, checks the act kind's roles (act-kinds.ts) and signs, with its Ed25519
 * act key, who acts (id, role, unit), which act, on which object, a SHA-256 of the act's content,
 * when, until when, and a nonce (the act id). The service verifies the signature itself, checks the
 * role again and takes the person from the act, never from a body. A service credential only says
 * which machine calls; without a signed act it carries no one's authority.
 *
 * Node-only (crypto). The workflow carries signed acts as opaque data (types only).
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
  sign,
  verify,
} from 'node:crypto';
import { z } from 'zod';
import { canonicalJson, sha256Hex } from '../canonical';
import { ACT_KINDS, type ActKind } from './act-kinds';
import { type Act, type ActObject, type Actor, SignedAct } from './act-schema';

export * from './act-schema';

/** The digest an act's `contentSha256` carries. */
export function actContentSha256(content: unknown): string {
  return sha256Hex(canonicalJson(content ?? null));
}

/**
 * The content of an act forwarded as one HTTP request: the method, the path (no query) and the body.
 * Binding the path binds the object (the entry, the intake) as well as the words.
 */
export function requestContent(method: string, path: string, body: unknown): unknown {
  return { method: method.toUpperCase(), path, body: body ?? {} };
}

export function keyIdOf(key: KeyObject): string {
  const spki = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'der', type: 'spki' });
  return sha256Hex(spki).slice(0, 16);
}

/** Base64 DER (PKCS#8) of an Ed25519 private key (the control API's DECISION_SIGNING_KEY signs acts too). */
export const ActSigningKey = z.string().transform((value, ctx) => {
  try {
    const key = createPrivateKey({ key: Buffer.from(value, 'base64'), format: 'der', type: 'pkcs8' });
    if (key.asymmetricKeyType !== 'ed25519') throw new Error('not Ed25519');
    return key;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be the base64 DER (PKCS#8) of an Ed25519 private key' });
    return z.NEVER;
  }
});

/** Base64 DER (SPKI) Ed25519 public keys, comma-separated (old and new while rotating). */
export const ActVerifyKeys = z.string().transform((value, ctx) => {
  const keys: KeyObject[] = [];
  for (const item of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    try {
      const key = createPublicKey({ key: Buffer.from(item, 'base64'), format: 'der', type: 'spki' });
      if (key.asymmetricKeyType !== 'ed25519') throw new Error('not Ed25519');
      keys.push(key);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'each key must be the base64 DER (SPKI) of an Ed25519 public key' });
      return z.NEVER;
    }
  }
  if (keys.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'at least one key is required' });
    return z.NEVER;
  }
  return keys;
});

/** A new key pair in the forms ActSigningKey and ActVerifyKeys take. */
export function newActKeyPair(): { signingKey: string; verifyKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    signingKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    verifyKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  };
}

export interface ActToSign {
  kind: ActKind;
  actor: Actor;
  object: ActObject;
  content: unknown;
  /** Defaults: now, and now + the kind's ttl. */
  issuedAt?: Date;
  ttlSeconds?: number;
  actId?: string;
}

export function signAct(key: KeyObject, a: ActToSign): SignedAct {
  const issuedAt = new Date(Math.floor((a.issuedAt ?? new Date()).getTime() / 1000) * 1000);
  const ttl = a.ttlSeconds ?? ACT_KINDS[a.kind].ttlSeconds;
  const act: Act = {
    v: 1,
    actId: a.actId ?? randomUUID(),
    kind: a.kind,
    actor: a.actor,
    object: a.object,
    contentSha256: actContentSha256(a.content),
    issuedAt: issuedAt.toISOString(),
    expiresAt: new Date(issuedAt.getTime() + ttl * 1000).toISOString(),
  };
  return {
    act,
    keyId: keyIdOf(key),
    signature: sign(null, Buffer.from(canonicalJson(act)), key).toString('base64'),
  };
}

/** Why a signed act is refused: a stable code and words for the problem's detail. */
export interface ActRefusal {
  code:
    | 'act-missing'
    | 'act-malformed'
    | 'act-signature'
    | 'act-kind'
    | 'act-role'
    | 'act-expired'
    | 'act-content'
    | 'act-object'
    | 'act-replayed';
  message: string;
}

export interface ActExpectation {
  /** The act this step carries out. */
  kind: ActKind;
  /** The content the act must have been signed over. */
  content: unknown;
  /** When given, the act's object must be this one. */
  object?: Partial<ActObject>;
  now?: Date;
  /** Clock skew allowed between the signer and this machine. */
  skewSeconds?: number;
}

/**
 * Checks a signed act against the keys and what this step expects. Returns the act, or the first
 * reason it is refused. It does not check replay: that needs the service's store (acts-store.ts).
 */
export function verifySignedAct(
  keys: readonly KeyObject[],
  presented: unknown,
  expect: ActExpectation,
): { ok: true; act: Act; signed: SignedAct } | { ok: false; refusal: ActRefusal } {
  if (presented === undefined || presented === null) {
    return { ok: false, refusal: { code: 'act-missing', message: `a signed ${expect.kind} act is required` } };
  }
  const parsed = SignedAct.safeParse(presented);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      refusal: {
        code: 'act-malformed',
        message: `the signed act is malformed (${issue?.path.join('.')}: ${issue?.message})`,
      },
    };
  }
  const signed = parsed.data;
  const { act } = signed;
  const input = Buffer.from(canonicalJson(act));
  const signature = Buffer.from(signed.signature, 'base64');
  if (!keys.some((key) => verify(null, input, key, signature))) {
    return {
      ok: false,
      refusal: { code: 'act-signature', message: 'the act is not signed by the control API (forged or altered)' },
    };
  }
  if (act.kind !== expect.kind) {
    return { ok: false, refusal: { code: 'act-kind', message: `a ${act.kind} act cannot authorise ${expect.kind}` } };
  }
  const allowed: readonly string[] = ACT_KINDS[act.kind].roles;
  if (!allowed.includes(act.actor.role)) {
    return {
      ok: false,
      refusal: {
        code: 'act-role',
        message: `${act.kind} needs the role ${allowed.join(' or ')}, not ${act.actor.role}`,
      },
    };
  }
  const now = (expect.now ?? new Date()).getTime();
  const skew = (expect.skewSeconds ?? 60) * 1000;
  // Never longer than its kind allows, whatever the signer wrote: a key misused for a long-lived act is caught.
  const lifetimeMs = Date.parse(act.expiresAt) - Date.parse(act.issuedAt);
  if (lifetimeMs > ACT_KINDS[act.kind].ttlSeconds * 1000) {
    return {
      ok: false,
      refusal: { code: 'act-expired', message: `a ${act.kind} act lives at most ${ACT_KINDS[act.kind].ttlSeconds}s` },
    };
  }
  if (now + skew < Date.parse(act.issuedAt) || now > Date.parse(act.expiresAt)) {
    return {
      ok: false,
      refusal: { code: 'act-expired', message: `the act is valid from ${act.issuedAt} until ${act.expiresAt}` },
    };
  }
  if (act.contentSha256 !== actContentSha256(expect.content)) {
    return {
      ok: false,
      refusal: { code: 'act-content', message: 'the act was signed for other content than this request carries' },
    };
  }
  for (const [field, value] of Object.entries(expect.object ?? {})) {
    if (value !== undefined && act.object[field as keyof ActObject] !== value) {
      return {
        ok: false,
        refusal: {
          code: 'act-object',
          message: `the act is for ${act.object.type} ${act.object.id}, not this ${field}`,
        },
      };
    }
  }
  return { ok: true, act, signed };
}
