/**
 * One case, top to bottom: what it waits for (and acting on it), the stages with their times, the
 * lots in decimals and base units, custody intakes, transfers with txids and confirmations, the sale
 * (fills; orders that filled nothing folded into a count), FX, treasury, the reconciliation, decisions
 * accepted and refused, holds and notifications; a link to the workflow in the Temporal Web UI; the
 * auditor's reports. Everything is the control API's answer for this person's token.
 */
import { CASE_STAGES } from '../../workflows/src/workflow/case-state';
import type { Api } from './api';
import { CaseActs } from './case-acts';
import { ColumnHeads } from './column-heads';
import { DecisionPanel } from './decision-panel';
import { FillsChart } from './fills-chart';
import { at } from './format';
import { FxWaterfalls } from './fx-waterfall';
import { IntakeActs } from './intake-acts';
import { Loading, useLoad } from './loading';
import { Reports } from './reports';
import { follow } from './router';
import type { Person } from './session';
import type { CaseProgress, ConsoleConfig, SaleLeg } from './types';

export function CasePage({ api, me, config, caseId }: { api: Api; me: Person; config: ConsoleConfig; caseId: string }) {
  const loaded = useLoad(() => api.get<CaseProgress>(`/v1/cases/${encodeURIComponent(caseId)}`), [caseId]);
  return (
    <main id="main" tabIndex={-1}>
      <p>
        <a href="/console/" onClick={follow}>
          ← Inbox
        </a>
      </p>
      <Loading loaded={loaded}>
        {(p) => (
          <>
            <CaseHeader progress={p} config={config} />
            <DecisionPanel api={api} me={me} config={config} progress={p} onDecided={loaded.reload} />
            <Timeline progress={p} />
            <Lots progress={p} />
            <IntakeActs api={api} me={me} progress={p} onActed={loaded.reload} />
            <Transfers progress={p} />
            <Sales progress={p} />
            <FxAndTreasury api={api} progress={p} />
            <CaseActs api={api} me={me} config={config} caseId={p.caseId} />
            <ReconciliationView progress={p} />
            <Decisions progress={p} />
            <Holds progress={p} />
            <Notifications progress={p} />
            <Reports api={api} caseId={p.caseId} />
          </>
        )}
      </Loading>
    </main>
  );
}

function CaseHeader({ progress: p, config }: { progress: CaseProgress; config: ConsoleConfig }) {
  const ui = config.temporalUi;
  return (
    <header class="case-header">
      <h1>Case {p.caseId}</h1>
      <dl class="facts">
        <dt>Agency</dt>
        <dd>{p.agency}</dd>
        <dt>Registered by</dt>
        <dd data-testid="requested-by">{p.requestedBy}</dd>
        <dt>Stage</dt>
        <dd data-testid="case-stage">{p.stage}</dd>
        <dt>Status</dt>
        <dd data-testid="case-status">{p.status}</dd>
        <dt>Now</dt>
        <dd>{p.details}</dd>
        {p.reason ? (
          <>
            <dt>Reason</dt>
            <dd>{p.reason}</dd>
          </>
        ) : null}
      </dl>
      {ui ? (
        <p>
          <a
            href={`${ui.url}/namespaces/${encodeURIComponent(ui.namespace)}/workflows/${encodeURIComponent(p.workflowId)}`}
            rel="noopener"
            target="_blank"
          >
            Open the workflow in the Temporal Web UI
          </a>
        </p>
      ) : null}
    </header>
  );
}

