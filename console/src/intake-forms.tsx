/**
 * A custodian's intake acts: attesting what they read on a chain custody does not watch
 * (custody.intake.attest: the first attestation waits for a second, distinct custodian's; two that
 * agree are the intake) and recording why an intake's received amount differs from the declared one
 * (custody.intake.classify; the handing officer and the receiving custodian then countersign it,
 * intake-acts.tsx). The control API signs each for the token's person; custody judges it, and its
 * refusal is shown as it came, next to the field it names.
 */

import type { custody } from '@vcdc/shared/contracts';
import { useState } from 'preact/hooks';
import { ActRefusal, Field, fieldBinder, fieldErrors, filled, useAct } from './act-form';
import type { Api } from './api';
import type { Person } from './session';
import type { CaseProgress } from './types';

type Intake = CaseProgress['intakes'][number];

const CLASSIFICATIONS: Array<[custody.IntakeDifferenceRecord['classification'], string]> = [
  ['SHORT_DELIVERY', 'Short delivery (less arrived than declared)'],
  ['NETWORK_FEE', "The sweep's network fee (name its transaction)"],
  ['EXCESS_DELIVERY', 'Excess delivery (more arrived than declared)'],
  ['OTHER', 'Other (explain)'],
];

/** Record (or correct, before it is countersigned) why an intake's received amount differs. */
export function ClassifyDifferenceForm({
  api,
  intake,
  onRecorded,
}: {
  api: Api;
  intake: Intake;
  onRecorded: (intake: Intake) => void;
}) {
  const current = intake.differenceClassification;
  const [form, setForm] = useState({ classification: 'SHORT_DELIVERY', amount: '', explanation: '', feeTxHash: '' });
  const act = useAct<Intake>(api, onRecorded);
  const bind = fieldBinder(form, setForm, fieldErrors(act.error), (f) => `classify-${intake.intakeId}-${f}`);
  const submit = (e: Event) => {
    e.preventDefault();
    const { classification, ...rest } = form;
    void act.send(`/v1/custody/intakes/${encodeURIComponent(intake.intakeId)}/difference`, {
      classification,
      ...filled(rest),
      ...(current ? { corrects: current.classificationId } : {}),
    });
  };
  return (
    <form class="act-form" onSubmit={submit} aria-label={`Record the difference of intake ${intake.intakeId}`}>
      <Field {...bind('classification')} label="Why it differs">
        {CLASSIFICATIONS.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </Field>
      <Field
        {...bind('amount')}
        label={`Difference, declared − received (${intake.asset})`}
        hint={`declared ${intake.declaredAmount} − received ${intake.receivedAmount}`}
      />
      {form.classification === 'NETWORK_FEE' ? <Field {...bind('feeTxHash')} label="The fee's transaction" /> : null}
      <Field {...bind('explanation')} label="Explanation" multiline />
      <button type="submit" disabled={act.sending}>
        {current ? 'Record a corrected classification' : 'Record the difference'}
      </button>
      <ActRefusal error={act.error} testId="classify-refused" />
    </form>
  );
}

/** A custodian's attestation of an intake custody cannot see on chain itself. */
export function AttestIntakeForm({ api, me, caseId }: { api: Api; me: Person; caseId: string }) {
  const [form, setForm] = useState({
    lotId: '',
    asset: 'BTC',
    chain: 'bitcoin',
    declaredAmount: '',
    txHash: '',
    amount: '',
  });
  const [evidence, setEvidence] = useState({
    handoverFormNo: '',
    handedOverBy: '',
    receivedBy: me.id,
    handedOverAt: '',
  });
  const act = useAct<custody.AttestedIntake>(api);
  const errors = fieldErrors(act.error);
  const bind = fieldBinder(form, setForm, errors, (f) => `attest-${f}`);
  if (!me.roles.includes('custodian')) return null;
  const submit = (e: Event) => {
    e.preventDefault();
    const at = evidence.handedOverAt.trim();
    void act.send('/v1/custody/attestations', {
      caseId,
      ...filled(form),
      evidence: {
        ...filled({ ...evidence, handedOverAt: '' }),
        // A local date and time from the picker, sent as the instant it names.
        ...(at ? { handedOverAt: Number.isNaN(Date.parse(at)) ? at : new Date(at).toISOString() } : {}),
      },
    });
  };
  const text = (f: keyof typeof form, label: string, hint?: string) => <Field {...bind(f)} label={label} hint={hint} />;
  const ev = (f: keyof typeof evidence, label: string, hint?: string) => (
    <Field
      id={`attest-evidence-${f}`}
      field={`evidence.${f}`}
      label={label}
      hint={hint}
      value={evidence[f]}
      onInput={(v) => setEvidence({ ...evidence, [f]: v })}
      errors={errors}
    />
  );
  return (
    <details class="act" data-testid="attest-intake">
      <summary>Attest an intake on a chain custody does not watch</summary>
      <form class="act-form" onSubmit={submit} aria-label="Attest an intake">
        {text('lotId', 'Lot')}
        <Field {...bind('asset')} label="Asset">
          {['BTC', 'ETH', 'USDT'].map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </Field>
        <Field {...bind('chain')} label="Chain">
          {['bitcoin', 'ethereum'].map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </Field>
        {text('declaredAmount', 'Declared amount', 'as the registration declares the lot')}
        {text('txHash', 'Sweep transaction', 'as you read it on the chain')}
        {text('amount', 'Amount you saw arrive')}
        <fieldset>
          <legend>Handover evidence</legend>
          {ev('handoverFormNo', 'Handover form number')}
          {ev('handedOverBy', 'Handed over by (officer id)')}
          {ev('receivedBy', 'Received by (custodian id)')}
          {ev('handedOverAt', 'Handed over at', 'e.g. 2026-03-10T09:30')}
        </fieldset>
        <p class="muted">A second custodian's attestation that agrees makes it the intake; you cannot give both.</p>
        <button type="submit" disabled={act.sending}>
          Attest intake
        </button>
        {act.done ? (
          <p role="status" data-testid="attested">
            Attested: lot {act.done.lotId} is {act.done.status} ({act.done.attestations.length} attestation(s)).
          </p>
        ) : null}
        <ActRefusal error={act.error} testId="attest-refused" />
      </form>
    </details>
  );
}
