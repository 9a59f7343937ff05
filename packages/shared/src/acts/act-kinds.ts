/**
 * The acts people take, each with the roles that may take it, the kind of object it is taken on and
 * how long its signature is good for. One table for every part: the control API checks a person's
 * token against it before it signs, and the service that carries the act out checks the signed act
 * against it again (it trusts no caller to have checked). Pure: imported by services, the control
 * API and (as types) the workflow.
 */
import { z } from 'zod';

/** The roles a person can hold (the identity provider's `roles` claim). */
export const PersonRole = z.enum([
  'case-officer',
  'supervisor',
  'senior-supervisor',
  'custodian',
  'fx-officer',
  'treasury-officer',
  'auditor',
  'operator',
]);
export type PersonRole = z.infer<typeof PersonRole>;

interface ActKindRule {
  /** Who may take the act. */
  roles: readonly PersonRole[];
  /** What the act is taken on (the act's `object.type`). */
  object:
    | 'case'
    | 'lot'
    | 'intake'
    | 'whitelist-entry'
    | 'declaration'
    | 'settlement'
    | 'restitution-order'
    | 'correction'
    | 'credit'
    | 'receivable'
    | 'provider';
  /**
   * How long the signature is good for, in seconds. An act forwarded at once lives minutes; an
   * authorisation the workflow carries to a later step (a transfer after the whitelist's cooling-off,
   * a settlement recorded days after the decision) lives as long as that step may take.
   */
  ttlSeconds: number;
  /** Used once (a second use with the same act id is refused as a replay), or as often as it bounds. */
  use: 'once' | 'bounded';
}

const MINUTES = 60;
const DAYS = 24 * 60 * 60;

export const ACT_KINDS = {
  /** A custodian attests what they read on a chain custody does not watch (two must agree). */
  'custody.intake.attest': { roles: ['custodian'], object: 'lot', ttlSeconds: 10 * MINUTES, use: 'once' },
  /** Why a received amount differs from the declared one. */
  'custody.intake.classify': { roles: ['custodian'], object: 'intake', ttlSeconds: 10 * MINUTES, use: 'once' },
  /** The handing-over officer's or the receiving custodian's countersignature of the classification. */
  'custody.intake.countersign': {
    roles: ['custodian', 'case-officer'],
    object: 'intake',
    ttlSeconds: 10 * MINUTES,
    use: 'once',
  },
  /** A correction of the handover evidence (a new record; the old one stays). */
  'custody.evidence.correct': { roles: ['custodian'], object: 'intake', ttlSeconds: 10 * MINUTES, use: 'once' },
  /** A new destination (or a replacement) for the whitelist. */
  'custody.whitelist.request': {
    roles: ['custodian'],
    object: 'whitelist-entry',
    ttlSeconds: 10 * MINUTES,
    use: 'once',
  },
  /** One of the two approvals of a whitelist entry, by a custodian other than the requester. */
  'custody.whitelist.approve': {
    roles: ['custodian'],
    object: 'whitelist-entry',
    ttlSeconds: 10 * MINUTES,
    use: 'once',
  },
  /** Revoking takes effect at once (it can only make coins safer). */
  'custody.whitelist.revoke': {
    roles: ['custodian', 'supervisor'],
    object: 'whitelist-entry',
    ttlSeconds: 10 * MINUTES,
    use: 'once',
  },
  /**
   * A decision on a case (decisions.ts): the workflow verifies it before acting on it, and carries it
   * to every service whose step it authorises (the DISPOSAL_PLAN approvals to custody's transfers, an
   * FX_SETTLEMENT to fx, a REMITTANCE or JUDGMENT to the treasury), which verify it again. Per stage,
   * the role is DECISION_ROLE; one decision may authorise several keyed calls of its step.
   */
  'case.decision': {
    roles: ['supervisor', 'senior-supervisor', 'fx-officer'],
    object: 'case',
    ttlSeconds: 180 * DAYS,
    use: 'bounded',
  },
  /** A correction of a recorded settlement (rate or amount), by an FX officer. */
  'fx.settlement.correct': { roles: ['fx-officer'], object: 'settlement', ttlSeconds: 10 * MINUTES, use: 'once' },
  /** Approval of a correction by another person than its author. */
  'fx.correction.approve': {
    roles: ['fx-officer', 'supervisor'],
    object: 'correction',
    ttlSeconds: 10 * MINUTES,
    use: 'once',
  },
  /** A correction of a treasury entry (reversal + new entry). */
  'treasury.correction.request': {
    roles: ['treasury-officer'],
    object: 'credit',
    ttlSeconds: 10 * MINUTES,
    use: 'once',
  },
  'treasury.correction.approve': {
    roles: ['treasury-officer', 'supervisor'],
    object: 'correction',
    ttlSeconds: 10 * MINUTES,
    use: 'once',
  },
  /**
   * The follow-up remittance of what an upward correction after the pay-out left in the account: a
   * supervisor's approval, as the first pay-out's REMITTANCE decision was (never the correction's author).
   */
  'treasury.follow-up.approve': { roles: ['supervisor'], object: 'correction', ttlSeconds: 10 * MINUTES, use: 'once' },
  /** Money paid out too much came back: the recovery of a receivable, with the refund's receipt. */
  'treasury.recovery.record': {
    roles: ['treasury-officer'],
    object: 'receivable',
    ttlSeconds: 10 * MINUTES,
    use: 'once',
  },
  /**
   * A change to the register of licensed providers (a new provider, a renewed licence or bond, a
   * verification given or withdrawn): proposed by one supervisor, in force only once another approves.
   */
  'register.provider.propose': {
    roles: ['supervisor', 'senior-supervisor'],
    object: 'provider',
    ttlSeconds: 10 * MINUTES,
    use: 'once',
  },
  'register.provider.approve': {
    roles: ['senior-supervisor', 'supervisor'],
    object: 'provider',
    ttlSeconds: 10 * MINUTES,
    use: 'once',
  },
} as const satisfies Record<string, ActKindRule>;

export type ActKind = keyof typeof ACT_KINDS;
export const ActKind = z.enum(Object.keys(ACT_KINDS) as [ActKind, ...ActKind[]]);

export function actRule(kind: ActKind): ActKindRule {
  return ACT_KINDS[kind];
}

/** The roles among `held` in which a person may take `kind` (first match), if any. */
export function actingRole(kind: ActKind, held: readonly string[]): PersonRole | undefined {
  return ACT_KINDS[kind].roles.find((r) => held.includes(r));
}
