/**
 * How the exchange service signs its requests to an OTC desk, and how a desk checks them (issue 16,
 * RFQ): headers X-Desk-Key (our key at the desk), X-Desk-Timestamp (ms since the epoch) and
 * X-Desk-Signature = hex HMAC-SHA256, with the secret shared with that desk, of
 * `${timestamp}\n${METHOD}\n${path}\n${body}` — the body exactly as sent, so nothing of a quote
 * request or an acceptance can be altered or replayed later than the window.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface DeskCredentials {
  apiKey: string;
  secret: string;
}

export const DESK_KEY_HEADER = 'X-Desk-Key';
export const DESK_TIMESTAMP_HEADER = 'X-Desk-Timestamp';
export const DESK_SIGNATURE_HEADER = 'X-Desk-Signature';
/** A request signed longer ago than this (or this far ahead) is refused. */
export const DESK_SIGNATURE_WINDOW_MS = 5000;

export function deskSignature(secret: string, timestamp: string, method: string, path: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${method.toUpperCase()}\n${path}\n${body}`).digest('hex');
}

export function deskHeaders(
  credentials: DeskCredentials,
  method: string,
  path: string,
  body: string,
  now: number = Date.now(),
): Record<string, string> {
  const timestamp = String(now);
  return {
    [DESK_KEY_HEADER]: credentials.apiKey,
    [DESK_TIMESTAMP_HEADER]: timestamp,
    [DESK_SIGNATURE_HEADER]: deskSignature(credentials.secret, timestamp, method, path, body),
  };
}

/** Why a request's signature does not hold (undefined: it holds). */
export function deskSignatureFault(
  credentials: DeskCredentials,
  header: (name: string) => string | undefined,
  method: string,
  path: string,
  body: string,
  now: number = Date.now(),
): string | undefined {
  const key = header(DESK_KEY_HEADER);
  const timestamp = header(DESK_TIMESTAMP_HEADER);
  const signature = header(DESK_SIGNATURE_HEADER);
  if (!key || !same(key, credentials.apiKey)) return 'unknown key';
  if (!timestamp || !/^\d{1,15}$/.test(timestamp)) return 'no timestamp';
  if (Math.abs(now - Number(timestamp)) > DESK_SIGNATURE_WINDOW_MS) return 'stale timestamp';
  if (!signature || !same(signature, deskSignature(credentials.secret, timestamp, method, path, body))) {
    return 'bad signature';
  }
  return undefined;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
