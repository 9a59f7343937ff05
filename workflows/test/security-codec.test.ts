/** The AES-256-GCM payload codec on its own: round trip, key rotation, tampering, configuration. */
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmPayloadCodec, CodecKeyList, codecKeys, newCodecKey } from '../src/codec/payload-codec';

const payload = defaultPayloadConverter.toPayload({ caseId: 'CASE-9', amount: '1.25000000' });
const value = (p: unknown) => defaultPayloadConverter.fromPayload(p as never);

test('encode hides the payload and decode gives back exactly what went in', async () => {
  const codec = new AesGcmPayloadCodec(codecKeys(CodecKeyList.parse(newCodecKey('k1'))));
  const [encrypted] = await codec.encode([payload]);
  expect(Buffer.from(encrypted?.metadata?.encoding ?? []).toString()).toBe('binary/encrypted');
  expect(Buffer.from(encrypted?.data ?? []).includes(Buffer.from('CASE-9'))).toBe(false);
  const [decoded] = await codec.decode([encrypted!]);
  expect(value(decoded)).toEqual({ caseId: 'CASE-9', amount: '1.25000000' });
  // Two encodings of the same value differ (a fresh IV each time).
  const [again] = await codec.encode([payload]);
  expect(Buffer.from(again?.data ?? []).equals(Buffer.from(encrypted?.data ?? []))).toBe(false);
});

test('after rotation new payloads use the new key and old ones still decode; a retired key cannot be read', async () => {
  const oldKey = newCodecKey('2025');
  const before = new AesGcmPayloadCodec(codecKeys(CodecKeyList.parse(oldKey)));
  const [old] = await before.encode([payload]);
  const rotated = new AesGcmPayloadCodec(codecKeys(CodecKeyList.parse(`${newCodecKey('2026')},${oldKey}`), '2026'));
  const [fresh] = await rotated.encode([payload]);
  expect(Buffer.from(fresh?.metadata?.['encryption-key-id'] ?? []).toString()).toBe('2026');
  expect(value((await rotated.decode([old!]))[0])).toEqual(value(payload));
  const retired = new AesGcmPayloadCodec(codecKeys(CodecKeyList.parse(newCodecKey('2026'))));
  await expect(retired.decode([old!])).rejects.toThrow(/key "2025"/);
});

test('an altered ciphertext or a key id swapped in the metadata does not decode', async () => {
  const keys = CodecKeyList.parse(`${newCodecKey('a')},${newCodecKey('b')}`);
  const codec = new AesGcmPayloadCodec(codecKeys(keys, 'a'));
  const [encrypted] = await codec.encode([payload]);
  const flipped = Buffer.from(encrypted?.data ?? []);
  flipped[15] = (flipped[15] ?? 0) ^ 0x80;
  await expect(codec.decode([{ ...encrypted, data: flipped }])).rejects.toThrow();
  const relabelled = { ...encrypted, metadata: { ...encrypted?.metadata, 'encryption-key-id': Buffer.from('b') } };
  await expect(codec.decode([relabelled])).rejects.toThrow();
});

test('payloads that were never encrypted pass through decode unchanged', async () => {
  const codec = new AesGcmPayloadCodec(codecKeys(CodecKeyList.parse(newCodecKey('k1'))));
  expect(await codec.decode([payload])).toEqual([payload]);
});

test.each([
  ['', /at least one key/],
  ['k1:short', /32 bytes/],
  ['no-colon', /32 bytes/],
])('PAYLOAD_CODEC_KEYS=%j is refused', (text, message) => {
  const result = CodecKeyList.safeParse(text);
  expect(result.success).toBe(false);
  expect(result.error?.issues[0]?.message).toMatch(message);
});

test('a current key id that is not configured is refused', () => {
  expect(() => codecKeys(CodecKeyList.parse(newCodecKey('k1')), 'k2')).toThrow(/k2/);
});
