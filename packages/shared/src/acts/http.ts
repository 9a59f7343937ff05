/**
 * Signed acts over HTTP. The control API forwards a person's act to the service that carries it out
 * with the signed act in the `VCDC-Act` header (base64url of its JSON); the service's route declares
 * which act it carries out (`requireAct`), and the middleware verifies the signature, the kind, the
 * role, the validity window and that the act was signed over exactly this request (method, path and
 * body), then hands the act to the handler (`actOf`). The handler records it (`recordSignedAct`) on
 * its transaction and takes the person from it. A body that names a person is refused
 * (`refuseNamedPerson`): the person is the act's, never the caller's to say.
 */
import type { KeyObject } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { Problem } from '../problem';
import type { ActKind } from './act-kinds';
import { type CarriedDecision, type DecisionExpectation, verifyCarriedDecision } from './decisions';
import { type Act, type ActRefusal, requestContent, type SignedAct, verifySignedAct } from './signed-act';

export const ACT_HEADER = 'VCDC-Act';

export function encodeActHeader(signed: SignedAct): string {
  return Buffer.from(JSON.stringify(signed)).toString('base64url');
}

export function decodeActHeader(value: string | undefined): unknown {
  if (value === undefined || value === '') return undefined;
  try {
    return JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    return { malformed: true };
  }
}

/** The status a refused act answers: a malformed one is the caller's bad request, the rest are 403. */
export function actProblem(refusal: ActRefusal, extensions: Record<string, unknown> = {}): Problem {
  if (refusal.code === 'act-replayed') {
    return new Problem(409, refusal.code, 'Act already used', refusal.message, extensions);
  }
  const status = refusal.code === 'act-malformed' ? 400 : 403;
  return new Problem(status, refusal.code, 'Act refused', refusal.message, extensions);
}

export interface RequireActOptions {
  keys: readonly KeyObject[];
  kind: ActKind;
  /** The object the act must be on, from the request (e.g. the entry id in the path). */
  object?: (req: Request) => { type?: string; id?: string; caseId?: string };
  now?: () => Date;
}

/** The path an act is signed over: the request's path without its query string. */
export function actPath(req: Request): string {
  return req.originalUrl.split('?')[0] ?? req.originalUrl;
}

/** Verifies the request's signed act (see the file comment); the act is then `actOf(res)`. */
export function requireAct(options: RequireActOptions): RequestHandler {
  return (req, res, next) => {
    const presented = decodeActHeader(req.get(ACT_HEADER));
    // Whatever the header claims, even unverified, goes with a refusal into the audit chain.
    res.locals.claimedAct = presented;
    const checked = verifySignedAct(options.keys, presented, {
      kind: options.kind,
      content: requestContent(req.method, actPath(req), req.body),
      ...(options.object ? { object: options.object(req) } : {}),
      ...(options.now ? { now: options.now() } : {}),
    });
    if (!checked.ok) throw actProblem(checked.refusal, { act: options.kind });
    res.locals.act = checked.act;
    res.locals.signedAct = checked.signed;
    next();
  };
}

export function actOf(res: Response): Act {
  const act = res.locals.act as Act | undefined;
  if (!act) throw new Error('actOf: the route has no requireAct');
  return act;
}

export function signedActOf(res: Response): SignedAct {
  const signed = res.locals.signedAct as SignedAct | undefined;
  if (!signed) throw new Error('signedActOf: the route has no requireAct');
  return signed;
}

/** Body fields that name a person: the person acting is the signed act's, so a body naming one is refused. */
export const PERSON_FIELDS = [
  'attestedBy',
  'approvedBy',
  'requestedBy',
  'revokedBy',
  'classifiedBy',
  'signedBy',
  'recordedBy',
  'correctedBy',
  'decidedBy',
  'preparedBy',
  'submittedBy',
  'registeredBy',
  'openedBy',
  'authorisedBy',
  'actor',
] as const;

/**
 * A correction's body (fx's settlement corrections, treasury's corrections) names neither its author
 * nor its approver either: each is the person of their own act.
 */
export const CORRECTOR_FIELDS = [...PERSON_FIELDS, 'author', 'approver'] as const;

/** Middleware: `refuseNamedPerson` on the request body before anything else reads it. */
export function noNamedPerson(fields: readonly string[] = PERSON_FIELDS): RequestHandler {
  return (req, _res, next) => {
    refuseNamedPerson(req.body, fields);
    next();
  };
}

/** Who a step the case workflow takes itself is booked as: the workflow, never a person. */
export function workflowActor(workflowId: string): string {
  return `workflow:${workflowId}`;
}

/** 400 naming the field when the body carries a person's name in any of `fields` (top level). */
export function refuseNamedPerson(body: unknown, fields: readonly string[] = PERSON_FIELDS): void {
  if (!body || typeof body !== 'object') return;
  const named = fields.filter((f) => Object.hasOwn(body, f));
  if (named.length === 0) return;
  throw new Problem(
    400,
    'validation',
    'Invalid request body',
    `${named.join(', ')}: the person acting is taken from the signed act, never from the body`,
    { errors: named.map((field) => ({ field, message: 'names a person; the signed act says who acts' })) },
  );
}

export type VerifiedDecision = CarriedDecision & { act: SignedAct; unit: string };

/**
 * A person's decision the workflow carries to a service (decisions.ts), verified there again against
 * the control API's act keys for the case the step is on. A request without one, or with a forged,
 * altered, other-case, other-stage or wrong-outcome one, is a 403 the audit chain records (with what
 * the decision claimed); once verified, the decision's act is the request's act, so a later refusal
 * names its person.
 */
export function acceptDecision(
  keys: readonly KeyObject[],
  req: Request,
  presented: unknown,
  expect: DecisionExpectation,
): VerifiedDecision {
  const res = req.res;
  const claimed = (presented as { act?: unknown } | undefined)?.act;
  if (res && claimed !== undefined) res.locals.claimedAct = claimed;
  if (presented === undefined || presented === null) {
    throw actProblem(
      {
        code: 'act-missing',
        message: `decision: a signed ${expect.stage} decision on case ${expect.caseId} is required`,
      },
      { decision: expect.stage },
    );
  }
  const checked = verifyCarriedDecision(keys, presented, expect);
  if (!checked.ok) throw actProblem(checked.refusal, { decision: expect.stage });
  if (res) {
    res.locals.act = checked.decision.act.act;
    res.locals.signedAct = checked.decision.act;
  }
  return checked.decision;
}
