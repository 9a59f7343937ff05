/**
 * Who may do what: the one access matrix of the control API. Every guarded route (mount.ts: the
 * route table's and the codec's) has its entry here under its name, or this does not compile; and
 * every decision stage's roles come from `DECISION_ROLES` (the workflow checks the same table when
 * the decision reaches it). `control-api/test/security-access.test.ts` checks this as a table.
 */
import { ACT_KINDS, type ActKind } from '@vcdc/shared';
import { DECISION_ROLES, type DecisionStage, Role } from '@vcdc/workflows/workflow/decision';
import type { GuardedRoute } from './mount';
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

/** The routes of the control API that need a person, by name, each with the roles that may call it. */
export const ENDPOINT_ROLES = {
  /** Registering a case is the case officer's request for disposal. */
  registerCase: ['case-officer'],
  /** A large case's lots are registered in chunks and sealed by the case officer who registers it (lot-manifests.ts). */
  addLotChunk: ['case-officer'],
  sealLots: ['case-officer'],
  getLots: ALL_ROLES,
  /** Everyone who works on cases may follow them. */
  listCases: ALL_ROLES,
  getCase: ALL_ROLES,
  /** The case statement (three values, amounts in base units): as open as the case's status. */
  getCaseStatement: ALL_ROLES,
  /** Anyone who takes some decision may post one; the stage's own roles are checked next (DECISION_ROLES). */
  decide: [...new Set(Object.values(DECISION_ROLES).flat())],
  /**
   * The notifications outbox: everyone, but only what is addressed to a role they hold, unless they
   * read everything (NOTIFICATIONS_READ_ALL; see `readableNotificationRoles`).
   */
  listNotifications: ALL_ROLES,
  listCaseNotifications: ALL_ROLES,
  /** The audit chain: read and verified by auditors. */
  listAuditRecords: ['auditor'],
  verifyAudit: ['auditor'],
  /** People's acts forwarded, signed, to the service that carries them out (acts.ts). */
  listWhitelist: WHITELIST_READERS,
  getWhitelistEntry: WHITELIST_READERS,
  /** The acts waiting for a person (pending-acts.ts): those who take one, each list only for its act's roles. */
  listPendingActs: PENDING_ACT_ROLES,
  'custody.whitelist.request': actRoles('custody.whitelist.request'),
  /** The register of licensed providers: changed by two supervisors, read by them, custodians, auditors and operators. */
  listProviders: REGISTER_READERS,
  listProviderChanges: REGISTER_READERS,
  getProvider: REGISTER_READERS,
  'register.provider.propose': actRoles('register.provider.propose'),
  'register.provider.approve': actRoles('register.provider.approve'),
  'custody.whitelist.approve': actRoles('custody.whitelist.approve'),
  'custody.whitelist.revoke': actRoles('custody.whitelist.revoke'),
  'custody.intake.attest': actRoles('custody.intake.attest'),
  'custody.intake.classify': actRoles('custody.intake.classify'),
  'custody.intake.countersign': actRoles('custody.intake.countersign'),
  'custody.evidence.correct': actRoles('custody.evidence.correct'),
  'treasury.correction.request': actRoles('treasury.correction.request'),
  'treasury.correction.approve': actRoles('treasury.correction.approve'),
  'treasury.follow-up.approve': actRoles('treasury.follow-up.approve'),
  'treasury.recovery.record': actRoles('treasury.recovery.record'),
  'fx.settlement.correct': actRoles('fx.settlement.correct'),
  'fx.correction.approve': actRoles('fx.correction.approve'),
  /**
   * The case's books recomputed from the services' records (corrections included, both versions):
   * those who correct them, those who supervise and audit them.
   */
  getReconciliation: ALL_ROLES,
  /**
   * The services' reports of a case, read through the control API with its own credentials
   * (case-reports.ts): the best-execution report, the FX waterfalls, the treasury statement. As open
   * as the statement and the books they explain (ALL_ROLES): they hold the case's amounts, fills and
   * bank lines, no person's particulars and no key, and everyone who works the case answers for them.
   */
  getBestExecution: ALL_ROLES,
  getFxWaterfalls: ALL_ROLES,
  /** The FX declarations with each tranche's corrections (what an FX correction is proposed on). */
  getFxDeclarations: ALL_ROLES,
  getTreasuryStatement: ALL_ROLES,
  /**
   * The case file (issue 15): everything, with the confidential annex (victims' names, addresses,
   * txids, bank references), signed by the system. For those who answer for the case to an audit or
   * a court: auditors, and the supervisors who decided it.
   */
  getDossier: ['auditor', 'supervisor'],
  /** The Temporal Web UI's codec endpoint: operators watch cases, auditors read their history. */
  decodePayloads: ['operator', 'auditor'],
  encodePayloads: ['operator'],
} as const satisfies Record<GuardedRoute, readonly Role[]>;

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

/** Whether a holder of `roles` may call the route; a route the matrix does not name, nobody. */
export function mayCall(route: GuardedRoute, roles: readonly Role[]): boolean {
  const allowed: readonly Role[] | undefined = (ENDPOINT_ROLES as Partial<Record<string, readonly Role[]>>)[route];
  return allowed !== undefined && roles.some((r) => allowed.includes(r));
}

/** The role in which a person takes a decision at `stage`, if they hold one that may. */
export function decidingRole(stage: DecisionStage, roles: readonly Role[]): Role | undefined {
  return decisionRoles(stage).find((r) => roles.includes(r));
}
