/**
 * Test deposits: before the first bulk transfer of an asset to a new address, a small TEST_DEPOSIT
 * goes there and must be CONFIRMED (so a wrong or mistyped address costs a little, not the lot). The
 * largest test deposit per asset is configured (CUSTODY_TEST_DEPOSIT_MAX, e.g. "ETH=0.01,USDT=10,BTC=0.001").
 */
import { CryptoAsset, Decimal, scaleRefusal, toWire } from '@vcdc/shared';
import type { z } from 'zod';

export type TestDepositMax = Record<z.infer<typeof CryptoAsset>, string>;

export const DEFAULT_TEST_DEPOSIT_MAX: TestDepositMax = { BTC: '0.001', ETH: '0.01', USDT: '10' };

/** "ETH=0.01,USDT=10" over the defaults; throws an Error whose message says what is wrong. */
export function parseTestDepositMax(text: string | undefined): TestDepositMax {
  const max: TestDepositMax = { ...DEFAULT_TEST_DEPOSIT_MAX };
  for (const part of (text ?? '').split(',').map((p) => p.trim())) {
    if (!part) continue;
    const [name, value, ...rest] = part.split('=').map((p) => p.trim());
    const asset = CryptoAsset.safeParse(name);
    if (!asset.success || value === undefined || rest.length > 0) {
      throw new Error(`"${part}" is not ASSET=amount with ASSET one of ${CryptoAsset.options.join(', ')}`);
    }
    if (!/^(0|[1-9]\d{0,29})(\.\d{1,30})?$/.test(value) || !new Decimal(value).gt(0)) {
      throw new Error(`${asset.data}: "${value}" is not an amount greater than zero`);
    }
    const finer = scaleRefusal(value, asset.data);
    if (finer) throw new Error(`${asset.data}: "${value}" ${finer}`);
    max[asset.data] = toWire(new Decimal(value));
  }
  return max;
}
