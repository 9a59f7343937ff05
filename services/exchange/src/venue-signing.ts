/**
 * How the ccxt client signs its private requests. ccxt computes every HMAC in JavaScript (@noble/hashes);
 * for SHA-256, the hash every HashKey request is signed with, node:crypto gives the same bytes from
 * OpenSSL (issue 19: the signing was the largest single cost of an order in the service's CPU profile).
 * Any other hash or digest keeps ccxt's own.
 */
import { createHmac } from 'node:crypto';
import type { Exchange } from 'ccxt';

type Hash = (data: Uint8Array) => Uint8Array;
type Hmac = (request: string | Uint8Array, secret: string | Uint8Array, hash: Hash, digest?: string) => unknown;

/** SHA-256 of "abc" (FIPS 180-2): a hash function that gives it is SHA-256. */
const SHA256_OF_ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

const bytes = (data: string | Uint8Array) => (typeof data === 'string' ? Buffer.from(data, 'utf8') : data);

export function signWithNodeCrypto(exchange: Exchange): void {
  const client = exchange as unknown as { hmac: Hmac };
  const ccxtHmac = client.hmac;
  const sha256 = new WeakMap<Hash, boolean>();
  const isSha256 = (hash: Hash): boolean => {
    let known = sha256.get(hash);
    if (known === undefined) {
      known = Buffer.from(hash(Buffer.from('abc'))).toString('hex') === SHA256_OF_ABC;
      sha256.set(hash, known);
    }
    return known;
  };
  client.hmac = (request, secret, hash, digest = 'hex') =>
    (digest === 'hex' || digest === 'base64') && typeof hash === 'function' && isSha256(hash)
      ? createHmac('sha256', bytes(secret)).update(bytes(request)).digest(digest)
      : ccxtHmac(request, secret, hash, digest);
}
