/**
 * The public keys a verifier of case files trusts, read from a file of theirs (never from the archive):
 * a PEM public key, a JWKS (`{"keys": [...]}`, Ed25519 OKP keys), or base64 SPKI keys separated by
 * commas or new lines (the form ACT_VERIFY_KEYS / DECISION_VERIFY_KEYS take).
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';

export function readVerifyKeys(text: string): KeyObject[] {
  const trimmed = text.trim();
  let keys: KeyObject[];
  if (trimmed.startsWith('-----BEGIN')) {
    keys = trimmed
      .split(/(?=-----BEGIN)/)
      .filter((pem) => pem.includes('PUBLIC KEY'))
      .map((pem) => createPublicKey(pem));
  } else if (trimmed.startsWith('{')) {
    const jwks = JSON.parse(trimmed) as { keys?: JsonWebKey[] };
    keys = (jwks.keys ?? []).map((jwk) => createPublicKey({ key: jwk, format: 'jwk' }));
  } else {
    keys = trimmed
      .split(/[\s,]+/)
      .filter(Boolean)
      .map((b64) => createPublicKey({ key: Buffer.from(b64, 'base64'), format: 'der', type: 'spki' }));
  }
  const ed25519 = keys.filter((k) => k.asymmetricKeyType === 'ed25519');
  if (!ed25519.length) throw new Error('no Ed25519 public key in the key file');
  return ed25519;
}