/** What happened to the case and when, oldest first: from its status (intakes, transfers, decisions, holds, notices). */
export function caseEvents(p: CaseProgress): Array<{ at: string; what: string }> {
  const events: Array<{ at: string; what: string }> = [];
  for (const i of p.intakes)
    events.push({ at: i.recordedAt, what: `intake of lot ${i.lotId} recorded (${i.receivedAmount} ${i.asset})` });
  for (const t of p.transfers) {
    if (t.testTransfer)
      events.push({ at: t.testTransfer.createdAt, what: `${t.asset} test deposit sent (${t.testTransfer.amount})` });
    if (t.transfer)
      events.push({ at: t.transfer.createdAt, what: `${t.asset} transfer to the venue sent (${t.transfer.amount})` });
  }
  for (const d of p.decisions.accepted)
    events.push({ at: d.decidedAt, what: `${d.stage} ${d.outcome} by ${d.decidedBy}` });
  for (const r of p.decisions.refused) events.push({ at: r.at, what: `decision refused (${r.code})` });
  for (const h of p.holds ?? []) events.push({ at: h.since, what: `held at ${h.stage}: ${h.reason}` });
  for (const n of p.notifications)
    events.push({ at: n.at, what: `${n.kind} to ${n.toRole}${n.stage ? ` (${n.stage})` : ''}` });
  if (p.awaiting) events.push({ at: p.awaiting.since, what: `waiting for ${p.awaiting.stage}` });
  return events.sort((a, b) => a.at.localeCompare(b.at));
}

/**
 * Each stage with the first time the case was seen in it (its signed audit checkpoints; the current
 * wait's start) and where it is now, then the case's events with their times.
 */
function Timeline({ progress: p }: { progress: CaseProgress }) {
  const reached = new Map<string, string>();
  for (const c of p.auditCheckpoints)
    if (!reached.has(c.stage) || c.at < reached.get(c.stage)!) reached.set(c.stage, c.at);
  if (p.awaiting && !reached.has(p.stage)) reached.set(p.stage, p.awaiting.since);
  const current = CASE_STAGES.indexOf(p.stage);
  const events = caseEvents(p);
  return (
    <section aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Stages</h2>
      <ol class="timeline">
        {CASE_STAGES.map((stage, i) => (
          <li
            key={stage}
            class={i < current ? 'done' : i === current ? 'current' : 'later'}
            aria-current={i === current ? 'step' : undefined}
          >
            <span class="stage">{stage}</span>{' '}
            <span class="muted">{reached.has(stage) ? at(reached.get(stage)) : i <= current ? '' : 'not yet'}</span>
            {i === current ? <span class="flag"> {p.status}</span> : null}
          </li>
        ))}
      </ol>
      {events.length ? (
        <details open={events.length <= 12}>
          <summary>Events ({events.length})</summary>
          <ol class="events">
            {events.map((e) => (
              <li key={`${e.at}-${e.what}`}>
                <time dateTime={e.at}>{at(e.at)}</time> {e.what}
              </li>
            ))}
          </ol>
        </details>
      ) : null}
    </section>
  );
}

