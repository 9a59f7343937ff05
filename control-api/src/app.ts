/**
 * The control API: how people start cases, follow them and take decisions. Built on the shared
 * service shell (problem+json, /healthz, /readyz); it talks only to Temporal.
 *
 *   POST /v1/cases                         CaseRegistrationRequest -> 201 CaseStarted (200, same body, when the
 *                                          same registration was already started; 409 case-conflict when the
 *                                          case id was started with another registration)
 *   GET  /v1/cases?status=&stage=&agency=&limit=                    -> { cases: CaseSummary[] } (Temporal visibility)
 *   GET  /v1/cases/:caseId                                          -> CaseProgress (the workflow's `status` query)
 *   POST /v1/cases/:caseId/lots, /lots/seal, GET /v1/cases/:caseId/lots?page=&pageSize=
 *                                          -> a large case's lot manifest: chunks, seal, pages (lot-manifests.ts);
 *                                          POST /v1/cases then names `manifestId` instead of `lots`
 *   GET  /v1/cases/:caseId/statement                                -> CaseStatement (three values, base units; case-values.ts)
 *   POST /v1/cases/:caseId/decisions       DecisionInput           -> 200 DecisionAccepted (the `decide` Update)
 *   GET  /v1/notifications?caseId=&role=&kind=&since=&limit=        -> { notifications: StoredNotification[] }
 *   GET  /v1/cases/:caseId/notifications?role=&kind=&since=&limit=  -> the same, for one case
 *                                          (each person sees what is addressed to a role they hold; auditors
 *                                          and operators see all; asking for another role's is 403)
 *   GET  /v1/audit/records?caseId=&afterSeq=&limit=                 -> { records: AuditRecord[] } (auditors)
 *   GET  /v1/audit/verify                                           -> AuditVerification (auditors): this chain at the
 *                                          top level, and every service's chain in `chains` (audit-chains.ts)
 *   GET  /v1/cases/:caseId/best-execution | fx-waterfalls | fx-declarations | treasury-statement
 *                                          -> the services' reports, read with the control API's credentials (case-reports.ts)
 *   GET  /v1/cases/:caseId/dossier                                  -> the case file: a signed zip (dossier/, case-file.ts)
 *   GET  /.well-known/jwks.json                                     -> the dev issuer's public keys (dev mode only)
 *   GET  /console/…                                                 -> the people's console (console.ts), which
 *                                          reads and acts through the routes above with the person's token
 *   POST /v1/custody/…, /v1/treasury/…, GET /v1/custody/whitelist   -> people's acts, signed and forwarded to the
 *                                          service that carries them out (acts.ts FORWARDED_ACTS)
 *   GET  /v1/acts/pending?caseId=                                   -> the acts waiting for the person: countersignatures,
 *                                          FX and treasury corrections to approve, with counts (pending-acts.ts)
 *
 * Every /v1 route needs a bearer token (auth.ts) and a role the access matrix (access.ts) allows;
 * the case officer who registers (`requestedBy`) and the person who decides (`decidedBy`, `role`)
 * are taken from the token, never from the body. Refusals are 401 (who are you?) or 403 (not you).
 * Every registration, decision and refusal (401, 403, a decision the workflow refused) is appended
 * to the audit chain before the answer goes out.
 *
 * Each POST has one idempotency mechanism. A registration's is its workflow id (`case-<caseId>`):
 * the case id is the key, Temporal refuses a second start with that id, ever (REJECT_DUPLICATE, even
 * after the case closed), and the registration's hash in the memo is the stored request, telling a
 * repeat (200, the first answer) from a conflict (409 case-conflict); an Idempotency-Key on it is
 * ignored, a key table beside the workflow id could only disagree with it. A decision's is the
 * optional Idempotency-Key, per person (idempotency.ts): the same key and body replay the stored
 * answer, the same key with another body is 409 `idempotency-key-reused`; so a client that lost the
 * answer to a decision gets it again instead of 409 decision-not-awaited.
 */

