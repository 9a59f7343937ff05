/**
 * Corrections with their approver: an FX officer proposes a settlement tranche's corrected rate or CNY
 * amount (fx.settlement.correct), a treasury officer a ledger line's corrected amount
 * (treasury.correction.request); another person approves it (fx.correction.approve,
 * treasury.correction.approve). The control API signs each act for the token's person and the
 * service judges it: the four-eyes state is shown before the click from the correction's author,
 * and the service refuses the author's approval all the same.
 *
 * The tranches and ledger lines are read as the services keep them now (through the control API's
 * fx-declarations and treasury-statement routes), so a correction after the case closed is proposed
 * on the version in force, not on the case's snapshot.
 */

import type { fx, treasury } from '@vcdc/shared/contracts';
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ActRefusal, Field, fieldBinder, fieldErrors, filled, useAct } from './act-form';
import { type Api, ApiProblem } from './api';
import { at } from './format';
import { type Loaded, Loading, useLoad } from './loading';
import type { Person } from './session';
import type { ConsoleConfig } from './types';

export type FxCorrection = fx.SettlementCorrection;
export type TreasuryCorrection = treasury.CorrectionRequest;
type AnyCorrection = { correctionId: string; author: string; status: string };

export const CORRECTION_ACTS = {
  fx: { propose: 'fx.settlement.correct', approve: 'fx.correction.approve' },
  treasury: { propose: 'treasury.correction.request', approve: 'treasury.correction.approve' },
} as const;

const approvalPath = (kind: 'fx' | 'treasury', id: string) =>
  kind === 'fx'
    ? `/v1/fx/settlement-corrections/${encodeURIComponent(id)}/approval`
    : `/v1/treasury/corrections/${encodeURIComponent(id)}/approval`;

/**
 * A deployment without the service (the control API has no URL for it: 503 service-not-configured)
 * has nothing of it to correct: the section is left out rather than shown as a failure on every case.
 */
const notConfigured = (error: unknown) =>
  error instanceof ApiProblem && error.status === 503 && /service-not-configured$/.test(error.problem.type ?? '');

/**
 * Whether this person may approve a correction, and if not why, from its data: the service's rule
 * (the author never approves; the act's roles) said before the click.
 */
export function correctionApproval(
  c: AnyCorrection,
  me: Person,
  approverRoles: readonly string[],
): { may: boolean; why?: string } {
  if (c.status !== 'PENDING_APPROVAL') return { may: false, why: 'This correction is approved and booked already.' };
  if (c.author === me.id) {
    return {
      may: false,
      why: `You proposed this correction, so you cannot approve it; another ${approverRoles.join(' or ')} must.`,
    };
  }
  if (!approverRoles.some((r) => me.roles.includes(r))) {
    return {
      may: false,
      why: `A correction is approved by a ${approverRoles.join(' or ')}; you are ${me.roles.join(', ') || 'none of these'}.`,
    };
  }
  return { may: true };
}

/** Approve a pending correction: the four-eyes state first, then the button (only when it may be pressed). */
export function ApproveCorrection({
  api,
  me,
  config,
  kind,
  correction,
  onApproved,
}: {
  api: Api;
  me: Person;
  config: ConsoleConfig;
  kind: 'fx' | 'treasury';
  correction: AnyCorrection;
  onApproved: () => void;
}) {
  const act = useAct<AnyCorrection>(api, onApproved);
  const state = correctionApproval(correction, me, config.actRoles[CORRECTION_ACTS[kind].approve] ?? []);
  if (act.done) {
    return (
      <p role="status" data-testid="correction-approved">
        Approved by you: correction {correction.correctionId} is {act.done.status}.
      </p>
    );
  }
  return (
    <div class="approve-correction" data-correction={correction.correctionId}>
      <p class="muted">Proposed by {correction.author}</p>
      {state.may ? (
        <button
          type="button"
          disabled={act.sending}
          onClick={() => act.send(approvalPath(kind, correction.correctionId), {})}
        >
          Approve correction {correction.correctionId.slice(0, 8)}
        </button>
      ) : (
        <p class="cannot" data-testid="cannot-approve-correction">
          {state.why}
        </p>
      )}
      <ActRefusal error={act.error} testId="correction-refused" />
    </div>
  );
}

/** A treasury correction in a line: which ledger line, what it should have been, and why. */
export const describeTreasuryCorrection = (x: TreasuryCorrection) =>
  `line ${x.line} → ${x.correctedAmount} CNY: ${x.reason}`;

const figures = (f: fx.SettlementFigures) => `${f.cnyAmount} CNY at ${f.rate} (${f.netForeignAmount} net)`;

