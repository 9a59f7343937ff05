/**
 * A simulated OTC desk (issue 16, RFQ): it buys a block from us at its own price, for a few seconds.
 * Dev and test only. Each desk is its own HTTP server on loopback with its own terms:
 *
 *   POST /v1/quotes                 {side:"sell", base, quote, amount} → 201 {quoteId, price, expiresAt, …};
 *                                   422 size-outside-appetite; or no answer at all (noAnswer probability)
 *   POST /v1/quotes/:quoteId/accept (Idempotency-Key) → 201 the trade with its settlement instructions;
 *                                   409 last-look-refused; 410 quote-expired. A quote is decided once:
 *                                   asking again (any key) answers the same decision.
 *   GET  /v1/trades/:tradeId        the trade, the coins it saw, the fiat it paid
 *   POST /v1/trades/:tradeId/delivery {txHash | txHashes, amount} → the desk looks each transaction up on
 *                                   the chain it watches (`chain`, delivery-check.ts) and pays the fiat
 *                                   (price × amount, to the last unit) only when each took the trade's coin
 *                                   to the desk's own address, mined, and together they carried the trade's
 *                                   amount exactly (a custodian's test deposit to a new address and then the
 *                                   rest are one delivery): else 422 (not found, sent elsewhere, another
 *                                   amount or coin), 409 (not mined yet: ask again; or a transaction already
 *                                   paid for another trade), 503 (no chain to look at). The same delivery
 *                                   again answers the same payment, other transactions for the trade are refused.
 *
 * Every request carries our HMAC (@vcdc/shared/desk-signing). Prices are the reference less the desk's
 * spread, moved by a seeded jitter, cut to the cent; the dice for last look and silence are seeded too,
 * so one seed and one sequence of calls give the same answers.
 */
import { createHash, randomUUID } from 'node:crypto';
import { type DeskCredentials, deskSignatureFault } from '@vcdc/shared/desk-signing';
import { AssetCode, Decimal, tradeCost } from '@vcdc/shared/money';
import { getAddress } from 'ethers';
import express, { type Express, type Request, type Response } from 'express';
import { CHAIN_OF_ASSET } from '../../../packages/shared/src/contracts/common';
import { seededRandom } from '../venue/book';
import { type ChainWatch, seenOnChain } from './delivery-check';

export interface DeskTerms {
  /** The desk's id in our register of licensed providers. */
  id: string;
  credentials: DeskCredentials;
  seed: number;
  /** The mid the desk prices from (its own view of the market), per symbol "BASE/QUOTE". */
  reference: (symbol: string) => string;
  /** How far under the reference it bids, in basis points. */
  spreadBp: number;
  /** Seeded noise around that, ± basis points. */
  jitterBp?: number;
  /** The block sizes it takes (base units). */
  minAmount: string;
  maxAmount: string;
  /** How long a quote holds. */
  validityMs: number;
  /** Probability that an acceptance is refused at last look. */
  lastLook: number;
  /** Probability that a quote request gets no answer at all. */
  noAnswer: number;
  /** Probability that an acceptance is decided (a trade made) but its answer lost: the connection drops. */
  answerLost?: number;
  /**
   * Where the coins of a trade go, per asset (its deposit address); default: a made-up address per desk
   * (on the EVM node, an address made from the desk's id: nobody holds its key, coins only arrive).
   */
  addresses?: Record<string, string>;
  /** The chain the desk looks deliveries up on; none: it pays for no delivery (503). */
  chain?: ChainWatch;
  clock?: () => Date;
}

interface Quote {
  quoteId: string;
  base: string;
  quote: string;
  amount: string;
  price: string;
  expiresAt: Date;
  /** Decided once (accepted, refused at last look, expired when accepted too late). */
  decision?: { status: 201; tradeId: string } | { status: 409 | 410; type: string; detail: string };
}

export interface DeskTrade {
  tradeId: string;
  quoteId: string;
  desk: string;
  symbol: string;
  side: 'buy';
  amount: string;
  price: string;
  cost: string;
  tradedAt: string;
  settlement: { asset: string; address: string; fiatCurrency: string };
  /** `txHash`: the last of the delivery's transactions (a delivery of one: that one); each with what it carried. */
  delivery?: {
    txHash: string;
    amount: string;
    receivedAt: string;
    transactions: Array<{ txHash: string; amount: string }>;
  };
  payment?: { reference: string; amount: string; currency: string; paidAt: string };
}