import { type KeyObject, randomUUID } from 'node:crypto';
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { ApplicationFailure } from '@temporalio/common';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import {
  type AuditChain,
  assertServiceRole,
  canonicalJson,
  type contracts,
  createServiceApp,
  Decimal,
  type Logger,
  type Pool,
  Problem,
  parseInput,
  problems,
  routePath,
  sha256Hex,
  withCaseId,
} from '@vcdc/shared';
import { signDecision } from '@vcdc/workflows/activities/decision-signature';
import { mountCodecEndpoint } from '@vcdc/workflows/codec/codec-server';
import type { LotManifestStore } from '@vcdc/workflows/manifest/store';
import type { NotificationStore } from '@vcdc/workflows/notifications/store';
import { APPROVAL_POLICY, evaluateApprovalPolicy } from '@vcdc/workflows/workflow/approval-policy';
import {
  type CaseRegistration,
  CaseRegistrationRequest,
  caseWorkflowId,
  type RegistrationDefaults,
  withDefaults,
} from '@vcdc/workflows/workflow/case-input';
import type { CaseProgress } from '@vcdc/workflows/workflow/case-state';
import { caseStatement } from '@vcdc/workflows/workflow/case-values';
import type { caseWorkflow } from '@vcdc/workflows/workflow/case-workflow';
import { type Decision, DecisionInput, type DecisionRefusalCode, type Role } from '@vcdc/workflows/workflow/decision';
import { assetsOf, type LotManifestRef } from '@vcdc/workflows/workflow/lot-manifest';
import {
  CaseAgencyKey,
  CaseIdKey,
  CaseStageKey,
  CaseStatusKey,
  type DecisionAccepted,
  decide,
  status,
} from '@vcdc/workflows/workflow/shared';
import type { Express, Response } from 'express';
import type { JSONWebKeySet } from 'jose';
import { z } from 'zod';
import { decidingRole, mayCall, readableNotificationRoles } from './access';
import { mountForwardedActs } from './acts';
import { AuditQuery, CaseParams, controlApiRoutes, ListQuery, NotificationFilter, NotificationQuery } from './api';
import { type ServiceChain, verifyAuditChains } from './audit-chains';
import type { Authenticator, Identity } from './auth';
import { caseBooks, statementCorrections } from './case-books';
import { gatherCaseFile } from './case-file';
import { caseGaugesRegistry } from './case-gauges';
import { caseBestExecution, caseDeclarations, caseTreasuryStatement, caseWaterfalls } from './case-reports';
import { type ConsoleOptions, casePageUrl, mountConsole } from './console';
import { buildCaseFile } from './dossier/case-file';
import { codecUiSecretPath, rateLimit, recordShellRefusals, securityHeaders } from './hardening';
import { keyedPost } from './idempotency';
import { mountLotManifests } from './lot-manifests';
import { endpointOf, type Guard, type GuardedRoute, guardedMount } from './mount';
import { CONTROL_API_PATHS } from './paths';
import { mountPendingActs } from './pending-acts';
import { type QuorumThresholds, requiredApprovals } from './quorum';
import type { ServiceTargets } from './service-clients';
import { boundedTemporal, DEFAULT_TEMPORAL_CALL_TIMEOUT_MS, decisionUpdateId } from './temporal-calls';

/** Where a registered case is read (its Location): the table's getCase route, filled. */
const caseLocation = (caseId: string) => routePath(CONTROL_API_PATHS.getCase, { caseId });

export interface ControlApiDeps {
  client: Client;
  taskQueue: string;
  logger: Logger;
  defaults: RegistrationDefaults;
  /** Verifies the bearer token of every /v1 request. */
  authenticator: Authenticator;
  /** Signs every decision forwarded to a case; the workflow accepts no other (decision-signature.ts). */
  decisionSigningKey: KeyObject;
  /** The tamper-evident record of registrations, decisions and refusals. */
  audit: Pick<AuditChain, 'append' | 'list' | 'verify'>;
  /** The role the audit pool works as (not the owner): /readyz checks it cannot rewrite the chain. */
  auditRole?: { pool: Pool; role: string };
  /** The services whose audit chains GET /v1/audit/verify walks too (none: this chain alone). */
  auditServices?: ServiceChain[];
  /** The lot manifests of large cases (manifest/store.ts; none: their routes answer 503). */
  manifests?: LotManifestStore;
  /** The Idempotency-Key store: a pool on the control API's schema (none: the header is ignored). */
  idempotency?: Pool;
  /** The notifications outbox the worker writes (none: the notification routes answer 503). */
  notifications?: Pick<NotificationStore, 'list'>;
  /**
   * The payload codec for the Temporal Web UI's codec endpoint (/codec/decode, /codec/encode) and the
   * UI origins allowed to call it. It always needs a person's token; `uiSecret` (dev stack only, whose
   * UI has no login) also opens /codec/<uiSecret>/decode to whoever holds the secret (hardening.ts).
   */
  codecEndpoint?: { codec: PayloadCodec; allowedOrigins: readonly string[]; uiSecret?: string };
  /** The services people's signed acts are forwarded to (acts.ts); one missing: its routes answer 503. */
  actServices?: ServiceTargets;
  /** The services whose records GET /v1/cases/:caseId/reconciliation reads (case-books.ts). */
  bookServices?: ServiceTargets;
  /** Where the case file reads each chain's latest signed checkpoint (none: the case file says so). */
  checkpointFiles?: { dir: string; chains: readonly string[] };
  /** The people's console at /console/ (console.ts); none: not served. */
  console?: ConsoleOptions;
  /** Served at /.well-known/jwks.json when the control API is its own (dev) issuer. */
  publicJwks?: JSONWebKeySet;
  /** Above these declared amounts the disposal plan needs two distinct approvals (none: always one). */
  quorumThresholds?: QuorumThresholds;
  /** Requests a minute per client address (default 600). */
  rateLimitPerMinute?: number;
  /** The clock that stamps decisions; injectable for tests. */
  now?: () => Date;
  /** The longest any call to Temporal may take before the request answers 503 (temporal-calls.ts). */
  temporalCallTimeoutMs?: number;
  /** How long the case gauges on /metrics keep one reading of visibility (case-gauges.ts; default 15 s). */
  caseGaugesCacheMs?: number;
}

