/**
 * The custody ledger: append-only entries per (case, asset), signed (credits positive, debits
 * negative). An account's balance is the sum of its entries, computed when asked, so it cannot drift
 * from them. The table refuses UPDATE and DELETE; a correction is a new entry.
 */
import {
  BASE_UNIT_NAMES,
  type contracts,
  Decimal,
  problems,
  type Queryable,
  toBaseUnits,
  toWire,
  withBaseUnits,
} from '@vcdc/shared';

type CustodyLedger = contracts.custody.CustodyLedger;
export type LedgerKind = CustodyLedger['entries'][number]['kind'];

export async function bookEntry(
  db: Queryable,
  entry: { caseId: string; asset: string; kind: LedgerKind; amount: Decimal; reference: string },
): Promise<void> {
  await db.query('INSERT INTO ledger_entries (case_id, asset, kind, amount, reference) VALUES ($1, $2, $3, $4, $5)', [
    entry.caseId,
    entry.asset,
    entry.kind,
    entry.amount.toFixed(),
    entry.reference,
  ]);
}

export async function balanceOf(db: Queryable, caseId: string, asset: string): Promise<Decimal> {
  const { rows } = await db.query<{ balance: string }>(
    'SELECT COALESCE(sum(amount), 0)::text AS balance FROM ledger_entries WHERE case_id = $1 AND asset = $2',
    [caseId, asset],
  );
  return new Decimal(rows[0]?.balance ?? '0');
}

export async function ledgerOfCase(db: Queryable, caseId: string): Promise<CustodyLedger> {
  const accounts = await db.query<{ asset: string }>('SELECT asset FROM custody_accounts WHERE case_id = $1', [caseId]);
  if (accounts.rows.length === 0) throw problems.notFound('Custody case', caseId);
  const { rows } = await db.query<{
    entry_id: number;
    case_id: string;
    asset: string;
    kind: LedgerKind;
    amount: string;
    reference: string;
    created_at: Date;
  }>('SELECT * FROM ledger_entries WHERE case_id = $1 ORDER BY entry_id', [caseId]);
  const balances: Record<string, Decimal> = {};
  for (const { asset } of accounts.rows) balances[asset] = new Decimal(0);
  for (const row of rows) balances[row.asset] = (balances[row.asset] ?? new Decimal(0)).plus(row.amount);
  return {
    caseId,
    entries: rows.map((row) => {
      const amount = toWire(new Decimal(row.amount));
      return {
        entryId: String(row.entry_id),
        caseId: row.case_id,
        asset: row.asset as Asset,
        kind: row.kind,
        amount,
        baseUnits: toBaseUnits(amount, row.asset as Asset).toString(),
        reference: row.reference,
        createdAt: row.created_at.toISOString(),
      };
    }),
    balances: Object.fromEntries(Object.entries(balances).map(([asset, total]) => [asset, toWire(total)])),
    balancesBaseUnits: Object.fromEntries(
      Object.entries(balances).map(([asset, total]) => [asset, toBaseUnits(total, asset as Asset).toString()]),
    ),
    intakeTotals: await intakeTotalsOf(db, caseId),
  };
}

type Asset = contracts.custody.CustodyAccount['asset'];

/** What the case's lots declared and delivered, per asset, summed across the lots (exact: NUMERIC sums). */
async function intakeTotalsOf(db: Queryable, caseId: string): Promise<contracts.custody.IntakeTotal[]> {
  const { rows } = await db.query<{ asset: Asset; lots: number; declared: string; received: string }>(
    `SELECT asset, count(*)::int AS lots, sum(declared_amount)::text AS declared, sum(received_amount)::text AS received
     FROM intakes WHERE case_id = $1 GROUP BY asset ORDER BY asset`,
    [caseId],
  );
  return rows.map((row) => {
    const declared = new Decimal(row.declared);
    const received = new Decimal(row.received);
    return {
      asset: row.asset,
      unit: BASE_UNIT_NAMES[row.asset],
      lots: row.lots,
      declared: withBaseUnits(toWire(declared), row.asset),
      received: withBaseUnits(toWire(received), row.asset),
      difference: withBaseUnits(toWire(received.minus(declared)), row.asset),
    };
  });
}
