/**
 * From the sale's gross fills to the CNY credited, step by step: what the venue's fiat market brought
 * and its trading fees (the case's fills), then each FX declaration's waterfall as the FX service itemises
 * it (GET /v1/cases/:caseId/fx-waterfalls: withdrawal fee, correspondent fees, bank charges, the parity,
 * the spread, the rounding, corrections), then what the treasury credited to the special account for its
 * tranches. Every amount is shown as the decimal string recorded, sums are exact (decimal.ts); Number is
 * used only to draw the bars, each currency on its own scale.
 */
import type { fx } from '@vcdc/shared/contracts';
import type { Api } from './api';
import { ColumnHeads } from './column-heads';
import { Loading, useLoad } from './loading';
import type { CaseProgress } from './types';
import { type WaterfallStep, waterfallSteps } from './waterfall-steps';

const W = 640;
const ROW = 24;
const BAR = { from: 250, to: 500 };

function WaterfallChart({ wf, steps }: { wf: fx.Waterfall; steps: WaterfallStep[] }) {
  // Each currency on its own scale: the running total and every bar's ends, for drawing only.
  const spans = new Map<string, { from: number; to: number }[]>();
  let run = new Map<string, number>();
  const bars = steps.map((s) => {
    const v = Number(s.amount);
    const before = run.get(s.currency) ?? 0;
    const [a, b] = s.total ? [0, v] : [before, before + v];
    run = new Map(run).set(s.currency, s.total ? v : before + v);
    const list = spans.get(s.currency) ?? [];
    list.push({ from: a, to: b });
    spans.set(s.currency, list);
    return { a, b };
  });
  const scale = (currency: string) =>
    Math.max(...(spans.get(currency) ?? []).flatMap((x) => [Math.abs(x.from), Math.abs(x.to)]), 1e-12);
  const px = (v: number, currency: string) => BAR.from + (v / scale(currency)) * (BAR.to - BAR.from);
  const id = `waterfall-${wf.declarationId.replace(/[^A-Za-z0-9]/g, '-')}`;
  const last = steps[steps.length - 1];
  return (
    <svg
      viewBox={`0 0 ${W} ${steps.length * ROW + 8}`}
      role="img"
      aria-labelledby={`${id}-title ${id}-desc`}
      data-testid="fx-waterfall"
      data-declaration={wf.declarationId}
    >
      <title id={`${id}-title`}>FX waterfall of declaration {wf.declarationId}</title>
      <desc id={`${id}-desc`}>
        {steps.length} steps from {steps[0]?.label.toLowerCase()} {steps[0]?.amount} {steps[0]?.currency} to{' '}
        {last?.label.toLowerCase()} {last?.amount} {last?.currency}; each currency drawn on its own scale. The table
        after the chart gives every step.
      </desc>
      {steps.map((s, i) => {
        const bar = bars[i] as { a: number; b: number };
        const x1 = px(Math.min(bar.a, bar.b), s.currency);
        const x2 = px(Math.max(bar.a, bar.b), s.currency);
        const yTop = 4 + i * ROW;
        return (
          <g key={`${s.label}-${i}`} data-testid="waterfall-step">
            <text x={4} y={yTop + 15} class="label">
              {s.label}
            </text>
            <rect
              x={x1}
              y={yTop + 3}
              width={Math.max(3, x2 - x1)}
              height={ROW - 8}
              class={s.total ? 'total' : Number(s.amount) < 0 ? 'down' : 'up'}
            />
            <text x={W - 4} y={yTop + 15} class="amount" text-anchor="end">
              {s.amount} {s.currency}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

export function FxWaterfalls({ api, progress: p }: { api: Api; progress: CaseProgress }) {
  const loaded = useLoad(
    () => api.get<{ waterfalls: fx.Waterfall[] }>(`/v1/cases/${encodeURIComponent(p.caseId)}/fx-waterfalls`),
    [p.caseId, p.settlements.length, p.credits.length],
  );
  return (
    <section aria-labelledby="waterfall-heading">
      <h3 id="waterfall-heading">From the gross fills to the CNY credited</h3>
      <Loading loaded={loaded}>
        {({ waterfalls }) =>
          waterfalls.length === 0 ? (
            <p>No FX declaration yet.</p>
          ) : (
            waterfalls.map((wf, i) => {
              const steps = waterfallSteps(wf, p, i === 0);
              return (
                <figure class="chart waterfall" key={wf.declarationId}>
                  <WaterfallChart wf={wf} steps={steps} />
                  <figcaption>
                    Declaration {wf.declarationId} ({wf.currency}): <span class="key-total">▮</span> total,{' '}
                    <span class="key-down">▮</span> deduction, <span class="key-up">▮</span> addition
                  </figcaption>
                  <details>
                    <summary>The waterfall as a table</summary>
                    <table data-testid="fx-waterfall-table">
                      <caption>Declaration {wf.declarationId}: each step</caption>
                      <ColumnHeads names={['Step', 'Currency', 'Amount']} />
                      <tbody>
                        {steps.map((s, j) => (
                          <tr key={`${s.label}-${j}`}>
                            <th scope="row">{s.total ? <strong>{s.label}</strong> : s.label}</th>
                            <td>{s.currency}</td>
                            <td class="num">{s.amount}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </details>
                </figure>
              );
            })
          )
        }
      </Loading>
    </section>
  );
}