export interface CaseStarted {
  caseId: string;
  workflowId: string;
  runId: string;
  /** SHA-256 of the canonical JSON of the registration as submitted. */
  registrationSha256: string;
}

export interface CaseSummary {
  caseId: string;
  workflowId: string;
  agency: string | null;
  stage: string | null;
  status: string | null;
  /** Temporal's own view of the execution (RUNNING, COMPLETED, FAILED, TERMINATED...). */
  execution: string;
  startTime: string;
}

const REFUSAL_STATUS: Record<DecisionRefusalCode, number> = {
  'decision-not-awaited': 409,
  'four-eyes': 422,
  'quorum-same-person': 422,
  'decision-unsigned': 422,
  'decision-signature': 422,
  'decision-replayed': 409,
  'decision-role': 422,
  'decision-invalid': 422,
};

/** The person `guard` authenticated for this request. */
function identityOf(res: Response): Identity {
  return res.locals.identity as Identity;
}

/**
 * Who decides, and in which role: the token's person, in the role the access matrix names for
 * the stage among those the token holds; 403 when they hold none. This authorises the caller and
 * picks the role the act is signed for (only here are the token's roles known); whether the case
 * admits the decision (its shape again, the stage awaited, four eyes, the role…) is the workflow's
 * one admission to say, where it takes effect (decision-admission.ts): the API does not guess it.
 */
export function resolveDecider(identity: Identity, input: DecisionInput): { id: string; role: Role } {
  const role = decidingRole(input.stage, identity.roles);
  if (!role) {
    throw new Problem(
      403,
      'decision-role',
      'Decision refused',
      `${identity.id} holds no role that may decide ${input.stage} (has: ${identity.roles.join(', ') || 'none'})`,
      { stage: input.stage },
    );
  }
  return { id: identity.id, role };
}