/** A settlement tranche's pending and booked corrections, and the form to propose one. */
export function FxCorrections({ api, me, config, caseId }: CorrectionsProps) {
  const corrections = useCorrections(
    api,
    me,
    config,
    caseId,
    'fx',
    async () =>
      (await api.get<{ declarations: fx.Declaration[] }>(`/v1/cases/${encodeURIComponent(caseId)}/fx-declarations`))
        .declarations,
  );
  const { loaded, reload } = corrections;
  if (!corrections.concerned || notConfigured(loaded.error)) return null;
  const tranches = (loaded.data ?? []).flatMap((d) => d.settlements);
  if (loaded.data && tranches.length === 0 && !loaded.error) return null;
  return (
    <CorrectionsSection
      {...{ api, me, config, corrections }}
      kind="fx"
      heading="FX settlement corrections"
      describe={(c) => {
        const x = c as FxCorrection;
        return `tranche ${x.settlementId}: ${figures(x.before)} → ${figures(x.after)} (${x.cnyDifference} CNY): ${x.reason}`;
      }}
    >
      {tranches.map((t) => (
        <div key={t.settlementId} class="tranche" data-settlement={t.settlementId}>
          <h3>
            Tranche {t.bankReference} <span class="muted">{t.settlementId}</span>
          </h3>
          <p>
            {t.netForeignAmount ?? t.foreignAmount} {t.currency} at {t.rate} = {t.cnyAmount} CNY, settled{' '}
            {at(t.settledAt)}
            {t.corrections?.length
              ? `; in force after ${t.corrections.length} correction(s): ${t.inForce ? figures(t.inForce) : ''}`
              : ''}
          </p>
          {corrections.mayPropose ? (
            <ProposeFxCorrection api={api} settlementId={t.settlementId} onProposed={reload} />
          ) : null}
        </div>
      ))}
    </CorrectionsSection>
  );
}

function ProposeFxCorrection({
  api,
  settlementId,
  onProposed,
}: {
  api: Api;
  settlementId: string;
  onProposed: () => void;
}) {
  const [form, setForm] = useState({ rate: '', cnyAmount: '', reason: '' });
  const act = useAct<FxCorrection>(api, onProposed);
  const bind = fieldBinder(form, setForm, fieldErrors(act.error), (f) => `fx-${settlementId}-${f}`);
  const submit = (e: Event) => {
    e.preventDefault();
    void act.send(`/v1/fx/settlements/${encodeURIComponent(settlementId)}/corrections`, filled(form));
  };
  return (
    <form class="act-form" onSubmit={submit} aria-label={`Propose a correction of tranche ${settlementId}`}>
      <Field {...bind('rate')} label="Corrected rate (CNY per unit)" hint="Leave empty to keep the rate in force." />
      <Field {...bind('cnyAmount')} label="Corrected CNY amount" hint="Leave empty to compute it from the rate." />
      <Field {...bind('reason')} label="Reason for the correction" multiline />
      <p class="muted">Another FX officer or a supervisor approves it; you will not be able to.</p>
      <button type="submit" disabled={act.sending}>
        Propose correction
      </button>
      {act.done ? (
        <p role="status" data-testid="correction-proposed">
          Proposed: correction {act.done.correctionId} ({act.done.status}), {figures(act.done.before)} →{' '}
          {figures(act.done.after)}.
        </p>
      ) : null}
      <ActRefusal error={act.error} testId="correction-proposal-refused" />
    </form>
  );
}

/** The case's treasury ledger lines that may be corrected, the pending corrections, and the form. */
export function TreasuryCorrections({ api, me, config, caseId }: CorrectionsProps) {
  const corrections = useCorrections(api, me, config, caseId, 'treasury', () =>
    api.get<treasury.CaseStatement>(`/v1/cases/${encodeURIComponent(caseId)}/treasury-statement`),
  );
  const { loaded, pending, reload } = corrections;
  if (!corrections.concerned || notConfigured(loaded.error)) return null;
  // Only money that came in is corrected here (the treasury refuses other lines, naming the kind).
  const correctable = (loaded.data?.lines ?? []).filter(
    (l) => l.line !== undefined && (l.kind === 'CREDIT' || l.kind === 'CORRECTION'),
  );
  if (loaded.data && correctable.length === 0 && !pending.length) return null;
  return (
    <CorrectionsSection
      {...{ api, me, config, corrections }}
      kind="treasury"
      heading="Treasury corrections"
      describe={(c) => describeTreasuryCorrection(c as TreasuryCorrection)}
    >
      {corrections.mayPropose && correctable.length ? (
        <ProposeTreasuryCorrection api={api} caseId={caseId} lines={correctable} onProposed={reload} />
      ) : null}
    </CorrectionsSection>
  );
}

type CorrectionsProps = { api: Api; me: Person; config: ConsoleConfig; caseId: string };

/**
 * A kind of correction as this person takes part in it: proposers see the form, proposers and
 * approvers the section (an approver with nothing to propose still approves). What is corrected
 * (`load`) and the corrections waiting for approval are loaded only for them, and reloaded together
 * after an act.
 */