function Lots({ progress: p }: { progress: CaseProgress }) {
  const amounts = p.amounts;
  if (!amounts) return null;
  const units = (a?: { amount: string; baseUnits?: string }, unit?: string) =>
    a ? (
      <>
        {a.amount}
        {a.baseUnits !== undefined ? (
          <div class="muted">
            {a.baseUnits} {unit}
          </div>
        ) : null}
      </>
    ) : (
      '–'
    );
  return (
    <section aria-labelledby="lots-heading">
      <h2 id="lots-heading">Lots</h2>
      <table>
        <ColumnHeads names={['Lot', 'Asset', 'Declared', 'Received', 'Difference']} />
        <tbody>
          {amounts.lots.map((l) => (
            <tr key={l.lotId}>
              <td>{l.lotId}</td>
              <td>{l.asset}</td>
              <td class="num">{units(l.declared, l.unit)}</td>
              <td class="num">{units(l.received, l.unit)}</td>
              <td class="num">{units(l.difference, l.unit)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          {amounts.totals.map((t) => (
            <tr key={t.asset}>
              <th scope="row">Total of {t.lots} lot(s)</th>
              <td>{t.asset}</td>
              <td class="num">{units(t.declared, t.unit)}</td>
              <td class="num">{units(t.received, t.unit)}</td>
              <td class="num">{units(t.difference, t.unit)}</td>
            </tr>
          ))}
        </tfoot>
      </table>
    </section>
  );
}

function Transfers({ progress: p }: { progress: CaseProgress }) {
  if (!p.transfers.length && !p.awaitingWhitelist) return null;
  const w = p.awaitingWhitelist;
  return (
    <section aria-labelledby="transfers-heading">
      <h2 id="transfers-heading">Transfers to the venue</h2>
      {w ? (
        <p>
          Waiting for the whitelist: {w.venue}'s {w.asset} address <code>{w.address}</code> ({w.chain}) —{' '}
          {w.entryId ? `entry ${w.entryId} ${w.status ?? ''}` : 'not requested yet'}
        </p>
      ) : null}
      <table>
        <ColumnHeads names={['Asset', 'What', 'Amount (net)', 'txid', 'Confirmations', 'State']} />
        <tbody>
          {p.transfers.flatMap((t) =>
            (
              [
                ['test deposit', t.testTransfer, t.testDeposit?.status],
                ['transfer', t.transfer, t.deposit?.status],
              ] as const
            )
              .filter(([, tr]) => tr)
              .map(([what, tr, credited]) => (
                <tr key={`${t.asset}-${what}`}>
                  <td>{t.asset}</td>
                  <td>{what}</td>
                  <td class="num">
                    {tr!.amount} ({tr!.netAmount})
                  </td>
                  <td>
                    <code class="txid">{tr!.txHash}</code>
                  </td>
                  <td class="num">{tr!.confirmations}</td>
                  <td>
                    {tr!.status}
                    {credited ? <div class="muted">venue: {credited}</div> : null}
                    {what === 'transfer' && t.hold ? <div class="flag">held by the venue: {t.hold.reason}</div> : null}
                  </td>
                </tr>
              )),
          )}
        </tbody>
      </table>
    </section>
  );
}

/** Fills only: an order that filled nothing says nothing about the sale, so those are counted, not listed. */
export function foldSales(sales: SaleLeg[]): { fills: SaleLeg[]; empty: number } {
  const fills = sales.filter((s) => Number(s.filled) > 0);
  return { fills, empty: sales.length - fills.length };
}

function Sales({ progress: p }: { progress: CaseProgress }) {
  if (!p.sales.length && !p.routes.length) return null;
  const { fills, empty } = foldSales(p.sales);
  return (
    <section aria-labelledby="sales-heading">
      <h2 id="sales-heading">Sale</h2>
      {p.routes.map((r) => (
        <p key={r.choiceId}>
          {r.asset}: <strong>{String(r.route)}</strong> — {r.reason}
        </p>
      ))}
      <p data-testid="empty-orders">
        {fills.length} order(s) filled; {empty} order(s) filled nothing.
      </p>
      {[...new Set([...fills, ...(p.saleRounds ?? [])].map((f) => f.symbol))].map((symbol) => (
        <FillsChart key={symbol} symbol={symbol} progress={p} />
      ))}
      {fills.length ? (
        <table>
          <ColumnHeads names={['Market', 'Order', 'Filled', 'Limit', 'Reference', 'Proceeds', 'Fee']} />
          <tbody>
            {fills.map((s) => (
              <tr key={s.clientOrderId}>
                <td>{s.symbol}</td>
                <td>
                  <code>{s.clientOrderId}</code>
                </td>
                <td class="num">
                  {s.filled} of {s.amount}
                </td>
                <td class="num">{s.limitPrice}</td>
                <td class="num">{s.reference}</td>
                <td class="num">{s.cost}</td>
                <td class="num">
                  {s.fee} {s.feeCurrency ?? ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {p.withdrawal ? (
        <p>
          Withdrawal {p.withdrawal.withdrawalId}: {p.withdrawal.amount} {p.withdrawal.currency} less fee{' '}
          {p.withdrawal.fee} = {p.withdrawal.netAmount} to {p.withdrawal.bankAccountId} ({p.withdrawal.status})
        </p>
      ) : null}
    </section>
  );
}

function FxAndTreasury({ api, progress: p }: { api: Api; progress: CaseProgress }) {
  if (!p.declaration && !p.settlements.length && !p.credits.length && !p.remittance) return null;
  return (
    <section aria-labelledby="fx-heading">
      <h2 id="fx-heading">Foreign exchange and treasury</h2>
      {p.declaration ? <Json label="FX declaration" value={p.declaration} /> : null}
      {p.declaration ? <FxWaterfalls api={api} progress={p} /> : null}
      {p.fxSettlement ? (
        <p>
          Settled {p.fxSettlement.settled} of {p.fxSettlement.amount}; {p.fxSettlement.remaining} remaining.
        </p>
      ) : null}
      {p.settlements.length ? <Json label={`Settlements (${p.settlements.length})`} value={p.settlements} /> : null}
      {p.credits.length ? (
        <Json label={`Credits to the special account (${p.credits.length})`} value={p.credits} />
      ) : null}
      {p.restitution ? <Json label="Restitution to the victims" value={p.restitution} /> : null}
      {p.remittance ? <Json label="Remittance to the treasury" value={p.remittance} /> : null}
    </section>
  );
}

function Json({ label, value }: { label: string; value: unknown }) {
  return (
    <details>
      <summary>{label}</summary>
      <pre>{JSON.stringify(value, null, 2)}</pre>
    </details>
  );
}

function ReconciliationView({ progress: p }: { progress: CaseProgress }) {
  const r = p.reconciliation ?? p.reconciliationBeforePayout;
  if (!r) return null;
  return (
    <section aria-labelledby="reconciliation-heading">
      <h2 id="reconciliation-heading">
        Reconciliation ({r.phase}): {r.ok ? 'every check passes' : `${r.differences.length} difference(s)`}
      </h2>
      <table>
        <ColumnHeads names={['Check', 'Left', 'Right', 'Result']} />
        <tbody>
          {r.checks.map((c) => (
            <tr key={c.name}>
              <td>{c.name}</td>
              <td class="num">
                {c.left.amount} <div class="muted">{c.left.label}</div>
              </td>
              <td class="num">
                {c.right.amount} <div class="muted">{c.right.label}</div>
              </td>
              <td>{c.pass ? 'pass' : <strong>differs by {c.difference}</strong>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Decisions({ progress: p }: { progress: CaseProgress }) {
  const { accepted, refused } = p.decisions;
  return (
    <section aria-labelledby="decisions-list-heading">
      <h2 id="decisions-list-heading">Decisions</h2>
      {accepted.length === 0 && refused.length === 0 ? <p>None yet.</p> : null}
      {accepted.length ? (
        <table data-testid="decisions-accepted">
          <caption>Accepted</caption>
          <ColumnHeads names={['When', 'Stage', 'Outcome', 'By', 'Reason', 'Policy']} />
          <tbody>
            {accepted.map((d) => (
              <tr key={d.nonce ?? d.decidedAt}>
                <td>{at(d.decidedAt)}</td>
                <td>{d.stage}</td>
                <td>{d.outcome}</td>
                <td>
                  {d.decidedBy} ({d.role}, {d.unit ?? '–'})
                </td>
                <td>{d.reason ?? ''}</td>
                <td>
                  {d.authorisation ? `${d.authorisation.policy.tier}, policy ${d.authorisation.policy.version}` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {refused.length ? (
        <table>
          <caption>Refused</caption>
          <ColumnHeads names={['When', 'Rule', 'Why', 'Sent as']} />
          <tbody>
            {refused.map((r) => (
              <tr key={`${r.at}-${r.code}`}>
                <td>{at(r.at)}</td>
                <td>{r.code}</td>
                <td>{r.reason}</td>
                <td>{r.via}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function Holds({ progress: p }: { progress: CaseProgress }) {
  if (!p.holds?.length) return null;
  return (
    <section aria-labelledby="holds-heading">
      <h2 id="holds-heading">Holds</h2>
      <ul>
        {p.holds.map((h) => (
          <li key={`${h.attempt}-${h.since}`}>
            Attempt {h.attempt} held at {h.stage} since {at(h.since)}: {h.reason}
            {h.resolution
              ? ` — resolved (${h.resolution.approvedBy.map((a) => a.decidedBy).join(', ')})${h.resolution.outcome ? `: ${h.resolution.outcome}` : ''}`
              : ' — unresolved'}
          </li>
        ))}
      </ul>
    </section>
  );
}

function Notifications({ progress: p }: { progress: CaseProgress }) {
  if (!p.notifications.length) return null;
  return (
    <section aria-labelledby="notifications-heading">
      <h2 id="notifications-heading">Notifications</h2>
      <ul>
        {p.notifications.map((n) => (
          <li key={`${n.at}-${n.kind}-${n.toRole}`}>
            {at(n.at)}: {n.kind} to {n.toRole}
            {n.stage ? ` (${n.stage})` : ''}
          </li>
        ))}
      </ul>
    </section>
  );
}
