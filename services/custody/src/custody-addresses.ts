/**
 * Where a case's coins are kept: one segregated address per (chain, case, asset).
 *
 * - ethereum: the address of the case wallet derived from the custody key (custody-keyring.ts): the
 *   custodian, and only the custodian, can sign for it.
 * - bitcoin (an attested chain: the system does not hold or watch bitcoin keys itself): an address-
 *   shaped identifier `bc1q…` from the case wallet's public key (bech32 alphabet, no checksum: it is the
 *   reference the attesting custodians use, not a spendable address).
 *
 * Never logged, serialised or returned: the keyring it holds.
 */
import { createHash } from 'node:crypto';
import type { contracts } from '@vcdc/shared';
import { CustodyKeyring } from './custody-keyring';

type Chain = contracts.common.Chain;

/** The bech32 alphabet, so bitcoin-like addresses look like `bc1q…` ones. */
const BECH32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';

export class CustodyAddressBook {
  readonly #keyring: CustodyKeyring;

  /** A keyring, or a secret to build one from (CustodyKeyring.fromSecret). */
  constructor(keyringOrSecret: CustodyKeyring | string) {
    this.#keyring = typeof keyringOrSecret === 'string' ? CustodyKeyring.fromSecret(keyringOrSecret) : keyringOrSecret;
  }

  get keyring(): CustodyKeyring {
    return this.#keyring;
  }

  addressFor(chain: Chain, caseId: string, asset: string): string {
    switch (chain) {
      case 'bitcoin': {
        const publicKey = this.#keyring.walletFor(caseId, asset).publicKey;
        return `bc1q${toBech32Chars(createHash('sha256').update(publicKey).digest(), 38)}`;
      }
      case 'ethereum':
        return this.#keyring.addressFor(caseId, asset);
    }
  }

  toJSON(): string {
    return '[CustodyAddressBook]';
  }
}

/** `count` characters of the bech32 alphabet, 5 bits each, from the front of `bytes`. */
function toBech32Chars(bytes: Buffer, count: number): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < count) {
      bits -= 5;
      out += BECH32[(value >> bits) & 31];
    }
    if (out.length === count) break;
  }
  return out;
}
