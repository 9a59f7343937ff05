/**
 * People's acts, forwarded: the control API is the one door a person uses, and the services carry
 * out only what it has signed for an authenticated person (packages/shared/src/acts). Each route of
 * FORWARDED_ACTS is one table entry: the control API route, the service, the act kind (ACT_KINDS),
 * the service's route it goes to (by its name in the service's table, service-clients.ts: its path is
 * the table's, never written here) and the object the act is on. For every request:
 *
 *  1. the guard authenticates the person and checks the access matrix (access.ts);
 *  2. a body that names a person (`approvedBy`, `attestedBy`…) is refused 400 naming the field;
 *  3. the acting role is the first of the kind's roles the token holds (403 `act-role` otherwise),
 *     and the person's unit is the token's unit claim (403 `act-unit` without one);
 *  4. the intent is appended to the control API's audit chain (`act.requested`: kind, object, the
 *     content's SHA-256, the act id) before anything leaves;
 *  5. the act is signed with the control API's act key over exactly the method, service path and
 *     body forwarded (`requestContent`), and sent in the `VCDC-Act` header with the control API's
 *     credential for that service and the Idempotency-Key `act/<person>/<their key>`;
 *  6. the outcome is appended (`act.carried-out` with the service's status, `act.refused` with its
 *     problem type, `act.unanswered` when no answer came back: a retry with the same key settles it)
 *     and the service's status and body are the answer (problem+json passed through).
 *
 * Every refusal before the call (named person, role, unit) is appended as `act.refused` too. A
 * service without a configured URL and credential answers 503 on its routes.
 */
import type { KeyObject } from 'node:crypto';
import {
  ACT_HEADER,
  ACT_KINDS,
  type ActKind,
  type ActObject,
  type ApiRoute,
  type AuditChain,
  actingRole,
  contracts,
  encodeActHeader,
  IDEMPOTENCY_HEADER,
  type LooseRouteInput,
  Problem,
  parseInput,
  type RelayedAnswer,
  type RouteClient,
  type RouteTable,
  refuseNamedPerson,
  requestContent,
  routePath,
  signAct,
} from '@vcdc/shared';
import type { Express, Response } from 'express';
import { z } from 'zod';
import type { Identity } from './auth';
import { type Guard, guardedMount } from './mount';
import { CONTROL_API_PATHS as P } from './paths';
import {
  type ControlledService,
  notConfigured,
  SERVICE_ROUTES,
  type ServiceTarget,
  type ServiceTargets,
  serviceRouteClient,
} from './service-clients';

type Params = Record<string, string>;
type Body = Record<string, unknown>;

/** A route of a service's table, by name. */
type ServiceRouteName<S extends ControlledService> = keyof (typeof SERVICE_ROUTES)[S] & string;

export type ForwardedAct = {
  [S in ControlledService]: {
    /** The control API's route; its access-matrix entry is `POST <path>`. */
    path: string;
    service: S;
    kind: ActKind;
    /**
     * The service's route the act is forwarded to, by name; its path parameters are the control API
     * route's, each checked to be a plain id first.
     */
    route: ServiceRouteName<S>;
    /** What the act is on (its type is the kind's object type). */
    object: (p: Params, body: Body) => Omit<ActObject, 'type'>;
  };
}[ControlledService];

/** A path segment an id may be: letters, digits and `. _ : -`, so a path built from it is the path signed. */
const PathId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, { message: 'must be 1-128 letters, digits, ".", "_", ":" or "-"' });

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v.slice(0, 200) : undefined);
/** The case the body names, when it is a valid case id (the act's object may then name it). */
const caseOf = (body: Body): { caseId?: string } => {
  const parsed = contracts.common.CaseId.safeParse(body.caseId);
  return parsed.success ? { caseId: parsed.data } : {};
};

