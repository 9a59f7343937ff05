/**
 * The services' reports of a case, read for people through the control API (issue 15): an auditor
 * (or anyone who works the case) reads the best-execution report, the FX waterfalls and the treasury
 * statement with their own token; the control API reads the service with its own credential for it
 * (the same targets as the books, case-books.ts), so no person ever holds a service credential. The
 * answer is the service's body as its contract reads it (each route called by name, service-clients.ts).
 *
 *   GET /v1/cases/:caseId/best-execution      -> exchange  GET /v1/cases/:caseId/best-execution
 *   GET /v1/cases/:caseId/fx-waterfalls       -> fx        GET /v1/cases/:caseId/declarations, then each
 *                                                          declaration's GET /v1/declarations/:id/waterfall
 *   GET /v1/cases/:caseId/treasury-statement  -> treasury  GET /v1/cases/:caseId/statement
 *
 * Reads are not audited, as no read of the control API is (the books, the statement, the audit
 * records): the chain records what people do, and a refusal (401/403) is recorded by the guard.
 */
import type { exchange, fx, treasury } from '@vcdc/shared/contracts';
import type { CaseProgress } from '@vcdc/workflows/workflow/case-state';
import { readService, type ServiceTargets as Services } from './service-clients';

export function caseBestExecution(caseId: string, services: Services): Promise<exchange.BestExecutionReport> {
  return readService(services, 'exchange', (c) => c.call('getBestExecution', { params: { caseId } }));
}

export interface CaseWaterfalls {
  caseId: string;
  /** Each declaration's waterfall, in the order the FX service lists the declarations. */
  waterfalls: fx.Waterfall[];
}

export async function caseDeclarations(caseId: string, services: Services): Promise<fx.Declaration[]> {
  return readService(services, 'fx', (c) => c.call('listCaseDeclarations', { params: { caseId } }));
}

export async function caseWaterfalls(
  caseId: string,
  services: Services,
  declarations?: fx.Declaration[],
): Promise<CaseWaterfalls> {
  const listed = declarations ?? (await caseDeclarations(caseId, services));
  const waterfalls = await Promise.all(
    listed.map((d) => readService(services, 'fx', (c) => c.call('getWaterfall', { params: { id: d.declarationId } }))),
  );
  return { caseId, waterfalls };
}

export function caseTreasuryStatement(caseId: string, services: Services): Promise<treasury.CaseStatement> {
  return readService(services, 'treasury', (c) => c.call('getStatement', { params: { caseId } }));
}

/** Each victim's statement under the case's restitution order (none without one). */
export function caseVictimStatements(progress: CaseProgress, services: Services): Promise<treasury.VictimStatement[]> {
  const order = progress.restitutionOrder;
  if (!order) return Promise.resolve([]);
  return Promise.all(
    order.victims.map((v) =>
      readService(services, 'treasury', (c) =>
        c.call('getVictimStatement', {
          params: { restitutionOrderId: order.restitutionOrderId, victimId: v.victimId },
        }),
      ),
    ),
  );
}
