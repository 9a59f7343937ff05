/**
 * Crypto withdrawals leave the venue as real transactions on the chains it watches for deposits:
 * bitcoin (and ethereum when no EVM node is configured) on the ledger-chain simulator, ETH and USDT on
 * the local EVM node, always out of the venue's own deposit address (its hot wallet, venue-keys.ts).
 * What the client asked for arrives (arriveQuantity = quantity - the venue's fee); the chain's own fee is
 * the venue's cost, paid out of the fee it charged.
 *
 * Sent once: the ledger chain is asked with a clientRef unique to the withdrawal (a repeat returns the
 * same transaction); an EVM transaction is signed and KEPT in the withdrawal record before it is
 * broadcast, and a retry broadcasts those same bytes (same nonce, same hash). A payout the chain
 * refuses (not enough on chain, a nonce used by another) fails and its coins go back to the balance;
 * a chain that does not answer is simply asked again on the next run.
 *
 * ERC-20 transfers cost ETH the venue's address may not hold: a separate gas account of the venue
 * (`gasKey`, not a customer) tops it up first; the deposit watcher does not count those top-ups as deposits.
 */
import {
  formatUnits,
  getAddress,
  Interface,
  JsonRpcProvider,
  parseEther,
  parseUnits,
  Transaction,
  Wallet,
} from 'ethers';
import type { Chain } from '../../../packages/shared/src/contracts/common';
import type { WithdrawalRecord } from './state';
import type { Venue } from './venue';

const ERC20 = new Interface([
  'function transfer(address to, uint256 value) returns (bool)',
  'function balanceOf(address owner) view returns (uint256)',
]);
const NATIVE_GAS = 21_000n;
const TOKEN_GAS = 100_000n;

export interface EvmPayoutOptions {
  rpcUrl: string;
  usdtAddress: string;
  usdtDecimals: number;
  /** The key of the venue's ethereum deposit address. */
  venueKey: string;
  /** The venue's gas account, which tops the deposit address up for token transfers. */
  gasKey: string;
}

