/**
 * What the sale's chart shows of one market (fills-chart.tsx), worked out from the case's status: each
 * fill with the engine round it belongs to, and the pauses placed between the fills.
 */
import type { CaseProgress, SaleLeg, SaleRound } from './types';

/** A fill's average price: what it brought per unit sold (cost / filled), for drawing. */
export function averagePrice(leg: SaleLeg): number {
  return Number(leg.cost) / Number(leg.filled);
}

/** A pause of the sale, placed after the `after`-th fill drawn (0: before the first). */
export interface SalePause {
  after: number;
  since: string;
  until?: string;
  why: string;
  ended?: string;
}

export interface ChartedFill {
  leg: SaleLeg;
  round?: SaleRound;
}

/**
 * The market's fills with the engine round each belongs to (rounds place their orders one after the
 * other: `orders` says how many), and the pauses after rounds and the holds in the sale, placed after
 * the fills before them. Cases from before the rounds were kept have fills and holds only.
 */
export function chartOf(
  symbol: string,
  p: Pick<CaseProgress, 'sales' | 'saleRounds' | 'holds'>,
): { fills: ChartedFill[]; pauses: SalePause[] } {
  const legs = p.sales.filter((s) => s.symbol === symbol);
  const rounds = (p.saleRounds ?? []).filter((r) => r.symbol === symbol);
  const fills: ChartedFill[] = [];
  const pauses: SalePause[] = [];
  let next = 0;
  const take = (count: number, round?: SaleRound) => {
    for (const leg of legs.slice(next, next + count)) if (Number(leg.filled) > 0) fills.push({ leg, round });
    next += count;
  };
  for (const round of rounds) {
    take(round.orders, round);
    if (round.pause) {
      pauses.push({
        after: fills.length,
        since: round.endedAt,
        ...(round.pause.until ? { until: round.pause.until } : {}),
        why: round.pause.why,
        ...(round.pause.outcome
          ? { ended: `${round.pause.outcome}${round.pause.decidedBy ? ` by ${round.pause.decidedBy}` : ''}` }
          : {}),
      });
    }
  }
  take(legs.length - next);
  for (const h of p.holds ?? []) {
    if (h.stage !== 'SALE') continue;
    const resolved = h.resolution?.approvedBy.map((a) => a.decidedAt).sort();
    pauses.push({
      after: fills.length,
      since: h.since,
      ...(resolved?.length ? { until: resolved[resolved.length - 1] } : {}),
      why: `held: ${h.reason}`,
      ...(h.resolution ? { ended: `resolved: ${h.resolution.outcome ?? 'resolved'}` } : {}),
    });
  }
  return { fills, pauses };
}
