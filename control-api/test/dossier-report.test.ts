/**
 * The case file's report: what the public summary and the confidential annex say, from the sources
 * (report-model.ts), and that the HTML keeps the annex's particulars out of the public summary.
 */

import { pdfText } from '../../workflows/test/pdf-text';
import { cjkFont } from '../src/dossier/cjk-font';
import { caseReportHtml } from '../src/dossier/report-html';
import { caseReport, type ReportBlock } from '../src/dossier/report-model';
import { caseReportPdf } from '../src/dossier/report-pdf';
import type { CaseFileSources } from '../src/dossier/sources';

const waterfallLine = (kind: string, currency: string, amount: string) => ({
  kind,
  currency,
  amount,
  settlementIds: [],
});

const sources = {
  caseId: 'C-REPORT',
  registration: {
    legalBasis: { reference: 'Ruling 123', documentSha256: 'ab'.repeat(32) },
    disposal: { venue: 'hashkey' },
  },
  progress: {
    caseId: 'C-REPORT',
    agency: 'Beijing PSB',
    requestedBy: 'officer.li',
    stage: 'RECONCILIATION',
    status: 'COMPLETED',
    decisions: { accepted: [], refused: [{ at: '2026-12-01T00:00:00Z', code: 'four-eyes', reason: 'registered it' }] },
    routes: [],
    transfers: [],
    returns: [],
    sales: [],
    credits: [{ amount: '7000.00' }],
    remittance: { amount: '2000.00', voucherNo: 'V-1', receiptNo: 'R-1' },
    restitution: { totalToVictims: '5000.00' },
    restitutionOrder: { courtOrderRef: 'CO-9', method: 'PRO_RATA' },
  },
  custodyLedger: { caseId: 'C-REPORT', entries: [], balances: {} },
  exchangeStatement: { caseId: 'C-REPORT', deposits: [], orders: [], withdrawals: [], returns: [], residuals: [] },
  bestExecution: { caseId: 'C-REPORT', generatedAt: '', lots: [], orders: [], referencePrices: [], routes: [] },
  declarations: [],
  waterfalls: [
    {
      declarationId: 'D1',
      caseId: 'C-REPORT',
      currency: 'USD',
      lines: [
        waterfallLine('VENUE_WITHDRAWAL_FEE', 'USD', '-10.00'),
        waterfallLine('BANK_CHARGES', 'USD', '-25.00'),
        waterfallLine('FX_SPREAD', 'CNY', '-12.34'),
        waterfallLine('CNY_SETTLED', 'CNY', '7000.00'),
      ],
      unsettled: '0',
    },
  ],
  treasuryStatement: {
    caseId: 'C-REPORT',
    currency: 'CNY',
    lines: [],
    totalCredited: '7000.00',
    totalRemitted: '2000.00',
    balance: '0.00',
  },
  victimStatements: [
    { victimId: 'V-1', name: 'Wang Fang', loss: '6000.00', totalPaid: '5000.00', outstanding: '1000.00' },
  ],
  books: { reconciliation: { ok: true, phase: 'closing', checks: [], differences: [] } },
  auditRecords: [{ kind: 'case.registered', at: '2026-11-01T08:00:00.000Z' }],
  auditVerification: { ok: true },
  latestCheckpoints: [],
} as unknown as CaseFileSources;

const rowsOf = (blocks: ReportBlock[], title: string) => {
  const b = blocks.find((x) => x.title === title);
  return b?.kind === 'table' ? b.rows : b?.rows.map(([k, v]) => [k, v]);
};

test('the public summary carries the three values to the cent, the period, the venue and each fee by currency', () => {
  const r = caseReport(sources, '2026-12-04T00:00:00.000Z');
  expect(rowsOf(r.publicSummary, 'The disposal')).toEqual(
    expect.arrayContaining([
      ['Legal basis', 'Ruling 123'],
      ['Period', '2026-11-01T08:00:00.000Z to ?'],
      ['Venue', 'hashkey'],
    ]),
  );
  expect(rowsOf(r.publicSummary, 'The three values')).toEqual(
    expect.arrayContaining([
      ['at disposal (credited)', '7000.00 CNY', 'to the special case-property account'],
      ['distributed', '7000.00 CNY', 'treasury 2000.00, victims 5000.00, owner 0.00'],
    ]),
  );
  expect(rowsOf(r.publicSummary, 'Fees and charges')).toEqual([
    ['venue withdrawal fee', 'USD', '10.00'],
    ['bank charges', 'USD', '25.00'],
    ['FX spread', 'CNY', '12.34'],
  ]);
});