/** The forwarded acts: adding or adjusting a route is one entry here (and its row in access.ts). */
export const FORWARDED_ACTS = [
  {
    path: P['custody.whitelist.request'].path,
    service: 'custody',
    kind: 'custody.whitelist.request',
    route: 'requestWhitelistEntry',
    // The entry has no id yet: the act names the destination it asks for (its content binds the whole body).
    object: (_p, b) => ({ id: [text(b.chain), text(b.address)].filter(Boolean).join(':').slice(0, 200) || 'new' }),
  },
  {
    path: P['custody.whitelist.approve'].path,
    service: 'custody',
    kind: 'custody.whitelist.approve',
    route: 'approveWhitelistEntry',
    object: (p) => ({ id: p.entryId as string }),
  },
  {
    path: P['custody.whitelist.revoke'].path,
    service: 'custody',
    kind: 'custody.whitelist.revoke',
    route: 'revokeWhitelistEntry',
    object: (p) => ({ id: p.entryId as string }),
  },
  {
    path: P['custody.intake.attest'].path,
    service: 'custody',
    kind: 'custody.intake.attest',
    route: 'attestIntake',
    object: (_p, b) => ({ id: text(b.lotId) ?? 'unknown', ...caseOf(b) }),
  },
  {
    path: P['custody.intake.classify'].path,
    service: 'custody',
    kind: 'custody.intake.classify',
    route: 'classifyIntakeDifference',
    object: (p) => ({ id: p.intakeId as string }),
  },
  {
    path: P['custody.intake.countersign'].path,
    service: 'custody',
    kind: 'custody.intake.countersign',
    route: 'countersignIntakeDifference',
    object: (p) => ({ id: p.intakeId as string }),
  },
  {
    path: P['custody.evidence.correct'].path,
    service: 'custody',
    kind: 'custody.evidence.correct',
    route: 'correctHandoverEvidence',
    object: (p) => ({ id: p.intakeId as string }),
  },
  {
    path: P['treasury.correction.request'].path,
    service: 'treasury',
    kind: 'treasury.correction.request',
    route: 'requestCorrection',
    // The ledger line being corrected, named as the treasury names it: <caseId>#<line>.
    object: (_p, b) => ({ id: `${text(b.caseId) ?? '?'}#${typeof b.line === 'number' ? b.line : '?'}`, ...caseOf(b) }),
  },
  {
    path: P['treasury.correction.approve'].path,
    service: 'treasury',
    kind: 'treasury.correction.approve',
    route: 'approveCorrection',
    object: (p) => ({ id: p.correctionId as string }),
  },
  {
    path: P['treasury.follow-up.approve'].path,
    service: 'treasury',
    kind: 'treasury.follow-up.approve',
    route: 'remitFollowUp',
    object: (p) => ({ id: p.correctionId as string }),
  },
  {
    path: P['treasury.recovery.record'].path,
    service: 'treasury',
    kind: 'treasury.recovery.record',
    route: 'recordRecovery',
    object: (p) => ({ id: p.receivableId as string }),
  },
  {
    path: P['fx.settlement.correct'].path,
    service: 'fx',
    kind: 'fx.settlement.correct',
    route: 'requestSettlementCorrection',
    object: (p) => ({ id: p.settlementId as string }),
  },
  {
    // The register of licensed providers (kept by the exchange): one person proposes a provider's entry…
    path: P['register.provider.propose'].path,
    service: 'exchange',
    kind: 'register.provider.propose',
    route: 'proposeProviderChange',
    object: (_p, b) => ({ id: text((b.terms as Body | undefined)?.providerId) ?? 'unknown' }),
  },
  {
    // …and another approves it (the exchange refuses the proposer).
    path: P['register.provider.approve'].path,
    service: 'exchange',
    kind: 'register.provider.approve',
    route: 'approveProviderChange',
    object: (p) => ({ id: p.changeId as string }),
  },
  {
    path: P['fx.correction.approve'].path,
    service: 'fx',
    kind: 'fx.correction.approve',
    route: 'approveSettlementCorrection',
    object: (p) => ({ id: p.correctionId as string }),
  },
] as const satisfies readonly ForwardedAct[];

/** The whitelist as custody keeps it, for the people who act on it (read with the control API's credential). */
export const WhitelistQuery = z
  .object({
    chain: z.string().min(1).max(40).optional(),
    address: z.string().min(1).max(200).optional(),
    status: z.string().min(1).max(40).optional(),
  })
  .strict();

export const ProviderChangesQuery = z.object({ status: z.enum(['PROPOSED', 'APPROVED']).optional() }).strict();

/** The Idempotency-Key a person may send (the service sees `act/<person>/<key>`). */
const ClientKey = /^[\x21-\x7e]{1,200}$/;

export interface ForwardedActsDeps {
  /** Authenticates and checks the access matrix for a route (app.ts `guard`). */
  guard: Guard;
  audit: Pick<AuditChain, 'append'>;
  /** The control API's act key (DECISION_SIGNING_KEY). */
  signingKey: KeyObject;
  /** The services acts go to; one missing: its routes answer 503. */
  services: ServiceTargets;
  now?: () => Date;
}

