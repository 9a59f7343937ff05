/**
 * The case's books recomputed (issue 13, part 2): GET /v1/cases/:caseId/reconciliation. A correction
 * can come after the case's workflow has closed, and its closing reconciliation in the status is then
 * the books as they were. This view reads each service's own records as they stand now (custody's
 * ledger, the venue's statement, the FX declarations with every tranche's corrections, the treasury's
 * statement with its reversals, receivables and follow-ups) and reconciles them with the same pure
 * function the workflow uses (reconcile.ts), so the answer never depends on the workflow. What only the
 * workflow recorded — leftovers at the venue and the differences a supervisor explained — is taken from
 * the case's status when it answers, and the answer says whether it did.
 */
import { Decimal, formatAmount } from '@vcdc/shared';
import type { custody, exchange, fx, treasury } from '@vcdc/shared/contracts';
import type { CaseProgress } from '@vcdc/workflows/workflow/case-state';
import { type Reconciliation, reconcile } from '@vcdc/workflows/workflow/reconcile';
import { readService, type ServiceTargets } from './service-clients';

export interface CaseBooks {
  caseId: string;
  /** Recomputed now from the services' records; `closing` once anything was paid out, else `before-payout`. */
  reconciliation: Reconciliation;
  /** The treasury statement: every line, both versions of a corrected credit, receivables, follow-ups due. */
  treasury: treasury.CaseStatement;
  /** Each tranche as first settled, with its corrections and the version in force. */
  settlements: fx.Settlement[];
  /** Whether the workflow's own records (leftovers, explained differences) were read from its status. */
  workflowRecords: 'case status' | 'unavailable';
}

/** The sale's fiat is the declarations' currency; the stablecoin is the one every case sells through (case-input.ts). */
function currenciesOf(declarations: fx.Declaration[]) {
  return { stablecoin: 'USDT', fiat: declarations[0]?.currency ?? 'USD' };
}

/** The services' records the books are made of, as each service answers for the case now. */
export interface BookRecords {
  ledger: custody.CustodyLedger;
  statement: exchange.ExchangeStatement;
  declarations: fx.Declaration[];
  treasury: treasury.CaseStatement;
}

export async function readBookRecords(caseId: string, services: ServiceTargets): Promise<BookRecords> {
  const params = { caseId };
  const [ledger, statement, declarations, statementCny] = await Promise.all([
    readService(services, 'custody', (c) => c.call('getLedger', { params })),
    readService(services, 'exchange', (c) => c.call('getStatement', { params })),
    readService(services, 'fx', (c) => c.call('listCaseDeclarations', { params })),
    readService(services, 'treasury', (c) => c.call('getStatement', { params })),
  ]);
  return { ledger, statement, declarations, treasury: statementCny };
}

export async function caseBooks(
  caseId: string,
  services: ServiceTargets,
  progress: () => Promise<CaseProgress | undefined>,
): Promise<CaseBooks> {
  const [records, p] = await Promise.all([readBookRecords(caseId, services), progress().catch(() => undefined)]);
  return booksOf(caseId, records, p);
}

/** The books of these records (and of what only the case recorded, when its status `p` answered). */
export function booksOf(caseId: string, records: BookRecords, p: CaseProgress | undefined): CaseBooks {
  const { ledger, statement, declarations, treasury: statementCny } = records;
  const paidOut = statementCny.lines.some((l) => ['REMITTANCE', 'RESTITUTION', 'OWNER_RETURN'].includes(l.kind));
  const reconciliation = reconcile(
    {
      ...currenciesOf(declarations),
      ledger,
      statement,
      declarations,
      treasury: statementCny,
      // As the case itself reconciles (case-reconcile.ts): a case that booked its leftovers as residuals and
      // returns is reconciled from the services' lines alone, never from both (that counted them twice).
      leftovers: p?.residualsBooked ? [] : (p?.leftovers ?? []),
      explained: p?.explainedDifferences ?? [],
    },
    paidOut ? 'closing' : 'before-payout',
  );
  return {
    caseId,
    reconciliation,
    treasury: statementCny,
    settlements: declarations.filter((d) => d.status !== 'REJECTED').flatMap((d) => d.settlements),
    workflowRecords: p ? 'case status' : 'unavailable',
  };
}

/**
 * What the case statement adds when the case's money was corrected: the values as the services' books
 * stand now beside those the case recorded, and each correction with both versions. Undefined when
 * nothing was corrected (the case's own values are then the books').
 */
export interface StatementCorrections {
  reconciles: boolean;
  /** CNY credited in force (net of every correction), paid out, owed back, due in follow-ups. */
  creditedCny: string;
  remittedCny: string;
  recoverableCny: string;
  followUpsDueCny: string;
  corrections: NonNullable<Reconciliation['corrections']>;
}

export function statementCorrections(books: CaseBooks): StatementCorrections | undefined {
  const corrections = books.reconciliation.corrections;
  if (!corrections?.length) return undefined;
  const t = books.treasury;
  const due = (t.followUpsDue ?? []).reduce((total, f) => total.plus(f.amount), new Decimal(0));
  return {
    reconciles: books.reconciliation.ok,
    creditedCny: t.totalCredited,
    remittedCny: t.totalRemitted,
    recoverableCny: t.totalRecoverable ?? '0.00',
    followUpsDueCny: formatAmount(due, 'CNY'),
    corrections,
  };
}
