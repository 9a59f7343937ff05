/**
 * Who may do what: the one access matrix of the control API. Every route names its entry here, and
 * every decision stage's roles come from `DECISION_ROLES` (the workflow checks the same table when
 * the decision reaches it). `control-api/test/security-access.test.ts` checks this as a table.
 */
import { ACT_KINDS, type ActKind } from '@vcdc/shared';
import { DECISION_ROLES, type DecisionStage, Role } from '@vcdc/workflows/workflow/decision';
import { PENDING_ACT_ROLES } from './pending-acts';

export const ALL_ROLES: readonly Role[] = Role.options;

/** Who may take a forwarded act: exactly the roles of its kind (ACT_KINDS), which the service checks again. */
const actRoles = (kind: ActKind): readonly Role[] => ACT_KINDS[kind].roles;

/** Who may read the whitelist: those who act on it, those who supervise it, audit it or run the system. */
const WHITELIST_READERS: readonly Role[] = ['custodian', 'supervisor', 'auditor', 'operator'];

/** Who may read the register of licensed providers: those who change it, who deal with providers, audit or run the system. */
const REGISTER_READERS: readonly Role[] = [
  'supervisor',
  'senior-supervisor',
  'custodian',
  'fx-officer',
  'auditor',
  'operator',
];

/** The routes of the control API that need a person, each with the roles that may call it. */
export const ENDPOINT_ROLES = {
  /** Registering a case is the case officer's request for disposal. */
  'POST /v1/cases': ['case-officer'],
  /** A large case's lots are registered in chunks and sealed by the case officer who registers it (lot-manifests.ts). */
  'POST /v1/cases/:caseId/lots': ['case-officer'],
  'POST /v1/cases/:caseId/lots/seal': ['case-officer'],
  'GET /v1/cases/:caseId/lots': ALL_ROLES,
  /** Everyone who works on cases may follow them. */
  'GET /v1/cases': ALL_ROLES,
  'GET /v1/cases/:caseId': ALL_ROLES,
  /** The case statement (three values, amounts in base units): as open as the case's status. */
  'GET /v1/cases/:caseId/statement': ALL_ROLES,
  /** Anyone who takes some decision may post one; the stage's own roles are checked next (DECISION_ROLES). */
  'POST /v1/cases/:caseId/decisions': [...new Set(Object.values(DECISION_ROLES).flat())],
  /**
   * The notifications outbox: everyone, but only what is addressed to a role they hold, unless they
   * read everything (NOTIFICATIONS_READ_ALL; see `readableNotificationRoles`).
   */
  'GET /v1/notifications': ALL_ROLES,
  'GET /v1/cases/:caseId/notifications': ALL_ROLES,
  /** The audit chain: read and verified by auditors. */
  'GET /v1/audit/records': ['auditor'],
  'GET /v1/audit/verify': ['auditor'],
  /** People's acts forwarded, signed, to the service that carries them out (acts.ts). */
  'GET /v1/custody/whitelist': WHITELIST_READERS,
  'GET /v1/custody/whitelist/:entryId': WHITELIST_READERS,
  /** The acts waiting for a person (pending-acts.ts): those who take one, each list only for its act's roles. */
  'GET /v1/acts/pending': PENDING_ACT_ROLES,
  'POST /v1/custody/whitelist': actRoles('custody.whitelist.request'),
  /** The register of licensed providers: changed by two supervisors, read by them, custodians, auditors and operators. */
  'GET /v1/providers': REGISTER_READERS,
  'GET /v1/providers/changes': REGISTER_READERS,
  'GET /v1/providers/:providerId': REGISTER_READERS,
  'POST /v1/providers/changes': actRoles('register.provider.propose'),
  'POST /v1/providers/changes/:changeId/approval': actRoles('register.provider.approve'),
  'POST /v1/custody/whitelist/:entryId/approvals': actRoles('custody.whitelist.approve'),
  'POST /v1/custody/whitelist/:entryId/revocation': actRoles('custody.whitelist.revoke'),
  'POST /v1/custody/attestations': actRoles('custody.intake.attest'),
  'POST /v1/custody/intakes/:intakeId/difference': actRoles('custody.intake.classify'),
  'POST /v1/custody/intakes/:intakeId/difference/countersignatures': actRoles('custody.intake.countersign'),
  'POST /v1/custody/intakes/:intakeId/evidence': actRoles('custody.evidence.correct'),
  'POST /v1/treasury/corrections': actRoles('treasury.correction.request'),
  'POST /v1/treasury/corrections/:correctionId/approval': actRoles('treasury.correction.approve'),
  'POST /v1/treasury/corrections/:correctionId/follow-up-remittance': actRoles('treasury.follow-up.approve'),
  'POST /v1/treasury/recovery-receivables/:receivableId/recovery': actRoles('treasury.recovery.record'),
  'POST /v1/fx/settlements/:settlementId/corrections': actRoles('fx.settlement.correct'),
  'POST /v1/fx/settlement-corrections/:correctionId/approval': actRoles('fx.correction.approve'),
  /**
   * The case's books recomputed from the services' records (corrections included, both versions):
   * those who correct them, those who supervise and audit them.
   */
  'GET /v1/cases/:caseId/reconciliation': ALL_ROLES,
  /**
   * The services' reports of a case, read through the control API with its own credentials
   * (case-reports.ts): the best-execution report, the FX waterfalls, the treasury statement. As open
   * as the statement and the books they explain (ALL_ROLES): they hold the case's amounts, fills and
   * bank lines, no person's particulars and no key, and everyone who works the case answers for them.
   */
  'GET /v1/cases/:caseId/best-execution': ALL_ROLES,
  'GET /v1/cases/:caseId/fx-waterfalls': ALL_ROLES,
  /** The FX declarations with each tranche's corrections (what an FX correction is proposed on). */
  'GET /v1/cases/:caseId/fx-declarations': ALL_ROLES,
  'GET /v1/cases/:caseId/treasury-statement': ALL_ROLES,
  /**
   * The case file (issue 15): everything, with the confidential annex (victims' names, addresses,
   * txids, bank references), signed by the system. For those who answer for the case to an audit or
   * a court: auditors, and the supervisors who decided it.
   */
  'GET /v1/cases/:caseId/dossier': ['auditor', 'supervisor'],
  /** The Temporal Web UI's codec endpoint: operators watch cases, auditors read their history. */
  'POST /codec/decode': ['operator', 'auditor'],
  'POST /codec/encode': ['operator'],
} as const satisfies Record<string, readonly Role[]>;

export type Endpoint = keyof typeof ENDPOINT_ROLES;

/** The roles that read every notification, whoever it is addressed to. */
const NOTIFICATIONS_READ_ALL: readonly Role[] = ['auditor', 'operator'];

/**
 * The notifications a person may read: 'all', or those addressed to one of these roles (the ones
 * they hold).
 */
export function readableNotificationRoles(roles: readonly Role[]): 'all' | readonly Role[] {
  return roles.some((r) => NOTIFICATIONS_READ_ALL.includes(r)) ? 'all' : roles;
}

/** The roles that may take a decision at each stage. */
export function decisionRoles(stage: DecisionStage): readonly Role[] {
  return DECISION_ROLES[stage];
}

export function mayCall(endpoint: Endpoint, roles: readonly Role[]): boolean {
  const allowed: readonly Role[] = ENDPOINT_ROLES[endpoint];
  return roles.some((r) => allowed.includes(r));
}

/** The role in which a person takes a decision at `stage`, if they hold one that may. */
export function decidingRole(stage: DecisionStage, roles: readonly Role[]): Role | undefined {
  return decisionRoles(stage).find((r) => roles.includes(r));
}
