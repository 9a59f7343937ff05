/**
 * What the venue accepts as a crypto withdrawal address: the shape of an address of the coin's chain.
 * Ethereum: a 20-byte hex address (checksum not required, as most venues). Bitcoin: a bech32-looking
 * segwit address ("bc1…", the form custody's case wallets take) or a legacy base58 one. Anything else
 * is refused with HashKey's -1163 (ccxt: InvalidAddress) before a unit leaves the balance.
 */
import { isAddress } from 'ethers';
import type { Chain } from '../../../packages/shared/src/contracts/common';

const BECH32 = /^(bc1|tb1|bcrt1)[02-9ac-hj-np-z]{8,87}$/;
const BASE58 = /^[13mn2][1-9A-HJ-NP-Za-km-z]{25,34}$/;

export function validWithdrawalAddress(chain: Chain, address: string): boolean {
  if (chain === 'ethereum') return /^0x[0-9a-fA-F]{40}$/.test(address) && isAddress(address.toLowerCase());
  return BECH32.test(address) || BASE58.test(address);
}
