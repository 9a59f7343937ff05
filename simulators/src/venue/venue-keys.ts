/**
 * The venue's own keys on the chains it pays out on (dev and tests only). Its ethereum deposit address
 * is the address of a key derived from the venue's seed, so the venue can send coins back out of it
 * (withdrawals) exactly as an exchange's hot wallet does. The ledger chain signs nothing, so bitcoin
 * needs no key. Derived, never stored: the same seed gives the same keys after a restart.
 */
import { createHash } from 'node:crypto';
import { computeAddress } from 'ethers';

/** The private key behind the venue's ethereum deposit address (hex, 0x-prefixed). */
export function venueEvmKey(seed: number): string {
  return `0x${createHash('sha256').update(`venue:${seed}:ethereum-key`).digest('hex')}`;
}

/** The venue's ethereum deposit address, lower-case (as the venue has always shown its addresses). */
export function venueEvmAddress(seed: number): string {
  return computeAddress(venueEvmKey(seed)).toLowerCase();
}