export function createControlApi({
  client,
  taskQueue,
  logger,
  defaults,
  authenticator,
  audit,
  auditRole,
  auditServices = [],
  idempotency,
  manifests,
  notifications,
  decisionSigningKey,
  codecEndpoint,
  actServices = {},
  bookServices = {},
  checkpointFiles,
  publicJwks,
  console: consoleOptions,
  quorumThresholds = {},
  rateLimitPerMinute = 600,
  now = () => new Date(),
  temporalCallTimeoutMs = DEFAULT_TEMPORAL_CALL_TIMEOUT_MS,
  caseGaugesCacheMs,
}: ControlApiDeps): Express {
  const temporal = boundedTemporal(client, temporalCallTimeoutMs);
  /** Authenticates the caller and checks the matrix for `route`; the identity goes to res.locals. */
  const guard: Guard = (route) => {
    const endpoint = endpointOf(route);
    return async (req, res, next) => {
      const caseId = typeof req.params.caseId === 'string' ? req.params.caseId.slice(0, 64) : undefined;
      let identity: Identity;
      try {
        identity = await authenticator.authenticate(req.get('authorization'));
      } catch (error) {
        if (error instanceof Problem) {
          await audit.append({
            kind: 'access.refused',
            actor: 'anonymous',
            ...(caseId ? { caseId } : {}),
            data: { endpoint, status: error.status, reason: error.extensions.reason ?? error.type },
          });
        }
        throw error;
      }
      if (!mayCall(route, identity.roles)) {
        await audit.append({
          kind: 'access.refused',
          actor: identity.id,
          ...(caseId ? { caseId } : {}),
          data: { endpoint, status: 403, reason: 'forbidden', roles: identity.roles },
        });
        throw new Problem(
          403,
          'forbidden',
          'Not allowed',
          `${identity.id} (${identity.roles.join(', ') || 'no role'}) may not call ${endpoint}`,
          { endpoint },
        );
      }
      res.locals.identity = identity;
      // The case the route names travels with the rest of the request (log lines, the Update's trace).
      if (caseId) withCaseId(caseId, next);
      else next();
    };
  };

  return createServiceApp({
    service: 'control-api',
    logger,
    api: {
      title: 'VCDC control API',
      routes: controlApiRoutes({
        codec: codecEndpoint !== undefined,
        jwks: publicJwks !== undefined,
        ...(consoleOptions ? { console: { devSignIn: consoleOptions.signIn.mode === 'dev' } } : {}),
      }),
    },
    // Cases by stage and status and decisions pending by age, from visibility (case-gauges.ts).
    metrics: caseGaugesRegistry(client, { logger, now, cacheMs: caseGaugesCacheMs }),
    readiness: async () => {
      await temporal('Temporal system info', () => client.workflowService.getSystemInfo({}));
      if (auditRole) await assertServiceRole(auditRole.pool, auditRole.role);
    },
    routes: (app) => {
      const mount = guardedMount(app, guard);
      const limit = rateLimit(rateLimitPerMinute);
      app.use(securityHeaders, limit);
      // Bodies the shell refused (415, control characters, nesting) are in the audit chain too.
      app.use(recordShellRefusals(audit, authenticator, limit.check));
      if (codecEndpoint) {
        if (codecEndpoint.uiSecret) app.use(codecUiSecretPath(codecEndpoint.uiSecret, audit));
        const decodeGuard = guard('decodePayloads');
        mountCodecEndpoint(app, {
          codec: codecEndpoint.codec,
          allowedOrigins: codecEndpoint.allowedOrigins,
          guard: {
            decode: (req, res, next) => (res.locals.codecUi === true ? next() : decodeGuard(req, res, next)),
            encode: guard('encodePayloads'),
          },
        });
      }
      mountForwardedActs(app, { guard, audit, signingKey: decisionSigningKey, services: actServices, now });
      mountPendingActs(app, { guard, services: actServices });
      if (consoleOptions) mountConsole(app, consoleOptions, audit);
      if (publicJwks) {
        app.get('/.well-known/jwks.json', (_req, res) => {
          res.json(publicJwks);
        });
      }

      mountLotManifests(app, {
        guard,
        audit,
        ...(manifests ? { store: manifests } : {}),
        progress: (caseId) =>
          caseProgress(caseId).catch((error: unknown) => {
            if (error instanceof Problem && error.status === 404) return undefined;
            throw error;
          }),
      });

      // The case officer who requests the disposal is the caller (four-eyes compares deciders with them).
      const registrationBy = (res: Response) =>
        z.preprocess((body) => ({ ...(body ?? {}), requestedBy: identityOf(res).id }), CaseRegistrationRequest);
      mount('registerCase', async (req, res) => {
        const request = parseInput(registrationBy(res), req.body ?? {});
        const manifest = request.manifestId ? await sealedManifest(request.caseId, request.manifestId) : undefined;
        const registration = {
          ...withDefaults(request, defaults),
          ...(manifest ? { manifest } : {}),
          // A manifest's per-asset totals weigh as its lots do.
          approvals: requiredApprovals(
            manifest ? { lots: manifest.totals.map((t) => ({ asset: t.asset, declaredAmount: t.declared })) } : request,
            quorumThresholds,
          ),
          decisionSigning: 'required' as const,
        };
        const registrationSha256 = sha256Hex(canonicalJson(request));
        const workflowId = caseWorkflowId(request.caseId);
        try {
          const handle = await temporal(`the start of case ${request.caseId}`, () =>
            client.workflow.start<typeof caseWorkflow>('caseWorkflow', {
              taskQueue,
              workflowId,
              args: [registration],
              workflowIdReusePolicy: 'REJECT_DUPLICATE',
              memo: { registrationSha256 },
              typedSearchAttributes: [
                { key: CaseIdKey, value: registration.caseId },
                { key: CaseAgencyKey, value: registration.agency },
                { key: CaseStageKey, value: 'INTAKE' },
                { key: CaseStatusKey, value: 'RUNNING' },
              ],
              staticSummary: `Case ${registration.caseId} (${registration.agency}): ${manifest?.lots ?? registration.lots.length} lot(s) of ${assetsOf(registration).join(', ')}`,
              staticDetails: caseStaticDetails(registration, consoleOptions?.publicUrl),
            }),
          );
          const body: CaseStarted = {
            caseId: request.caseId,
            workflowId,
            runId: handle.firstExecutionRunId,
            registrationSha256,
          };
          await audit.append({
            kind: 'case.registered',
            actor: identityOf(res).id,
            caseId: request.caseId,
            data: {
              registrationSha256,
              agency: registration.agency,
              // A manifest's lots are in the chain already, chunk by chunk (manifest.chunk, manifest.sealed).
              ...(manifest
                ? { manifest }
                : {
                    lots: registration.lots.map((l) => ({
                      lotId: l.lotId,
                      asset: l.asset,
                      declaredAmount: l.declaredAmount,
                    })),
                  }),
              approvals: registration.approvals,
            },
          });
          res.location(caseLocation(request.caseId)).status(201).json(body);
        } catch (error) {
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
          const existing = await temporal(`the description of case ${request.caseId}`, () =>
            client.workflow.getHandle(workflowId).describe(),
          );
          if (existing.memo?.registrationSha256 !== registrationSha256) {
            throw problems.conflict(
              'case-conflict',
              'Case already registered differently',
              `case ${request.caseId} was already registered with another registration`,
              { caseId: request.caseId },
            );
          }
          const body: CaseStarted = { caseId: request.caseId, workflowId, runId: existing.runId, registrationSha256 };
          res.location(caseLocation(request.caseId)).status(200).json(body);
        }
      });

      mount('listCases', async (req, res) => {
        const filter = parseInput(ListQuery, req.query, 'query');
        // Every value is an enum member or matches a pattern without quotes: nothing can break out of a literal.
        const clauses = [`WorkflowType = 'caseWorkflow'`];
        if (filter.status) clauses.push(`CaseStatus = '${filter.status}'`);
        if (filter.stage) clauses.push(`CaseStage = '${filter.stage}'`);
        if (filter.agency) clauses.push(`${CaseAgencyKey.name} = '${filter.agency}'`);
        // Visibility needs no worker, but the call is bounded like every other (the list is one page).
        const cases = await temporal('the case list', async () => {
          const found: CaseSummary[] = [];
          for await (const wf of client.workflow.list({ query: clauses.join(' AND '), pageSize: filter.limit })) {
            const sa = wf.typedSearchAttributes;
            found.push({
              caseId: sa.get(CaseIdKey) ?? wf.workflowId.replace(/^case-/, ''),
              workflowId: wf.workflowId,
              agency: sa.get(CaseAgencyKey) ?? null,
              stage: sa.get(CaseStageKey) ?? null,
              status: sa.get(CaseStatusKey) ?? null,
              execution: wf.status.name,
              startTime: wf.startTime.toISOString(),
            });
            if (found.length >= filter.limit) break;
          }
          return found;
        });
        res.json({ cases });
      });

      mount('getCase', async (req, res) => {
        const { caseId } = parseInput(CaseParams, req.params, 'path');
        res.json(await caseProgress(caseId));
      });

      mount('getCaseStatement', async (req, res) => {
        const { caseId } = parseInput(CaseParams, req.params, 'path');
        const progress = await caseProgress(caseId);
        const statement = caseStatement(progress);
        // A correction after the case closed is in the services' books, not in its status: both are shown
        // (reconciled with what only the case recorded: its leftovers and explained differences).
        const books = await caseBooks(caseId, bookServices, async () => progress).catch(() => undefined);
        const corrected = books && statementCorrections(books);
        res.json(corrected ? { ...statement, corrected } : statement);
      });

      // The books recomputed from the services' records now: after a correction, with both versions.
      mount('getReconciliation', async (req, res) => {
        const { caseId } = parseInput(CaseParams, req.params, 'path');
        res.json(await caseBooks(caseId, bookServices, () => withinSeconds(caseProgress(caseId), 5)));
      });

      // The services' reports, for people (case-reports.ts): the control API's credential, never theirs.
      mount('getBestExecution', async (req, res) => {
        const { caseId } = parseInput(CaseParams, req.params, 'path');
        res.json(await caseBestExecution(caseId, bookServices));
      });
      mount('getFxWaterfalls', async (req, res) => {
        const { caseId } = parseInput(CaseParams, req.params, 'path');
        res.json(await caseWaterfalls(caseId, bookServices));
      });
      // The FX declarations as the FX service keeps them: each tranche with its corrections and version in force.
      mount('getFxDeclarations', async (req, res) => {
        const { caseId } = parseInput(CaseParams, req.params, 'path');
        res.json({ caseId, declarations: await caseDeclarations(caseId, bookServices) });
      });
      mount('getTreasuryStatement', async (req, res) => {
        const { caseId } = parseInput(CaseParams, req.params, 'path');
        res.json(await caseTreasuryStatement(caseId, bookServices));
      });

      // The case file, signed with the control API's act key (dossier/manifest.ts says why that key).
      mount('getDossier', async (req, res) => {
        const { caseId } = parseInput(CaseParams, req.params, 'path');
        const identity = identityOf(res);
        const sources = await gatherCaseFile(caseId, {
          services: bookServices,
          progress: caseProgress,
          registration: caseRegistration,
          audit,
          verifyChains: () =>
            verifyAuditChains([{ chain: 'control-api', verify: () => audit.verify() }], auditServices),
          ...(checkpointFiles ? { checkpointFiles } : {}),
        });
        const createdAt = now().toISOString();
        const file = await buildCaseFile(sources, { caseId, createdAt, createdBy: identity.id }, decisionSigningKey);
        // Like every act and decision it signs, what the control API signed for a person is in the chain.
        await audit.append({
          kind: 'case-file.issued',
          actor: identity.id,
          caseId,
          data: { manifestSha256: file.manifestSha256, archiveSha256: sha256Hex(Buffer.from(file.bytes)), createdAt },
        });
        res.status(200).type('application/zip').attachment(`case-${caseId}.zip`).send(Buffer.from(file.bytes));
      });

      mount(
        'decide',
        keyedPost(
          idempotency,
          () => DecisionInput,
          async (body, req, res) => {
            const { caseId } = parseInput(CaseParams, req.params, 'path');
            const identity = identityOf(res);
            const record = (kind: string, data: Record<string, unknown>) =>
              audit.append({
                kind,
                actor: identity.id,
                caseId,
                data: { stage: body.stage, outcome: body.outcome, ...data },
              });
            try {
              const decider = resolveDecider(identity, body);
              // A token without a unit decides as 'unassigned': one unit, never a second one for the policy.
              const unit = identity.unit ?? 'unassigned';
              const authorisation =
                body.stage === 'DISPOSAL_PLAN' && body.outcome === 'APPROVE'
                  ? await requestedAuthorisation(caseId)
                  : undefined;
              // A pay-out approval signs exactly the pay-out the case asks for (kind, most CNY, payees).
              const payout =
                body.stage === 'REMITTANCE' && body.outcome === 'APPROVE' ? await requestedPayout(caseId) : undefined;
              // Approving differences signs exactly those the case asks about, each to the last unit.
              const differences =
                body.stage === 'RECONCILIATION' && body.outcome === 'APPROVE'
                  ? (await caseProgress(caseId)).reconciliationAsked
                  : undefined;
              const unsigned = {
                ...body,
                decidedBy: decider.id,
                role: decider.role,
                unit,
                decidedAt: now().toISOString(),
                nonce: randomUUID(),
                ...(authorisation ? { authorisation } : {}),
                ...(payout ? { payout } : {}),
                ...(differences ? { differences } : {}),
              };
              const decision: Decision = {
                ...unsigned,
                act: signDecision(decisionSigningKey, caseWorkflowId(caseId), unsigned),
              };
              // The intent is in the chain before the case hears of it: no decision is applied unrecorded.
              await record('decision.requested', {
                nonce: decision.nonce,
                actSha256: sha256Hex(canonicalJson(decision.act)),
              });
              // The same person's retry with the same key sends the same Update: never a second decision.
              const updateId = decisionUpdateId(identity.id, req.get('Idempotency-Key'));
              let accepted: DecisionAccepted;
              try {
                accepted = await sendDecision(caseId, decision, updateId);
              } catch (error) {
                // Not answered (a fault, or Temporal past the bound): the Update may still reach the case.
                if (!(error instanceof Problem) || error.status >= 500) {
                  await record('decision.outcome-unknown', {
                    nonce: decision.nonce,
                    ...(updateId ? { updateId } : {}),
                    error: String(error).slice(0, 500),
                  });
                }
                throw error;
              }
              await record('decision.accepted', { decision, movesTo: accepted.movesTo, approvals: accepted.approvals });
              return { status: 200, body: accepted };
            } catch (error) {
              if (error instanceof Problem && error.status < 500) {
                await record('decision.refused', { status: error.status, refusal: error.type, detail: error.detail });
              }
              throw error;
            }
          },
        ),
      );

      mount('listNotifications', async (req, res) => {
        const query = parseInput(NotificationQuery, req.query, 'query');
        res.json({ notifications: await readNotifications('listNotifications', res, query) });
      });

      mount('listCaseNotifications', async (req, res) => {
        const { caseId } = parseInput(CaseParams, req.params, 'path');
        const query = parseInput(NotificationFilter, req.query, 'query');
        res.json({
          notifications: await readNotifications('listCaseNotifications', res, { ...query, caseId }),
        });
      });

      mount('listAuditRecords', async (req, res) => {
        const query = parseInput(AuditQuery, req.query, 'query');
        res.json({ records: await audit.list(query) });
      });

      mount('verifyAudit', async (_req, res) => {
        res.json(await verifyAuditChains([{ chain: 'control-api', verify: () => audit.verify() }], auditServices));
      });
    },
  });

  /**
   * The notifications the caller may read: a `role` filter they may not read is 403 (recorded);
   * without one, those addressed to the roles they hold (all, for auditors and operators).
   */
  async function readNotifications(route: GuardedRoute, res: Response, query: z.infer<typeof NotificationQuery>) {
    const endpoint = endpointOf(route);
    if (!notifications) {
      throw new Problem(
        503,
        'notifications-unavailable',
        'Notifications unavailable',
        'no notifications outbox is configured',
      );
    }
    const identity = identityOf(res);
    const readable = readableNotificationRoles(identity.roles);
    if (query.role && readable !== 'all' && !readable.includes(query.role)) {
      await audit.append({
        kind: 'access.refused',
        actor: identity.id,
        ...(query.caseId ? { caseId: query.caseId } : {}),
        data: { endpoint, status: 403, reason: 'notification-role', role: query.role, roles: identity.roles },
      });
      throw new Problem(
        403,
        'forbidden',
        'Not allowed',
        `${identity.id} (${identity.roles.join(', ') || 'no role'}) may not read notifications addressed to ${query.role}`,
        { endpoint, role: query.role },
      );
    }
    const toRole = query.role ?? (readable === 'all' ? undefined : readable);
    return notifications.list({
      limit: query.limit,
      ...(query.caseId ? { caseId: query.caseId } : {}),
      ...(toRole ? { toRole } : {}),
      ...(query.kind ? { kind: query.kind } : {}),
      ...(query.since ? { since: query.since } : {}),
    });
  }

  /**
   * What a DISPOSAL_PLAN approval authorises: the transfer authorisation the case asks for (its
   * verified intake, the venue, the approval policy's verdict), read from the case; the approver signs it.
   */
  async function requestedAuthorisation(caseId: string): Promise<contracts.custody.TransferAuthorisation | undefined> {
    const progress = await caseProgress(caseId);
    const asked = progress.authorisationRequested;
    if (!asked) return undefined;
    // The worker computed the verdict; the control API judges the same valuation again before a person signs it.
    const problem = policyMismatch(asked, progress.valuation);
    if (problem) {
      throw new Problem(409, 'authorisation-inconsistent', 'Authorisation inconsistent', problem, { caseId });
    }
    return asked;
  }

  /** What a REMITTANCE approval allows, as the case asks for it (its status); the approver signs it. */
  async function requestedPayout(caseId: string): Promise<contracts.treasury.PayoutAuthorisation | undefined> {
    return (await caseProgress(caseId)).payoutRequested;
  }

  /** The case workflow's `status` query; 404 for a case that does not exist. */
  /** The answer if it comes within `seconds`, else undefined (the books do not wait for a workflow). */
  function withinSeconds<T>(p: Promise<T>, seconds: number): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), seconds * 1000);
    });
    return Promise.race([p.catch(() => undefined), late]).finally(() => clearTimeout(timer));
  }

  /** The registration the case was started with: its workflow's input, decoded as the client decodes payloads. */
  async function caseRegistration(caseId: string): Promise<unknown> {
    const history = await temporal(`the history of case ${caseId}`, () =>
      client.workflow.getHandle(caseWorkflowId(caseId)).fetchHistory(),
    );
    const payloads = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
    const [registration] = await decodeArrayFromPayloads(client.workflow.options.loadedDataConverter, payloads);
    return registration;
  }

  /** The sealed manifest `manifestId` of `caseId`, as the case's input carries it; 422 when there is none. */
  async function sealedManifest(caseId: string, manifestId: string): Promise<LotManifestRef> {
    if (!manifests)
      throw problems.unavailable('Lot manifests unavailable', 'this control API has no lot manifest store');
    const found = await manifests.byId(manifestId);
    if (!found || found.caseId !== caseId) {
      throw new Problem(
        400,
        'validation',
        'Invalid request body',
        `manifestId: no sealed lot manifest ${manifestId} of case ${caseId}`,
        {
          errors: [{ field: 'manifestId', message: `no sealed lot manifest ${manifestId} of case ${caseId}` }],
        },
      );
    }
    const { caseId: _c, sealedBy: _b, sealedAt: _a, ...ref } = found;
    return ref;
  }

  async function caseProgress(caseId: string): Promise<CaseProgress> {
    try {
      return await temporal(`the status of case ${caseId}`, () =>
        client.workflow.getHandle(caseWorkflowId(caseId)).query(status),
      );
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw problems.notFound('Case', caseId);
      throw error;
    }
  }

  /** The `decide` Update; its refusals as problems naming the rule. */
  async function sendDecision(caseId: string, decision: Decision, updateId?: string): Promise<DecisionAccepted> {
    const handle = client.workflow.getHandle(caseWorkflowId(caseId));
    try {
      return await temporal(`the ${decision.stage} decision on case ${caseId}`, () =>
        handle.executeUpdate(decide, { args: [decision], ...(updateId ? { updateId } : {}) }),
      );
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        // The server answers "not found" for an Update to a case that has ended, too: tell them apart.
        const ended = await temporal(`the description of case ${caseId}`, () => handle.describe()).then(
          (d) => d.status.name,
          () => undefined,
        );
        if (!ended) throw problems.notFound('Case', caseId);
        throw problems.conflict(
          'case-closed',
          'Case closed',
          `case ${caseId} has ended (${ended}) and takes no decisions`,
          {
            caseId,
          },
        );
      }
      throw decisionProblem(error, caseId) ?? error;
    }
  }
}

