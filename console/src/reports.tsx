/**
 * The case's reports as the control API serves them to people by role (read-only): the statement, the
 * books, best execution, the FX waterfalls, the treasury statement, and the case file to export (a 404
 * route-not-found says a control API does not serve one). Each is fetched with the person's token: a
 * plain link could not carry it.
 */
import { useState } from 'preact/hooks';
import { type Api, ApiProblem } from './api';
import { ProblemView } from './loading';

export const CASE_REPORTS = [
  { path: 'statement', title: 'Statement: the three values' },
  { path: 'reconciliation', title: 'Books recomputed from the services' },
  { path: 'best-execution', title: 'Best execution' },
  { path: 'fx-waterfalls', title: 'FX waterfall' },
  { path: 'treasury-statement', title: 'Treasury statement' },
] as const;

export function Reports({ api, caseId }: { api: Api; caseId: string }) {
  const [open, setOpen] = useState<{ path: string; body?: unknown; error?: unknown }>();
  const show = async (path: string) => {
    setOpen({ path });
    try {
      setOpen({ path, body: await api.get(`/v1/cases/${encodeURIComponent(caseId)}/${path}`) });
    } catch (error) {
      setOpen({ path, error });
    }
  };
  // The case file is a signed archive (auditors and supervisors): saved as a file, checked offline with
  // `vcdc dossier verify`.
  const exportCaseFile = async () => {
    setOpen({ path: 'dossier' });
    try {
      const blob = await api.download(`/v1/cases/${encodeURIComponent(caseId)}/dossier`);
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = `case-${caseId}.zip`;
      link.click();
      URL.revokeObjectURL(link.href);
      setOpen({
        path: 'dossier',
        body: `case-${caseId}.zip saved (${blob.size} bytes): check it with vcdc dossier verify`,
      });
    } catch (error) {
      setOpen({ path: 'dossier', error });
    }
  };
  return (
    <section aria-labelledby="reports-heading">
      <h2 id="reports-heading">Reports</h2>
      <ul class="reports">
        {CASE_REPORTS.map((r) => (
          <li key={r.path}>
            <button type="button" onClick={() => show(r.path)} aria-pressed={open?.path === r.path}>
              {r.title}
            </button>
          </li>
        ))}
        <li>
          <button type="button" onClick={exportCaseFile} aria-pressed={open?.path === 'dossier'}>
            Export the case file
          </button>
        </li>
      </ul>
      {open?.error instanceof ApiProblem &&
      open.error.status === 404 &&
      /[:/]route-not-found$/.test(String(open.error.problem.type)) ? (
        <p role="status">This report is not served by this control API yet.</p>
      ) : open?.error ? (
        <ProblemView error={open.error} />
      ) : open?.body !== undefined ? (
        <pre class="report" data-testid="report">
          {JSON.stringify(open.body, null, 2)}
        </pre>
      ) : open ? (
        <p aria-live="polite">Loading…</p>
      ) : null}
    </section>
  );
}