function identityOf(res: Response): Identity {
  return res.locals.identity as Identity;
}

function unavailable(service: ControlledService): Problem {
  return notConfigured(
    service,
    `the control API has no URL and credential for ${service} (${service.toUpperCase()}_URL, CONTROL_API_TOKEN)`,
  );
}

/**
 * The named route of the service called with a body the control API does not read, and the answer as
 * the service gave it (shared ServiceClient.relay); undefined when no answer came back.
 */
async function relayRoute(
  service: ControlledService,
  target: ServiceTarget,
  route: string,
  input: LooseRouteInput,
  headers?: Record<string, string>,
): Promise<RelayedAnswer | undefined> {
  // A generic proxy: the route is one of FORWARDED_ACTS' (typed there) or a read named below.
  const client = serviceRouteClient(service, target) as unknown as RouteClient<RouteTable>;
  return client.relay(route, input as never, headers).catch(() => undefined);
}

const contentTypeOf = (answer: RelayedAnswer) => answer.headers.get('content-type') ?? 'application/json';
const replayedOf = (answer: RelayedAnswer) => answer.headers.get('idempotent-replayed') === 'true';

/** The service's answer, as it gave it (a problem stays problem+json). */
function relay(res: Response, answer: RelayedAnswer): void {
  const type = /problem\+json/i.test(contentTypeOf(answer)) ? 'application/problem+json' : 'application/json';
  if (replayedOf(answer)) res.set('Idempotent-Replayed', 'true');
  res.status(answer.status).type(type).send(answer.text);
}

function problemTypeOf(answer: RelayedAnswer): string | undefined {
  try {
    const body = JSON.parse(answer.text) as { type?: unknown };
    return typeof body?.type === 'string' ? body.type : undefined;
  } catch {
    return undefined;
  }
}

