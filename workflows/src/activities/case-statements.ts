/**
 * Everything a reconciliation reads of the services' own records, in one activity (issue 18): custody's
 * ledger, the venue's statement, the FX declarations, the treasury's case statement and each desk trade's
 * settlement. Each is the same route call as the activity of its name (read in parallel, each answer
 * parsed with its route's response schema); the case has one activity task for them instead of four or
 * more. A lot manifest case's ledger comes folded: one INTAKE line per asset, not one per lot.
 */
import type { custody } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';

type LedgerEntry = custody.CustodyLedger['entries'][number];

/** What a case's reconciliation reads, and of which desk trades. */
export interface CaseStatementsQuery {
  caseId: string;
  /** A lot manifest case: custody's ledger folded per asset (foldIntakes). */
  foldLedger?: boolean;
  /** The desk trades whose settlements the case reconciles (only a case that sold to desks has any). */
  deskRfqIds?: string[];
}

/** The single reads the one read is made of: the activities of these names (or the fakes standing in for them). */
export interface StatementReads<S, D, T, K> {
  getCustodyLedger(caseId: string): Promise<custody.CustodyLedger>;
  getExchangeStatement(caseId: string): Promise<S>;
  listDeclarations(caseId: string): Promise<D>;
  getTreasuryStatement(caseId: string): Promise<T>;
  getDeskSettlement(rfqId: string): Promise<K>;
}

/**
 * The one read over `reads`; each is looked up when the read runs, so a test's stand-in for one of them
 * (a jest mock's new implementation) is what the one read asks too.
 */
export function caseStatementsReader<S, D, T, K>(reads: StatementReads<S, D, T, K>) {
  return async (q: CaseStatementsQuery) => {
    const [ledger, statement, declarations, treasury, deskTrades] = await Promise.all([
      reads.getCustodyLedger(q.caseId).then((l) => (q.foldLedger ? foldIntakes(l) : l)),
      reads.getExchangeStatement(q.caseId),
      reads.listDeclarations(q.caseId),
      reads.getTreasuryStatement(q.caseId),
      Promise.all((q.deskRfqIds ?? []).map((rfqId) => reads.getDeskSettlement(rfqId))),
    ]);
    return { ledger, statement, declarations, treasury, deskTrades };
  };
}

/**
 * Custody's ledger with its INTAKE lines folded into one per asset (a manifest case has one per lot,
 * 100,000 of them): the amount summed, the reference saying how many intakes; every other line as it is.
 */
export function foldIntakes(ledger: custody.CustodyLedger): custody.CustodyLedger {
  const folded = new Map<string, LedgerEntry & { count: number }>();
  const entries: LedgerEntry[] = [];
  for (const e of ledger.entries) {
    if (e.kind !== 'INTAKE') {
      entries.push(e);
      continue;
    }
    const f = folded.get(e.asset);
    if (!f) {
      const { baseUnits: _units, ...rest } = e;
      folded.set(e.asset, { ...rest, count: 1 });
    } else {
      f.amount = new Decimal(f.amount).plus(e.amount).toFixed();
      f.count += 1;
    }
  }
  const intakes = [...folded.values()].map(({ count, ...e }) => ({ ...e, reference: `${count} intakes` }));
  return { ...ledger, entries: [...intakes, ...entries] };
}
