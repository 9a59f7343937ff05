/**
 * Custody intakes of the case and the acts on a difference: the handing officer and the receiving
 * custodian each countersign its classification (custody.intake.countersign, signed by the control
 * API for the token's person and checked again by custody against the handover evidence).
 * The intakes are as the case recorded them; custody's answer to an act is the current intake.
 */
import { useState } from 'preact/hooks';
import type { Api } from './api';
import { ColumnHeads } from './column-heads';
import { at } from './format';
import { ClassifyDifferenceForm } from './intake-forms';
import { ProblemView } from './loading';
import type { Person } from './session';
import type { CaseProgress } from './types';

type Intake = CaseProgress['intakes'][number];

/** Which countersignature this person would give: the role the handover evidence names them in. */
export function countersignRole(intake: Intake, me: Person): 'custodian' | 'handing-officer' | undefined {
  if (me.roles.includes('custodian') && intake.evidence.receivedBy === me.id) return 'custodian';
  if (me.roles.includes('case-officer') && intake.evidence.handedOverBy === me.id) return 'handing-officer';
  return undefined;
}

/**
 * The countersignature act on an intake's difference (path and body), naming the classification
 * countersigned when the intake has one: the same act from the case page and from the inbox.
 */
export function countersignature(
  intake: Pick<Intake, 'intakeId' | 'differenceClassification'>,
  role: 'custodian' | 'handing-officer',
): [path: string, body: { role: string; classificationId?: string }] {
  const classificationId = intake.differenceClassification?.classificationId;
  return [
    `/v1/custody/intakes/${encodeURIComponent(intake.intakeId)}/difference/countersignatures`,
    { role, ...(classificationId ? { classificationId } : {}) },
  ];
}

/** An intake's amounts as a table cell: declared against received, in the asset's units. */
export function DeclaredReceived({
  intake: i,
}: {
  intake: Pick<Intake, 'declaredAmount' | 'receivedAmount' | 'asset'>;
}) {
  return (
    <td class="num">
      {i.declaredAmount} / {i.receivedAmount} {i.asset}
    </td>
  );
}

export function IntakeActs({
  api,
  me,
  progress: p,
  onActed,
}: {
  api: Api;
  me: Person;
  progress: CaseProgress;
  onActed: () => void;
}) {
  const [answers, setAnswers] = useState<Record<string, { intake?: Intake; error?: unknown }>>({});
  if (!p.intakes.length) return null;
  const countersign = async (intake: Intake, role: 'custodian' | 'handing-officer') => {
    try {
      const answer = await api.post<Intake>(...countersignature(intake, role), `console-${crypto.randomUUID()}`);
      setAnswers({ ...answers, [intake.intakeId]: { intake: answer } });
      onActed();
    } catch (error) {
      setAnswers({ ...answers, [intake.intakeId]: { error } });
    }
  };
  // Custody's answer to a classification is the intake as it now stands.
  const recorded = (intake: Intake) => {
    setAnswers({ ...answers, [intake.intakeId]: { intake } });
    onActed();
  };
  return (
    <section aria-labelledby="intakes-heading">
      <h2 id="intakes-heading">Custody intakes</h2>
      <table>
        <ColumnHeads names={['Intake', 'Lot', 'Declared / received', 'txid', 'Handover', 'Difference']} />
        <tbody>
          {p.intakes.map((i) => {
            const answer = answers[i.intakeId];
            const current = answer?.intake ?? i;
            const role = countersignRole(current, me);
            const signed = (current.countersignatures ?? []).map((c) => `${c.signedBy} (${c.role})`);
            const awaitingMine =
              role &&
              current.differenceStatus === 'CLASSIFIED' &&
              !(current.countersignatures ?? []).some((c) => c.role === role);
            return (
              <tr key={i.intakeId} data-intake={i.intakeId}>
                <td>{i.intakeId}</td>
                <td>{i.lotId}</td>
                <DeclaredReceived intake={i} />
                <td>
                  <code class="txid">{i.txHash}</code>
                  <div class="muted">{i.confirmations} confirmation(s)</div>
                </td>
                <td>
                  {i.evidence.handedOverBy} → {i.evidence.receivedBy}
                  <div class="muted">{at(i.recordedAt)}</div>
                </td>
                <td>
                  {i.difference} ({current.differenceStatus ?? i.status})
                  {current.differenceClassification ? (
                    <div class="muted">
                      {current.differenceClassification.classification}: {current.differenceClassification.explanation}
                    </div>
                  ) : null}
                  {signed.length ? <div class="muted">countersigned by {signed.join(', ')}</div> : null}
                  {awaitingMine ? (
                    <button type="button" onClick={() => countersign(current, role)}>
                      Countersign as {role}
                    </button>
                  ) : null}
                  {answer?.error ? <ProblemView error={answer.error} /> : null}
                  {me.roles.includes('custodian') && current.differenceStatus === 'UNCLASSIFIED' ? (
                    <ClassifyDifferenceForm api={api} intake={current} onRecorded={recorded} />
                  ) : null}
                  {me.roles.includes('custodian') && current.differenceStatus === 'CLASSIFIED' ? (
                    <details>
                      <summary>Correct the classification</summary>
                      <ClassifyDifferenceForm api={api} intake={current} onRecorded={recorded} />
                    </details>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
