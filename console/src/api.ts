/**
 * The console's only way to the data: the control API's routes, with the person's bearer token.
 * A refusal is the server's problem+json, kept whole so the page can show it verbatim.
 */
export interface ProblemDetails {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  [extension: string]: unknown;
}

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly problem: ProblemDetails,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }
}

export interface Api {
  get<T>(path: string, query?: Record<string, string | undefined>): Promise<T>;
  post<T>(path: string, body: unknown, idempotencyKey?: string): Promise<T>;
  /** A file the control API serves (the case file): its bytes, or its problem+json. */
  download(path: string): Promise<Blob>;
}

async function answer<T>(res: Response): Promise<T> {
  const text = await res.text();
  // Anything but JSON (a proxy's error page, a service without the route) is reported as such, not parsed.
  if (!/json/.test(res.headers.get('content-type') ?? '')) {
    if (res.ok && !text) return undefined as T;
    throw new ApiProblem(res.status, {
      title: res.statusText || `HTTP ${res.status}`,
      detail: `the answer is not JSON (${res.headers.get('content-type') ?? 'no content type'}): ${text.slice(0, 200)}`,
    });
  }
  const body = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const problem = (body && typeof body === 'object' ? body : { title: res.statusText }) as ProblemDetails;
    throw new ApiProblem(res.status, problem);
  }
  return body as T;
}

export function apiFor(token: string, onUnauthenticated: () => void): Api {
  const call = async <T>(method: string, path: string, body?: unknown, key?: string): Promise<T> => {
    const res = await fetch(path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(key ? { 'idempotency-key': key } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (res.status === 401) onUnauthenticated();
    return answer<T>(res);
  };
  return {
    get: (path, query) => {
      const q = new URLSearchParams(
        Object.entries(query ?? {}).filter((e): e is [string, string] => e[1] !== undefined),
      ).toString();
      return call('GET', q ? `${path}?${q}` : path);
    },
    post: (path, body, key) => call('POST', path, body, key),
    download: async (path) => {
      const res = await fetch(path, { headers: { authorization: `Bearer ${token}` } });
      if (res.status === 401) onUnauthenticated();
      if (!res.ok) return answer<Blob>(res);
      return res.blob();
    },
  };
}

/** Unauthenticated reads of the console's own routes (its config, the dev sign-in). */
export async function publicGet<T>(path: string): Promise<T> {
  return answer<T>(await fetch(path, { headers: { accept: 'application/json' } }));
}

export async function publicPost<T>(path: string, body: unknown): Promise<T> {
  return answer<T>(
    await fetch(path, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  );
}