function useCorrections<T>(
  api: Api,
  me: Person,
  config: ConsoleConfig,
  caseId: string,
  kind: 'fx' | 'treasury',
  load: () => Promise<T>,
) {
  const roles = config.actRoles[CORRECTION_ACTS[kind].propose] ?? [];
  const approvers = config.actRoles[CORRECTION_ACTS[kind].approve] ?? [];
  const concerned = [...roles, ...approvers].some((r) => me.roles.includes(r));
  const loaded = useLoad(async () => (concerned ? load() : undefined), [caseId, concerned]);
  const pending = usePending(api, caseId, kind === 'fx' ? 'fxCorrections' : 'treasuryCorrections', concerned);
  return {
    mayPropose: roles.some((r) => me.roles.includes(r)),
    concerned,
    loaded,
    pending: pending.data ?? [],
    reload: () => {
      loaded.reload();
      pending.reload();
    },
  };
}

/** A kind's corrections section: what it corrects once loaded, with the corrections waiting for approval first. */
function CorrectionsSection({
  api,
  me,
  config,
  kind,
  heading,
  corrections,
  describe,
  children,
}: {
  api: Api;
  me: Person;
  config: ConsoleConfig;
  kind: 'fx' | 'treasury';
  heading: string;
  corrections: { loaded: Loaded<unknown>; pending: AnyCorrection[]; reload: () => void };
  describe: (c: AnyCorrection) => string;
  children: ComponentChildren;
}) {
  return (
    <section aria-labelledby={`${kind}-corrections-heading`}>
      <h2 id={`${kind}-corrections-heading`}>{heading}</h2>
      <Loading loaded={corrections.loaded}>
        {() => (
          <>
            <PendingCorrections
              api={api}
              me={me}
              config={config}
              kind={kind}
              items={corrections.pending}
              describe={describe}
              onApproved={corrections.reload}
            />
            {children}
          </>
        )}
      </Loading>
    </section>
  );
}

function ProposeTreasuryCorrection({
  api,
  caseId,
  lines,
  onProposed,
}: {
  api: Api;
  caseId: string;
  lines: treasury.CaseStatement['lines'];
  onProposed: () => void;
}) {
  const [form, setForm] = useState({ line: String(lines[0]?.line ?? ''), correctedAmount: '', reason: '' });
  const act = useAct<TreasuryCorrection>(api, onProposed);
  const bind = fieldBinder(form, setForm, fieldErrors(act.error), (f) => `treasury-${f}`);
  const submit = (e: Event) => {
    e.preventDefault();
    const { line, ...rest } = form;
    void act.send('/v1/treasury/corrections', { caseId, line: Number(line), ...filled(rest) });
  };
  return (
    <form class="act-form" onSubmit={submit} aria-label="Propose a correction of a ledger line">
      <Field {...bind('line')} label="Ledger line">
        {lines.map((l) => (
          <option key={l.line} value={String(l.line)}>
            {l.line}: {l.kind} {l.amount} CNY ({l.reference})
          </option>
        ))}
      </Field>
      <Field {...bind('correctedAmount')} label="What the line should have been (CNY)" />
      <Field {...bind('reason')} label="Reason for the correction" multiline />
      <p class="muted">Another treasury officer or a supervisor approves it; you will not be able to.</p>
      <button type="submit" disabled={act.sending}>
        Propose treasury correction
      </button>
      {act.done ? (
        <p role="status" data-testid="treasury-correction-proposed">
          Proposed: correction {act.done.correctionId} ({act.done.status}).
        </p>
      ) : null}
      <ActRefusal error={act.error} testId="treasury-correction-refused" />
    </form>
  );
}

/** The case's corrections waiting for approval (GET /v1/acts/pending?caseId=), for approvers. */
function usePending(api: Api, caseId: string, list: 'fxCorrections' | 'treasuryCorrections', concerned: boolean) {
  return useLoad(async () => {
    if (!concerned) return [];
    const answer = await api.get<Record<string, { items: AnyCorrection[] } | undefined>>('/v1/acts/pending', {
      caseId,
    });
    return answer[list]?.items ?? [];
  }, [caseId, list, concerned]);
}

export function PendingCorrections({
  api,
  me,
  config,
  kind,
  items,
  describe,
  onApproved,
}: {
  api: Api;
  me: Person;
  config: ConsoleConfig;
  kind: 'fx' | 'treasury';
  items: AnyCorrection[];
  describe: (c: AnyCorrection) => string;
  onApproved: () => void;
}) {
  if (!items.length) return null;
  return (
    <ul class="pending-corrections">
      {items.map((c) => (
        <li key={c.correctionId} data-pending-correction={c.correctionId}>
          <strong>Waiting for approval:</strong> {describe(c)}
          <ApproveCorrection api={api} me={me} config={config} kind={kind} correction={c} onApproved={onApproved} />
        </li>
      ))}
    </ul>
  );
}
