/**
 * The decision a case waits for, and acting on it: what is asked, who decides, the four-eyes and
 * quorum state before the click, then approve or reject with a reason through
 * POST /v1/cases/:caseId/decisions (the body `vcdc decide` sends). The control API signs the decision
 * for the token's person; the workflow judges it, and a refusal is shown as the server sent it.
 */
import { useState } from 'preact/hooks';
import type { Api } from './api';
import { approvalState } from './approval-state';
import { at, relative } from './format';
import { ProblemView } from './loading';
import type { Person } from './session';
import type { CaseProgress, ConsoleConfig, DecisionAccepted } from './types';

export function DecisionPanel({
  api,
  me,
  config,
  progress,
  onDecided,
}: {
  api: Api;
  me: Person;
  config: ConsoleConfig;
  progress: CaseProgress;
  onDecided: () => void;
}) {
  const a = progress.awaiting;
  const state = approvalState(progress, me, config.decisionRoles);
  const [outcome, setOutcome] = useState<'APPROVE' | 'REJECT'>('APPROVE');
  const [reason, setReason] = useState('');
  const [reference, setReference] = useState('');
  const [settlement, setSettlement] = useState({
    amount: '',
    bankReference: '',
    bankCharges: '',
    correspondentFees: '',
  });
  const [sending, setSending] = useState(false);
  const [refusal, setRefusal] = useState<unknown>();
  const [accepted, setAccepted] = useState<DecisionAccepted>();
  // The case moved on after this person's decision: what was accepted stays on the page.
  if (!a || !state) return accepted ? <AcceptedView accepted={accepted} /> : null;

  const submit = async (e: Event) => {
    e.preventDefault();
    setSending(true);
    setRefusal(undefined);
    setAccepted(undefined);
    const tranche = Object.fromEntries(Object.entries(settlement).filter(([, v]) => v.trim() !== ''));
    const body = {
      stage: a.stage,
      outcome,
      ...(reason.trim() ? { reason: reason.trim() } : {}),
      ...(reference.trim() ? { reference: reference.trim() } : {}),
      ...(a.stage === 'FX_SETTLEMENT' && Object.keys(tranche).length ? { settlement: tranche } : {}),
    };
    try {
      // One key per submission: a retry of this very request is answered once, never decided twice.
      setAccepted(
        await api.post<DecisionAccepted>(
          `/v1/cases/${encodeURIComponent(progress.caseId)}/decisions`,
          body,
          `console-${crypto.randomUUID()}`,
        ),
      );
      onDecided();
    } catch (err) {
      setRefusal(err);
    } finally {
      setSending(false);
    }
  };

  return (
    <section class="decision" aria-labelledby="decision-heading">
      <h2 id="decision-heading">Waiting for a decision: {a.stage}</h2>
      <p>{a.what}</p>
      <dl class="facts">
        <dt>Decided by</dt>
        <dd>{state.decidingRoles.join(' or ')}</dd>
        <dt>Since</dt>
        <dd>
          {at(a.since)} ({relative(a.since)})
        </dd>
        <dt>Reminder</dt>
        <dd>
          {at(a.remindAt)}
          {a.reminded ? ' — sent' : ''}
        </dd>
        <dt>Escalation</dt>
        <dd>
          {at(a.escalateAt)} to {a.escalateTo}
          {a.escalated ? ' — escalated' : ''}
        </dd>
        <dt>Deadline</dt>
        <dd>
          {at(a.deadline)} ({relative(a.deadline)})
        </dd>
        {progress.authorisationRequested && a.stage === 'DISPOSAL_PLAN' ? (
          <>
            <dt>Approves</dt>
            <dd>
              {progress.authorisationRequested.assets.map((x) => `at most ${x.maxAmount} ${x.asset}`).join(', ')} to{' '}
              {progress.authorisationRequested.venue}
            </dd>
          </>
        ) : null}
        {state.policy ? (
          <>
            <dt>Policy</dt>
            <dd>{state.policy}</dd>
          </>
        ) : null}
      </dl>

      <div class="quorum" data-testid="approval-state" aria-live="polite">
        <p>
          <strong>
            {state.given} of {state.required} approval{state.required === 1 ? '' : 's'}
          </strong>
          {state.approvedBy.length ? ` — so far by ${state.approvedBy.join(', ')}` : ''}
        </p>
        {state.cannotApprove.length ? (
          <ul class="cannot" data-testid="cannot-approve">
            {state.cannotApprove.map((why) => (
              <li key={why}>{why}</li>
            ))}
          </ul>
        ) : (
          <p class="can">You may take this decision; the case checks it again when it arrives.</p>
        )}
      </div>

      {state.holdsDecidingRole ? (
        <form onSubmit={submit} class="decide">
          <fieldset>
            <legend>Your decision</legend>
            {(
              [
                ['APPROVE', 'Approve'],
                ['REJECT', 'Reject'],
              ] as const
            ).map(([value, label]) => (
              <label key={value}>
                <input
                  type="radio"
                  name="outcome"
                  value={value}
                  checked={outcome === value}
                  onChange={() => setOutcome(value)}
                />{' '}
                {label}
              </label>
            ))}
          </fieldset>
          <label for="reason">Reason{outcome === 'REJECT' ? ' (required to reject)' : ''}</label>
          <textarea
            id="reason"
            rows={3}
            maxLength={1000}
            required={outcome === 'REJECT'}
            value={reason}
            onInput={(e) => setReason(e.currentTarget.value)}
          />
          {a.stage === 'FX_DECLARATION' ? (
            <>
              <label for="reference">The regulator's reference</label>
              <input id="reference" value={reference} onInput={(e) => setReference(e.currentTarget.value)} />
            </>
          ) : null}
          {a.stage === 'FX_SETTLEMENT' ? (
            <fieldset>
              <legend>The tranche the bank settled</legend>
              {(
                [
                  ['amount', 'Foreign amount settled'],
                  ['bankReference', "Bank's reference"],
                  ['bankCharges', "Settling bank's charges"],
                  ['correspondentFees', 'Correspondent fees'],
                ] as const
              ).map(([field, label]) => (
                <div key={field}>
                  <label for={`settlement-${field}`}>{label}</label>
                  <input
                    id={`settlement-${field}`}
                    value={settlement[field]}
                    onInput={(e) => setSettlement({ ...settlement, [field]: e.currentTarget.value })}
                  />
                </div>
              ))}
            </fieldset>
          ) : null}
          <button type="submit" disabled={sending}>
            {outcome === 'APPROVE' ? `Approve ${a.stage}` : `Reject ${a.stage}`}
          </button>
        </form>
      ) : null}
      {accepted ? <AcceptedView accepted={accepted} /> : null}
      {refusal ? (
        <div data-testid="decision-refused">
          <ProblemView error={refusal} />
        </div>
      ) : null}
    </section>
  );
}

function AcceptedView({ accepted }: { accepted: DecisionAccepted }) {
  const d = accepted.decision;
  return (
    <p class="accepted" role="status" data-testid="decision-accepted">
      Accepted: {d.stage} {d.outcome} by {d.decidedBy} ({d.role})
      {accepted.approvals ? `, approvals ${accepted.approvals.given} of ${accepted.approvals.required}` : ''}. The case
      is now {accepted.movesTo.stage} / {accepted.movesTo.status}.
    </p>
  );
}