/** What the desk did, for tests. */
export interface DeskLog {
  quoteRequests: number;
  accepts: number;
  silent: number;
  /** Acceptances decided whose answer was dropped. */
  lost: number;
}

export interface DeskState {
  readonly terms: DeskTerms;
  readonly log: DeskLog;
  readonly trades: Map<string, DeskTrade>;
  /** Change how it behaves from now on (a test's lever). */
  set(
    changes: Partial<
      Pick<
        DeskTerms,
        'spreadBp' | 'lastLook' | 'noAnswer' | 'answerLost' | 'validityMs' | 'reference' | 'minAmount' | 'maxAmount'
      >
    >,
  ): void;
}

const ASSET = /^[A-Z0-9]{2,10}$/;
const AMOUNT = /^(0|[1-9]\d{0,20})(\.\d{1,18})?$/;
/** A delivery is a few transactions at most (a test deposit and the rest): not a list to look up one by one. */
const MOST_DELIVERY_TXS = 4;

function problem(res: Response, status: number, type: string, detail: string, extra: Record<string, unknown> = {}) {
  res
    .status(status)
    .type('application/problem+json')
    .send(JSON.stringify({ type, title: type, status, detail, ...extra }));
}

export function createDeskApp(initial: DeskTerms): { app: Express; state: DeskState; hold: Set<Response> } {
  const terms: DeskTerms = { ...initial };
  const clock = terms.clock ?? (() => new Date());
  const dice = seededRandom(terms.seed);
  const quotes = new Map<string, Quote>();
  const trades = new Map<string, DeskTrade>();
  const log: DeskLog = { quoteRequests: 0, accepts: 0, silent: 0, lost: 0 };
  // Requests left unanswered: ended when the desk closes.
  const hold = new Set<Response>();
  const onEvm = (asset: string) => CHAIN_OF_ASSET[asset as keyof typeof CHAIN_OF_ASSET] === 'ethereum';
  const address = (asset: string) =>
    terms.addresses?.[asset] ??
    (terms.chain?.evmRpcUrl && onEvm(asset)
      ? getAddress(`0x${createHash('sha256').update(`${terms.id}-${asset}`).digest('hex').slice(0, 40)}`)
      : `${terms.id}-${asset.toLowerCase()}-deposit`);
  // Each chain transaction pays for one trade only.
  const deliveredBy = new Map<string, string>();

  const app = express();
  app.disable('x-powered-by');
  // Up or not (the dev stack waits for it): the one route that needs no signature, and says nothing else.
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // The raw body is what is signed.
  app.use(express.text({ type: () => true, limit: '16kb' }));
  app.use((req, res, next) => {
    const body = typeof req.body === 'string' ? req.body : '';
    const fault = deskSignatureFault(terms.credentials, (h) => req.get(h), req.method, req.originalUrl, body);
    if (fault) return problem(res, 401, 'unauthorised', fault);
    next();
  });
  const json = (req: Request): Record<string, unknown> => {
    try {
      const parsed = JSON.parse(typeof req.body === 'string' && req.body ? req.body : '{}') as unknown;
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  };

  app.post('/v1/quotes', (req, res) => {
    log.quoteRequests++;
    const { side, base, quote, amount } = json(req);
    if (side !== 'sell') return problem(res, 400, 'bad-request', 'side: the desk only buys (our side "sell")');
    if (typeof base !== 'string' || !ASSET.test(base)) return problem(res, 400, 'bad-request', 'base: an asset code');
    if (typeof quote !== 'string' || !ASSET.test(quote))
      return problem(res, 400, 'bad-request', 'quote: an asset code');
    if (typeof amount !== 'string' || !AMOUNT.test(amount) || new Decimal(amount).lte(0)) {
      return problem(res, 400, 'bad-request', 'amount: a positive decimal string');
    }
    if (new Decimal(amount).lt(terms.minAmount) || new Decimal(amount).gt(terms.maxAmount)) {
      return problem(
        res,
        422,
        'size-outside-appetite',
        `${terms.id} quotes ${base} blocks of ${terms.minAmount} to ${terms.maxAmount}`,
      );
    }
    if (dice() < terms.noAnswer) {
      log.silent++;
      hold.add(res);
      res.on('close', () => hold.delete(res));
      return;
    }
    const jitter = ((dice() - 0.5) * 2 * (terms.jitterBp ?? 0)) / 10_000;
    const price = new Decimal(terms.reference(`${base}/${quote}`))
      .mul(new Decimal(1).minus(terms.spreadBp / 10_000).plus(jitter))
      .toDecimalPlaces(2, Decimal.ROUND_DOWN);
    const q: Quote = {
      quoteId: `${terms.id}-q-${randomUUID()}`,
      base,
      quote,
      amount: new Decimal(amount).toFixed(),
      price: price.toFixed(),
      expiresAt: new Date(clock().getTime() + terms.validityMs),
    };
    quotes.set(q.quoteId, q);
    res.status(201).json({
      quoteId: q.quoteId,
      desk: terms.id,
      side: 'sell',
      base,
      quote,
      amount: q.amount,
      price: q.price,
      expiresAt: q.expiresAt.toISOString(),
    });
  });

  app.post('/v1/quotes/:quoteId/accept', (req, res) => {
    log.accepts++;
    if (!req.get('Idempotency-Key')) return problem(res, 400, 'bad-request', 'Idempotency-Key: required');
    const q = quotes.get(String(req.params.quoteId));
    if (!q) return problem(res, 404, 'not-found', `quote ${req.params.quoteId} does not exist`);
    if (!q.decision) {
      if (clock() > q.expiresAt) {
        q.decision = { status: 410, type: 'quote-expired', detail: `quote expired at ${q.expiresAt.toISOString()}` };
      } else if (dice() < terms.lastLook) {
        q.decision = { status: 409, type: 'last-look-refused', detail: `${terms.id} declined the trade at last look` };
      } else {
        const tradeId = `${terms.id}-t-${randomUUID()}`;
        trades.set(tradeId, {
          tradeId,
          quoteId: q.quoteId,
          desk: terms.id,
          symbol: `${q.base}/${q.quote}`,
          side: 'buy',
          amount: q.amount,
          price: q.price,
          // Cents: the desk wires whole units of its currency (the same rule the exchange books by).
          cost: tradeCost(q.price, q.amount, AssetCode.parse(q.quote)).toFixed(),
          tradedAt: clock().toISOString(),
          settlement: { asset: q.base, address: address(q.base), fiatCurrency: q.quote },
        });
        q.decision = { status: 201, tradeId };
      }
    }
    const d = q.decision;
    if (terms.answerLost && dice() < terms.answerLost) {
      log.lost++;
      return req.socket.destroy();
    }
    if (d.status === 201) return res.status(201).json(trades.get(d.tradeId));
    problem(res, d.status, d.type, d.detail, { quoteId: q.quoteId });
  });

  app.get('/v1/trades/:tradeId', (req, res) => {
    const trade = trades.get(String(req.params.tradeId));
    if (!trade) return problem(res, 404, 'not-found', `trade ${req.params.tradeId} does not exist`);
    res.json(trade);
  });

  app.post('/v1/trades/:tradeId/delivery', async (req, res) => {
    const trade = trades.get(String(req.params.tradeId));
    if (!trade) return problem(res, 404, 'not-found', `trade ${req.params.tradeId} does not exist`);
    const { txHash, txHashes, amount } = json(req);
    // One transaction, or several that together carry the trade (custody's test deposit to a new address, then the rest).
    const hashes = Array.isArray(txHashes) ? txHashes : [txHash];
    if (hashes.length === 0 || hashes.length > MOST_DELIVERY_TXS || hashes.some((h) => typeof h !== 'string' || !h)) {
      return problem(res, 400, 'bad-request', `txHash or txHashes (1 to ${MOST_DELIVERY_TXS}): required`);
    }
    const txs = hashes as string[];
    if (new Set(txs).size !== txs.length) return problem(res, 400, 'bad-request', 'txHashes: each transaction once');
    if (typeof amount !== 'string' || !AMOUNT.test(amount)) return problem(res, 400, 'bad-request', 'amount: decimal');
    const sameDelivery = (d: NonNullable<DeskTrade['delivery']>) =>
      d.transactions.length === txs.length && d.transactions.every((t) => txs.includes(t.txHash));
    const answered = () => {
      if (trade.delivery && !sameDelivery(trade.delivery)) {
        return problem(
          res,
          409,
          'already-delivered',
          `trade ${trade.tradeId} was delivered by ${trade.delivery.transactions.map((t) => t.txHash).join(', ')}`,
        );
      }
      return res.json(trade);
    };
    if (trade.delivery) return answered();
    if (!new Decimal(amount).eq(trade.amount)) {
      return problem(
        res,
        422,
        'wrong-amount',
        `trade ${trade.tradeId} is for ${trade.amount} ${trade.settlement.asset}`,
      );
    }
    if (!terms.chain) return problem(res, 503, 'no-chain-watch', `${terms.id} watches no chain: it cannot see coins`);
    const asset = trade.settlement.asset;
    const chain = CHAIN_OF_ASSET[asset as keyof typeof CHAIN_OF_ASSET];
    if (!chain) return problem(res, 422, 'wrong-asset', `${terms.id} takes no ${asset} deliveries`);
    const usedBy = (tx: string) => {
      const other = deliveredBy.get(`${chain}:${tx}`);
      return other && other !== trade.tradeId ? other : undefined;
    };
    for (const tx of txs) {
      const other = usedBy(tx);
      if (other) return problem(res, 409, 'delivery-used', `transaction ${tx} already paid for trade ${other}`);
    }
    // Each transaction must bring this trade's coin to the desk's own address, mined; together exactly its amount.
    const ours = address(asset);
    const seen: Array<{ txHash: string; amount: string }> = [];
    for (const tx of txs) {
      let found: Awaited<ReturnType<typeof seenOnChain>>;
      try {
        found = await seenOnChain(terms.chain, chain, tx);
      } catch (error) {
        return problem(res, 503, 'chain-unreachable', `${terms.id} cannot read ${chain}: ${String(error)}`);
      }
      if (!found) return problem(res, 422, 'delivery-not-found', `${tx} is not on ${chain}`);
      const sameAddress =
        onEvm(asset) && /^0x/.test(found.to) ? found.to.toLowerCase() === ours.toLowerCase() : found.to === ours;
      if (!sameAddress) return problem(res, 422, 'delivery-elsewhere', `${tx} paid ${found.to}, not ${ours}`);
      if (found.asset !== asset) return problem(res, 422, 'wrong-asset', `${tx} carried ${found.asset}, not ${asset}`);
      if (found.confirmations < (terms.chain.confirmations ?? 1)) {
        return problem(res, 409, 'delivery-unconfirmed', `${tx} has ${found.confirmations} confirmations; ask again`);
      }
      seen.push({ txHash: tx, amount: new Decimal(found.amount).toFixed() });
    }
    const carried = seen.reduce((total, t) => total.plus(t.amount), new Decimal(0));
    if (!carried.eq(trade.amount)) {
      return problem(
        res,
        422,
        'wrong-amount',
        `${txs.join(', ')} carried ${carried.toFixed()} ${asset}; trade ${trade.tradeId} is for ${trade.amount}`,
      );
    }
    // Asked twice at once: the first to get here decides.
    if (trade.delivery) return answered();
    for (const tx of txs) {
      if (usedBy(tx)) return problem(res, 409, 'delivery-used', `transaction ${tx} already paid for another trade`);
    }
    for (const tx of txs) deliveredBy.set(`${chain}:${tx}`, trade.tradeId);
    const at = clock().toISOString();
    trade.delivery = {
      txHash: txs[txs.length - 1] as string,
      amount: carried.toFixed(),
      receivedAt: at,
      transactions: seen,
    };
    // The desk pays once it has seen the coins: the trade's cost, to the last unit.
    trade.payment = {
      reference: `${terms.id}-pay-${randomUUID()}`,
      amount: trade.cost,
      currency: trade.settlement.fiatCurrency,
      paidAt: at,
    };
    res.json(trade);
  });

  const state: DeskState = {
    terms,
    log,
    trades,
    set: (changes) => Object.assign(terms, changes),
  };
  return { app, state, hold };
}
