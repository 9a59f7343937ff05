/**
 * The auditor's page: every audit chain verified through the control API (GET /v1/audit/verify, auditors
 * only), with one clear verdict first, then each chain (records checked, its latest signed checkpoint,
 * its money tables against the row images it holds, the refusals it keeps) and where the first one breaks.
 */
import type { Api } from './api';
import { ColumnHeads } from './column-heads';
import { Loading, useLoad } from './loading';

interface ChainReport {
  chain: string;
  ok: boolean;
  checked?: number;
  brokenAt?: { seq: number; problem: string; detail: string };
  why?: string;
  refusals?: { total: number };
  checkpoint?: { seq: number | null; ok: boolean } | null;
  tables?: Array<{ table: string; ok: boolean; rows: number; problems: number }>;
  error?: string;
}

interface AuditVerification {
  ok: boolean;
  chains: ChainReport[];
  totals: { chains: number; verified: number; records: number; tables: number; rows: number };
  allRefusals: { total: number };
  firstBroken?: { chain: string; seq?: number; problem?: string; detail: string };
}

export function AuditPage({ api }: { api: Api }) {
  const verified = useLoad(() => api.get<AuditVerification>('/v1/audit/verify'), []);
  return (
    <main id="main" tabIndex={-1}>
      <h1>Audit chains</h1>
      <p>
        <button type="button" onClick={verified.reload}>
          Verify again
        </button>
      </p>
      <Loading loaded={verified}>
        {(v) => (
          <>
            <p class={v.ok ? 'verdict ok' : 'verdict broken'} role="status" data-testid="audit-verdict">
              {v.ok
                ? `Intact: ${v.totals.verified} of ${v.totals.chains} chains, ${v.totals.records} records, ${v.totals.tables} money tables (${v.totals.rows} rows) checked; ${v.allRefusals.total} refusals on record.`
                : `Broken: ${v.firstBroken ? `${v.firstBroken.chain}${v.firstBroken.seq !== undefined ? ` at record ${v.firstBroken.seq}` : ''} (${v.firstBroken.problem ?? 'unverified'}): ${v.firstBroken.detail}` : 'a chain did not verify'}`}
            </p>
            <table>
              <caption>Each chain</caption>
              <ColumnHeads names={['Chain', 'Verdict', 'Records', 'Signed checkpoint', 'Money tables', 'Refusals']} />
              <tbody>
                {v.chains.map((c) => (
                  <tr key={c.chain} data-testid={`chain-${c.chain}`}>
                    <th scope="row">{c.chain}</th>
                    <td>
                      {c.ok
                        ? 'intact'
                        : (c.error ?? (c.brokenAt ? `broken at ${c.brokenAt.seq}: ${c.brokenAt.detail}` : c.why))}
                    </td>
                    <td>{c.checked ?? '-'}</td>
                    <td>
                      {c.checkpoint
                        ? `${c.checkpoint.ok ? 'holds' : 'contradicted'} at ${c.checkpoint.seq ?? '-'}`
                        : 'none'}
                    </td>
                    <td>
                      {(c.tables ?? [])
                        .map((t) => `${t.table} ${t.ok ? 'ok' : `${t.problems} problem(s)`} (${t.rows})`)
                        .join(', ') || '-'}
                    </td>
                    <td>{c.refusals?.total ?? '-'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </Loading>
    </main>
  );
}
