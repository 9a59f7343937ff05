/**
 * The case file's archive on its own: packed with a key, checked offline with the public key the
 * verifier holds; every kind of tampering is refused naming the file.
 */
import { generateKeyPairSync } from 'node:crypto';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { checkCaseFile, packCaseFile } from '../src/dossier/archive';
import { readVerifyKeys } from '../src/dossier/verify-keys';

const system = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const meta = { caseId: 'CA-1', createdAt: '2026-12-04T12:00:00.000Z', createdBy: 'auditor.wang' };
const files = {
  'exchange/fills.json': strToU8('{"fills":[{"amount":"0.5","price":"61000"}]}\n'),
  'case/registration.json': strToU8('{"caseId":"CA-1"}\n'),
};
const archive = packCaseFile(files, meta, system.privateKey).bytes;
const keys = [system.publicKey];

/** The archive unpacked, changed by `edit`, packed again (as anyone with a zip tool could). */
function tampered(edit: (entries: Record<string, Uint8Array>) => void): Uint8Array {
  const entries = unzipSync(archive);
  edit(entries);
  return zipSync(entries);
}

test('a case file checks with the system public key: every file listed, its digest and size match', () => {
  const check = checkCaseFile(archive, keys);
  expect(check).toMatchObject({ ok: true, caseId: 'CA-1', checked: 2, problems: [] });
  const manifest = JSON.parse(Buffer.from(unzipSync(archive)['manifest.json'] as Uint8Array).toString());
  expect(manifest.files.map((f: { path: string }) => f.path)).toEqual([
    'case/registration.json',
    'exchange/fills.json',
  ]);
  expect(manifest.signature.keyId).toBe(check.keyId);
});

test('packing the same files at the same time gives the same bytes', () => {
  expect(Buffer.from(packCaseFile(files, meta, system.privateKey).bytes).equals(Buffer.from(archive))).toBe(true);
});

test('one byte changed in the fills is refused naming the fills', () => {
  const copy = tampered((e) => {
    const fills = e['exchange/fills.json'] as Uint8Array;
    fills[20] = (fills[20] as number) ^ 1;
  });
  const check = checkCaseFile(copy, keys);
  expect(check.ok).toBe(false);
  expect(check.problems).toEqual([
    { file: 'exchange/fills.json', problem: 'changed', detail: expect.stringContaining('SHA-256') },
  ]);
});

test('a file removed is refused naming it as missing', () => {
  const check = checkCaseFile(
    tampered((e) => delete e['case/registration.json']),
    keys,
  );
  expect(check.problems).toEqual([{ file: 'case/registration.json', problem: 'missing', detail: expect.any(String) }]);
});

test('a file added is refused naming it as extra', () => {
  const check = checkCaseFile(
    tampered((e) => {
      e['exchange/more-fills.json'] = strToU8('[]');
    }),
    keys,
  );
  expect(check.problems).toEqual([{ file: 'exchange/more-fills.json', problem: 'extra', detail: expect.any(String) }]);
});

test('a manifest edited to match a changed file fails its signature, and the change is still named', () => {
  const copy = tampered((e) => {
    const manifest = JSON.parse(Buffer.from(e['manifest.json'] as Uint8Array).toString());
    manifest.files = manifest.files.filter((f: { path: string }) => f.path !== 'case/registration.json');
    e['manifest.json'] = strToU8(JSON.stringify(manifest, null, 2));
  });
  const check = checkCaseFile(copy, keys);
  expect(check.ok).toBe(false);
  expect(check.problems).toEqual([
    { file: 'manifest.json', problem: 'signature', detail: 'the signature does not verify' },
    { file: 'case/registration.json', problem: 'extra', detail: expect.any(String) },
  ]);
});

test("a case file signed by another key is refused: the verifier's keys decide, not the archive", () => {
  const forged = packCaseFile(files, meta, other.privateKey).bytes;
  const check = checkCaseFile(forged, keys);
  expect(check.ok).toBe(false);
  expect(check.problems).toEqual([
    { file: 'manifest.json', problem: 'signature', detail: expect.stringContaining('not among the keys given') },
  ]);
});

test('verify keys are read as base64 SPKI (the services’ form), PEM or JWKS', () => {
  const spki = system.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  const pem = system.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const jwks = JSON.stringify({ keys: [system.publicKey.export({ format: 'jwk' })] });
  for (const text of [spki, `${spki},\n`, pem, jwks]) {
    expect(checkCaseFile(archive, readVerifyKeys(text)).ok).toBe(true);
  }
  expect(() => readVerifyKeys('{"keys":[]}')).toThrow('no Ed25519 public key');
});
