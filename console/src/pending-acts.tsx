/**
 * The acts waiting for me, with counts (GET /v1/acts/pending: the control API reads each service with
 * its own credential, only the lists my roles act on): intake differences the handover evidence names
 * me to countersign, and FX and treasury corrections to approve, each linking to its case. A
 * countersignature or an approval is taken here, with the four-eyes state shown before the click.
 */

import type { ActKind } from '@vcdc/shared/acts/pure';
import type { custody } from '@vcdc/shared/contracts';
import { useState } from 'preact/hooks';
import { ActRefusal, useAct } from './act-form';
import type { Api } from './api';
import { CaseLink } from './case-link';
import { ColumnHeads } from './column-heads';
import {
  ApproveCorrection,
  CORRECTION_ACTS,
  correctionApproval,
  describeTreasuryCorrection,
  type FxCorrection,
  type TreasuryCorrection,
} from './correction-forms';
import { at } from './format';
import { countersignature, DeclaredReceived } from './intake-acts';
import { Loading, useLoad } from './loading';
import type { Person } from './session';
import type { ConsoleConfig } from './types';
import { Waiting } from './waiting';

type Countersign = custody.Intake & { countersignAs: 'custodian' | 'handing-officer' };

interface PendingList<T> {
  act: ActKind;
  count: number;
  items: T[];
}

interface PendingActs {
  countersignatures?: PendingList<Countersign>;
  fxCorrections?: PendingList<FxCorrection>;
  treasuryCorrections?: PendingList<TreasuryCorrection>;
  unavailable: Array<{ list: string; service: string; problem: { type: string; detail?: string } }>;
}

/** The corrections listed for approval, each kind with what a row says of it. */
const CORRECTION_LISTS = [
  {
    kind: 'fx',
    list: 'fxCorrections',
    title: 'FX settlement corrections awaiting approval',
    describe: (c: FxCorrection | TreasuryCorrection) => {
      const x = c as FxCorrection;
      return `${x.before.cnyAmount} → ${x.after.cnyAmount} CNY at ${x.after.rate} (${x.cnyDifference}): ${x.reason}`;
    },
  },
  {
    kind: 'treasury',
    list: 'treasuryCorrections',
    title: 'Treasury corrections awaiting approval',
    describe: (c: FxCorrection | TreasuryCorrection) => describeTreasuryCorrection(c as TreasuryCorrection),
  },
] as const;

/** Who may take one of the acts listed (the control API answers 403 to anyone else). */
const TAKES_AN_ACT = ['custody.intake.countersign', 'fx.correction.approve', 'treasury.correction.approve'];

export function PendingActsInbox({ api, me, config }: { api: Api; me: Person; config: ConsoleConfig }) {
  const concerned = TAKES_AN_ACT.some((k) => (config.actRoles[k] ?? []).some((r) => me.roles.includes(r)));
  const loaded = useLoad(
    async () => (concerned ? api.get<PendingActs>('/v1/acts/pending') : undefined),
    [me.id, concerned],
  );
  if (!concerned) return null;
  return (
    <section aria-labelledby="acts-heading">
      <Loading loaded={loaded}>
        {(p) =>
          p ? (
            <>
              <h2 id="acts-heading">
                Acts waiting for you{' '}
                <span class="count" data-testid="acts-count">
                  {actionable(p, me, config)}
                </span>
              </h2>
              {p.countersignatures ? (
                <Countersignatures api={api} list={p.countersignatures} reload={loaded.reload} />
              ) : null}
              {CORRECTION_LISTS.map(({ kind, list, title, describe }) => {
                const pending = p[list];
                return pending ? (
                  <Corrections
                    key={kind}
                    {...{ api, me, config, kind, title, describe }}
                    list={pending}
                    reload={loaded.reload}
                  />
                ) : null;
              })}
              {p.unavailable.map((u) => (
                <p key={u.list} class="muted" data-testid="acts-unavailable">
                  {u.list} could not be read from {u.service}: {u.problem.detail ?? u.problem.type}
                </p>
              ))}
            </>
          ) : null
        }
      </Loading>
    </section>
  );
}

