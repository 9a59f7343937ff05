/**
 * A small JSON-over-HTTP client for calling a service: every mutating call carries an
 * Idempotency-Key; a non-2xx answer becomes a ServiceCallError with the problem body, so callers
 * can decide on `status` and `problem.type`; a timeout or connection failure is a ServiceCallError
 * with status 0 (always retryable).
 *
 * A call may be made from a service's route table (openapi.ts `ApiRoute`, the table app.ts mounts
 * and /openapi.json is generated from): `routeClient(client, CUSTODY_ROUTES).call('getAccount',
 * { params: { caseId, asset } })`. The route is named, never its path written again; its `:params`
 * are filled (encoded) from `params`, and its schemas type the call: the path's parameters and the
 * query's keys (strings, as on the wire), the body (the schema's input), whether an Idempotency-Key
 * is needed, and the answer, parsed with the route's response schema (an answer that breaks it is an
 * AnswerBreaksContract). A name not in the table, a missing parameter or a wrong body does not compile
 * (the types and the path filling are routes.ts, which the CLI uses without this module's imports).
 */

import { SpanKind } from '@opentelemetry/api';
import type { z } from 'zod';
import { type ProblemBody, RETRYABLE_PROBLEM_TYPES } from '../problem';
import { injectTraceHeaders, inSpan } from '../telemetry/spans';
import type { ApiRoute } from './openapi';
import {
  IDEMPOTENCY_HEADER,
  type LooseRouteInput,
  type RouteArgs,
  type RouteOutput,
  type RouteTable,
  routePath,
  withQuery,
} from './routes';

export * from './routes';

export class ServiceCallError extends Error {
  constructor(
    readonly service: string,
    readonly method: string,
    readonly path: string,
    /** HTTP status, or 0 when no answer came back (timeout, connection refused). */
    readonly status: number,
    readonly problem: ProblemBody | undefined,
    message: string,
    /** `cause` (the standard `error.cause`): what failed when no answer came; `statusText`: the answer's status line. */
    options: { cause?: unknown; statusText?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ServiceCallError';
    this.statusText = options.statusText;
  }

  /** The answer's status line ("Bad Gateway"), when an answer came. */
  readonly statusText: string | undefined;

  /** 5xx, 429, no answer, or a 4xx problem type that means "not yet". */
  get retryable(): boolean {
    if (this.status === 0 || this.status >= 500 || this.status === 429) return true;
    return this.problem !== undefined && RETRYABLE_PROBLEM_TYPES.has(this.problem.type);
  }
}

export interface ServiceClientOptions {
  /** Name used in errors and logs, e.g. "custody". */
  service: string;
  baseUrl: string;
  timeoutMs?: number;
  headers?: Record<string, string>;
  /** What sends the request (default: the global fetch); a test records what goes over the wire with it. */
  fetch?: typeof fetch;
}

const JSON_ACCEPT = 'application/json, application/problem+json';

/** What one call sends besides its method and path. */
export interface SendOptions {
  body?: unknown;
  idempotencyKey?: string;
  /** Headers of this call alone (a signed act's, a desk's signature), beside the client's own. */
  headers?: Record<string, string>;
  /** This call's own deadline, instead of the client's `timeoutMs` (several desks asked against one clock). */
  signal?: AbortSignal;
}

/** A service's answer as it came (ServiceClient.relay). */
export interface RelayedAnswer {
  status: number;
  headers: Headers;
  text: string;
}

export class ServiceClient {
  private readonly baseUrl: string;
  constructor(private readonly options: ServiceClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  /** The service's name, as in errors and spans. */
  get service(): string {
    return this.options.service;
  }

  get<T>(path: string, query?: Record<string, string | undefined>): Promise<T> {
    return this.request<T>('GET', withQuery(path, query));
  }

  post<T>(path: string, body: unknown, idempotencyKey: string): Promise<T> {
    return this.request<T>('POST', path, body, idempotencyKey);
  }

  /** One call in a client span of its own, whose traceparent the service continues. */
  request<T>(method: string, path: string, body?: unknown, idempotencyKey?: string): Promise<T> {
    return this.traced(method, path, async () => {
      const text = await (await this.send(method, path, JSON_ACCEPT, { body, idempotencyKey })).text();
      return (text ? safeJson(text) : undefined) as T;
    });
  }

  /** A file the service answers (`accept` says which kind): its bytes; refusals as for every call. */
  download(path: string, accept: string): Promise<Uint8Array> {
    return this.traced('GET', path, async () => {
      const response = await this.send('GET', path, `${accept}, application/problem+json`);
      return new Uint8Array(await response.arrayBuffer());
    });
  }

  /**
   * The answer as it came, whatever its status, for a caller that passes it on (the control API relays
   * a service's answer to a person's act, a refusal included, as the service gave it). Only no answer
   * at all is thrown (a ServiceCallError with status 0); a redirect is answered, not followed.
   */
  relay(method: string, path: string, options: SendOptions = {}): Promise<RelayedAnswer> {
    return this.traced(method, path, async () => {
      const response = await this.send(method, path, JSON_ACCEPT, { ...options, relay: true });
      return { status: response.status, headers: response.headers, text: await response.text() };
    });
  }

  private traced<T>(method: string, path: string, call: () => Promise<T>): Promise<T> {
    const attributes = {
      'http.request.method': method,
      // Without the query; ids in the path are kept (a span is one call, not a series).
      'url.path': path.split('?')[0] ?? path,
      'peer.service': this.options.service,
    };
    return inSpan(
      `${this.options.service} ${method}`,
      attributes,
      async (span) => {
        try {
          return await call();
        } catch (error) {
          if (error instanceof ServiceCallError) span.setAttribute('http.response.status_code', error.status);
          throw error;
        }
      },
      // A 4xx is the service's answer (a refusal), not a failure of the call.
      { kind: SpanKind.CLIENT, failed: (e) => !(e instanceof ServiceCallError && e.status >= 400 && e.status < 500) },
    );
  }

  /** The request; its answer when 2xx, else thrown as a ServiceCallError (with its problem when it is one). */
  private async send(
    method: string,
    path: string,
    accept: string,
    { body, idempotencyKey, headers: extra, signal, relay }: SendOptions & { relay?: boolean } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { accept, ...this.options.headers, ...extra };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey) headers[IDEMPOTENCY_HEADER] = idempotencyKey;
    injectTraceHeaders(headers);
    const fetchImpl = this.options.fetch ?? fetch;
    let response: Response;
    try {
      response = await fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ?? AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
        ...(relay ? { redirect: 'manual' as const } : {}),
      });
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new ServiceCallError(
        this.options.service,
        method,
        path,
        0,
        undefined,
        `${this.options.service} ${method} ${path}: no answer (${reason})`,
        { cause: error },
      );
    }
    if (response.ok || relay) return response;
    const text = await response.text();
    const parsed = text ? safeJson(text) : undefined;
    const problem = isProblem(parsed) ? parsed : undefined;
    const what = problem ? `${problem.title}${problem.detail ? `: ${problem.detail}` : ''}` : text.slice(0, 200);
    throw new ServiceCallError(
      this.options.service,
      method,
      path,
      response.status,
      problem,
      `${this.options.service} ${method} ${path} answered ${response.status}: ${what}`,
      { statusText: response.statusText },
    );
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isProblem(value: unknown): value is ProblemBody {
  return (
    !!value &&
    typeof value === 'object' &&
    typeof (value as ProblemBody).type === 'string' &&
    typeof (value as ProblemBody).status === 'number'
  );
}

/** Each refused field and why, `path: message; ...`. */
const issuesText = (issues: readonly z.core.$ZodIssue[]) =>
  issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');

/** A service's answer that its route's response schema refuses: the service broke its own contract. */
export class AnswerBreaksContract extends Error {
  constructor(
    readonly service: string,
    readonly method: string,
    readonly path: string,
    readonly issues: readonly z.core.$ZodIssue[],
  ) {
    super(`${service} ${method} ${path}: the answer breaks the contract: ${issuesText(issues)}`);
    this.name = 'AnswerBreaksContract';
  }

