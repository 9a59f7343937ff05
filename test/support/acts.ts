/**
 * Signed acts in tests: a key pair standing in for the control API's act key, and helpers that sign
 * an act for a person the way the control API does (packages/shared/src/acts). A service under test
 * is given `verifyKeys`; a request is signed with `actHeader` (forwarded acts) or carries a decision
 * from `signedDecision` (acts the workflow carries).
 */
import { type KeyObject, randomUUID } from 'node:crypto';
import {
  ACT_HEADER,
  type ActKind,
  type ActObject,
  type Actor,
  ActSigningKey,
  ActVerifyKeys,
  type CarriedDecision,
  DECISION_ACT,
  decisionContent,
  encodeActHeader,
  newActKeyPair,
  requestContent,
  signAct,
} from '../../packages/shared/src/acts';

export interface TestActKeys {
  signingKey: KeyObject;
  verifyKeys: KeyObject[];
  /** The same keys in the environment's form (ACT_VERIFY_KEYS, DECISION_SIGNING_KEY). */
  env: { signingKey: string; verifyKey: string };
}

export function testActKeys(): TestActKeys {
  const pair = newActKeyPair();
  return {
    signingKey: ActSigningKey.parse(pair.signingKey),
    verifyKeys: ActVerifyKeys.parse(pair.verifyKey),
    env: pair,
  };
}

/** The people tests act as (the dev issuer seeds the same ids). */
export const PEOPLE = {
  custodian: { id: 'custodian.chen', role: 'custodian', unit: 'custody' },
  secondCustodian: { id: 'custodian.liu', role: 'custodian', unit: 'custody' },
  thirdCustodian: { id: 'custodian.ma', role: 'custodian', unit: 'custody' },
  caseOfficer: { id: 'officer.zhang', role: 'case-officer', unit: 'case-handling' },
  seizingOfficer: { id: 'officer.zhao', role: 'case-officer', unit: 'case-handling' },
  supervisor: { id: 'supervisor.li', role: 'supervisor', unit: 'case-handling' },
  secondSupervisor: { id: 'supervisor.zhou', role: 'supervisor', unit: 'finance' },
  seniorSupervisor: { id: 'senior.supervisor.wu', role: 'senior-supervisor', unit: 'finance' },
  fxOfficer: { id: 'fx.officer.wang', role: 'fx-officer', unit: 'finance' },
  secondFxOfficer: { id: 'fx.officer.zhao', role: 'fx-officer', unit: 'finance' },
  treasuryOfficer: { id: 'treasury.officer.sun', role: 'treasury-officer', unit: 'finance' },
  secondTreasuryOfficer: { id: 'treasury.officer.gao', role: 'treasury-officer', unit: 'finance' },
} as const satisfies Record<string, Actor>;

export interface ActRequest {
  kind: ActKind;
  actor: Actor;
  object: ActObject;
  method: string;
  /** The path as the service sees it (no query). */
  path: string;
  body: unknown;
  issuedAt?: Date;
  ttlSeconds?: number;
}

/** The `VCDC-Act` header for a forwarded act, signed over exactly this request. */
export function actHeader(key: KeyObject, r: ActRequest): Record<string, string> {
  const signed = signAct(key, {
    kind: r.kind,
    actor: r.actor,
    object: r.object,
    content: requestContent(r.method, r.path, r.body),
    ...(r.issuedAt ? { issuedAt: r.issuedAt } : {}),
    ...(r.ttlSeconds !== undefined ? { ttlSeconds: r.ttlSeconds } : {}),
  });
  return { [ACT_HEADER]: encodeActHeader(signed) };
}

/** A decision on `caseId` as the control API signs it for `actor` (what the workflow carries to a service). */
export function signedDecision(
  key: KeyObject,
  caseId: string,
  actor: Actor,
  d: Omit<CarriedDecision, 'decidedBy' | 'role' | 'unit' | 'nonce' | 'act' | 'decidedAt'> & { decidedAt?: string },
): CarriedDecision {
  const decidedAt = d.decidedAt ?? new Date().toISOString();
  const nonce = randomUUID();
  const decision = { ...d, decidedAt };
  const act = signAct(key, {
    kind: DECISION_ACT,
    actor,
    object: { type: 'case', id: caseId, caseId },
    content: decisionContent(caseId, decision),
    actId: nonce,
  });
  return { ...decision, decidedBy: actor.id, role: actor.role, unit: actor.unit, nonce, act };
}
