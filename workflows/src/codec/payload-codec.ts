/**
 * Encrypted workflow payloads: a Temporal PayloadCodec with AES-256-GCM, so case data (inputs,
 * results, Update and signal arguments, memos, queries' answers) is ciphertext in Temporal's history
 * and visibility. Keys are addressed by id for rotation: new payloads use the current key, and the
 * id travels in the payload's metadata, so payloads written under an older key still decode while
 * that key is configured. The key id is bound to the ciphertext as additional authenticated data.
 *
 * Wire format of `data`: 12-byte IV | ciphertext | 16-byte GCM tag, over the protobuf of the
 * original Payload (its metadata and data both hidden).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import {
  defaultPayloadConverter,
  METADATA_ENCODING_KEY,
  type Payload,
  type PayloadCodec,
  type SerializationContext,
  ValueError,
} from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { z } from 'zod';
import { REFUSED_PAYLOAD, type RefusedPayload } from '../workflow/side-door';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const text = (s: string) => new TextEncoder().encode(s);

export interface CodecKeys {
  /** Key id -> 32-byte AES-256 key. */
  keys: Map<string, Buffer>;
  /** The id of the key new payloads are encrypted with. */
  currentKeyId: string;
}

/**
 * `PAYLOAD_CODEC_KEYS`: `id:base64key[,id:base64key…]`, each key 32 bytes; the first is current
 * unless PAYLOAD_CODEC_KEY_ID names another.
 */
export const CodecKeyList = z.string().transform((value, ctx) => {
  const keys = new Map<string, Buffer>();
  for (const item of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z0-9._-]{1,64}):([A-Za-z0-9+/=]+)$/.exec(item);
    const key = m?.[2] ? Buffer.from(m[2], 'base64') : undefined;
    if (!m?.[1] || key?.length !== 32) {
      ctx.addIssue({ code: 'custom', message: 'each key must be id:base64 of 32 bytes (AES-256)' });
      return z.NEVER;
    }
    keys.set(m[1], key);
  }
  if (keys.size === 0) {
    ctx.addIssue({ code: 'custom', message: 'at least one key is required' });
    return z.NEVER;
  }
  return keys;
});

export function codecKeys(keys: Map<string, Buffer>, currentKeyId?: string): CodecKeys {
  const current = currentKeyId ?? keys.keys().next().value;
  if (!current || !keys.has(current))
    throw new Error(`PAYLOAD_CODEC_KEY_ID ${current} is not among the configured keys`);
  return { keys, currentKeyId: current };
}

/** A new random key in the `id:base64` form PAYLOAD_CODEC_KEYS takes. */
export function newCodecKey(id: string): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}

export interface AesGcmCodecOptions {
  /**
   * What decoding does with a payload it cannot read. `throw` (clients, the codec endpoint): an error.
   * `marker` (the worker): a payload of a workflow (a start input, a signal's or an Update's argument:
   * anything a client may have sent to the Temporal frontend) is replaced by a small marker
   * (`{ "vcdc:refused-payload": { sha256, size, reason, detail } }`) that the case refuses and records
   * (side-door.ts), instead of an error that would fail every later workflow task of the case. What
   * the worker wrote itself and reads back for an activity (its results, its inputs) still throws: a
   * key removed too early must stop the case, never change what it read.
   */
  undecodable?: 'throw' | 'marker';
}

/** The marker that stands for a payload the worker cannot decode: its digest and size, never its content. */
export function refusedPayloadMarker(payload: Payload, detail: string): Payload {
  const bytes = temporal.api.common.v1.Payload.encode(payload).finish();
  const marker: RefusedPayload = {
    sha256: createHash('sha256')
      .update(payload.data ?? new Uint8Array())
      .digest('hex'),
    size: bytes.length,
    reason: 'undecodable',
    detail: detail.slice(0, 200),
  };
  return defaultPayloadConverter.toPayload({ [REFUSED_PAYLOAD]: marker });
}

export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly undecodable: 'throw' | 'marker';

  constructor(
    private readonly config: CodecKeys,
    options: AesGcmCodecOptions = {},
  ) {
    this.undecodable = options.undecodable ?? 'throw';
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.config.currentKeyId;
    const key = this.config.keys.get(keyId) as Buffer;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(keyId));
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { [METADATA_ENCODING_KEY]: text(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: text(keyId) },
        data: new Uint8Array(data),
      };
    });
  }

  async decode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    if (this.undecodable === 'throw' || context?.type !== 'workflow') {
      return payloads.map((payload) => this.decodeOne(payload));
    }
    return payloads.map((payload) => {
      try {
        const decoded = this.decodeOne(payload);
        // Bytes the workflow's converter cannot read (a wrong encoding, broken JSON) would fail its task too.
        defaultPayloadConverter.fromPayload(decoded);
        return decoded;
      } catch (error) {
        return refusedPayloadMarker(payload, error instanceof Error ? error.message : String(error));
      }
    });
  }

  private decodeOne(payload: Payload): Payload {
    const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
    if (!encoding || Buffer.from(encoding).toString() !== ENCRYPTED_ENCODING) return payload;
    const idBytes = payload.metadata?.[KEY_ID_METADATA];
    const keyId = idBytes ? Buffer.from(idBytes).toString() : '';
    const key = this.config.keys.get(keyId);
    if (!key) throw new ValueError(`payload encrypted with key "${keyId}", which is not configured`);
    const data = Buffer.from(payload.data ?? []);
    if (data.length < IV_BYTES + TAG_BYTES) throw new ValueError('encrypted payload is too short');
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(keyId));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    // final() throws when the ciphertext, the tag or the key id was tampered with.
    const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    return temporal.api.common.v1.Payload.decode(plain);
  }
}