/**
 * Why the authorisation a case asks for does not follow from its valuation under the approval policy
 * (undefined when it does): the value is the sum of its lines, each asset's maximum is the amount valued,
 * and the verdict asks at least what the policy asks for that value.
 */
export function policyMismatch(
  asked: contracts.custody.TransferAuthorisation,
  valuation: CaseProgress['valuation'],
): string | undefined {
  if (!valuation) return 'the case asks for an authorisation without a valuation';
  const total = valuation.lines.reduce((sum, l) => sum.plus(l.valueCny), new Decimal(0));
  if (!total.eq(valuation.valueCny))
    return `the valuation's lines add up to ${total.toFixed(2)}, not ${valuation.valueCny}`;
  for (const a of asked.assets) {
    const line = valuation.lines.find((l) => l.asset === a.asset);
    if (!line || !new Decimal(line.amount).eq(a.maxAmount)) return `${a.asset}: the maximum is not the amount valued`;
  }
  const verdict = evaluateApprovalPolicy(APPROVAL_POLICY, valuation.valueCny);
  const p = asked.policy;
  if (p.version !== verdict.version) return `policy version ${p.version} is not the control API's ${verdict.version}`;
  if (!new Decimal(p.valueCny).eq(verdict.valueCny))
    return `the verdict was judged on ${p.valueCny}, not ${verdict.valueCny}`;
  if (p.approvals < verdict.approvals || p.units < verdict.units || (verdict.senior && !p.senior)) {
    return `the policy asks for ${verdict.approvals} approver(s) from ${verdict.units} unit(s)${verdict.senior ? ' with a senior supervisor' : ''} at CNY ${verdict.valueCny}`;
  }
  return undefined;
}

