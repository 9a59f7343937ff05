/**
 * GET /v1/cases/:caseId/dossier gathers the case file's sources (dossier/sources.ts): the case's
 * registration (from its workflow's start), its status, the services' records read with the control
 * API's credentials, the control API's audit records of the case and every chain verified. A case
 * file is complete or not issued: a service that does not answer makes the request fail (502), never
 * an archive with a part silently left out.
 */
import type { AuditChain, AuditRecord } from '@vcdc/shared';
import type { CaseProgress } from '@vcdc/workflows/workflow/case-state';
import type { AuditVerification } from './audit-chains';
import { booksOf, readBookRecords } from './case-books';
import { caseBestExecution, caseVictimStatements, caseWaterfalls } from './case-reports';
import type { CaseFileSources } from './dossier/sources';
import { latestSignedCheckpoints } from './latest-checkpoints';
import type { ServiceTargets } from './service-clients';

export interface CaseFileReaders {
  services: ServiceTargets;
  progress: (caseId: string) => Promise<CaseProgress>;
  registration: (caseId: string) => Promise<unknown>;
  audit: Pick<AuditChain, 'list'>;
  verifyChains: () => Promise<AuditVerification>;
  /** Where each chain's latest signed checkpoint is (latest-checkpoints.ts). */
  checkpointFiles?: { dir: string; chains: readonly string[] };
}

/** Every audit record of the case, page by page. */
async function caseAuditRecords(audit: Pick<AuditChain, 'list'>, caseId: string): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  for (;;) {
    const page = await audit.list({ caseId, afterSeq: records.at(-1)?.seq ?? 0, limit: 1000 });
    records.push(...page);
    if (page.length < 1000) return records;
  }
}

export async function gatherCaseFile(caseId: string, r: CaseFileReaders): Promise<CaseFileSources> {
  const progress = await r.progress(caseId);
  // The services' records are read once: the reconciliation in the file is computed from the very
  // records beside it, so an auditor can recompute it from the archive alone.
  const records = await readBookRecords(caseId, r.services);
  const [
    registration,
    bestExecution,
    waterfalls,
    victimStatements,
    auditRecords,
    auditVerification,
    latestCheckpoints,
  ] = await Promise.all([
    r.registration(caseId),
    caseBestExecution(caseId, r.services),
    caseWaterfalls(caseId, r.services, records.declarations),
    caseVictimStatements(progress, r.services),
    caseAuditRecords(r.audit, caseId),
    r.verifyChains(),
    r.checkpointFiles ? latestSignedCheckpoints(r.checkpointFiles.dir, r.checkpointFiles.chains) : [],
  ]);
  return {
    caseId,
    registration,
    progress,
    custodyLedger: records.ledger,
    exchangeStatement: records.statement,
    bestExecution,
    declarations: records.declarations,
    waterfalls: waterfalls.waterfalls,
    treasuryStatement: records.treasury,
    victimStatements,
    books: booksOf(caseId, records, progress),
    auditRecords,
    auditVerification,
    latestCheckpoints,
  };
}
