/**
 * What every act form shares: sending one act through the control API (one Idempotency-Key per
 * submission, so a retry of that very request is carried out once), and the server's refusal shown
 * as it came: the whole problem+json under the form, and each `errors[]` entry next to the field it
 * names, verbatim ("cnyAmount: must have at most 2 decimal places for CNY"). The console checks
 * nothing the server does not: it never hides a refusal behind its own message.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { type Api, ApiProblem } from './api';
import { ProblemView } from './loading';

export interface ActState<T> {
  sending: boolean;
  error?: unknown;
  done?: T;
  /** Sends the act; resolves to its answer, or undefined when refused (the refusal is in `error`). */
  send: (path: string, body: unknown) => Promise<T | undefined>;
}

export function useAct<T>(api: Api, onDone?: (answer: T) => void): ActState<T> {
  const [state, setState] = useState<{ sending: boolean; error?: unknown; done?: T }>({ sending: false });
  const send = async (path: string, body: unknown) => {
    setState({ sending: true });
    try {
      const done = await api.post<T>(path, body, `console-${crypto.randomUUID()}`);
      setState({ sending: false, done });
      onDone?.(done);
      return done;
    } catch (error) {
      setState({ sending: false, error });
      return undefined;
    }
  };
  return { ...state, send };
}

/** The server's message for each field its problem names (`errors: [{ field, message }]`). */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiProblem)) return {};
  const errors = error.problem.errors;
  if (!Array.isArray(errors)) return {};
  const out: Record<string, string> = {};
  for (const e of errors as Array<{ field?: unknown; message?: unknown }>) {
    if (typeof e?.field === 'string' && typeof e.message === 'string') out[e.field] = e.message;
  }
  return out;
}

/**
 * A labelled input, with the server's message for its field under it (and tied to it for screen
 * readers). `field` is the body's field name, as the server names it in its problem.
 */
export function Field({
  id,
  field,
  label,
  value,
  onInput,
  errors,
  hint,
  required,
  multiline,
  children,
}: {
  id: string;
  field: string;
  label: string;
  value: string;
  onInput: (value: string) => void;
  errors: Record<string, string>;
  hint?: string;
  required?: boolean;
  multiline?: boolean;
  /** Options: the field is a select. */
  children?: ComponentChildren;
}) {
  const message = errors[field];
  const described = [hint ? `${id}-hint` : '', message ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    name: field,
    value,
    required,
    'aria-invalid': message ? true : undefined,
    'aria-describedby': described,
  };
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children ? (
        <select {...common} onChange={(e) => onInput(e.currentTarget.value)}>
          {children}
        </select>
      ) : multiline ? (
        <textarea {...common} rows={2} onInput={(e) => onInput(e.currentTarget.value)} />
      ) : (
        <input {...common} onInput={(e) => onInput(e.currentTarget.value)} />
      )}
      {hint ? (
        <div class="muted" id={`${id}-hint`}>
          {hint}
        </div>
      ) : null}
      {message ? (
        <p class="field-error" id={`${id}-error`} data-testid={`field-error-${field}`}>
          {field}: {message}
        </p>
      ) : null}
    </div>
  );
}

/** The refusal under a form, as the server sent it. */
export function ActRefusal({ error, testId }: { error: unknown; testId: string }) {
  return error ? (
    <div data-testid={testId}>
      <ProblemView error={error} />
    </div>
  ) : null;
}

/** The body's optional text fields, trimmed, without the empty ones. */
export function filled(fields: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(fields)
      .map(([k, v]) => [k, v.trim()] as const)
      .filter(([, v]) => v !== ''),
  );
}

/**
 * A form's text fields bound to its state: `bind('rate')` gives a Field its id, body field name,
 * value, setter and the server's message for it, so each Field names only what it shows.
 */
export function fieldBinder<F extends Record<string, string>>(
  form: F,
  setForm: (form: F) => void,
  errors: Record<string, string>,
  id: (field: string) => string,
) {
  return (field: keyof F & string) => ({
    id: id(field),
    field,
    value: form[field],
    onInput: (value: string) => setForm({ ...form, [field]: value }),
    errors,
  });
}
