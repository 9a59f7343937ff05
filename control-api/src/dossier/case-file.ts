/**
 * One case file: the data files (contents.ts), the readable report in HTML and PDF (report-model.ts
 * says what it says), the manifest and its signature (archive.ts). See contents.ts for the layout.
 */
import type { KeyObject } from 'node:crypto';
import { strToU8 } from 'fflate';
import { type CaseFileMeta, type PackedCaseFile, packCaseFile } from './archive';
import { caseFileData } from './contents';
import { caseReportHtml } from './report-html';
import { caseReport } from './report-model';
import { caseReportPdf } from './report-pdf';
import type { CaseFileSources } from './sources';

export async function buildCaseFile(
  sources: CaseFileSources,
  meta: CaseFileMeta,
  key: KeyObject,
): Promise<PackedCaseFile> {
  const report = caseReport(sources, meta.createdAt);
  return packCaseFile(
    {
      ...caseFileData(sources),
      'report.html': strToU8(caseReportHtml(report)),
      'report.pdf': await caseReportPdf(report),
    },
    meta,
    key,
  );
}
