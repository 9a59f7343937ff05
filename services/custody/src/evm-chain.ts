/**
 * Custody's adapter for an EVM chain over JSON-RPC (ethers 6): native ETH and ERC-20 tokens (USDT).
 *
 * Sending once and only once: every transaction is signed with the case wallet's key, STORED (table
 * evm_signed_transactions, keyed by the transfer's clientRef) and only then broadcast. A retry with the
 * same clientRef broadcasts the stored bytes again: same nonce, same hash, so the chain can include
 * it at most once. The nonce is the sender's pending transaction count, taken under a per-sender lock
 * that is held until the transaction is in the node's pool (issue 19: a lock released at the store's
 * COMMIT, before the broadcast, let two cases topping up gas from the one gas station sign the same
 * nonce). If a stored transaction was never broadcast (the process died between the two) and its nonce
 * has since been used by another one, it can never be mined any more: that transfer is refused
 * (ChainRefusal 'superseded'), nothing left custody.
 *
 * Fees: gas is priced with a legacy gas price fixed at signing time, so an ETH transfer's fee is
 * known before it is sent (21 000 gas to an account) and is paid out of the amount that leaves custody.
 * ERC-20 transfers cost ETH, which a token case wallet does not hold: the gas station (a custody-key
 * account) tops the case wallet up with exactly the gas it needs first; that gas is the custodian's
 * cost, not the case's, so the token fee is "0".
 */
import { type contracts, Decimal, type Pool, type Queryable } from '@vcdc/shared';
import {
  Contract,
  formatEther,
  formatUnits,
  getAddress,
  type HDNodeWallet,
  Interface,
  JsonRpcProvider,
  parseEther,
  parseUnits,
  Transaction,
  type TransactionReceipt,
  type TransactionResponse,
} from 'ethers';
import { type ChainAdapter, ChainRefusal, type ChainTransaction, type SendRequest } from './chain-adapter';
import type { CustodyKeyring } from './custody-keyring';

type Chain = contracts.common.Chain;

const ERC20 = new Interface([
  'function transfer(address to, uint256 value) returns (bool)',
  'function balanceOf(address owner) view returns (uint256)',
  'event Transfer(address indexed from, address indexed to, uint256 value)',
]);
const NATIVE_GAS = 21_000n;
const TOKEN_GAS = 100_000n;

export interface EvmToken {
  address: string;
  decimals: number;
}

export interface EvmChainOptions {
  rpcUrl: string;
  pool: Pool;
  keyring: CustodyKeyring;
  /** ERC-20 tokens by asset code, e.g. { USDT: { address, decimals: 6 } }. */
  tokens: Record<string, EvmToken>;
  /** The gas price used is the node's current one times this (headroom for a rising base fee). */
  gasPriceMultiplier?: number;
  /** How long a gas top-up may take to be mined before the transfer is given up as "outcome unknown". */
  topUpTimeoutMs?: number;
}

export class EvmChainAdapter implements ChainAdapter {
  private readonly provider: JsonRpcProvider;
  private readonly tokensByAddress: Map<string, { asset: string } & EvmToken>;

  constructor(private readonly options: EvmChainOptions) {
    this.provider = new JsonRpcProvider(options.rpcUrl, undefined, {
      staticNetwork: true,
      pollingInterval: 250,
      cacheTimeout: -1,
    });
    this.tokensByAddress = new Map(
      Object.entries(options.tokens).map(([asset, token]) => [getAddress(token.address), { asset, ...token }]),
    );
  }

  async getHead(_chain: Chain): Promise<{ height: number }> {
    return { height: await this.provider.getBlockNumber() };
  }

  async getFees(_chain: Chain): Promise<Record<string, string>> {
    const gasPrice = await this.gasPrice();
    const fees: Record<string, string> = { ETH: formatEther(NATIVE_GAS * gasPrice) };
    for (const asset of Object.keys(this.options.tokens)) fees[asset] = '0';
    return fees;
  }

  async getTransaction(_chain: Chain, txHash: string): Promise<ChainTransaction | undefined> {
    if (!/^0x[0-9a-fA-F]{64}$/.test(txHash)) return undefined;
    const tx = await this.provider.getTransaction(txHash);
    if (!tx) return undefined;
    const receipt = await this.provider.getTransactionReceipt(txHash);
    const head = receipt ? await this.provider.getBlockNumber() : 0;
    return this.describe(tx, receipt, head);
  }

