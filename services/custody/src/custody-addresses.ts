/**
 * Where a case's coins are kept: one segregated address per (chain, case, asset), derived
 * deterministically from the custody master secret with HMAC-SHA256, so the same case and asset
 * always land on the same address and no address table can be lost or swapped.
 *
 * Walking-skeleton derivation: the address is formatted like the chain's addresses but has no key
 * pair behind it (the ledger-chain simulator does not check signatures). Issue #5 replaces this with
 * HD-wallet derivation (BIP-32/44) from an encrypted keystore, where the address comes from a public
 * key and the custodian can sign.
 *
 * The secret stays in a private field: it is never logged, serialised or returned.
 */
import { createHmac } from 'node:crypto';
import type { contracts } from '@vcdc/shared';

type Chain = contracts.common.Chain;

/** The bech32 alphabet, so bitcoin-like addresses look like `bc1q…` ones (no checksum: not a real address). */
const BECH32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';

export class CustodyAddressBook {
  readonly #secret: string;

  constructor(masterSecret: string) {
    if (masterSecret.length < 32) throw new Error('the custody master secret must be at least 32 characters');
    this.#secret = masterSecret;
  }

  addressFor(chain: Chain, caseId: string, asset: string): string {
    const digest = createHmac('sha256', this.#secret).update(`vcdc-custody/v1\n${chain}\n${caseId}\n${asset}`).digest();
    switch (chain) {
      case 'bitcoin':
        return `bc1q${toBech32Chars(digest, 38)}`;
      case 'ethereum':
        return `0x${digest.subarray(0, 20).toString('hex')}`;
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
