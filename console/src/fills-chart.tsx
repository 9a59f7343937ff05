/**
 * The sale on one market: each fill's average price against the fair reference it was priced from, its
 * limit, the engine's band (the reference had to stay between the round's arrival price and `band.bp`
 * under it) and the legal floor, with the pauses marked where they fell between fills (the engine paused
 * and the case waited for a supervisor's SALE_PRICE decision, or the case was held in the sale). Inline
 * SVG, no chart library; prices are plotted as numbers for the eye only: the table beside it gives
 * every figure as the decimal string the case recorded, and is what a screen reader reads.
 */

import { ColumnHeads } from './column-heads';
import { at } from './format';
import { averagePrice, chartOf } from './sale-chart';
import type { CaseProgress } from './types';

const W = 560;
const H = 200;
const PAD = { left: 64, right: 12, top: 12, bottom: 24 };

export function FillsChart({
  symbol,
  progress,
}: {
  symbol: string;
  progress: Pick<CaseProgress, 'sales' | 'saleRounds' | 'holds'>;
}) {
  const { fills, pauses } = chartOf(symbol, progress);
  if (fills.length === 0 && pauses.length === 0) return null;
  const series = fills.map(({ leg, round }) => ({
    avg: averagePrice(leg),
    reference: Number(leg.reference),
    limit: Number(leg.limitPrice),
    arrival: round ? Number(round.arrivalPrice) : undefined,
    lowest: round ? Number(round.band.lowest) : undefined,
    floor: round?.floor != null ? Number(round.floor) : undefined,
  }));
  const values = series
    .flatMap((s) => [s.avg, s.reference, s.limit, s.arrival, s.lowest, s.floor])
    .filter((v): v is number => v !== undefined && Number.isFinite(v));
  const lo = values.length ? Math.min(...values) : 0;
  const hi = values.length ? Math.max(...values) : 1;
  const span = hi - lo || Math.abs(hi) * 0.001 || 1;
  const slots = Math.max(fills.length, 1);
  const slot = (W - PAD.left - PAD.right) / slots;
  /** A fill sits in the middle of its slot; a pause on the boundary after the fills before it. */
  const x = (i: number) => PAD.left + (i + 0.5) * slot;
  const boundary = (after: number) => PAD.left + after * slot;
  const y = (v: number) => PAD.top + (1 - (v - lo) / span) * (H - PAD.top - PAD.bottom);
  /** A step line across each fill's slot (the price in force for it); a gap where a fill has none. */
  const steps = (pick: (s: (typeof series)[number]) => number | undefined) =>
    series
      .map((s, i) => {
        const v = pick(s);
        return v === undefined ? '' : `M${boundary(i).toFixed(1)},${y(v).toFixed(1)} H${boundary(i + 1).toFixed(1)}`;
      })
      .join(' ');
  const id = `chart-${symbol.replace(/[^A-Za-z0-9]/g, '-')}`;
  const floors = [...new Set(fills.map((f) => f.round?.floor).filter((f): f is string => f != null))];
  const bands = [...new Set(fills.map((f) => f.round?.band.bp).filter((b): b is string => b !== undefined))];
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-labelledby={`${id}-title ${id}-desc`}
        data-testid="fills-chart"
        data-symbol={symbol}
      >
        <title id={`${id}-title`}>
          {symbol}: {fills.length} fill(s) against the reference, the limit, the band and the legal floor
          {pauses.length ? `, ${pauses.length} pause(s)` : ''}
        </title>
        <desc id={`${id}-desc`}>
          {[
            bands.length ? `The band: the reference may fall ${bands.join(' or ')} bp under the arrival price.` : '',
            floors.length ? `Legal floor ${floors.join(', then ')}.` : 'No legal floor recorded.',
            ...pauses.map(
              (p) => `Paused after fill ${p.after} from ${at(p.since)} to ${p.until ? at(p.until) : 'now'}: ${p.why}.`,
            ),
            'The table after the chart gives every figure.',
          ]
            .filter(Boolean)
            .join(' ')}
        </desc>
        <text x={4} y={y(hi) + 4} class="axis">
          {hi.toPrecision(7)}
        </text>
        <text x={4} y={y(lo) + 4} class="axis">
          {lo.toPrecision(7)}
        </text>
        {series.map((s, i) =>
          s.arrival !== undefined && s.lowest !== undefined ? (
            <rect
              key={`band-${fills[i]?.leg.clientOrderId}`}
              class="band"
              data-testid="band"
              x={boundary(i)}
              width={slot}
              y={y(s.arrival)}
              height={Math.max(1, y(s.lowest) - y(s.arrival))}
            />
          ) : null,
        )}
        {pauses.map((p) => (
          <rect
            key={`pause-${p.since}`}
            class="pause"
            data-testid="pause"
            x={boundary(p.after) - 5}
            width={10}
            y={PAD.top}
            height={H - PAD.top - PAD.bottom}
          >
            <title>
              Paused {at(p.since)} to {p.until ? at(p.until) : 'now'}: {p.why}
              {p.ended ? ` (${p.ended})` : ''}
            </title>
          </rect>
        ))}
        <path d={steps((s) => s.floor)} class="floor" data-testid="floor" />
        <path d={steps((s) => s.reference)} class="reference" />
        <path d={steps((s) => s.limit)} class="limit" />
        {series.map((s, i) => (
          <circle key={fills[i]?.leg.clientOrderId} cx={x(i)} cy={y(s.avg)} r={4} class="fill">
            <title>
              {fills[i]?.leg.clientOrderId}: {fills[i]?.leg.filled} at {s.avg.toPrecision(8)} (reference{' '}
              {fills[i]?.leg.reference}, limit {fills[i]?.leg.limitPrice})
            </title>
          </circle>
        ))}
      </svg>
      <figcaption>
        {symbol}: <span class="key-fill">●</span> average fill price, <span class="key-reference">—</span> reference,{' '}
        <span class="key-limit">- -</span> limit, <span class="key-band">▮</span> band,{' '}
        <span class="key-floor">— —</span> legal floor, <span class="key-pause">▮</span> pause; by fill
      </figcaption>
      <details>
        <summary>The chart's figures as a table</summary>
        <table data-testid="fills-chart-table">
          <caption>{symbol}: each fill and the prices in force for it</caption>
          <ColumnHeads
            names={[
              'Fill',
              'Order',
              'Filled',
              'Proceeds',
              'Reference',
              'Limit',
              'Band (arrival → lowest)',
              'Legal floor',
            ]}
          />
          <tbody>
            {fills.map(({ leg, round }, i) => (
              <tr key={leg.clientOrderId}>
                <td class="num">{i + 1}</td>
                <td>
                  <code>{leg.clientOrderId}</code>
                </td>
                <td class="num">{leg.filled}</td>
                <td class="num">{leg.cost}</td>
                <td class="num">{leg.reference}</td>
                <td class="num">{leg.limitPrice}</td>
                <td class="num">
                  {round ? `${round.arrivalPrice} → ${round.band.lowest} (${round.band.bp} bp)` : 'not recorded'}
                </td>
                <td class="num">{round ? (round.floor ?? 'none') : 'not recorded'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {pauses.length ? (
          <table data-testid="pauses-table">
            <caption>{symbol}: pauses</caption>
            <ColumnHeads names={['After fill', 'From', 'Until', 'Why', 'Ended']} />
            <tbody>
              {pauses.map((p) => (
                <tr key={`${p.since}-${p.why}`}>
                  <td class="num">{p.after}</td>
                  <td>{at(p.since)}</td>
                  <td>{p.until ? at(p.until) : 'still paused'}</td>
                  <td>{p.why}</td>
                  <td>{p.ended ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </details>
    </figure>
  );
}