  async send(chain: Chain, request: SendRequest): Promise<ChainTransaction> {
    // A retry finds what an earlier attempt signed and sends those same bytes again.
    const earlier = await findSigned(this.options.pool, request.clientRef);
    if (earlier) await this.broadcast(earlier.tx_hash, earlier.raw, request.from);
    const hash = earlier ? earlier.tx_hash : await this.signAndStore(chain, request);
    const tx = await this.getTransaction(chain, hash);
    if (!tx) throw new Error(`transaction ${hash} was broadcast but the node does not know it`);
    return tx;
  }

  /** For tests and the dev stack: the address ETH is paid into to fund the gas station. */
  gasStationAddress(): string {
    return this.options.keyring.gasStation().address;
  }

  /** Sign, store and broadcast a new transfer out of the case wallet; its hash. */
  private async signAndStore(chain: Chain, request: SendRequest): Promise<string> {
    if (!request.caseId) throw new Error('an EVM transfer needs the caseId its wallet is derived for');
    const wallet = this.options.keyring.walletFor(request.caseId, request.asset).connect(this.provider);
    if (wallet.address !== getAddress(request.from)) {
      throw new ChainRefusal(
        'not-a-custody-wallet',
        `${request.from} is not the custody wallet of ${request.caseId}/${request.asset}`,
      );
    }
    const token = this.options.tokens[request.asset];
    // An ETH transfer pays exactly the fee it budgeted (its gas is fixed); a token transfer's budget
    // is in the token ("0"): its gas is priced now and paid by the gas station.
    const gasPrice =
      !token && request.maxFee && parseEther(request.maxFee) > 0n
        ? parseEther(request.maxFee) / NATIVE_GAS
        : await this.gasPrice();
    let unsigned: { to: string; value: bigint; data: string; gasLimit: bigint };
    if (token) {
      unsigned = {
        to: getAddress(token.address),
        value: 0n,
        data: ERC20.encodeFunctionData('transfer', [
          getAddress(request.to),
          parseUnits(request.amount, token.decimals),
        ]),
        gasLimit: TOKEN_GAS,
      };
      await this.topUpGas(chain, request.clientRef, wallet.address, TOKEN_GAS * gasPrice, gasPrice);
    } else if (request.asset === 'ETH') {
      unsigned = { to: getAddress(request.to), value: parseEther(request.amount), data: '0x', gasLimit: NATIVE_GAS };
    } else {
      throw new ChainRefusal('asset-not-on-chain', `${request.asset} is not an asset of ${chain}`);
    }
    return this.signAndStoreFrom(chain, request.clientRef, wallet, { ...unsigned, gasPrice });
  }

  /**
   * Sign under the sender's lock (nonce = its pending count), store, then broadcast, and only then let
   * the next signer of this sender read the pending count. The lock is a session advisory lock on one
   * connection, which also stores the row (one statement, committed before the broadcast): no other
   * connection is asked for while it is held. A transaction signed and stored under `clientRef` before
   * is broadcast again as it is; its hash either way.
   */
  private async signAndStoreFrom(
    chain: Chain,
    clientRef: string,
    wallet: HDNodeWallet,
    tx: { to: string; value: bigint; data: string; gasLimit: bigint; gasPrice: bigint },
  ): Promise<string> {
    const network = await this.provider.getNetwork();
    const lock = `evm-sender:${wallet.address}`;
    const db = await this.options.pool.connect();
    // A connection that may still hold the lock (its unlock failed) is closed, never pooled again.
    let unlocked = false;
    try {
      await db.query('SELECT pg_advisory_lock(hashtext($1))', [lock]);
      try {
        let signed = await findSigned(db, clientRef);
        if (!signed) {
          const nonce = await this.provider.getTransactionCount(wallet.address, 'pending');
          const raw = await wallet.signTransaction({ ...tx, type: 0, nonce, chainId: network.chainId });
          const hash = Transaction.from(raw).hash!;
          await db.query(
            `INSERT INTO evm_signed_transactions (client_ref, chain, from_address, to_address, nonce, tx_hash, raw)
             VALUES ($1, $2, $3, $4, $5, $6, $7)`,
            [clientRef, chain, wallet.address, tx.to, nonce, hash, raw],
          );
          signed = { tx_hash: hash, raw } as SignedRow;
        }
        await this.broadcast(signed.tx_hash, signed.raw, wallet.address);
        return signed.tx_hash;
      } finally {
        await db.query('SELECT pg_advisory_unlock(hashtext($1))', [lock]);
        unlocked = true;
      }
    } finally {
      db.release(!unlocked);
    }
  }

