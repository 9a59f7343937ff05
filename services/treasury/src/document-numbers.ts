import type { Queryable } from '@vcdc/shared';

/**
 * `<prefix>-<yyyymmdd>-<nnnnnn>`, counted per series and UTC day from 000001. The counter row stays
 * locked until the transaction that took the number ends, so numbers are unique and without gaps.
 */
export async function nextDocumentNo(tx: Queryable, prefix: string, now: Date): Promise<string> {
  const day = now.toISOString().slice(0, 10);
  const { rows } = await tx.query<{ last: number }>(
    `INSERT INTO document_counters (series, day, last) VALUES ($1, $2, 1)
     ON CONFLICT (series, day) DO UPDATE SET last = document_counters.last + 1
     RETURNING last`,
    [prefix, day],
  );
  return `${prefix}-${day.replaceAll('-', '')}-${String(rows[0]!.last).padStart(6, '0')}`;
}
