/**
 * The case file's report as one self-contained HTML page: inline style, no script, no image, no link
 * to anything outside it, so it opens the same offline, years later, as in court.
 */
import type { CaseReport, ReportBlock } from './report-model';

const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

function block(b: ReportBlock): string {
  if (b.kind === 'facts') {
    const rows = b.rows
      .map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
      .join('');
    return `<h3>${escapeHtml(b.title)}</h3><table class="facts">${rows}</table>`;
  }
  if (!b.rows.length) return `<h3>${escapeHtml(b.title)}</h3><p>${escapeHtml(b.empty ?? 'none')}</p>`;
  const head = b.header.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('');
  const rows = b.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('');
  return `<h3>${escapeHtml(b.title)}</h3><table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

const STYLE = `body{font-family:system-ui,sans-serif;color:#111;background:#fff;margin:2rem;max-width:72rem}
h1{font-size:1.5rem}h2{font-size:1.25rem;border-bottom:2px solid #333;margin-top:2rem}h3{font-size:1.05rem}
table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left;vertical-align:top;font-variant-numeric:tabular-nums}
td{word-break:break-all}table.facts th{background:#eee;width:12rem}thead th{background:#eee}
.confidential{border-left:4px solid #a00;padding-left:1rem}.mark{color:#a00;font-weight:bold}`;

export function caseReportHtml(r: CaseReport): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(r.title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>${STYLE}</style></head>
<body><main>
<h1>${escapeHtml(r.title)}</h1>
<p>Generated ${escapeHtml(r.generatedAt)}. Every figure is taken from the files of this case file (see manifest.json).</p>
<section aria-labelledby="public"><h2 id="public">Public summary</h2>
${r.publicSummary.map(block).join('\n')}
</section>
<section class="confidential" aria-labelledby="annex"><h2 id="annex">Confidential annex</h2>
<p class="mark">Confidential: parties, addresses, transaction ids and decisions. Not for publication.</p>
${r.confidentialAnnex.map(block).join('\n')}
</section>
</main></body></html>
`;
}
