/**
 * The codec endpoint for the Temporal Web UI (`--ui-codec-endpoint <control API>/codec`): the UI
 * posts `{ payloads: [{ metadata: {k: base64}, data: base64 }] }` to `/codec/decode` (and
 * `/codec/encode`) and shows what comes back. Mounted on the control API; callers need a token
 * with a role the access matrix allows (the UI forwards its user's token when its codec setting
 * `passAccessToken` is on), and the browser may call it only from the configured UI origins (CORS).
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import { Problem, parseInput } from '@vcdc/shared';
import type { Express, RequestHandler } from 'express';
import { z } from 'zod';

const JsonPayload = z.object({
  metadata: z.record(z.string(), z.string()).optional(),
  data: z.string().optional(),
});
const CodecRequest = z.object({ payloads: z.array(JsonPayload).max(1000) });
type JsonPayload = z.infer<typeof JsonPayload>;

function fromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]),
    ),
    data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')),
  };
}

function toJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? []).toString('base64'),
  };
}

/** The codec's two routes, by name: mounted here, guarded and documented by the control API (access.ts, api.ts). */
export const CODEC_ROUTES = {
  decodePayloads: { method: 'post', path: '/codec/decode' },
  encodePayloads: { method: 'post', path: '/codec/encode' },
} as const;

export interface CodecEndpointOptions {
  codec: PayloadCodec;
  /** Origins (e.g. the Web UI's http://127.0.0.1:8233) whose pages may call the endpoint. */
  allowedOrigins: readonly string[];
  /** Authentication and the access matrix, per operation. */
  guard: { decode: RequestHandler; encode: RequestHandler };
}

export function mountCodecEndpoint(app: Express, { codec, allowedOrigins, guard }: CodecEndpointOptions): void {
  const cors: RequestHandler = (req, res, next) => {
    const origin = req.get('origin');
    if (origin && allowedOrigins.includes(origin)) {
      res.set({
        'access-control-allow-origin': origin,
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'POST, OPTIONS',
        'access-control-allow-headers': 'content-type, x-namespace, authorization',
        'access-control-max-age': '600',
        vary: 'Origin',
      });
    }
    // A preflight carries no credentials: answer it before authentication.
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  };
  app.use('/codec', cors);
  app.post(CODEC_ROUTES.decodePayloads.path, guard.decode, async (req, res) => {
    const { payloads } = parseInput(CodecRequest, req.body ?? {});
    try {
      res.json({ payloads: (await codec.decode(payloads.map(fromJson))).map(toJson) });
    } catch (error) {
      // An unknown key id, or a ciphertext / tag / key id that was altered: the payload is not ours to read.
      throw new Problem(422, 'payload-undecodable', 'Payload cannot be decoded', (error as Error).message);
    }
  });
  app.post(CODEC_ROUTES.encodePayloads.path, guard.encode, async (req, res) => {
    const { payloads } = parseInput(CodecRequest, req.body ?? {});
    res.json({ payloads: (await codec.encode(payloads.map(fromJson))).map(toJson) });
  });
}
