/**
 * The legal floor: the lowest price at which the state may sell. Court practice (the default rule)
 * is the average price of the N days before the trade date, N = 20: the average of the daily closes
 * of the N whole UTC days before the trade date, each day's close being the median across the
 * reference venues' daily candles (read through ccxt). A missing day means no floor — and no trade.
 *
 * Rules: "average-close:<days>" (default "average-close:20") or "none" (no legal floor: only where a
 * court order says so; the decision is the deployment's, recorded in its configuration).
 */
import { Problem } from '@vcdc/shared';
import { Decimal } from '@vcdc/shared/money';
import type { DailyClose, MarketDataSource } from './market-data';
import { median } from './reference-price';

export type FloorRule = { kind: 'average-close'; days: number } | { kind: 'none' };

export function parseFloorRule(text: string): FloorRule | undefined {
  if (text === 'none') return { kind: 'none' };
  const m = /^average-close:(\d{1,3})$/.exec(text);
  if (m && Number(m[1]) >= 1) return { kind: 'average-close', days: Number(m[1]) };
  return undefined;
}

export interface LegalFloor {
  symbol: string;
  rule: string;
  /** Undefined under the rule "none". */
  price?: string;
  tradeDate: string;
  /** The days averaged, with the median close of each. */
  days: { day: string; close: string }[];
}

const DAY_MS = 86_400_000;

/** Pure: the floor from each venue's daily closes. Rounded up to the tick: a floor is never undercut by rounding. */
export function floorFromCloses(
  symbol: string,
  rule: FloorRule,
  tradeDate: Date,
  closesByVenue: DailyClose[][],
  tickSize: string,
): LegalFloor {
  const dateText = tradeDate.toISOString().slice(0, 10);
  if (rule.kind === 'none') return { symbol, rule: 'none', tradeDate: dateText, days: [] };
  const tradeDay = Math.floor(tradeDate.getTime() / DAY_MS) * DAY_MS;
  const days: { day: string; close: string }[] = [];
  for (let d = rule.days; d >= 1; d--) {
    const start = tradeDay - d * DAY_MS;
    const closes = closesByVenue.flatMap((list) => list.filter((c) => c.day.getTime() === start).map((c) => c.close));
    if (closes.length === 0) {
      throw new Problem(
        503,
        'legal-floor-unavailable',
        'No legal floor',
        `${symbol}: no daily close for ${new Date(start).toISOString().slice(0, 10)} at any reference venue; the floor needs all ${rule.days} days`,
      );
    }
    days.push({
      day: new Date(start).toISOString().slice(0, 10),
      close: median(closes.map((c) => new Decimal(c))).toFixed(),
    });
  }
  const average = days.reduce((s, d) => s.plus(d.close), new Decimal(0)).div(days.length);
  const price = average.div(tickSize).ceil().mul(tickSize);
  return { symbol, rule: `average-close:${rule.days}`, price: price.toFixed(), tradeDate: dateText, days };
}

/** The floor, and whether every source gave its closes (a floor made without one is not to be kept). */
export async function legalFloorOf(
  sources: MarketDataSource[],
  symbol: string,
  rule: FloorRule,
  tradeDate: Date,
  tickSize: string,
): Promise<{ floor: LegalFloor; everySource: boolean }> {
  if (rule.kind === 'none') return { floor: floorFromCloses(symbol, rule, tradeDate, [], tickSize), everySource: true };
  const tradeDay = Math.floor(tradeDate.getTime() / DAY_MS) * DAY_MS;
  const from = new Date(tradeDay - rule.days * DAY_MS);
  const to = new Date(tradeDay);
  let everySource = true;
  const closes = await Promise.all(
    sources.map((s) =>
      s.dailyCloses(symbol, from, to).catch(() => {
        everySource = false;
        return [];
      }),
    ),
  );
  return { floor: floorFromCloses(symbol, rule, tradeDate, closes, tickSize), everySource };
}
