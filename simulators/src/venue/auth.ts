/**
 * HashKey's request signing, checked exactly as ccxt's hashkey `sign()` produces it: header
 * `X-HK-APIKEY`; the parameters, with `timestamp` first, form-urlencoded; `signature` = hex
 * HMAC-SHA256 of that string with the secret, appended last (in the query for GET, in the form body
 * otherwise). The timestamp must be within `recvWindow` (default 5000 ms) of the venue's clock.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { refuse } from './errors';

export interface Credentials {
  apiKey: string;
  secret: string;
}

const DEFAULT_RECV_WINDOW_MS = 5000;
const MAX_RECV_WINDOW_MS = 60_000;
/** A client clock slightly ahead of the venue's is tolerated by this much. */
const FUTURE_TOLERANCE_MS = 1000;

/** The signed payload exactly as it arrived: the query for GET, the form body otherwise. */
function rawPayload(req: Request): string {
  const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
  if (req.method === 'GET') return query;
  const body = typeof req.body === 'string' ? req.body : '';
  return body || query;
}

/** Verify key, signature and timestamp; return the request's parameters (without the signing ones). */
export function verifySignedRequest(req: Request, credentials: Credentials, now: number): Record<string, string> {
  const key = req.get('X-HK-APIKEY');
  if (!key || !safeEqual(key, credentials.apiKey)) throw refuse.badApiKey();
  const raw = rawPayload(req);
  let signed: string;
  let signature: string;
  if (raw.startsWith('signature=')) {
    signed = '';
    signature = raw.slice('signature='.length);
  } else {
    const at = raw.lastIndexOf('&signature=');
    if (at < 0) throw refuse.badSignature();
    signed = raw.slice(0, at);
    signature = raw.slice(at + '&signature='.length);
  }
  const expected = createHmac('sha256', credentials.secret).update(signed).digest('hex');
  if (!safeEqual(signature, expected)) throw refuse.badSignature();

  const params = Object.fromEntries(new URLSearchParams(signed));
  const timestamp = Number(params.timestamp);
  if (!params.timestamp || !Number.isInteger(timestamp)) throw refuse.missing('timestamp');
  const window = Math.min(
    Number(params.recvWindow ?? DEFAULT_RECV_WINDOW_MS) || DEFAULT_RECV_WINDOW_MS,
    MAX_RECV_WINDOW_MS,
  );
  if (now - timestamp > window || timestamp - now > FUTURE_TOLERANCE_MS) throw refuse.staleTimestamp();
  delete params.timestamp;
  delete params.recvWindow;
  return params;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