/** How many of the acts listed this person may take now (not the corrections they proposed themselves). */
function actionable(p: PendingActs, me: Person, config: ConsoleConfig): number {
  const approvable = (kind: 'fx' | 'treasury', items: Array<FxCorrection | TreasuryCorrection> = []) =>
    items.filter((c) => correctionApproval(c, me, config.actRoles[CORRECTION_ACTS[kind].approve] ?? []).may).length;
  return (
    (p.countersignatures?.count ?? 0) +
    approvable('fx', p.fxCorrections?.items) +
    approvable('treasury', p.treasuryCorrections?.items)
  );
}

function Countersignatures({ api, list, reload }: { api: Api; list: PendingList<Countersign>; reload: () => void }) {
  return (
    <Waiting
      level="h3"
      id="countersign-heading"
      title="Intake differences awaiting your countersignature"
      count={list.count}
      empty={list.items.length === 0}
      none="No classified difference waits for your countersignature."
    >
      <table aria-labelledby="countersign-heading">
        <ColumnHeads names={['Case', 'Intake', 'Declared / received', 'Classified', 'Act']} />
        <tbody>
          {list.items.map((i) => (
            <tr key={i.intakeId} data-countersign={i.intakeId}>
              <td>
                <CaseLink caseId={i.caseId} />
              </td>
              <td>
                {i.intakeId}
                <div class="muted">lot {i.lotId}</div>
              </td>
              <DeclaredReceived intake={i} />
              <td>
                {i.differenceClassification?.classification}: {i.differenceClassification?.explanation}
                <div class="muted">
                  {i.differenceClassification?.classifiedBy ? `by ${i.differenceClassification.classifiedBy}, ` : ''}
                  {at(i.differenceClassification?.classifiedAt)}
                </div>
              </td>
              <td>
                <CountersignButton api={api} intake={i} onDone={reload} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Waiting>
  );
}

function CountersignButton({ api, intake, onDone }: { api: Api; intake: Countersign; onDone: () => void }) {
  const [signed, setSigned] = useState(false);
  const act = useAct<custody.Intake>(api, () => {
    setSigned(true);
    onDone();
  });
  if (signed) return <p role="status">Countersigned.</p>;
  return (
    <>
      <button
        type="button"
        disabled={act.sending}
        onClick={() => act.send(...countersignature(intake, intake.countersignAs))}
      >
        Countersign as {intake.countersignAs}
      </button>
      <ActRefusal error={act.error} testId="countersign-refused" />
    </>
  );
}

function Corrections({
  api,
  me,
  config,
  kind,
  title,
  list,
  describe,
  reload,
}: {
  api: Api;
  me: Person;
  config: ConsoleConfig;
  kind: 'fx' | 'treasury';
  title: string;
  list: PendingList<FxCorrection | TreasuryCorrection>;
  describe: (c: FxCorrection | TreasuryCorrection) => string;
  reload: () => void;
}) {
  const headingId = `${kind}-corrections-inbox-heading`;
  return (
    <Waiting
      level="h3"
      id={headingId}
      title={title}
      count={list.count}
      empty={list.items.length === 0}
      none="No correction waits for approval."
    >
      <table aria-labelledby={headingId}>
        <ColumnHeads names={['Case', 'Correction', 'Requested', 'Approval']} />
        <tbody>
          {list.items.map((c) => (
            <tr key={c.correctionId} data-correction-row={c.correctionId}>
              <td>
                <CaseLink caseId={c.caseId} />
              </td>
              <td>{describe(c)}</td>
              <td>{at(c.requestedAt)}</td>
              <td>
                <ApproveCorrection api={api} me={me} config={config} kind={kind} correction={c} onApproved={reload} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Waiting>
  );
}
