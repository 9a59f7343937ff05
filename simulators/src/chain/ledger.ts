/**
 * The state of the ledger-chain simulator: per chain, a block height and the list of transactions in
 * the order they were broadcast. Balances are never stored: they are derived from the transactions,
 * so they cannot drift from them. Dev and test only.
 *
 * Model (simplified on purpose, and stated here so nobody mistakes it for a real chain):
 *  - A broadcast transaction waits in the mempool (PENDING) and is included in the next block, in
 *    broadcast order; confirmations = head - blockHeight + 1 once mined.
 *  - The network fee is flat per transaction and per asset, and is paid by the sender in the asset
 *    sent (on a real EVM chain a USDT transfer pays its gas in ETH; this simulator does not).
 *  - The sender's spendable amount is its mined balance minus what its pending transactions will
 *    take, so a broadcast can never overdraw an address; the balance shown covers mined
 *    transactions only.
 *  - The faucet mints: its transactions come from the chain's faucet address, cost no fee and are
 *    limited by nothing.
 */
import { randomBytes } from 'node:crypto';
import { type AssetCode, canonicalJson, Decimal, sha256Hex, toWire } from '@vcdc/shared';

export const CHAIN_ASSETS = {
  bitcoin: ['BTC'],
  ethereum: ['ETH', 'USDT'],
} as const satisfies Record<string, readonly AssetCode[]>;
export type ChainId = keyof typeof CHAIN_ASSETS;
export const CHAIN_IDS = Object.keys(CHAIN_ASSETS) as ChainId[];

export const DEFAULT_FEES: Record<ChainId, Record<string, string>> = {
  bitcoin: { BTC: '0.00002' },
  ethereum: { ETH: '0.0005', USDT: '1' },
};

export const FAUCET_ADDRESS: Record<ChainId, string> = {
  bitcoin: 'faucet:bitcoin',
  ethereum: 'faucet:ethereum',
};

export type ChainTxStatus = 'PENDING' | 'CONFIRMED';

/** A transaction as stored (and persisted). Amounts are decimal strings in canonical form ("0.5", not "0.50"). */
export interface StoredTx {
  seq: number;
  txHash: string;
  chain: ChainId;
  from: string;
  to: string;
  asset: AssetCode;
  amount: string;
  fee: string;
  blockHeight: number | null;
  clientRef?: string;
}

/** A transaction as the API shows it. */
export interface ChainTxView {
  txHash: string;
  chain: ChainId;
  from: string;
  to: string;
  asset: AssetCode;
  amount: string;
  fee: string;
  status: ChainTxStatus;
  blockHeight: number | null;
  confirmations: number;
}

interface ChainState {
  height: number;
  txs: StoredTx[];
}

export interface ChainSnapshot {
  version: 1;
  /** Random per simulated network, part of every transaction hash: two networks never share a hash. */
  genesis: string;
  nextSeq: number;
  chains: Record<ChainId, ChainState>;
  /** When the file was last written (ms), and whether by a clean close (index.ts: empty blocks are written late). */
  writtenAt?: number;
  closed?: boolean;
}

export interface SendInput {
  from: string;
  to: string;
  asset: AssetCode;
  amount: string;
  clientRef?: string;
}

export type SendOutcome = { kind: 'created'; tx: ChainTxView } | { kind: 'existing'; tx: ChainTxView };

/** Refusals the routes turn into problem+json. */
export class ChainRefusal extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    detail: string,
    readonly field?: string,
  ) {
    super(detail);
  }
}

export class ChainLedger {
  private readonly state: ChainSnapshot;
  private readonly byHash = new Map<string, StoredTx>();
  private readonly byClientRef = new Map<string, StoredTx>();

  constructor(
    snapshot?: ChainSnapshot,
    private readonly fees: Record<ChainId, Record<string, string>> = DEFAULT_FEES,
  ) {
    this.state = snapshot ?? {
      version: 1,
      genesis: randomBytes(16).toString('hex'),
      nextSeq: 1,
      chains: { bitcoin: { height: 0, txs: [] }, ethereum: { height: 0, txs: [] } },
    };
    for (const chain of CHAIN_IDS) {
      for (const tx of this.state.chains[chain].txs) this.index(tx);
    }
  }

  snapshot(): ChainSnapshot {
    return this.state;
  }

  head(chain: ChainId): number {
    return this.state.chains[chain].height;
  }

  feesOf(chain: ChainId): Record<string, string> {
    return { ...this.fees[chain] };
  }

  /** Broadcast a transfer. Idempotent on clientRef; refuses what the sender cannot pay. */
  send(chain: ChainId, input: SendInput): SendOutcome {
    this.assertAsset(chain, input.asset);
    if (input.clientRef !== undefined) {
      const existing = this.byClientRef.get(refKey(chain, input.clientRef));
      if (existing) {
        const same =
          existing.from === input.from &&
          existing.to === input.to &&
          existing.asset === input.asset &&
          new Decimal(existing.amount).eq(input.amount);
        if (!same) {
          throw new ChainRefusal(
            409,
            'client-ref-conflict',
            'clientRef already used for another transaction',
            `clientRef ${input.clientRef} was used for transaction ${existing.txHash} with other fields`,
          );
        }
        return { kind: 'existing', tx: this.view(existing) };
      }
    }
    const fee = new Decimal(this.feeOf(chain, input.asset));
    const needed = new Decimal(input.amount).plus(fee);
    const spendable = this.spendable(chain, input.from, input.asset);
    if (spendable.lt(needed)) {
      throw new ChainRefusal(
        422,
        'insufficient-funds',
        'Insufficient funds',
        `${input.from} can spend ${toWire(spendable)} ${input.asset} on ${chain}; amount + fee is ${toWire(needed)}`,
      );
    }
    return { kind: 'created', tx: this.view(this.append(chain, { ...input, fee: toWire(fee) })) };
  }

