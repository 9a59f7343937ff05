/**
 * Signed decisions: the control API signs every decision it forwards (Ed25519 over the case's
 * workflow id and every field of the decision, including a fresh nonce), and the case workflow has
 * an activity verify the signature before it acts. A decision typed into the Temporal Web UI or
 * sent with the CLI or a bare client has no valid signature, so it changes nothing; it is recorded
 * as refused. Node-only (crypto): imported by the control API and the worker, never by workflow code.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { canonicalJson } from '@vcdc/shared';
import { z } from 'zod';
import type { Decision, DecisionRefusal } from './decision';
import { ROLE_FOR_STAGE } from './decision';

/** What the signature covers: the case and the whole decision (the signature itself excepted). */
export function decisionSigningInput(workflowId: string, d: Omit<Decision, 'signature'>): Buffer {
  return Buffer.from(
    canonicalJson({
      workflowId,
      stage: d.stage,
      outcome: d.outcome,
      decidedBy: d.decidedBy,
      role: d.role,
      decidedAt: d.decidedAt,
      reason: d.reason ?? null,
      reference: d.reference ?? null,
      settlement: d.settlement ?? null,
      judgment: d.judgment ?? null,
      nonce: d.nonce ?? null,
    }),
  );
}

/** Base64 DER (PKCS#8) of an Ed25519 private key: the control API's DECISION_SIGNING_KEY. */
export const DecisionSigningKey = z.string().transform((value, ctx) => {
  try {
    const key = createPrivateKey({ key: Buffer.from(value, 'base64'), format: 'der', type: 'pkcs8' });
    if (key.asymmetricKeyType !== 'ed25519') throw new Error('not Ed25519');
    return key;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be the base64 DER (PKCS#8) of an Ed25519 private key' });
    return z.NEVER;
  }
});

/** Base64 DER (SPKI) Ed25519 public keys, comma-separated (old and new while rotating): the worker's DECISION_VERIFY_KEYS. */
export const DecisionVerifyKeys = z.string().transform((value, ctx) => {
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

/** A new key pair in the forms DECISION_SIGNING_KEY and DECISION_VERIFY_KEYS take. */
export function newDecisionKeyPair(): { signingKey: string; verifyKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    signingKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    verifyKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  };
}

export function signDecision(key: KeyObject, workflowId: string, d: Omit<Decision, 'signature'>): string {
  return sign(null, decisionSigningInput(workflowId, d), key).toString('base64');
}

/** The activities the case workflow uses to check a decision against the world before acting on it. */
export function createDecisionActivities(verifyKeys: readonly KeyObject[]) {
  return {
    /** The control API's signature over this case and decision, and the role matrix for its stage. */
    async verifyDecision(
      workflowId: string,
      d: Decision,
    ): Promise<{ ok: true } | { ok: false; refusal: DecisionRefusal }> {
      const signature = Buffer.from(d.signature ?? '', 'base64');
      const input = decisionSigningInput(workflowId, d);
      if (!verifyKeys.some((key) => verify(null, input, key, signature))) {
        return {
          ok: false,
          refusal: {
            code: 'decision-signature',
            message:
              'the decision is not signed by the control API for this case (forged, altered or for another case)',
          },
        };
      }
      if (ROLE_FOR_STAGE[d.stage] !== d.role) {
        return {
          ok: false,
          refusal: {
            code: 'decision-role',
            message: `a ${d.stage} decision needs the role ${ROLE_FOR_STAGE[d.stage]}`,
          },
        };
      }
      return { ok: true };
    },
  };
}
export type DecisionActivities = ReturnType<typeof createDecisionActivities>;

/** The dev stack's decision key pair, made once and kept (readable by this user only) under `.data/`. */
export async function loadOrCreateDevDecisionKeys(file: string): Promise<{ signingKey: string; verifyKey: string }> {
  await mkdir(path.dirname(file), { recursive: true });
  try {
    await writeFile(file, JSON.stringify(newDecisionKeyPair()), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return JSON.parse(await readFile(file, 'utf8'));
}
