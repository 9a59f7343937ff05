/**
 * The control API's calls to the services: each service's route table (services/<s>/src/api.ts, the
 * one it mounts and documents at /openapi.json) called by route name through the shared ServiceClient
 * (shared http/client.ts routeClient), with the control API's credential for that service. No path to a
 * service is written in the control API: a read names the route (case-books.ts, case-reports.ts,
 * pending-acts.ts), a forwarded act names the route it relays to (acts.ts).
 */
import {
  AnswerBreaksContract,
  Problem,
  type RouteClient,
  routeClient,
  ServiceCallError,
  ServiceClient,
} from '@vcdc/shared';
import { CUSTODY_ROUTES } from '../../services/custody/src/api';
import { EXCHANGE_ROUTES } from '../../services/exchange/src/api';
import { FX_ROUTES } from '../../services/fx/src/api';
import { TREASURY_ROUTES } from '../../services/treasury/src/api';

/** Each service the control API calls, with the route table it serves. */
export const SERVICE_ROUTES = {
  custody: CUSTODY_ROUTES,
  exchange: EXCHANGE_ROUTES,
  fx: FX_ROUTES,
  treasury: TREASURY_ROUTES,
} as const;
export type ControlledService = keyof typeof SERVICE_ROUTES;
export type ServiceRouteClient<S extends ControlledService> = RouteClient<(typeof SERVICE_ROUTES)[S]>;

/** Where a service is and the control API's credential for it (its CONTROL_API_TOKEN). */
export interface ServiceTarget {
  url: string;
  token?: string;
  timeoutMs?: number;
}
export type ServiceTargets = Partial<Record<ControlledService, ServiceTarget>>;

/** A service's answers are awaited this long unless its target says otherwise (a person is waiting). */
const TIMEOUT_MS = 30_000;

// One client per target and service, made on first use: the targets are configuration, fixed for the app's life.
const made = new WeakMap<ServiceTarget, Map<ControlledService, unknown>>();

/** The route client of `service` at `target` (the same one each time for the same target). */
export function serviceRouteClient<S extends ControlledService>(
  service: S,
  target: ServiceTarget,
): ServiceRouteClient<S> {
  const clients = made.get(target) ?? new Map<ControlledService, unknown>();
  made.set(target, clients);
  let client = clients.get(service) as ServiceRouteClient<S> | undefined;
  if (!client) {
    const http = new ServiceClient({
      service,
      baseUrl: target.url,
      timeoutMs: target.timeoutMs ?? TIMEOUT_MS,
      ...(target.token ? { headers: { authorization: `Bearer ${target.token}` } } : {}),
    });
    client = routeClient(http, SERVICE_ROUTES[service]) as ServiceRouteClient<S>;
    clients.set(service, client);
  }
  return client;
}

/** 503: the control API was given no URL (or credential) for the service. */
export function notConfigured(service: ControlledService, detail = `the control API has no URL for ${service}`) {
  return new Problem(503, 'service-not-configured', 'Service not configured', detail, { service });
}

/**
 * One read of a service's records with the control API's credential: 503 when the service is not
 * configured, 502 `service-unanswered` when it does not answer, refuses, or answers outside its contract.
 */
export async function readService<S extends ControlledService, T>(
  targets: ServiceTargets,
  service: S,
  read: (client: ServiceRouteClient<S>) => Promise<T>,
): Promise<T> {
  const target = targets[service];
  if (!target) throw notConfigured(service);
  try {
    return await read(serviceRouteClient(service, target));
  } catch (error) {
    const path = error instanceof ServiceCallError || error instanceof AnswerBreaksContract ? error.path : 'a read';
    const status = error instanceof ServiceCallError && error.status > 0 ? { status: error.status } : {};
    // An answer outside the contract is named as such, field by field: "did not answer" would send an
    // operator looking at the network when the two sides disagree on a shape.
    const detail =
      error instanceof AnswerBreaksContract
        ? `${service} answered ${path} outside its contract: ${error.detail}`
        : `${service} did not answer ${path}`;
    throw new Problem(502, 'service-unanswered', 'The service did not answer', detail, { service, ...status });
  }
}