  /** Mint from the faucet (no fee, no limit). */
  faucet(chain: ChainId, input: { address: string; asset: AssetCode; amount: string }): ChainTxView {
    this.assertAsset(chain, input.asset);
    return this.view(
      this.append(chain, {
        from: FAUCET_ADDRESS[chain],
        to: input.address,
        asset: input.asset,
        amount: input.amount,
        fee: '0',
      }),
    );
  }

  /** Mine one block on `chain`: its whole mempool goes into it, in broadcast order. */
  mineBlock(chain: ChainId): number {
    const state = this.state.chains[chain];
    state.height += 1;
    // Every block takes the whole mempool, so the unmined transactions are the newest ones: walk back to the first mined.
    for (let i = state.txs.length - 1; i >= 0 && state.txs[i]?.blockHeight === null; i--) {
      (state.txs[i] as StoredTx).blockHeight = state.height;
    }
    return state.height;
  }

  /** Whether a chain has transactions waiting for a block. */
  hasPending(chain: ChainId): boolean {
    const txs = this.state.chains[chain].txs;
    return txs.length > 0 && txs[txs.length - 1]?.blockHeight === null;
  }

  get(chain: ChainId, txHash: string): ChainTxView | undefined {
    const tx = this.byHash.get(txHash);
    return tx && tx.chain === chain ? this.view(tx) : undefined;
  }

  /** `sinceHeight`: only those unmined or mined at or after it (what a watcher has not settled yet). */
  transactionsOf(chain: ChainId, address: string, direction: 'in' | 'out' | 'all', sinceHeight = 0): ChainTxView[] {
    return this.state.chains[chain].txs
      .filter((tx) => tx.blockHeight === null || tx.blockHeight >= sinceHeight)
      .filter((tx) => (direction !== 'out' && tx.to === address) || (direction !== 'in' && tx.from === address))
      .map((tx) => this.view(tx));
  }

  /** Balances from mined transactions only. */
  balancesOf(chain: ChainId, address: string): Record<string, string> {
    const balances: Record<string, string> = {};
    for (const asset of CHAIN_ASSETS[chain]) {
      balances[asset] = toWire(this.balance(chain, address, asset, { includePending: false }));
    }
    return balances;
  }

  private spendable(chain: ChainId, address: string, asset: AssetCode): Decimal {
    return this.balance(chain, address, asset, { includePending: true });
  }

  /** Credits from mined transactions minus debits (amount + fee) of mined, and optionally pending, ones. */
  private balance(chain: ChainId, address: string, asset: AssetCode, opts: { includePending: boolean }): Decimal {
    let total = new Decimal(0);
    for (const tx of this.state.chains[chain].txs) {
      if (tx.asset !== asset) continue;
      const mined = tx.blockHeight !== null;
      if (tx.to === address && mined) total = total.plus(tx.amount);
      if (tx.from === address && (mined || opts.includePending)) total = total.minus(tx.amount).minus(tx.fee);
    }
    return total;
  }

  private feeOf(chain: ChainId, asset: AssetCode): string {
    const fee = this.fees[chain][asset];
    if (fee === undefined) throw new Error(`no fee configured for ${asset} on ${chain}`);
    return fee;
  }

  private assertAsset(chain: ChainId, asset: string): void {
    if (!(CHAIN_ASSETS[chain] as readonly string[]).includes(asset)) {
      throw new ChainRefusal(
        400,
        'validation',
        'Invalid request body',
        `${asset} is not carried by ${chain} (it carries ${CHAIN_ASSETS[chain].join(', ')})`,
        'asset',
      );
    }
  }

  private append(chain: ChainId, fields: Omit<StoredTx, 'seq' | 'txHash' | 'chain' | 'blockHeight'>): StoredTx {
    const seq = this.state.nextSeq++;
    const digest = sha256Hex(canonicalJson({ genesis: this.state.genesis, seq, chain, ...fields }));
    const tx: StoredTx = {
      seq,
      txHash: chain === 'ethereum' ? `0x${digest}` : digest,
      chain,
      from: fields.from,
      to: fields.to,
      asset: fields.asset,
      amount: toWire(new Decimal(fields.amount)),
      fee: toWire(new Decimal(fields.fee)),
      blockHeight: null,
      ...(fields.clientRef !== undefined ? { clientRef: fields.clientRef } : {}),
    };
    this.state.chains[chain].txs.push(tx);
    this.index(tx);
    return tx;
  }

  private index(tx: StoredTx): void {
    this.byHash.set(tx.txHash, tx);
    if (tx.clientRef !== undefined) this.byClientRef.set(refKey(tx.chain, tx.clientRef), tx);
  }

  private view(tx: StoredTx): ChainTxView {
    const height = this.state.chains[tx.chain].height;
    return {
      txHash: tx.txHash,
      chain: tx.chain,
      from: tx.from,
      to: tx.to,
      asset: tx.asset,
      amount: tx.amount,
      fee: tx.fee,
      status: tx.blockHeight === null ? 'PENDING' : 'CONFIRMED',
      blockHeight: tx.blockHeight,
      confirmations: tx.blockHeight === null ? 0 : height - tx.blockHeight + 1,
    };
  }
}

function refKey(chain: ChainId, clientRef: string): string {
  return `${chain}\u0000${clientRef}`;
}
