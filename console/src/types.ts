/**
 * What the console reads, as the control API answers it: the case workflow's status and the API's
 * own shapes, imported as types only (nothing of the server is bundled).
 */

export type { CaseSummary } from '../../control-api/src/app';
export type { CaseProgress, PendingDecision, SaleLeg, SaleRound } from '../../workflows/src/workflow/case-state';
export type { Decision } from '../../workflows/src/workflow/decision';
export type { DecisionAccepted } from '../../workflows/src/workflow/shared';

/** GET /console/config.json (control-api/src/console.ts). */
export interface ConsoleConfig {
  signIn: { mode: 'dev' } | { mode: 'oidc'; issuer: string; clientId: string; scope: string; audience?: string };
  temporalUi?: { url: string; namespace: string };
  /** Who may take each decision (the shared DECISION_ROLES table). */
  decisionRoles: Record<string, string[]>;
  /** Who may take each act (the shared ACT_KINDS table). */
  actRoles: Record<string, string[]>;
}

export interface DevPerson {
  id: string;
  name: string;
  roles: string[];
  unit: string;
}
