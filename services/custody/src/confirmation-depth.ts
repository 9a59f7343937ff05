/**
 * How many confirmations a chain's transactions need before custody counts them (a sweep taken in, a
 * transfer CONFIRMED): one number for every chain, or one per chain (a bitcoin block and an ethereum
 * block do not make the same reorg risk).
 */
import type { contracts } from '@vcdc/shared';

type Chain = contracts.common.Chain;

export type ConfirmationDepth = number | Record<Chain, number>;

export function depthFor(depth: ConfirmationDepth, chain: Chain): number {
  return typeof depth === 'number' ? depth : depth[chain];
}
