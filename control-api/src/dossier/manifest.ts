/**
 * The case file's manifest and its signature (issue 15, part 2). The manifest lists every file of the
 * archive with its SHA-256 and size; `manifest.sig` is a detached Ed25519 signature over a domain tag
 * and then exactly the bytes of `manifest.json`, so whoever holds the system's public key can check
 * offline that no file was changed, removed or added since the control API issued the file.
 *
 * The key is the control API's act key (DECISION_SIGNING_KEY): the one key the control API always
 * holds, whose public half is already published to every service (ACT_VERIFY_KEYS,
 * DECISION_VERIFY_KEYS) and so to auditors. The audit checkpoint key was the other candidate, but it
 * vouches for chain heads only, may live outside the control API (AUDIT_CHECKPOINT_KEY is optional),
 * and a case file is the control API's word, as its signed acts are. The domain tag keeps a manifest
 * signature from ever being taken for an act or a checkpoint (each signs its own tag's bytes).
 */
import { createHash, type KeyObject, sign, verify } from 'node:crypto';
import { keyIdOf } from '@vcdc/shared';
import { z } from 'zod';

/** What is signed: this tag, then the manifest's bytes as they are in the archive. */
export const MANIFEST_SIGNATURE_TAG = 'vcdc-case-file-manifest/1\n';
export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'manifest.sig';

export const ManifestFile = z.strictObject({
  path: z.string().min(1).max(300),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().min(0),
});
export type ManifestFile = z.infer<typeof ManifestFile>;

export const Manifest = z.strictObject({
  v: z.literal(1),
  kind: z.literal('vcdc.case-file'),
  caseId: z.string().min(1),
  createdAt: z.string(),
  /** Who asked the control API for it (their token's subject). */
  createdBy: z.string(),
  /** How to check `manifest.sig`: which key (its id is the first 16 hex digits of its SPKI's SHA-256). */
  signature: z.strictObject({
    algorithm: z.literal('Ed25519'),
    keyId: z.string().regex(/^[0-9a-f]{16}$/),
    key: z.string(),
    signs: z.string(),
  }),
  files: z.array(ManifestFile),
});
export type Manifest = z.infer<typeof Manifest>;

export const ManifestSignature = z.strictObject({
  v: z.literal(1),
  algorithm: z.literal('Ed25519'),
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  signature: z.string().min(1).max(200),
});
export type ManifestSignature = z.infer<typeof ManifestSignature>;

export const sha256Of = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function signedBytes(manifestBytes: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(MANIFEST_SIGNATURE_TAG), manifestBytes]);
}

export function signManifest(key: KeyObject, manifestBytes: Uint8Array): ManifestSignature {
  return {
    v: 1,
    algorithm: 'Ed25519',
    keyId: keyIdOf(key),
    signature: sign(null, signedBytes(manifestBytes), key).toString('base64'),
  };
}

/** Whether `signature` over `manifestBytes` verifies with one of `keys` (the verifier's, never the archive's). */
export function verifyManifestSignature(
  keys: readonly KeyObject[],
  manifestBytes: Uint8Array,
  presented: unknown,
): { ok: true; keyId: string } | { ok: false; why: string } {
  const parsed = ManifestSignature.safeParse(presented);
  if (!parsed.success) return { ok: false, why: 'manifest.sig is not a manifest signature' };
  const key = keys.find((k) => keyIdOf(k) === parsed.data.keyId);
  if (!key) return { ok: false, why: `signed by key ${parsed.data.keyId}, which is not among the keys given` };
  const good = verify(null, signedBytes(manifestBytes), key, Buffer.from(parsed.data.signature, 'base64'));
  return good ? { ok: true, keyId: parsed.data.keyId } : { ok: false, why: 'the signature does not verify' };
}
