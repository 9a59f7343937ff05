/**
 * The custody key: one HD root (BIP-32) from which every case wallet is derived, so each case and
 * asset has its own segregated address that only the custodian can sign for, and the same case and
 * asset always derive the same wallet (nothing to lose in an address table).
 *
 * Path: m/44'/60'/a'/b'/c' where a, b, c are three 31-bit words of SHA-256("vcdc-custody/v1\n<case>\n<asset>")
 * (hardened, so one leaked child key reveals no sibling). The gas station, which pays the ETH gas of
 * ERC-20 transfers out of case wallets, is m/44'/60'/0'/0'/0'.
 *
 * The root comes from an encrypted JSON keystore (ethers / Web3 secret storage, holding a mnemonic) or
 * from a secret (a BIP-39 mnemonic, or any >= 32 character secret, hashed into a 32-byte seed). It is
 * kept in a private field: never logged, serialised or returned; only addresses and signatures leave.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { inspect } from 'node:util';
import { HDNodeWallet, Mnemonic, Wallet } from 'ethers';

const GAS_STATION_PATH = "m/44'/60'/0'/0'/0'";

export class CustodyKeyring {
  readonly #root: HDNodeWallet;

  private constructor(root: HDNodeWallet) {
    this.#root = root;
  }

  /** A BIP-39 mnemonic, or any secret of at least 32 characters (its SHA-256 is the seed). */
  static fromSecret(secret: string): CustodyKeyring {
    if (secret.length < 32) throw new Error('the custody secret must be at least 32 characters');
    if (Mnemonic.isValidMnemonic(secret.trim())) {
      return new CustodyKeyring(HDNodeWallet.fromSeed(Mnemonic.fromPhrase(secret.trim()).computeSeed()));
    }
    return new CustodyKeyring(
      HDNodeWallet.fromSeed(createHash('sha256').update(`vcdc-custody-seed/v1\n${secret}`).digest()),
    );
  }

  /** An encrypted JSON keystore holding an HD wallet (with its mnemonic), e.g. written by ethers' `encrypt`. */
  static async fromKeystoreFile(file: string, password: string): Promise<CustodyKeyring> {
    const json = await readFile(file, 'utf8');
    let wallet: Awaited<ReturnType<typeof Wallet.fromEncryptedJson>>;
    try {
      wallet = await Wallet.fromEncryptedJson(json, password);
    } catch {
      // ethers' message may quote the file; say only what is wrong.
      throw new Error(`custody keystore ${file} could not be decrypted (wrong password or not a keystore)`);
    }
    if (!(wallet instanceof HDNodeWallet) || !wallet.mnemonic) {
      throw new Error(`custody keystore ${file} holds a single key, not an HD wallet with a mnemonic`);
    }
    return new CustodyKeyring(HDNodeWallet.fromSeed(wallet.mnemonic.computeSeed()));
  }

  /** The case wallet for (case, asset): signs that case's transfers and proofs of control. */
  walletFor(caseId: string, asset: string): HDNodeWallet {
    return this.#root.derivePath(casePath(caseId, asset));
  }

  gasStation(): HDNodeWallet {
    return this.#root.derivePath(GAS_STATION_PATH);
  }

  addressFor(caseId: string, asset: string): string {
    return this.walletFor(caseId, asset).address;
  }

  toJSON(): string {
    return '[CustodyKeyring]';
  }

  [inspect.custom](): string {
    return '[CustodyKeyring]';
  }
}

export function casePath(caseId: string, asset: string): string {
  const digest = createHash('sha256').update(`vcdc-custody/v1\n${caseId}\n${asset}`).digest();
  const word = (i: number) => digest.readUInt32BE(i * 4) & 0x7fffffff;
  return `m/44'/60'/${word(0)}'/${word(1)}'/${word(2)}'`;
}
