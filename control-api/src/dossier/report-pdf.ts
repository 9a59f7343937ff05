/**
 * The case file's report as a PDF (pdfkit: no browser at run time). The standard Helvetica fonts are
 * built into every PDF reader, so a report in Latin script embeds nothing; they have no Chinese glyphs,
 * so a cell with Chinese in it (names of victims, owners, officers, agencies) is set in Noto Sans SC,
 * embedded with only the glyphs it uses (pdfkit subsets it), read from the installed package, never
 * fetched. The document's dates are the case file's own, so the same report renders to the same bytes.
 */
import PDFDocument from 'pdfkit';
import { cjkFont } from './cjk-font';
import type { CaseReport, ReportBlock } from './report-model';

/** Han characters, CJK punctuation, kana and full-width forms: what Helvetica cannot show. */
const NEEDS_CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u3000-\u303F\uFF00-\uFFEF]/u;

/** A table cell in the font that can show it. */
function cell(text: string): string | { text: string; font: { src: string } } {
  return NEEDS_CJK.test(text) ? { text, font: { src: 'NotoSansSC' } } : text;
}

function block(doc: PDFKit.PDFDocument, b: ReportBlock): void {
  doc.moveDown(0.5).font('Helvetica-Bold').fontSize(11).text(b.title).moveDown(0.25);
  doc.font('Helvetica').fontSize(8);
  const rows = b.kind === 'facts' ? b.rows.map(([k, v]) => [k, v]) : b.rows.length ? [b.header, ...b.rows] : [];
  const data = rows.map((r) => r.map((c) => cell(String(c))));
  if (!data.length) {
    doc.text(b.kind === 'table' ? (b.empty ?? 'none') : 'none');
    return;
  }
  doc.table({ data, ...(b.kind === 'facts' ? { columnStyles: [110, '*'] } : {}) });
}

export function caseReportPdf(r: CaseReport): Promise<Uint8Array> {
  const at = new Date(r.generatedAt);
  const doc = new PDFDocument({
    size: 'A4',
    margin: 40,
    info: { Title: r.title, Creator: 'VCDC control API', CreationDate: at, ModDate: at },
  });
  doc.registerFont('NotoSansSC', cjkFont());
  const chunks: Buffer[] = [];
  const done = new Promise<Uint8Array>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    doc.on('error', reject);
  });
  doc.font('Helvetica-Bold').fontSize(16).text(r.title);
  doc
    .font('Helvetica')
    .fontSize(9)
    .text(`Generated ${r.generatedAt}. Every figure is taken from the files of this case file.`);
  doc.moveDown().font('Helvetica-Bold').fontSize(13).text('Public summary');
  for (const b of r.publicSummary) block(doc, b);
  doc.addPage().font('Helvetica-Bold').fontSize(13).fillColor('#a00000').text('Confidential annex').fillColor('black');
  doc
    .font('Helvetica')
    .fontSize(9)
    .text('Confidential: parties, addresses, transaction ids and decisions. Not for publication.');
  for (const b of r.confidentialAnnex) block(doc, b);
  doc.end();
  return done;
}
