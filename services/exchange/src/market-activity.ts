/**
 * What the execution engine reads about a market besides its price: the venue's traded volume over an
 * interval (for a cap on the engine's participation in it) and the bid depth visible within a band
 * under the best bid (for choosing a direct fiat route only where it is liquid enough). Both come from
 * the trading venue through ccxt (fetchOHLCV 1m, fetchOrderBook); the arithmetic is pure and exported.
 */
import { Problem } from '@vcdc/shared';
import type { exchange } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import type { DailyClose } from './market-data';
import type { Venue } from './venue';
import { atVenue } from './venue-problems';

const MINUTE_MS = 60_000;

/**
 * The volume traded in [since, until) from one-minute candles: whole minutes count whole; the minute
 * `since` falls in counts for its share after `since` (volume taken as even within a minute); the
 * minute `until` falls in counts as the venue reports it (so far, when it is the current minute).
 */
export function volumeOf(candles: DailyClose[], since: Date, until: Date): { volume: Decimal; candles: number } {
  let volume = new Decimal(0);
  let counted = 0;
  for (const c of candles) {
    const start = c.day.getTime();
    if (start + MINUTE_MS <= since.getTime() || start >= until.getTime()) continue;
    // Multiply before dividing: a share of a minute (e.g. 20 s) is rarely a finite decimal.
    const after = start < since.getTime() ? start + MINUTE_MS - since.getTime() : MINUTE_MS;
    volume = volume.plus(new Decimal(c.volume).mul(after).div(MINUTE_MS));
    counted += 1;
  }
  return { volume: volume.toDecimalPlaces(8, Decimal.ROUND_DOWN), candles: counted };
}

export async function tradedVolume(
  venue: Venue,
  symbol: string,
  since: Date,
  until: Date,
): Promise<exchange.TradedVolume> {
  if (!venue.minuteCandles) {
    throw new Problem(501, 'volume-unavailable', 'Volume not available', `${venue.id} gives no minute candles`);
  }
  if (until.getTime() <= since.getTime()) {
    throw new Problem(400, 'invalid-input', 'Invalid interval', `until (${until.toISOString()}) is not after since`, {
      field: 'until',
    });
  }
  if (until.getTime() - since.getTime() > 1000 * MINUTE_MS) {
    throw new Problem(400, 'invalid-input', 'Interval too long', 'at most 1000 minutes', { field: 'since' });
  }
  const from = new Date(Math.floor(since.getTime() / MINUTE_MS) * MINUTE_MS);
  const candles = await atVenue(() => venue.minuteCandles!(symbol, from, until));
  const { volume, candles: counted } = volumeOf(candles, since, until);
  return {
    venue: venue.id,
    symbol,
    since: since.toISOString(),
    until: until.toISOString(),
    volume: volume.toFixed(),
    candles: counted,
    source: 'ccxt fetchOHLCV 1m',
  };
}

/** Bid quantity at prices no more than `bandBp` under the best bid (the best bid itself included). */
export function depthWithin(
  bids: { price: string; qty: string }[],
  bandBp: string,
): { depth: Decimal; lowest: Decimal | undefined } {
  const best = bids[0];
  if (!best) return { depth: new Decimal(0), lowest: undefined };
  const lowest = new Decimal(best.price).mul(new Decimal(1).minus(new Decimal(bandBp).div(10_000)));
  const depth = bids
    .filter((b) => new Decimal(b.price).gte(lowest))
    .reduce((sum, b) => sum.plus(b.qty), new Decimal(0));
  return { depth, lowest };
}

/**
 * What the venue shows of a market's bids now within `bandBp` under the best bid (ccxt fetchOrderBook):
 * GET …/depth answers it, and the sale route's choice is made on it. Undefined when the venue does not
 * list the market; a venue that does not answer throws (VenueCallError) for the caller to judge.
 */
export async function bidDepth(
  venue: Venue,
  symbol: string,
  bandBp: string,
  now: () => Date,
): Promise<exchange.MarketDepth | undefined> {
  if (!(await venue.marketRules(symbol))) return undefined;
  const bids = await venue.bids(symbol);
  const { depth, lowest } = depthWithin(bids, bandBp);
  return {
    venue: venue.id,
    symbol,
    at: now().toISOString(),
    bandBp: new Decimal(bandBp).toFixed(),
    ...(bids[0] ? { bestBid: bids[0].price } : {}),
    ...(lowest ? { bandPrice: lowest.toFixed() } : {}),
    bidDepth: depth.toFixed(),
    levels: bids.length,
  };
}
