/**
 * The control API's HTTP contract: each route with the schemas it parses with. app.ts and its mounts
 * (acts.ts, lot-manifests.ts, pending-acts.ts, console.ts, the codec endpoint) parse with these; GET
 * /openapi.json is generated from this table (shared http/openapi.ts), and
 * workflows/test/control-api-openapi.test.ts holds the table and the mounted routes together. Which
 * optional parts are mounted (codec, console, JWKS) decides which of their routes are listed.
 */
import { type ApiRoute, contracts } from '@vcdc/shared';
import { z } from 'zod';
import { Agency, CaseRegistrationRequest } from '../case-input';
import { CASE_STAGES, CASE_STATUSES } from '../case-state';
import { DecisionInput, Role } from '../decision';
import { LotChunk, LotsPageQuery, SealRequest } from '../manifest/store';
import { NotificationKind } from '../notifications/store';
import { FORWARDED_ACTS, ProviderChangesQuery, WhitelistQuery } from './acts';
import { SignInBody } from './console';
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

const caseRead = (path: string, summary: string): ApiRoute => ({ method: 'get', path, summary, params: CaseParams });

/** The routes every control API mounts. */
const CORE: readonly ApiRoute[] = [
  {
    method: 'post',
    path: '/v1/cases',
    summary: 'Register a case (the case officer requests its disposal); starts its workflow',
    body: RegistrationBody,
    filledByServer: ['requestedBy'],
    // The case id is the registration's key (app.ts): a repeat answers 200, another body 409 case-conflict.
    idempotencyKey: 'none',
    status: 201,
  },
  { method: 'get', path: '/v1/cases', summary: 'The cases, by status, stage or agency', query: ListQuery },
  caseRead('/v1/cases/:caseId', "A case's progress"),
  caseRead('/v1/cases/:caseId/statement', "A case's statement: three values, amounts in base units"),
  caseRead('/v1/cases/:caseId/reconciliation', "A case's books recomputed from the services' records"),
  caseRead('/v1/cases/:caseId/best-execution', "The exchange's best-execution report of a case"),
  caseRead('/v1/cases/:caseId/fx-waterfalls', "FX's waterfalls of a case's declarations"),
  caseRead('/v1/cases/:caseId/fx-declarations', "A case's FX declarations with each tranche's corrections"),
  caseRead('/v1/cases/:caseId/treasury-statement', "The treasury's statement of a case"),
  caseRead('/v1/cases/:caseId/dossier', 'The case file, signed by the system (a zip)'),
  {
    method: 'post',
    path: '/v1/cases/:caseId/decisions',
    summary: "A person's decision at a stage of the case (signed by the control API, checked by the workflow)",
    params: CaseParams,
    body: DecisionInput,
    idempotencyKey: 'optional',
  },
  { method: 'get', path: '/v1/notifications', summary: 'The notifications outbox', query: NotificationQuery },
  {
    method: 'get',
    path: '/v1/cases/:caseId/notifications',
    summary: "A case's notifications",
    params: CaseParams,
    query: NotificationFilter,
  },
  { method: 'get', path: '/v1/audit/records', summary: "The control API's audit chain", query: AuditQuery },
  { method: 'get', path: '/v1/audit/verify', summary: "Verify the control API's audit chain" },
  {
    method: 'post',
    path: '/v1/cases/:caseId/lots',
    summary: "A chunk of a large case's lot manifest",
    params: CaseParams,
    body: LotChunk,
    idempotencyKey: 'none',
  },
  {
    method: 'post',
    path: '/v1/cases/:caseId/lots/seal',
    summary: "Seal a case's lot manifest",
    params: CaseParams,
    body: SealRequest,
    idempotencyKey: 'none',
  },
  {
    method: 'get',
    path: '/v1/cases/:caseId/lots',
    summary: "A page of a case's lots with their intake state",
    params: CaseParams,
    query: LotsPageQuery,
  },
  ...FORWARDED_ACTS.map(
    (act): ApiRoute => ({
      method: 'post',
      path: act.path,
      summary: `A person's ${act.kind} act, signed and forwarded to ${act.service} (its body is ${act.service}'s contract)`,
      idempotencyKey: 'optional',
    }),
  ),
  { method: 'get', path: '/v1/providers', summary: 'The register of licensed providers (from the exchange)' },
  {
    method: 'get',
    path: '/v1/providers/changes',
    summary: 'The register changes (from the exchange)',
    query: ProviderChangesQuery,
  },
  { method: 'get', path: '/v1/providers/:providerId', summary: "A provider's entry (from the exchange)" },
  { method: 'get', path: '/v1/custody/whitelist', summary: "Custody's whitelist", query: WhitelistQuery },
  { method: 'get', path: '/v1/custody/whitelist/:entryId', summary: 'A whitelist entry (from custody)' },
  {
    method: 'get',
    path: '/v1/acts/pending',
    summary: 'The acts waiting for a person of the caller’s roles',
    query: PendingActsQuery,
  },
];

export interface MountedParts {
  codec: boolean;
  console?: { devSignIn: boolean };
  jwks: boolean;
}

/** The control API's routes, as mounted with these optional parts. */
export function controlApiRoutes(parts: MountedParts): ApiRoute[] {
  return [
    ...CORE,
    ...(parts.codec
      ? [
          { method: 'post', path: '/codec/decode', summary: "Temporal Web UI's codec: decode payloads" } as const,
          { method: 'post', path: '/codec/encode', summary: "Temporal Web UI's codec: encode payloads" } as const,
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
