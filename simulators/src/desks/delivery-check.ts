/**
 * What a desk sees on the chain for a delivery it is told of (dev and tests only): the transaction by its
 * hash, where it went, which coin, how much, how deep. A desk pays only for coins it has seen arrive at
 * its own address (desk.ts), as the venue simulator credits only deposits it has seen on the chain it
 * watches (venue/index.ts): the ledger-chain simulator's transactions, or native ETH on the EVM node
 * when the desk watches one for ethereum (the dev and e2e stacks carry ETH there).
 */
import { formatEther, getAddress, JsonRpcProvider } from 'ethers';
import type { Chain } from '../../../packages/shared/src/contracts/common';

export interface ChainWatch {
  /** The ledger-chain simulator (bitcoin, and ethereum when no EVM node is given). */
  ledgerUrl: string;
  /** The EVM node ethereum's coins are sent on, when there is one. */
  evmRpcUrl?: string;
  /** Blocks a delivery must be buried under before the desk pays (default 1: mined). */
  confirmations?: number;
}

/** A transaction as the desk reads it; undefined when the chain does not know the hash. */
export interface SeenTransfer {
  to: string;
  asset: string;
  amount: string;
  confirmations: number;
}

export async function seenOnChain(watch: ChainWatch, chain: Chain, txHash: string): Promise<SeenTransfer | undefined> {
  if (chain === 'ethereum' && watch.evmRpcUrl) return seenOnEvm(watch.evmRpcUrl, txHash);
  const res = await fetch(`${watch.ledgerUrl}/v1/chains/${chain}/transactions/${encodeURIComponent(txHash)}`, {
    signal: AbortSignal.timeout(5000),
  });
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`chain ${chain} answered ${res.status}`);
  const tx = (await res.json()) as { to: string; asset: string; amount: string; confirmations: number };
  return { to: tx.to, asset: tx.asset, amount: tx.amount, confirmations: tx.confirmations };
}

/** Native ETH only: a desk buys the coin, never the token (a token transfer's `value` is 0, so it never matches). */
async function seenOnEvm(rpcUrl: string, txHash: string): Promise<SeenTransfer | undefined> {
  if (!/^0x[0-9a-fA-F]{64}$/.test(txHash)) return undefined;
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true });
  try {
    const tx = await provider.getTransaction(txHash);
    if (!tx?.to) return undefined;
    const receipt = await provider.getTransactionReceipt(txHash);
    const head = await provider.getBlockNumber();
    const mined = receipt && receipt.status === 1 ? head - receipt.blockNumber + 1 : 0;
    return {
      to: getAddress(tx.to),
      asset: 'ETH',
      amount: formatEther(tx.value).replace(/\.0$/, ''),
      confirmations: mined,
    };
  } finally {
    provider.destroy();
  }
}
