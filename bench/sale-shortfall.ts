/**
 * Benchmark (a script, not a test): on the same seeded market, sell a block worth 20% of the visible
 * bid depth (a) as one market order and (b) with the execution engine's slicing and pricing rules
 * (workflows/src/sale-execution.ts: TWAP slices of limit orders just under the reference, remainders
 * cancelled and carried), and print each one's implementation shortfall against the arrival mid in
 * basis points, their ratio, the fees and the (market) duration.
 *
 * Both runs use a fresh venue simulator with the same seed and a hand-stepped market clock, through
 * real ccxt over HTTP. The engine's loop is driven here directly (no Temporal server needed); the
 * child workflow runs the same functions (tested in workflows/test/sale-workflow*.test.ts).
 *
 *   node --import tsx bench/sale-shortfall.ts [seed]
 */
import ccxt, { type Exchange } from 'ccxt';
import { Decimal } from '../packages/shared/src/money';
import { startChainSimulator } from '../simulators/src/chain';
import {
  DEV_VENUE_API_KEY,
  DEV_VENUE_SECRET,
  type RunningVenueSimulator,
  startVenueSimulator,
} from '../simulators/src/venue';
import { DEFAULT_EXECUTION, slicePrice, twapSlices } from '../workflows/src/sale-execution';

const seed = Number(process.argv[2] ?? 20261125);
const SYMBOL = 'BTC/USDT';
const RULES = { stepSize: '0.00001', tickSize: '0.01', minQty: '0.00001', minNotional: '1', maxQty: '8' };

interface Run {
  sold: Decimal;
  cost: Decimal;
  fee: Decimal;
  durationMs: number;
}

async function venue(chainUrl: string) {
  const clock = { t: Date.UTC(2026, 10, 25, 9, 0, 0) };
  const sim = await startVenueSimulator({
    port: 0,
    seed,
    chainUrl,
    pollIntervalMs: 600_000,
    dynamics: {},
    clock: () => clock.t,
    initialBalances: { BTC: '100' },
  });
  const ex = new ccxt.hashkey({
    apiKey: DEV_VENUE_API_KEY,
    secret: DEV_VENUE_SECRET,
    enableRateLimit: false,
    urls: { api: { public: sim.url, private: sim.url } },
  });
  return { sim, ex, clock };
}

const dec = (n: number | undefined) => new Decimal(String(n ?? 0));

async function arrival(ex: Exchange) {
  const book = await ex.fetchOrderBook(SYMBOL, 200);
  const mid = dec(book.bids[0]?.[0]).plus(dec(book.asks[0]?.[0])).div(2);
  const depth = book.bids.reduce((s, [, q]) => s.plus(dec(q)), new Decimal(0));
  return { mid, depth };
}

function tradesOf(sim: RunningVenueSimulator): Run {
  const trades = sim.venue.state.trades;
  const first = trades[0]?.time ?? 0;
  const last = trades[trades.length - 1]?.time ?? 0;
  return {
    sold: trades.reduce((s, t) => s.plus(t.qty), new Decimal(0)),
    cost: trades.reduce((s, t) => s.plus(t.quoteQty), new Decimal(0)),
    fee: trades.reduce((s, t) => s.plus(t.commission), new Decimal(0)),
    durationMs: last - first,
  };
}

/** Implementation shortfall against the arrival mid, before fees: (arrival × sold − cost) / (arrival × sold). */
const shortfallBp = (run: Run, mid: Decimal) => mid.mul(run.sold).minus(run.cost).div(mid.mul(run.sold)).mul(10_000);
/** The same with fees: what the state actually receives against the arrival value. */
const shortfallWithFeesBp = (run: Run, mid: Decimal) =>
  mid.mul(run.sold).minus(run.cost.minus(run.fee)).div(mid.mul(run.sold)).mul(10_000);

async function main() {
  const chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  const a = await venue(chain.url);
  const b = await venue(chain.url);
  try {
    const start = await arrival(a.ex);
    const block = start.depth.mul('0.2').div(RULES.stepSize).floor().mul(RULES.stepSize);

    // (a) one market order (in the venue's market-order size limit: cut into back-to-back orders)
    let left = block;
    let n = 0;
    while (left.gt(0)) {
      const qty = Decimal.min(left, '4');
      await a.ex.createOrder(SYMBOL, 'market', 'sell', qty.toFixed() as unknown as number, undefined, {
        newClientOrderId: `bench-mkt-${++n}`,
      });
      left = left.minus(qty);
    }
    const market = tradesOf(a.sim);

    // (b) the engine's rules: TWAP slices of limit orders under the reference, remainders carried
    const params = { ...DEFAULT_EXECUTION, slices: 10, horizonSeconds: 600 };
    const schedule = twapSlices(block, params.slices, RULES);
    const interval = params.horizonSeconds / schedule.length;
    let due = new Decimal(0);
    let sold = new Decimal(0);
    let k = 0;
    for (const round of [...schedule, ...Array.from({ length: params.maxRepricings }, () => new Decimal(0))]) {
      due = due.plus(round);
      const offer = Decimal.min(due, block).minus(sold);
      if (!offer.gt(0)) continue;
      const ref = (await arrival(b.ex)).mid;
      const price = slicePrice(ref, undefined, params.priceOffsetBp, RULES.tickSize);
      const id = `bench-eng-${++k}`;
      await b.ex.createOrder(
        SYMBOL,
        'limit',
        'sell',
        offer.toFixed() as unknown as number,
        price.toFixed() as unknown as number,
        {
          newClientOrderId: id,
        },
      );
      b.clock.t += interval * 1000;
      const order = b.sim.venue.state.orders.find((o) => o.clientOrderId === id);
      if (order && (order.status === 'NEW' || order.status === 'PARTIALLY_FILLED')) {
        await b.ex.cancelOrder('', SYMBOL, { clientOrderId: id });
      }
      sold = b.sim.venue.state.trades.reduce((s, t) => s.plus(t.qty), new Decimal(0));
      if (sold.gte(block)) break;
    }
    const engine = tradesOf(b.sim);

    const sa = shortfallBp(market, start.mid);
    const sb = shortfallBp(engine, start.mid);
    const line = (name: string, r: Run, s: Decimal) =>
      `${name.padEnd(14)} sold ${r.sold.toFixed()} BTC  proceeds ${r.cost.minus(r.fee).toFixed(2)} USDT  fees ${r.fee.toFixed(2)} USDT  shortfall ${s.toFixed(2)} bp (with fees ${shortfallWithFeesBp(r, start.mid).toFixed(2)} bp)  duration ${(r.durationMs / 1000).toFixed(0)} s`;
    console.log(
      `seed ${seed}: arrival mid ${start.mid.toFixed(2)}, visible bid depth ${start.depth.toFixed()} BTC, block ${block.toFixed()} BTC (20%)`,
    );
    console.log(line('market order', market, sa));
    console.log(line('engine (TWAP)', engine, sb));
    console.log(`engine / market shortfall (before fees): ${sa.isZero() ? 'n/a' : sb.div(sa).toFixed(3)}`);
    const fa = shortfallWithFeesBp(market, start.mid);
    console.log(`engine / market shortfall (with fees): ${shortfallWithFeesBp(engine, start.mid).div(fa).toFixed(3)}`);
  } finally {
    await a.sim.close();
    await b.sim.close();
    await chain.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
