/**
 * RFC 9457 problem details. Every error a service answers is one of these, with a stable `type`
 * that clients (the workflow's activities) switch on. `status` decides retryability on the client:
 * 4xx is a refusal (do not retry), 5xx is a fault (retry) — except the few types listed in
 * RETRYABLE_PROBLEM_TYPES, which are 409s that mean "not yet".
 */
import type { ZodError } from 'zod';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_PREFIX = 'urn:vcdc:problem:';

export interface FieldError {
  field: string;
  message: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** Problem types that say "try again later", even though they are 4xx. */
export const RETRYABLE_PROBLEM_TYPES = new Set<string>([
  problemType('idempotency-request-in-progress'),
  problemType('not-yet'),
]);

export function problemType(slug: string): string {
  return `${TYPE_PREFIX}${slug}`;
}

export class Problem extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly extensions: Record<string, unknown>;

  constructor(status: number, slug: string, title: string, detail?: string, extensions: Record<string, unknown> = {}) {
    super(detail ?? title);
    this.name = 'Problem';
    this.status = status;
    this.type = problemType(slug);
    this.title = title;
    this.detail = detail;
    this.extensions = extensions;
  }

  toBody(instance?: string): ProblemBody {
    return {
      type: this.type,
      title: this.title,
      status: this.status,
      ...(this.detail !== undefined ? { detail: this.detail } : {}),
      ...(instance !== undefined ? { instance } : {}),
      ...this.extensions,
    };
  }
}

/** The field path in the style a person reads: `lots[0].amount`. */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(body)';
}

export function validationProblem(error: ZodError, where = 'request body'): Problem {
  const errors: FieldError[] = error.issues.map((issue) => ({ field: fieldPath(issue.path), message: issue.message }));
  const detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  return new Problem(400, 'validation', `Invalid ${where}`, detail, { errors });
}

export const problems = {
  notFound: (what: string, id: string) =>
    new Problem(404, 'not-found', `${what} not found`, `${what} ${id} does not exist`),
  conflict: (slug: string, title: string, detail?: string, ext?: Record<string, unknown>) =>
    new Problem(409, slug, title, detail, ext),
  refused: (slug: string, title: string, detail?: string, ext?: Record<string, unknown>) =>
    new Problem(422, slug, title, detail, ext),
  notYet: (title: string, detail?: string, ext?: Record<string, unknown>) =>
    new Problem(409, 'not-yet', title, detail, ext),
  unavailable: (title: string, detail?: string) => new Problem(503, 'unavailable', title, detail),
};