  /** Each refused field and why, `path: message; ...`. */
  get detail(): string {
    return issuesText(this.issues);
  }
}

/** A route's request: its method, its path with the params filled and the query added, the body and key. */
function routeRequest(route: ApiRoute, input: unknown) {
  const { params, query, body, idempotencyKey } = (input ?? {}) as LooseRouteInput;
  return { method: route.method.toUpperCase(), path: withQuery(routePath(route, params), query), body, idempotencyKey };
}

/** One call of a route: path filled, query and body sent, the answer parsed with the route's response schema. */
export async function callRoute<R extends ApiRoute>(
  client: ServiceClient,
  route: R,
  ...[input]: RouteArgs<R>
): Promise<RouteOutput<R>> {
  const { method, path, body, idempotencyKey } = routeRequest(route, input);
  const answer = await client.request<unknown>(method, path, body, idempotencyKey);
  if (!route.response) return answer as RouteOutput<R>;
  const parsed = route.response.safeParse(answer);
  if (!parsed.success) throw new AnswerBreaksContract(client.service, method, path, parsed.error.issues);
  return parsed.data as RouteOutput<R>;
}

/** A service client that calls the routes of one table, by name. */
export interface RouteClient<T extends RouteTable> {
  readonly routes: T;
  call<K extends keyof T & string>(name: K, ...input: RouteArgs<T[K]>): Promise<RouteOutput<T[K]>>;
  /**
   * The route called as `call` does, its answer passed on as it came, refusals included (ServiceClient
   * .relay): for a proxy, which hands the service's answer to its own caller unread. `headers`: this
   * call's own (a signed act's).
   */
  relay<K extends keyof T & string>(
    name: K,
    input: RouteArgs<T[K]>[0],
    headers?: Record<string, string>,
  ): Promise<RelayedAnswer>;
}

export function routeClient<T extends RouteTable>(client: ServiceClient, routes: T): RouteClient<T> {
  // The type refuses an unknown name; this is for a name made at run time.
  const routeOf = <K extends keyof T & string>(name: K): T[K] => {
    const route = routes[name];
    if (!route) throw new Error(`${client.service}: no route ${name} in its table`);
    return route;
  };
  return {
    routes,
    call: async (name, ...input) => callRoute(client, routeOf(name), ...input),
    relay: async (name, input, headers) => {
      const { method, path, body, idempotencyKey } = routeRequest(routeOf(name), input);
      return client.relay(method, path, { body, idempotencyKey, ...(headers ? { headers } : {}) });
    },
  };
}
