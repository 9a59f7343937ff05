/**
 * The venue's deposit watching on a real EVM node (the local Hardhat chain in dev and tests): native
 * ETH sent to the venue's ethereum deposit address and USDT Transfer events to it are reported to the
 * venue with their confirmations, exactly as it reports the ledger-chain simulator's transactions, so
 * the path custody → venue is real transactions end to end.
 *
 * Each sync scans the blocks it has not seen yet (ETH) and asks the node for the token's Transfer logs
 * to the address over the same range (USDT); what it has found is reported again on every sync, with
 * its block, until the venue has settled it (credited or held): then it is dropped, so a sync costs the
 * deposits still confirming, not every deposit ever seen.
 */
import { computeAddress, formatEther, formatUnits, getAddress, id, JsonRpcProvider, zeroPadValue } from 'ethers';
import type { Chain } from '../../../packages/shared/src/contracts/common';

export interface EvmDepositOptions {
  rpcUrl: string;
  /** The USDT ERC-20 contract. */
  usdtAddress: string;
  usdtDecimals?: number;
  /**
   * The venue's own gas account, which tops its deposit address up with ETH for USDT payouts
   * (payouts.ts); default: the local node's second dev account. Its transfers are not deposits.
   */
  gasKey?: string;
}

interface FoundDeposit {
  txHash: string;
  asset: 'ETH' | 'USDT';
  /** In the asset's base units (wei, or the token's smallest unit). */
  units: bigint;
  blockNumber: number;
}

/** Returns true once the venue has settled the deposit (it need not be reported again). */
type Observe = (
  chain: Chain,
  tx: { txHash: string; asset: string; amount: string; confirmations: number; blockHeight: number; to?: string },
) => boolean;

const TRANSFER_TOPIC = id('Transfer(address,address,uint256)');

export class EvmDepositWatcher {
  private readonly provider: JsonRpcProvider;
  private readonly found = new Map<string, FoundDeposit>();
  private scannedThrough = -1;
  private readonly gasAccount: string | undefined;

  constructor(private readonly options: EvmDepositOptions) {
    this.provider = new JsonRpcProvider(options.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    this.gasAccount = options.gasKey ? computeAddress(options.gasKey) : undefined;
  }

  /** Find new deposits to `address` and report every one found so far with its confirmations. */
  async sync(address: string, observe: Observe, onHead: (head: number) => void = () => undefined): Promise<void> {
    const to = getAddress(address);
    const head = await this.provider.getBlockNumber();
    if (head > this.scannedThrough) {
      const from = this.scannedThrough + 1;
      for (let n = from; n <= head; n++) {
        const block = await this.provider.getBlock(n, true);
        for (const tx of block?.prefetchedTransactions ?? []) {
          if (!tx.to || getAddress(tx.to) !== to || tx.value === 0n) continue;
          if (tx.from && getAddress(tx.from) === this.gasAccount) continue; // the venue's own gas, not a deposit
          const receipt = await this.provider.getTransactionReceipt(tx.hash);
          if (receipt?.status !== 1) continue; // a reverted transfer moved nothing
          this.found.set(`ETH:${tx.hash}`, { txHash: tx.hash, asset: 'ETH', units: tx.value, blockNumber: n });
        }
      }
      const logs = await this.provider.getLogs({
        address: this.options.usdtAddress,
        topics: [TRANSFER_TOPIC, null, zeroPadValue(to, 32)],
        fromBlock: from,
        toBlock: head,
      });
      for (const log of logs) {
        // Several token transfers to us in one transaction are one deposit of their sum.
        const key = `USDT:${log.transactionHash}`;
        const units = (this.found.get(key)?.units ?? 0n) + BigInt(log.data);
        this.found.set(key, { txHash: log.transactionHash, asset: 'USDT', units, blockNumber: log.blockNumber });
      }
      this.scannedThrough = head;
    }
    onHead(head);
    for (const [key, deposit] of this.found) {
      const settled = observe('ethereum', {
        txHash: deposit.txHash,
        asset: deposit.asset,
        amount: (deposit.asset === 'ETH'
          ? formatEther(deposit.units)
          : formatUnits(deposit.units, this.options.usdtDecimals ?? 6)
        ).replace(/\.0$/, ''),
        confirmations: head - deposit.blockNumber + 1,
        blockHeight: deposit.blockNumber,
        to: address,
      });
      if (settled) this.found.delete(key);
    }
  }

  close(): void {
    this.provider.destroy();
  }
}