  private async topUpGas(chain: Chain, clientRef: string, address: string, needed: bigint, gasPrice: bigint) {
    const balance = await this.provider.getBalance(address);
    if (balance >= needed) return;
    const station = this.options.keyring.gasStation().connect(this.provider);
    const hash = await this.signAndStoreFrom(chain, `${clientRef}:gas`, station, {
      to: address,
      value: needed - balance,
      data: '0x',
      gasLimit: NATIVE_GAS,
      gasPrice,
    });
    const receipt = await this.provider.waitForTransaction(hash, 1, this.options.topUpTimeoutMs ?? 60_000);
    if (receipt?.status !== 1) throw new Error(`gas top-up ${hash} for ${address} did not succeed`);
  }

  /** Broadcast stored bytes; "already known" means an earlier attempt got through. */
  private async broadcast(hash: string, raw: string, from: string): Promise<void> {
    try {
      await this.provider.broadcastTransaction(raw);
    } catch (error) {
      if (await this.provider.getTransaction(hash)) return; // already on the chain or in its pool
      const message = error instanceof Error ? error.message : String(error);
      if (/nonce too low|nonce has already been used/i.test(message)) {
        throw new ChainRefusal(
          'superseded',
          `transaction ${hash} from ${from} can no longer be mined: its nonce was used by another`,
        );
      }
      if (/insufficient funds|doesn't have enough funds/i.test(message)) {
        throw new ChainRefusal('insufficient-funds', `${from} cannot pay for transaction ${hash}`);
      }
      throw error;
    }
  }

  private async gasPrice(): Promise<bigint> {
    const fee = await this.provider.getFeeData();
    const current = fee.gasPrice ?? fee.maxFeePerGas ?? 1_000_000_000n;
    const multiplier = BigInt(Math.round((this.options.gasPriceMultiplier ?? 2) * 100));
    return (current * multiplier) / 100n;
  }

  private describe(tx: TransactionResponse, receipt: TransactionReceipt | null, head: number): ChainTransaction {
    const confirmations = receipt ? Math.max(0, head - receipt.blockNumber + 1) : 0;
    const status = receipt ? 'CONFIRMED' : 'PENDING';
    const blockHeight = receipt?.blockNumber ?? null;
    const gasPrice = receipt?.gasPrice ?? tx.gasPrice ?? 0n;
    const gasFee = receipt ? receipt.gasUsed * gasPrice : tx.gasLimit * gasPrice;
    const token = tx.to ? this.tokensByAddress.get(getAddress(tx.to)) : undefined;
    if (token) {
      // What a token transaction moved is in its Transfer event; before it is mined, in its call data.
      let to = '';
      let value = 0n;
      if (receipt) {
        for (const log of receipt.logs) {
          if (getAddress(log.address) !== getAddress(token.address)) continue;
          const parsed = ERC20.parseLog(log);
          if (parsed?.name === 'Transfer') {
            to = getAddress(parsed.args[1] as string);
            value += parsed.args[2] as bigint;
          }
        }
      } else {
        const call = ERC20.parseTransaction({ data: tx.data });
        if (call?.name === 'transfer') {
          to = getAddress(call.args[0] as string);
          value = call.args[1] as bigint;
        }
      }
      return {
        txHash: tx.hash,
        chain: 'ethereum',
        from: getAddress(tx.from),
        to,
        asset: token.asset,
        amount: new Decimal(formatUnits(value, token.decimals)).toFixed(),
        fee: '0',
        status,
        blockHeight,
        confirmations,
      };
    }
    return {
      txHash: tx.hash,
      chain: 'ethereum',
      from: getAddress(tx.from),
      to: tx.to ? getAddress(tx.to) : '',
      asset: 'ETH',
      // A reverted call moved nothing.
      amount: new Decimal(receipt && receipt.status !== 1 ? '0' : formatEther(tx.value)).toFixed(),
      fee: new Decimal(formatEther(gasFee)).toFixed(),
      status,
      blockHeight,
      confirmations,
    };
  }

  /** The token balance of an address, as a decimal string (tests and reconciliation). */
  async tokenBalance(asset: string, address: string): Promise<string> {
    const token = this.options.tokens[asset];
    if (!token) throw new Error(`${asset} is not a token of this chain`);
    const contract = new Contract(token.address, ERC20, this.provider);
    return formatUnits((await contract.getFunction('balanceOf')(address)) as bigint, token.decimals);
  }

  close(): void {
    this.provider.destroy();
  }
}

interface SignedRow {
  client_ref: string;
  tx_hash: string;
  raw: string;
  nonce: string;
}

async function findSigned(db: Queryable, clientRef: string): Promise<SignedRow | undefined> {
  const { rows } = await db.query<SignedRow>('SELECT * FROM evm_signed_transactions WHERE client_ref = $1', [
    clientRef,
  ]);
  return rows[0];
}
