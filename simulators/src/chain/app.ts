/**
 * HTTP routes of the ledger-chain simulator (dev and test only). JSON over HTTP, amounts as decimal
 * strings, errors as problem+json:
 *
 *   GET  /v1/chains/:chain/head
 *   GET  /v1/chains/:chain/fees
 *   POST /v1/chains/:chain/transactions                       { from, to, asset, amount, clientRef? }
 *   GET  /v1/chains/:chain/transactions/:txHash
 *   GET  /v1/chains/:chain/addresses/:address/transactions?direction=in|out|all&sinceHeight=N   (with the head)
 *   GET  /v1/chains/:chain/addresses/:address/balances
 *   POST /v1/chains/:chain/faucet                             { address, asset, amount }
 *   POST /v1/chains/:chain/mine                               { blocks? }   (test/dev control: mine now)
 */

import {
  CryptoAsset,
  createServiceApp,
  fitsScale,
  type Logger,
  PositiveDecimalString,
  Problem,
  parseInput,
  problems,
  scaleOf,
} from '@vcdc/shared';
import type { Express, Request } from 'express';
import { z } from 'zod';
import { CHAIN_ASSETS, CHAIN_IDS, type ChainId, type ChainLedger, ChainRefusal } from './ledger';

const VisibleText = z.string().regex(/^[\x21-\x7e]{1,200}$/, { message: 'must be 1-200 visible characters' });

/** An amount of an asset: the asset must exist and the amount must fit its precision. */
function withAmountOfAsset<T extends { asset: string; amount: string }>(value: T, ctx: z.RefinementCtx): void {
  const asset = CryptoAsset.safeParse(value.asset);
  if (!asset.success || !PositiveDecimalString.safeParse(value.amount).success) return;
  if (!fitsScale(value.amount, asset.data)) {
    ctx.addIssue({
      code: 'custom',
      path: ['amount'],
      message: `must have at most ${scaleOf(asset.data)} decimal places for ${asset.data}`,
    });
  }
}

const SendBody = z
  .object({
    from: VisibleText,
    to: VisibleText,
    asset: CryptoAsset,
    amount: PositiveDecimalString,
    clientRef: VisibleText.optional(),
  })
  .superRefine(withAmountOfAsset);

const FaucetBody = z
  .object({ address: VisibleText, asset: CryptoAsset, amount: PositiveDecimalString })
  .superRefine(withAmountOfAsset);

const MineBody = z.object({ blocks: z.number().int().min(1).max(1000).default(1) });
const Direction = z.object({
  direction: z.enum(['in', 'out', 'all']).default('all'),
  /** Only transactions unmined or mined at or after this height (a watcher's watermark). */
  sinceHeight: z.coerce.number().int().min(0).optional(),
});

export interface ChainAppOptions {
  ledger: ChainLedger;
  logger: Logger;
  /** Called after every change of state (a broadcast, a faucet payment, a mined block). */
  onChange: () => void;
  /** Mine `blocks` blocks on `chain` now. */
  mine: (chain: ChainId, blocks: number) => number;
}

export function createChainApp({ ledger, logger, onChange, mine }: ChainAppOptions): Express {
  return createServiceApp({
    service: 'chain-simulator',
    logger,
    readiness: async () => undefined,
    routes: (app) => {
      app.get('/v1/chains/:chain/head', (req, res) => {
        const chain = chainOf(req);
        res.json({ chain, height: ledger.head(chain) });
      });

      app.get('/v1/chains/:chain/fees', (req, res) => {
        const chain = chainOf(req);
        res.json({ chain, fees: ledger.feesOf(chain) });
      });

      app.post('/v1/chains/:chain/transactions', (req, res) => {
        const chain = chainOf(req);
        const body = parseInput(SendBody, req.body ?? {});
        const outcome = refusalsAsProblems(() => ledger.send(chain, body));
        if (outcome.kind === 'created') onChange();
        res.status(outcome.kind === 'created' ? 201 : 200).json(outcome.tx);
      });

      app.get('/v1/chains/:chain/transactions/:txHash', (req, res) => {
        const chain = chainOf(req);
        const txHash = String(req.params.txHash);
        const tx = ledger.get(chain, txHash);
        if (!tx) throw problems.notFound('Transaction', `${txHash} on ${chain}`);
        res.json(tx);
      });

      app.get('/v1/chains/:chain/addresses/:address/transactions', (req, res) => {
        const chain = chainOf(req);
        const { direction, sinceHeight } = parseInput(Direction, req.query, 'query');
        res.json({
          transactions: ledger.transactionsOf(chain, String(req.params.address), direction, sinceHeight),
          head: ledger.head(chain),
        });
      });

      app.get('/v1/chains/:chain/addresses/:address/balances', (req, res) => {
        const chain = chainOf(req);
        const address = String(req.params.address);
        res.json({ address, balances: ledger.balancesOf(chain, address) });
      });

      app.post('/v1/chains/:chain/faucet', (req, res) => {
        const chain = chainOf(req);
        const body = parseInput(FaucetBody, req.body ?? {});
        const tx = refusalsAsProblems(() => ledger.faucet(chain, body));
        onChange();
        res.status(201).json(tx);
      });

      app.post('/v1/chains/:chain/mine', (req, res) => {
        const chain = chainOf(req);
        const { blocks } = parseInput(MineBody, req.body ?? {});
        res.json({ chain, height: mine(chain, blocks) });
      });
    },
  });
}

function chainOf(req: Request): ChainId {
  const chain = String(req.params.chain);
  if (!(CHAIN_IDS as string[]).includes(chain)) {
    throw new Problem(
      404,
      'chain-not-found',
      'No such chain',
      `chain ${chain} is not simulated (chains: ${Object.keys(CHAIN_ASSETS).join(', ')})`,
    );
  }
  return chain as ChainId;
}

function refusalsAsProblems<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (!(error instanceof ChainRefusal)) throw error;
    if (error.field === undefined) throw new Problem(error.status, error.slug, error.title, error.message);
    throw new Problem(error.status, error.slug, error.title, `${error.field}: ${error.message}`, {
      errors: [{ field: error.field, message: error.message }],
    });
  }
}
