/**
 * The sale's fills against the fair reference each slice was priced from and its limit: one small
 * chart per market, inline SVG (no chart library, nothing loaded). Prices are plotted as numbers for the
 * eye only; every figure is in the table beside it as the decimal string the case recorded.
 */
import type { SaleLeg } from './types';

const W = 560;
const H = 180;
const PAD = { left: 64, right: 12, top: 12, bottom: 24 };

/** A fill's average price: what it brought per unit sold (cost / filled). */
export function averagePrice(leg: SaleLeg): number {
  return Number(leg.cost) / Number(leg.filled);
}

export function FillsChart({ symbol, fills }: { symbol: string; fills: SaleLeg[] }) {
  if (fills.length === 0) return null;
  const series = fills.map((f) => ({
    avg: averagePrice(f),
    reference: Number(f.reference),
    limit: Number(f.limitPrice),
  }));
  const values = series.flatMap((s) => [s.avg, s.reference, s.limit]).filter(Number.isFinite);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = hi - lo || Math.abs(hi) * 0.001 || 1;
  const x = (i: number) => PAD.left + (fills.length === 1 ? 0.5 : i / (fills.length - 1)) * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - (v - lo) / span) * (H - PAD.top - PAD.bottom);
  const line = (pick: (s: (typeof series)[number]) => number) =>
    series.map((s, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(pick(s)).toFixed(1)}`).join(' ');
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-labelledby={`chart-${symbol}-title`}
        data-testid="fills-chart"
        data-symbol={symbol}
      >
        <title id={`chart-${symbol}-title`}>
          {symbol}: {fills.length} fill(s), average prices against the reference and the limit
        </title>
        <text x={4} y={y(hi) + 4} class="axis">
          {hi.toPrecision(7)}
        </text>
        <text x={4} y={y(lo) + 4} class="axis">
          {lo.toPrecision(7)}
        </text>
        <path d={line((s) => s.reference)} class="reference" />
        <path d={line((s) => s.limit)} class="limit" />
        {series.map((s, i) => (
          <circle key={fills[i]?.clientOrderId} cx={x(i)} cy={y(s.avg)} r={4} class="fill">
            <title>
              {fills[i]?.clientOrderId}: {fills[i]?.filled} at {s.avg.toPrecision(8)} (reference {fills[i]?.reference},
              limit {fills[i]?.limitPrice})
            </title>
          </circle>
        ))}
      </svg>
      <figcaption>
        {symbol}: <span class="key-fill">●</span> average fill price, <span class="key-reference">—</span> reference,{' '}
        <span class="key-limit">- -</span> limit, by order
      </figcaption>
    </figure>
  );
}
