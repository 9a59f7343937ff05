/**
 * What a case file is made of: the case as the control API knows it (its registration, its status,
 * its audit records and the chains' verification) and each service's own records of it, read with
 * the control API's credentials (control-api/src/case-file.ts gathers them).
 */
import type { AuditRecord } from '@vcdc/shared';
import type { custody, exchange, fx, treasury } from '@vcdc/shared/contracts';
import type { CaseProgress } from '@vcdc/workflows/workflow/case-state';
import type { AuditVerification } from '../audit-chains';
import type { CaseBooks } from '../case-books';
import type { LatestCheckpoint } from '../latest-checkpoints';

export interface CaseFileSources {
  caseId: string;
  /** The registration the case was started with (legal basis, lots, disposal plan, restitution order). */
  registration: unknown;
  progress: CaseProgress;
  custodyLedger: custody.CustodyLedger;
  exchangeStatement: exchange.ExchangeStatement;
  bestExecution: exchange.BestExecutionReport;
  declarations: fx.Declaration[];
  waterfalls: fx.Waterfall[];
  treasuryStatement: treasury.CaseStatement;
  victimStatements: treasury.VictimStatement[];
  /** The books recomputed from the services' records now (the reconciliation). */
  books: CaseBooks;
  /** The control API's audit records of the case, in chain order. */
  auditRecords: AuditRecord[];
  /** Every chain verified, each with the latest signed checkpoint it was held against. */
  auditVerification: AuditVerification;
  /** Each chain's latest signed checkpoint as written, signature and all (none when not configured). */
  latestCheckpoints: LatestCheckpoint[];
}