test('names, the legal document and refusals are in the confidential annex only', () => {
  const r = caseReport(sources, '2026-12-04T00:00:00.000Z');
  expect(rowsOf(r.confidentialAnnex, 'Victims')).toEqual([['V-1', 'Wang Fang', '6000.00', '5000.00', '1000.00']]);
  expect(rowsOf(r.confidentialAnnex, 'Refused decisions')).toEqual([
    ['2026-12-01T00:00:00Z', 'four-eyes', 'registered it'],
  ]);
  const html = caseReportHtml(r);
  const annex = html.indexOf('Confidential annex');
  for (const particular of ['Wang Fang', 'ab'.repeat(32), 'CO-9', 'voucher V-1']) {
    expect(html.indexOf(particular)).toBeGreaterThan(annex);
  }
});

test('the PDF is a PDF with the title in its document information', async () => {
  const pdf = Buffer.from(await caseReportPdf(caseReport(sources, '2026-12-04T00:00:00.000Z')));
  expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  expect(pdf.toString('latin1')).toContain('(Case file C-REPORT)');
});

test('names in Chinese are set in an embedded CJK font (the Helvetica built into readers has no such glyphs), and the PDF stays byte for byte the same', async () => {
  const cjk = {
    ...sources,
    progress: { ...sources.progress, agency: '北京市公安局' },
    victimStatements: [{ ...sources.victimStatements[0], name: '王芳' }],
  } as CaseFileSources;
  const report = caseReport(cjk, '2026-12-04T00:00:00.000Z');
  const pdf = Buffer.from(await caseReportPdf(report));
  const { fonts, text } = pdfText(pdf);
  expect(fonts).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ baseFont: expect.stringMatching(/^[A-Z]{6}\+NotoSansSC/), embedded: true }),
    ]),
  );
  expect(text).toContain('王芳');
  expect(text).toContain('北京市公安局');
  // The Latin text around it is read back too: the reader above decodes both kinds of font.
  expect(text).toContain('Confidential annex');
  expect(text).toContain('V-1');
  // Only the glyphs used are embedded (pdfkit subsets): the file is far smaller than the 1.5 MB font.
  expect(pdf.length).toBeLessThan(200_000);
  expect(Buffer.from(await caseReportPdf(report)).equals(pdf)).toBe(true);
});

test('a report without Chinese embeds no font at all: the standard Helvetica only', async () => {
  const pdf = Buffer.from(await caseReportPdf(caseReport(sources, '2026-12-04T00:00:00.000Z')));
  const { fonts, text } = pdfText(pdf);
  expect(fonts.every((f) => !f.embedded && f.baseFont.startsWith('Helvetica'))).toBe(true);
  expect(text).toContain('Wang Fang');
});

test('the CJK font is the WOFF’s TrueType font unpacked exactly: every table matches the checksum the WOFF records', () => {
  const sfnt = cjkFont();
  const numTables = sfnt.readUInt16BE(4);
  expect(numTables).toBeGreaterThan(10);
  const tags: string[] = [];
  for (let i = 0; i < numTables; i++) {
    const at = 12 + i * 16;
    const tag = sfnt.toString('latin1', at, at + 4);
    const offset = sfnt.readUInt32BE(at + 8);
    const length = sfnt.readUInt32BE(at + 12);
    const data = Buffer.alloc(Math.ceil(length / 4) * 4);
    sfnt.copy(data, 0, offset, offset + length);
    // 'head' is summed with its checkSumAdjustment (bytes 8-11) as zero.
    if (tag === 'head') data.writeUInt32BE(0, 8);
    let sum = 0;
    for (let j = 0; j < data.length; j += 4) sum = (sum + data.readUInt32BE(j)) >>> 0;
    expect([tag, sum]).toEqual([tag, sfnt.readUInt32BE(at + 4)]);
    tags.push(tag);
  }
  expect(tags).toEqual(expect.arrayContaining(['cmap', 'glyf', 'head', 'hmtx', 'loca']));
  expect(cjkFont()).toBe(sfnt);
});
