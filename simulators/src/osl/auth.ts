/**
 * OSL's request signing (not HashKey's): headers `X-OSL-APIKEY`, `X-OSL-NONCE` (milliseconds since the
 * epoch) and `X-OSL-SIGNATURE`, the base64 HMAC-SHA512 of nonce + method + path (with its query) + body,
 * keyed with the base64-decoded secret. Bodies are JSON. The nonce must be within 30 s of the venue's
 * clock (a replayed request from long ago is refused).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import type { Credentials } from '../venue/auth';
import { OslError } from './errors';

const NONCE_WINDOW_MS = 30_000;

export function oslSignature(secretBase64: string, nonce: string, method: string, path: string, body: string): string {
  return createHmac('sha512', Buffer.from(secretBase64, 'base64'))
    .update(nonce + method.toUpperCase() + path + body)
    .digest('base64');
}

/** Verify key, nonce and signature over the exact bytes received; throws an OslError (401) otherwise. */
export function verifyOslRequest(req: Request, credentials: Credentials, now: number): void {
  const key = req.get('X-OSL-APIKEY');
  if (!key || !safeEqual(key, credentials.apiKey)) throw new OslError(401, 'INVALID_API_KEY', 'Unknown API key');
  const nonce = req.get('X-OSL-NONCE') ?? '';
  if (!/^\d{1,16}$/.test(nonce) || Math.abs(now - Number(nonce)) > NONCE_WINDOW_MS) {
    throw new OslError(401, 'INVALID_NONCE', 'Nonce missing or outside the window');
  }
  const body = typeof req.body === 'string' ? req.body : '';
  const expected = oslSignature(credentials.secret, nonce, req.method, req.originalUrl, body);
  if (!safeEqual(req.get('X-OSL-SIGNATURE') ?? '', expected)) {
    throw new OslError(401, 'INVALID_SIGNATURE', 'Signature does not match the request');
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