export class ChainPayouts {
  private readonly provider: JsonRpcProvider | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly venue: Venue,
    private readonly chainUrl: string,
    private readonly evm?: EvmPayoutOptions,
  ) {
    this.provider = evm
      ? new JsonRpcProvider(evm.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 })
      : undefined;
  }

  /** Send, or follow up, every crypto withdrawal still processing. One run at a time (one nonce sequence). */
  run(): Promise<void> {
    const next = this.running.then(async () => {
      for (const w of this.venue.pendingPayouts()) {
        try {
          if (w.chain === 'ethereum' && this.evm) await this.viaEvm(w, this.evm);
          else await this.viaLedger(w, w.chain as Chain);
        } catch {
          // The chain did not answer: the withdrawal stays processing and the next run asks again.
        }
      }
    });
    this.running = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.running;
    this.provider?.destroy();
  }

  private async viaLedger(w: WithdrawalRecord, chain: Chain): Promise<void> {
    const from = this.venue.state.depositAddresses[chain];
    if (!w.txId) {
      const response = await fetch(`${this.chainUrl}/v1/chains/${chain}/transactions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // The clientRef makes a repeated send return the first transaction (chains are shared between venues in tests).
        body: JSON.stringify({
          from,
          to: w.address,
          asset: w.coin,
          amount: w.arriveQuantity,
          clientRef: `${from}:${w.id}`,
        }),
        signal: AbortSignal.timeout(5000),
      });
      const body = (await response.json().catch(() => ({}))) as { txHash?: string; detail?: string };
      if (response.status >= 400 && response.status < 500) {
        this.venue.payoutFailed(w, `the chain refused the payout: ${body.detail ?? response.status}`);
        return;
      }
      if (!response.ok || !body.txHash) throw new Error(`chain answered ${response.status}`);
      this.venue.payoutBroadcast(w, body.txHash);
    }
    const response = await fetch(`${this.chainUrl}/v1/chains/${chain}/transactions/${encodeURIComponent(w.txId)}`, {
      signal: AbortSignal.timeout(5000),
    });
    const tx = (await response.json().catch(() => ({}))) as { status?: string };
    if (response.ok && tx.status === 'CONFIRMED') this.venue.payoutConfirmed(w);
  }

  private async viaEvm(w: WithdrawalRecord, evm: EvmPayoutOptions): Promise<void> {
    const provider = this.provider as JsonRpcProvider;
    const wallet = new Wallet(evm.venueKey, provider);
    if (wallet.address.toLowerCase() !== this.venue.state.depositAddresses.ethereum.toLowerCase()) {
      // A state file from before the deposit address had a key: nothing can be sent from it.
      this.venue.payoutFailed(w, 'the venue holds no key for its ethereum deposit address');
      return;
    }
    if (!w.signedTx) {
      const signed = await this.sign(w, wallet, evm);
      if (!signed) return;
      this.venue.payoutSigned(w, signed);
    }
    const { hash, raw } = w.signedTx as { hash: string; raw: string };
    if (!w.txId) {
      try {
        await provider.broadcastTransaction(raw);
      } catch (error) {
        if (!(await provider.getTransaction(hash))) {
          const message = error instanceof Error ? error.message : String(error);
          if (/nonce too low|nonce has already been used|insufficient funds|enough funds/i.test(message)) {
            this.venue.payoutFailed(w, `the chain refused the payout: ${message.slice(0, 200)}`);
            return;
          }
          throw error;
        }
      }
      this.venue.payoutBroadcast(w, hash);
    }
    const receipt = await provider.getTransactionReceipt(hash);
    if (receipt?.status === 1) this.venue.payoutConfirmed(w);
    else if (receipt) this.venue.payoutFailed(w, `transaction ${hash} reverted`);
  }

  /** Sign the payout, after checking the address holds what it sends (else it fails, refunded). */
  private async sign(
    w: WithdrawalRecord,
    wallet: Wallet,
    evm: EvmPayoutOptions,
  ): Promise<{ hash: string; raw: string } | undefined> {
    const provider = this.provider as JsonRpcProvider;
    const fee = await provider.getFeeData();
    const gasPrice = (fee.gasPrice ?? 1_000_000_000n) * 2n;
    let unsigned: { to: string; value: bigint; data: string; gasLimit: bigint };
    if (w.coin === 'USDT') {
      const units = parseUnits(w.arriveQuantity, evm.usdtDecimals);
      const held = BigInt(
        await provider.call({ to: evm.usdtAddress, data: ERC20.encodeFunctionData('balanceOf', [wallet.address]) }),
      );
      if (held < units) {
        const onChain = formatUnits(held, evm.usdtDecimals);
        this.venue.payoutFailed(w, `the venue address holds ${onChain} USDT on chain`);
        return undefined;
      }
      await this.topUpGas(wallet.address, TOKEN_GAS * gasPrice, evm);
      const data = ERC20.encodeFunctionData('transfer', [getAddress(w.address), units]);
      unsigned = { to: getAddress(evm.usdtAddress), value: 0n, data, gasLimit: TOKEN_GAS };
    } else {
      const value = parseEther(w.arriveQuantity);
      if ((await provider.getBalance(wallet.address)) < value + NATIVE_GAS * gasPrice) {
        this.venue.payoutFailed(w, 'the venue address holds too little ETH on chain');
        return undefined;
      }
      unsigned = { to: getAddress(w.address), value, data: '0x', gasLimit: NATIVE_GAS };
    }
    const { chainId } = await provider.getNetwork();
    const nonce = await provider.getTransactionCount(wallet.address, 'pending');
    const raw = await wallet.signTransaction({ ...unsigned, gasPrice, type: 0, nonce, chainId });
    return { hash: Transaction.from(raw).hash as string, raw };
  }

  private async topUpGas(address: string, needed: bigint, evm: EvmPayoutOptions): Promise<void> {
    const provider = this.provider as JsonRpcProvider;
    const balance = await provider.getBalance(address);
    if (balance >= needed) return;
    const gas = new Wallet(evm.gasKey, provider);
    const tx = await gas.sendTransaction({ to: address, value: needed - balance });
    const receipt = await tx.wait(1, 60_000);
    if (receipt?.status !== 1) throw new Error(`gas top-up ${tx.hash} did not succeed`);
  }
}
