/**
 * The control API's HTTP contract: each route with the schemas it parses with. app.ts and its mounts
 * (acts.ts, lot-manifests.ts, pending-acts.ts, console.ts, the codec endpoint) parse with these; GET
 * /openapi.json is generated from this table (shared http/openapi.ts), and
 * control-api/test/control-api-openapi.test.ts holds the table and the mounted routes together. Which
 * optional parts are mounted (codec, console, JWKS) decides which of their routes are listed.
 */
import { type ApiRoute, contracts, type RouteTable, routeList } from '@vcdc/shared';
import { CODEC_ROUTES } from '@vcdc/workflows/codec/codec-server';
import { LotChunk, LotsPageQuery, SealRequest } from '@vcdc/workflows/manifest/store';
import { NotificationKind } from '@vcdc/workflows/notifications/store';
import { Agency, CaseRegistrationRequest } from '@vcdc/workflows/workflow/case-input';
import { CASE_STAGES, CASE_STATUSES } from '@vcdc/workflows/workflow/case-state';
import { DecisionInput, Role } from '@vcdc/workflows/workflow/decision';
import { z } from 'zod';
import { FORWARDED_ACTS, ProviderChangesQuery, WhitelistQuery } from './acts';
import { SignInBody } from './console';
import { CONTROL_API_PATHS as P } from './paths';
import { PendingActsQuery } from './pending-acts';

