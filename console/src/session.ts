/**
 * The signed-in person: their bearer token, kept in sessionStorage (this tab only, gone when it
 * closes; never localStorage), and what the token says about them, read for display and for the
 * four-eyes hints only. The control API verifies the token on every call and stays the judge.
 */
const TOKEN_KEY = 'vcdc.console.token';

export interface Person {
  id: string;
  roles: string[];
  unit?: string;
  /** When the token expires (ms since the epoch). */
  expiresAt: number;
}

export interface Session {
  token: string;
  person: Person;
}

function claims(token: string): Record<string, unknown> | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
  } catch {
    return undefined;
  }
}

/** The session for a token, or undefined when it cannot be read or has expired. */
export function sessionOf(token: string, rolesClaim = 'roles', unitClaim = 'unit'): Session | undefined {
  const c = claims(token);
  if (!c || typeof c.sub !== 'string' || typeof c.exp !== 'number') return undefined;
  if (c.exp * 1000 <= Date.now()) return undefined;
  const roles = Array.isArray(c[rolesClaim]) ? (c[rolesClaim] as unknown[]).filter((r) => typeof r === 'string') : [];
  const unit = typeof c[unitClaim] === 'string' ? (c[unitClaim] as string) : undefined;
  return { token, person: { id: c.sub, roles: roles as string[], ...(unit ? { unit } : {}), expiresAt: c.exp * 1000 } };
}

export function storedSession(): Session | undefined {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const session = token ? sessionOf(token) : undefined;
  if (token && !session) sessionStorage.removeItem(TOKEN_KEY);
  return session;
}

export function keepSession(token: string): Session | undefined {
  const session = sessionOf(token);
  if (session) sessionStorage.setItem(TOKEN_KEY, token);
  return session;
}

export function endSession(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}