/** Mounts the forwarded acts and the whitelist reads (see the file comment). */
export function mountForwardedActs(app: Express, deps: ForwardedActsDeps): void {
  const { guard, audit, signingKey, services, now = () => new Date() } = deps;
  const mount = guardedMount(app, guard);

  for (const route of FORWARDED_ACTS) {
    const paramNames = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1] as string);
    const ParamsSchema = z.object(Object.fromEntries(paramNames.map((n) => [n, PathId])));
    const objectType = ACT_KINDS[route.kind].object;

    mount(route.kind, async (req, res) => {
      const identity = identityOf(res);
      let object: ActObject | undefined;
      const record = (kind: string, data: Record<string, unknown>) =>
        audit.append({
          kind,
          actor: identity.id,
          ...(object?.caseId ? { caseId: object.caseId } : {}),
          data: { act: route.kind, ...(object ? { object } : {}), ...data },
        });

      // Everything that can refuse the act before it is signed; each refusal is recorded (act.refused).
      const check = () => {
        const params = parseInput(ParamsSchema, req.params, 'path') as Params;
        const body: Body = req.body ?? {};
        if (typeof body !== 'object' || Array.isArray(body)) {
          throw new Problem(400, 'validation', 'Invalid request body', '(body): must be a JSON object', {
            errors: [{ field: '(body)', message: 'must be a JSON object' }],
          });
        }
        object = { type: objectType, ...route.object(params, body) };
        refuseNamedPerson(body);
        const role = actingRole(route.kind, identity.roles);
        if (!role) {
          throw new Problem(
            403,
            'act-role',
            'Act refused',
            `${route.kind} needs the role ${ACT_KINDS[route.kind].roles.join(' or ')}; ${identity.id} holds ${identity.roles.join(', ') || 'none'}`,
            { act: route.kind },
          );
        }
        if (!identity.unit) {
          throw new Problem(
            403,
            'act-unit',
            'Act refused',
            `${identity.id}'s token names no unit: a person acts in their unit (case-handling, custody, finance…)`,
            { act: route.kind },
          );
        }
        const clientKey = req.get(IDEMPOTENCY_HEADER);
        if (clientKey !== undefined && !ClientKey.test(clientKey)) {
          throw new Problem(
            400,
            'validation',
            'Invalid Idempotency-Key',
            `${IDEMPOTENCY_HEADER} must be 1-200 visible ASCII characters`,
            { errors: [{ field: IDEMPOTENCY_HEADER, message: 'must be 1-200 visible ASCII characters' }] },
          );
        }
        return { params, body, object, role, unit: identity.unit, clientKey };
      };
      let checked: ReturnType<typeof check>;
      try {
        checked = check();
      } catch (error) {
        if (error instanceof Problem) {
          await record('act.refused', { status: error.status, refusal: error.type, detail: error.detail });
        }
        throw error;
      }
      const { params, body, role, unit, clientKey } = checked;
      object = checked.object; // set by check() already; assigned again so the type narrows past undefined
      const target = services[route.service];
      if (!target) throw unavailable(route.service);

      // The path the act is signed over is the one sent: the service's route filled with these params.
      const serviceRoute = forwardedRoute(route);
      const method = serviceRoute.method.toUpperCase();
      const servicePath = routePath(serviceRoute, params);
      const signed = signAct(signingKey, {
        kind: route.kind,
        actor: { id: identity.id, role, unit },
        object,
        content: requestContent(method, servicePath, body),
        issuedAt: now(),
      });
      // Without a key of their own the act is still sent once; only a retry cannot be told from a new act.
      const idempotencyKey = `act/${identity.id}/${clientKey ?? signed.act.actId}`.slice(0, 255);
      const sent = {
        actId: signed.act.actId,
        contentSha256: signed.act.contentSha256,
        role,
        unit,
        service: route.service,
        method,
        path: servicePath,
        idempotencyKey,
      };
      await record('act.requested', sent);
      const answer = await relayRoute(
        route.service,
        target,
        route.route,
        { params, body, idempotencyKey },
        {
          [ACT_HEADER]: encodeActHeader(signed),
        },
      );
      if (!answer) {
        await record('act.unanswered', { actId: signed.act.actId, service: route.service, idempotencyKey });
        throw new Problem(
          502,
          'service-unanswered',
          'The service did not answer',
          `${route.service} did not answer; whether the act was carried out is settled by retrying with the same Idempotency-Key`,
          { service: route.service },
        );
      }
      if (answer.status < 400) {
        await record('act.carried-out', {
          actId: signed.act.actId,
          status: answer.status,
          ...(replayedOf(answer) ? { replayed: true } : {}),
        });
      } else {
        await record('act.refused', {
          actId: signed.act.actId,
          status: answer.status,
          refusal: problemTypeOf(answer) ?? 'unknown',
          by: route.service,
        });
      }
      relay(res, answer);
    });
  }

  // Reads relayed as the service answers them, found or refused.
  const read = async (service: ControlledService, route: string, input: LooseRouteInput, res: Response) => {
    const target = services[service];
    if (!target) throw unavailable(service);
    const answer = await relayRoute(service, target, route, input);
    if (!answer)
      throw new Problem(502, 'service-unanswered', 'The service did not answer', `${service} did not answer`);
    relay(res, answer);
  };
  // The register of licensed providers, as the exchange keeps it: what is in force, each provider's
  // versions, and the changes waiting for a second person.
  mount('listProviders', async (_req, res) => {
    await read('exchange', 'listProviders' satisfies ServiceRouteName<'exchange'>, {}, res);
  });
  mount('listProviderChanges', async (req, res) => {
    const query = parseInput(ProviderChangesQuery, req.query, 'query');
    await read('exchange', 'listProviderChanges' satisfies ServiceRouteName<'exchange'>, { query }, res);
  });
  mount('getProvider', async (req, res) => {
    const params = parseInput(z.object({ providerId: PathId }), req.params, 'path');
    await read('exchange', 'getProvider' satisfies ServiceRouteName<'exchange'>, { params }, res);
  });

  mount('listWhitelist', async (req, res) => {
    const query = parseInput(WhitelistQuery, req.query, 'query');
    await read('custody', 'listWhitelist' satisfies ServiceRouteName<'custody'>, { query }, res);
  });
  mount('getWhitelistEntry', async (req, res) => {
    const params = parseInput(z.object({ entryId: PathId }), req.params, 'path');
    await read('custody', 'getWhitelistEntry' satisfies ServiceRouteName<'custody'>, { params }, res);
  });
}

/** The service's route a forwarded act goes to (its table's entry). */
export function forwardedRoute(act: ForwardedAct): ApiRoute {
  return (SERVICE_ROUTES[act.service] as RouteTable)[act.route] as ApiRoute;
}
