/**
 * How custody talks to a chain: the EVM JSON-RPC adapter (evm-chain.ts) for ETH/USDT, the HTTP client
 * of the ledger-chain simulator (CHAIN_RPC_URL) for what no real node serves in dev, and `ChainRouter`
 * to send each chain to its adapter.
 *
 * Errors: `ChainRefusal` is a definitive "no" from the chain (the transaction was not and will not be
 * sent); any other error means the outcome is unknown (timeout, connection lost, 5xx) and the caller
 * must be prepared that the chain did act.
 */
import { contracts, DecimalString, type RouteTable, routeClient, ServiceCallError, ServiceClient } from '@vcdc/shared';
import { z } from 'zod';

type Chain = contracts.common.Chain;

/** A transaction as a chain shows it (the ledger simulator's answer; the EVM adapter describes its own so). */
export const ChainTransaction = z.object({
  txHash: z.string(),
  chain: contracts.common.Chain,
  from: z.string(),
  to: z.string(),
  asset: z.string(),
  amount: DecimalString,
  /** Paid by the sender in the asset sent. */
  fee: DecimalString,
  status: z.enum(['PENDING', 'CONFIRMED']),
  blockHeight: z.number().int().nullable(),
  confirmations: z.number().int(),
});
export type ChainTransaction = z.infer<typeof ChainTransaction>;

/**
 * The ledger-chain simulator's HTTP API as custody calls it (its routes by name; simulators/ serves
 * them, simulators/src/chain/app.ts). Not a service of ours: no /openapi.json to hold it to, so the
 * table is the one place its paths and answers are written; an answer that breaks them is an
 * AnswerBreaksContract, not a cast that lies.
 */
const CHAIN_SIMULATOR_ROUTES = {
  getHead: {
    method: 'get',
    path: '/v1/chains/:chain/head',
    summary: "The chain's head",
    response: z.object({ height: z.number().int() }),
  },
  getFees: {
    method: 'get',
    path: '/v1/chains/:chain/fees',
    summary: 'The flat network fee per asset',
    response: z.object({ fees: z.record(z.string(), DecimalString) }),
  },
  getTransaction: {
    method: 'get',
    path: '/v1/chains/:chain/transactions/:txHash',
    summary: 'A transaction',
    response: ChainTransaction,
  },
  sendTransaction: {
    method: 'post',
    path: '/v1/chains/:chain/transactions',
    summary: 'Broadcast a transfer (idempotent by its clientRef)',
    body: z.object({ from: z.string(), to: z.string(), asset: z.string(), amount: z.string(), clientRef: z.string() }),
    // The clientRef makes the broadcast idempotent; the simulator takes no Idempotency-Key.
    idempotencyKey: 'none',
    response: ChainTransaction,
  },
} as const satisfies RouteTable;

export interface SendRequest {
  from: string;
  to: string;
  asset: string;
  /** What the destination receives (the fee is on top, paid by `from`). */
  amount: string;
  /** Makes the broadcast idempotent: the same clientRef returns the same transaction. */
  clientRef: string;
  /** The case whose custody wallet sends (a chain that signs derives the wallet from it). */
  caseId?: string;
  /** The network fee the transfer budgeted (decimal, in the chain's fee asset): the most it may pay. */
  maxFee?: string;
}

export interface ChainAdapter {
  getHead(chain: Chain): Promise<{ height: number }>;
  /** Flat network fee per transaction, by asset (decimal strings). */
  getFees(chain: Chain): Promise<Record<string, string>>;
  /** undefined when the chain does not know the transaction. */
  getTransaction(chain: Chain, txHash: string): Promise<ChainTransaction | undefined>;
  send(chain: Chain, request: SendRequest): Promise<ChainTransaction>;
}

/** The chain said no, for good (e.g. insufficient funds, invalid request). */
export class ChainRefusal extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'ChainRefusal';
  }
}

export class ChainSimulatorClient implements ChainAdapter {
  private readonly http;

  constructor(baseUrl: string, timeoutMs = 10_000) {
    this.http = routeClient(new ServiceClient({ service: 'chain', baseUrl, timeoutMs }), CHAIN_SIMULATOR_ROUTES);
  }

  async getHead(chain: Chain): Promise<{ height: number }> {
    const { height } = await this.http.call('getHead', { params: { chain } });
    return { height };
  }

  async getFees(chain: Chain): Promise<Record<string, string>> {
    const { fees } = await this.http.call('getFees', { params: { chain } });
    return fees;
  }

  async getTransaction(chain: Chain, txHash: string): Promise<ChainTransaction | undefined> {
    try {
      return await this.http.call('getTransaction', { params: { chain, txHash } });
    } catch (error) {
      if (error instanceof ServiceCallError && error.status === 404) return undefined;
      throw error;
    }
  }

  async send(chain: Chain, request: SendRequest): Promise<ChainTransaction> {
    try {
      const { from, to, asset, amount, clientRef } = request;
      return await this.http.call('sendTransaction', {
        params: { chain },
        body: { from, to, asset, amount, clientRef },
      });
    } catch (error) {
      if (error instanceof ServiceCallError && error.status >= 400 && error.status < 500 && !error.retryable) {
        const reason = error.problem?.type.replace(/^urn:vcdc:problem:/, '') ?? `http-${error.status}`;
        throw new ChainRefusal(reason, error.message);
      }
      throw error;
    }
  }
}

/** Each chain to its own adapter (e.g. ethereum to an EVM node, bitcoin to the ledger simulator). */
export class ChainRouter implements ChainAdapter {
  constructor(private readonly byChain: Partial<Record<Chain, ChainAdapter>>) {}

  private adapter(chain: Chain): ChainAdapter {
    const adapter = this.byChain[chain];
    if (!adapter) throw new ChainRefusal('chain-not-served', `no adapter serves ${chain}`);
    return adapter;
  }

  getHead(chain: Chain) {
    return this.adapter(chain).getHead(chain);
  }
  getFees(chain: Chain) {
    return this.adapter(chain).getFees(chain);
  }
  getTransaction(chain: Chain, txHash: string) {
    return this.adapter(chain).getTransaction(chain, txHash);
  }
  send(chain: Chain, request: SendRequest) {
    return this.adapter(chain).send(chain, request);
  }
}

/** EVM addresses are case-insensitive (mixed case is only a checksum); others compare exactly. */
export function sameAddress(chain: string, a: string, b: string): boolean {
  return chain === 'ethereum' ? a.toLowerCase() === b.toLowerCase() : a === b;
}