function decisionProblem(error: unknown, caseId: string): Problem | undefined {
  if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
    const code = error.cause.type as DecisionRefusalCode;
    const httpStatus = REFUSAL_STATUS[code];
    if (httpStatus) return new Problem(httpStatus, code, 'Decision refused', error.cause.message, { caseId });
  }
  return undefined;
}

/** What an operator reads first on the case's page in the Web UI (Markdown): who asked, on what basis, what is seized. */
function caseStaticDetails(registration: CaseRegistration, consoleUrl?: string): string {
  const totals = new Map<string, Decimal>();
  for (const lot of registration.lots) {
    totals.set(lot.asset, (totals.get(lot.asset) ?? new Decimal(0)).plus(lot.declaredAmount));
  }
  for (const t of registration.manifest?.totals ?? []) totals.set(t.asset, new Decimal(t.declared));
  return [
    `**Legal basis:** ${registration.legalBasis.reference}`,
    `**Requested by:** ${registration.requestedBy}`,
    `**Declared:** ${[...totals].map(([asset, amount]) => `${amount.toFixed()} ${asset}`).join(', ')} in ${registration.manifest?.lots ?? registration.lots.length} lot(s)`,
    `**Route:** ${registration.disposal.venue}, to ${registration.disposal.stablecoin} then ${registration.disposal.fiat}; offshore account ${registration.disposal.offshoreBankAccountId}`,
    registration.restitution ? `**Restitution order:** ${registration.restitution.courtOrderRef}` : '',
    // People decide and check in the console: the operator's way from the workflow to the case's page there.
    consoleUrl ? `**Console:** [case ${registration.caseId}](${casePageUrl(consoleUrl, registration.caseId)})` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}
