/**
 * What waits for me: the decisions my roles take, across the cases waiting for one (each case's own
 * status says what it waits for now: visibility lags a little), with the four-eyes state; the acts
 * waiting for me (pending-acts.tsx); the whitelist entries custodians approve; and every case I may follow.
 */
import { useState } from 'preact/hooks';
import type { Api } from './api';
import { approvalState } from './approval-state';
import { CaseLink } from './case-link';
import { ColumnHeads } from './column-heads';
import { at, relative } from './format';
import { Loading, ProblemView, useLoad } from './loading';
import { PendingActsInbox } from './pending-acts';
import type { Person } from './session';
import type { CaseProgress, CaseSummary, ConsoleConfig } from './types';
import { Waiting } from './waiting';

interface WhitelistEntry {
  entryId: string;
  chain: string;
  address: string;
  label?: string;
  venue?: string;
  status: string;
  requestedBy?: string;
  approvals?: Array<{ approvedBy: string }>;
}

const WHITELIST_READERS = ['custodian', 'supervisor', 'auditor', 'operator'];

export function Inbox({ api, me, config }: { api: Api; me: Person; config: ConsoleConfig }) {
  const waiting = useLoad(async () => {
    const { cases } = await api.get<{ cases: CaseSummary[] }>('/v1/cases', {
      status: 'AWAITING_DECISION',
      limit: '200',
    });
    const progress = await Promise.all(
      cases.map((c) => api.get<CaseProgress>(`/v1/cases/${encodeURIComponent(c.caseId)}`).catch(() => undefined)),
    );
    return progress.filter((p): p is CaseProgress => {
      const roles = p?.awaiting ? (config.decisionRoles[p.awaiting.stage] ?? []) : [];
      return roles.some((r) => me.roles.includes(r));
    });
  }, [me.id]);
  const custodian = me.roles.includes('custodian');
  const whitelist = useLoad(
    async () =>
      WHITELIST_READERS.some((r) => me.roles.includes(r))
        ? (await api.get<{ entries: WhitelistEntry[] }>('/v1/custody/whitelist', { status: 'PENDING_APPROVAL' }))
            .entries
        : [],
    [me.id],
  );
  const all = useLoad(() => api.get<{ cases: CaseSummary[] }>('/v1/cases', { limit: '50' }), [me.id]);

  return (
    <main id="main" tabIndex={-1}>
      <h1>Inbox</h1>
      <section aria-labelledby="decisions-heading">
        <Loading loaded={waiting}>
          {(cases) => (
            <Waiting
              id="decisions-heading"
              title="Decisions waiting for you"
              count={cases.length}
              empty={cases.length === 0}
              none="No case waits for a decision your roles take."
            >
              <table class="inbox">
                <ColumnHeads
                  names={['Case', 'Decision', 'Amount', 'Since', 'Reminder', 'Escalation', 'Deadline', 'Approvals']}
                />
                <tbody>
                  {cases.map((p) => {
                    const a = p.awaiting!;
                    const state = approvalState(p, me, config.decisionRoles);
                    return (
                      <tr key={p.caseId} data-case={p.caseId}>
                        <td>
                          <CaseLink caseId={p.caseId} />
                          <div class="muted">{p.agency}</div>
                        </td>
                        <td>
                          <strong>{a.stage}</strong>
                          <div class="muted">{a.what}</div>
                        </td>
                        <td>
                          {(p.amounts?.totals ?? []).map((t) => (
                            <div key={t.asset}>
                              {t.declared.amount} {t.asset}
                            </div>
                          ))}
                          {p.valuation ? <div class="muted">CNY {p.valuation.valueCny}</div> : null}
                        </td>
                        <td>
                          {at(a.since)}
                          <div class="muted">{relative(a.since)}</div>
                        </td>
                        <td>
                          {at(a.remindAt)}
                          {a.reminded ? <div class="flag">sent</div> : null}
                        </td>
                        <td>
                          {at(a.escalateAt)} to {a.escalateTo}
                          {a.escalated ? <div class="flag">escalated</div> : null}
                        </td>
                        <td>
                          {at(a.deadline)}
                          <div class="muted">{relative(a.deadline)}</div>
                        </td>
                        <td>
                          {state ? `${state.given} of ${state.required}` : '–'}
                          {state?.cannotApprove.length ? <div class="flag">not by you</div> : null}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </Waiting>
          )}
        </Loading>
      </section>

      <PendingActsInbox api={api} me={me} config={config} />

      {custodian || me.roles.includes('supervisor') ? (
        <section aria-labelledby="whitelist-heading">
          <Loading loaded={whitelist}>
            {(entries) => (
              <Waiting
                id="whitelist-heading"
                title="Whitelist entries awaiting approval"
                count={entries.length}
                empty={entries.length === 0}
                none="No whitelist entry waits for approval."
              >
                <WhitelistTable api={api} me={me} entries={entries} reload={whitelist.reload} />
              </Waiting>
            )}
          </Loading>
        </section>
      ) : null}

      <section aria-labelledby="cases-heading">
        <h2 id="cases-heading">Cases</h2>
        <Loading loaded={all}>
          {({ cases }) => (
            <table>
              <ColumnHeads names={['Case', 'Agency', 'Stage', 'Status', 'Started']} />
              <tbody>
                {cases.map((c) => (
                  <tr key={c.caseId}>
                    <td>
                      <CaseLink caseId={c.caseId} />
                    </td>
                    <td>{c.agency ?? '–'}</td>
                    <td>{c.stage ?? '–'}</td>
                    <td>{c.status ?? c.execution}</td>
                    <td>{at(c.startTime)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Loading>
      </section>
    </main>
  );
}

function WhitelistTable({
  api,
  me,
  entries,
  reload,
}: {
  api: Api;
  me: Person;
  entries: WhitelistEntry[];
  reload: () => void;
}) {
  const [error, setError] = useState<unknown>();
  const approve = async (entryId: string) => {
    setError(undefined);
    try {
      await api.post(
        `/v1/custody/whitelist/${encodeURIComponent(entryId)}/approvals`,
        {},
        `console-${crypto.randomUUID()}`,
      );
      reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <table>
        <ColumnHeads names={['Entry', 'Address', 'Requested by', 'Approvals', 'Act']} />
        <tbody>
          {entries.map((e) => (
            <tr key={e.entryId}>
              <td>
                {e.entryId}
                <div class="muted">{e.label ?? e.venue}</div>
              </td>
              <td>
                <code>{e.address}</code> ({e.chain})
              </td>
              <td>{e.requestedBy ?? '–'}</td>
              <td>{(e.approvals ?? []).map((a) => a.approvedBy).join(', ') || 'none yet'}</td>
              <td>
                {me.roles.includes('custodian') ? (
                  <button type="button" onClick={() => approve(e.entryId)} disabled={e.requestedBy === me.id}>
                    Approve entry
                  </button>
                ) : null}
                {e.requestedBy === me.id ? <div class="muted">you requested it</div> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {error ? <ProblemView error={error} /> : null}
    </>
  );
}
