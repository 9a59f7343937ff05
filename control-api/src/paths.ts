/**
 * The control API's routes by name: each one's method and path, written once. The route table
 * (api.ts: summaries and schemas, what /openapi.json documents), the mounts (mount.ts: app.ts and its
 * mounting files name the route, never its path), the access matrix (access.ts, keyed by these names)
 * and the forwarded acts (acts.ts) take them from here, and so does the CLI, which calls a route by its name typed by the
 * table (cli/src/vcdc.ts): this module imports nothing, so `vcdc` starts without loading the control API.
 */
export const CONTROL_API_PATHS = {
  registerCase: { method: 'post', path: '/v1/cases' },
  listCases: { method: 'get', path: '/v1/cases' },
  getCase: { method: 'get', path: '/v1/cases/:caseId' },
  getCaseStatement: { method: 'get', path: '/v1/cases/:caseId/statement' },
  getReconciliation: { method: 'get', path: '/v1/cases/:caseId/reconciliation' },
  getBestExecution: { method: 'get', path: '/v1/cases/:caseId/best-execution' },
  getFxWaterfalls: { method: 'get', path: '/v1/cases/:caseId/fx-waterfalls' },
  getFxDeclarations: { method: 'get', path: '/v1/cases/:caseId/fx-declarations' },
  getTreasuryStatement: { method: 'get', path: '/v1/cases/:caseId/treasury-statement' },
  getDossier: { method: 'get', path: '/v1/cases/:caseId/dossier' },
  decide: { method: 'post', path: '/v1/cases/:caseId/decisions' },
  listNotifications: { method: 'get', path: '/v1/notifications' },
  listCaseNotifications: { method: 'get', path: '/v1/cases/:caseId/notifications' },
  listAuditRecords: { method: 'get', path: '/v1/audit/records' },
  verifyAudit: { method: 'get', path: '/v1/audit/verify' },
  addLotChunk: { method: 'post', path: '/v1/cases/:caseId/lots' },
  sealLots: { method: 'post', path: '/v1/cases/:caseId/lots/seal' },
  getLots: { method: 'get', path: '/v1/cases/:caseId/lots' },
  listProviders: { method: 'get', path: '/v1/providers' },
  listProviderChanges: { method: 'get', path: '/v1/providers/changes' },
  getProvider: { method: 'get', path: '/v1/providers/:providerId' },
  listWhitelist: { method: 'get', path: '/v1/custody/whitelist' },
  getWhitelistEntry: { method: 'get', path: '/v1/custody/whitelist/:entryId' },
  listPendingActs: { method: 'get', path: '/v1/acts/pending' },
  // The acts a person takes on a service, forwarded by the control API (acts.ts), named by their kind.
  'custody.whitelist.request': { method: 'post', path: '/v1/custody/whitelist' },
  'custody.whitelist.approve': { method: 'post', path: '/v1/custody/whitelist/:entryId/approvals' },
  'custody.whitelist.revoke': { method: 'post', path: '/v1/custody/whitelist/:entryId/revocation' },
  'custody.intake.attest': { method: 'post', path: '/v1/custody/attestations' },
  'custody.intake.classify': { method: 'post', path: '/v1/custody/intakes/:intakeId/difference' },
  'custody.intake.countersign': { method: 'post', path: '/v1/custody/intakes/:intakeId/difference/countersignatures' },
  'custody.evidence.correct': { method: 'post', path: '/v1/custody/intakes/:intakeId/evidence' },
  'treasury.correction.request': { method: 'post', path: '/v1/treasury/corrections' },
  'treasury.correction.approve': { method: 'post', path: '/v1/treasury/corrections/:correctionId/approval' },
  'treasury.follow-up.approve': { method: 'post', path: '/v1/treasury/corrections/:correctionId/follow-up-remittance' },
  'treasury.recovery.record': { method: 'post', path: '/v1/treasury/recovery-receivables/:receivableId/recovery' },
  'fx.settlement.correct': { method: 'post', path: '/v1/fx/settlements/:settlementId/corrections' },
  'register.provider.propose': { method: 'post', path: '/v1/providers/changes' },
  'register.provider.approve': { method: 'post', path: '/v1/providers/changes/:changeId/approval' },
  'fx.correction.approve': { method: 'post', path: '/v1/fx/settlement-corrections/:correctionId/approval' },
} as const;