export const CaseParams = z.object({ caseId: contracts.common.CaseId });
export const ListQuery = z.object({
  status: z.enum(CASE_STATUSES).optional(),
  stage: z.enum(CASE_STAGES).optional(),
  agency: Agency.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export const AuditQuery = z.object({
  caseId: contracts.common.CaseId.optional(),
  afterSeq: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export const NotificationFilter = z.object({
  role: Role.optional(),
  kind: NotificationKind.optional(),
  since: contracts.common.IsoTimestamp.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export const NotificationQuery = NotificationFilter.extend({ caseId: contracts.common.CaseId.optional() });
/** The registration a case officer posts: who requests it is the caller, never the body. */
export const RegistrationBody = CaseRegistrationRequest;

const caseRead = <R extends { method: 'get'; path: string }>(route: R, summary: string) =>
  ({ ...route, summary, params: CaseParams }) as const;

type ForwardedActs = (typeof FORWARDED_ACTS)[number];
/** Each forwarded act's route, named by its act kind (`custody.whitelist.approve`). */
const FORWARDED_ACT_ROUTES = Object.fromEntries(
  FORWARDED_ACTS.map((act) => [
    act.kind,
    {
      method: 'post',
      path: act.path,
      summary: `A person's ${act.kind} act, signed and forwarded to ${act.service} (its body is ${act.service}'s contract)`,
      idempotencyKey: 'optional',
    },
  ]),
) as {
  [A in ForwardedActs as A['kind']]: { method: 'post'; path: A['path']; summary: string; idempotencyKey: 'optional' };
};

/** The routes every control API mounts, by name (the CLI calls them by it). */
export const CONTROL_API_ROUTES = {
  registerCase: {
    ...P.registerCase,
    summary: 'Register a case (the case officer requests its disposal); starts its workflow',
    body: RegistrationBody,
    filledByServer: ['requestedBy'],
    // The case id is the registration's key (app.ts): a repeat answers 200, another body 409 case-conflict.
    idempotencyKey: 'none',
    status: 201,
  },
  listCases: {
    ...P.listCases,
    summary: 'The cases, by status, stage or agency',
    query: ListQuery,
  },
  getCase: caseRead(P.getCase, "A case's progress"),
  getCaseStatement: caseRead(P.getCaseStatement, "A case's statement: three values, amounts in base units"),
  getReconciliation: caseRead(P.getReconciliation, "A case's books recomputed from the services' records"),
  getBestExecution: caseRead(P.getBestExecution, "The exchange's best-execution report of a case"),
  getFxWaterfalls: caseRead(P.getFxWaterfalls, "FX's waterfalls of a case's declarations"),
  getFxDeclarations: caseRead(P.getFxDeclarations, "A case's FX declarations with each tranche's corrections"),
  getTreasuryStatement: caseRead(P.getTreasuryStatement, "The treasury's statement of a case"),
  getDossier: caseRead(P.getDossier, 'The case file, signed by the system (a zip)'),
  decide: {
    ...P.decide,
    summary: "A person's decision at a stage of the case (signed by the control API, checked by the workflow)",
    params: CaseParams,
    body: DecisionInput,
    idempotencyKey: 'optional',
  },
  listNotifications: {
    ...P.listNotifications,
    summary: 'The notifications outbox',
    query: NotificationQuery,
  },
  listCaseNotifications: {
    ...P.listCaseNotifications,
    summary: "A case's notifications",
    params: CaseParams,
    query: NotificationFilter,
  },
  listAuditRecords: {
    ...P.listAuditRecords,
    summary: "The control API's audit chain",
    query: AuditQuery,
  },
  verifyAudit: {
    ...P.verifyAudit,
    summary: "Verify the control API's audit chain",
  },
  addLotChunk: {
    ...P.addLotChunk,
    summary: "A chunk of a large case's lot manifest",
    params: CaseParams,
    body: LotChunk,
    idempotencyKey: 'none',
  },
  sealLots: {
    ...P.sealLots,
    summary: "Seal a case's lot manifest",
    params: CaseParams,
    body: SealRequest,
    idempotencyKey: 'none',
  },
  getLots: {
    ...P.getLots,
    summary: "A page of a case's lots with their intake state",
    params: CaseParams,
    query: LotsPageQuery,
  },
  ...FORWARDED_ACT_ROUTES,
  listProviders: {
    ...P.listProviders,
    summary: 'The register of licensed providers (from the exchange)',
  },
  listProviderChanges: {
    ...P.listProviderChanges,
    summary: 'The register changes (from the exchange)',
    query: ProviderChangesQuery,
  },
  getProvider: {
    ...P.getProvider,
    summary: "A provider's entry (from the exchange)",
  },
  listWhitelist: {
    ...P.listWhitelist,
    summary: "Custody's whitelist",
    query: WhitelistQuery,
  },
  getWhitelistEntry: {
    ...P.getWhitelistEntry,
    summary: 'A whitelist entry (from custody)',
  },
  listPendingActs: {
    ...P.listPendingActs,
    summary: 'The acts waiting for a person of the caller’s roles',
    query: PendingActsQuery,
  },
} as const satisfies RouteTable;

/** Every name of paths.ts is a route of the table, and the table names no other (else this does not compile). */
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
const namesAgree: SameKeys<typeof CONTROL_API_ROUTES, typeof P> = true;
void namesAgree;

export interface MountedParts {
  codec: boolean;
  console?: { devSignIn: boolean };
  jwks: boolean;
}

/** The control API's routes, as mounted with these optional parts. */
export function controlApiRoutes(parts: MountedParts): ApiRoute[] {
  return [
    ...routeList(CONTROL_API_ROUTES),
    ...(parts.codec
      ? [
          { ...CODEC_ROUTES.decodePayloads, summary: "Temporal Web UI's codec: decode payloads" } as const,
          { ...CODEC_ROUTES.encodePayloads, summary: "Temporal Web UI's codec: encode payloads" } as const,
        ]
      : []),
    ...(parts.jwks
      ? [
          {
            method: 'get',
            path: '/.well-known/jwks.json',
            summary: 'The public keys decisions are signed with',
          } as const,
        ]
      : []),
    ...(parts.console
      ? [
          { method: 'get', path: '/console/config.json', summary: "The console's settings" } as const,
          ...(parts.console.devSignIn
            ? [
                { method: 'get', path: '/console/dev/people', summary: 'Dev sign-in: the people' } as const,
                {
                  method: 'post',
                  path: '/console/dev/sign-in',
                  summary: 'Dev sign-in: a token for a person',
                  body: SignInBody,
                  idempotencyKey: 'none',
                } as const,
              ]
            : []),
          { method: 'get', path: '/console', summary: 'The console (HTML)' } as const,
          { method: 'get', path: '/console/{*page}', summary: "The console's pages (HTML)" } as const,
        ]
      : []),
  ];
}
