/**
 * The case file as one zip archive: the files, `manifest.json` (each file's SHA-256 and size) and
 * `manifest.sig` (manifest.ts). Packing is deterministic for given files and time (every entry
 * carries the creation time), so the same case file packed twice is the same bytes.
 *
 * Checking (`checkCaseFile`) needs only the archive and the verifier's own public keys: the signature
 * over the manifest, then every file against it — each listed file present with its size and digest,
 * no file in the archive that the manifest does not list. Every file that does not match is named; a
 * manifest whose signature fails is reported too, and its files still checked (so the answer names
 * what changed even when the manifest was edited to hide it).
 */
import type { KeyObject } from 'node:crypto';
import { keyIdOf } from '@vcdc/shared';
import { strToU8, unzipSync, zipSync } from 'fflate';
import {
  MANIFEST_FILE,
  MANIFEST_SIGNATURE_TAG,
  Manifest,
  SIGNATURE_FILE,
  sha256Of,
  signManifest,
  verifyManifestSignature,
} from './manifest';

export interface CaseFileMeta {
  caseId: string;
  createdAt: string;
  createdBy: string;
}

/** Where a verifier finds the public half of the key that signs case files. */
export const SIGNING_KEY_REFERENCE =
  "the control API's act key (DECISION_SIGNING_KEY); its public half is ACT_VERIFY_KEYS / DECISION_VERIFY_KEYS (base64 SPKI)";

export interface PackedCaseFile {
  bytes: Uint8Array;
  /** The SHA-256 of manifest.json: what the audit chain records of the case file issued. */
  manifestSha256: string;
}

/** The archive: `files` (path -> bytes), the manifest listing them, and its signature with `key`. */
export function packCaseFile(files: Record<string, Uint8Array>, meta: CaseFileMeta, key: KeyObject): PackedCaseFile {
  for (const path of Object.keys(files)) {
    if (path === MANIFEST_FILE || path === SIGNATURE_FILE) throw new Error(`${path} is the archive's own`);
  }
  const paths = Object.keys(files).sort();
  const manifest: Manifest = {
    v: 1,
    kind: 'vcdc.case-file',
    ...meta,
    signature: {
      algorithm: 'Ed25519',
      keyId: keyIdOf(key),
      key: SIGNING_KEY_REFERENCE,
      signs: `${JSON.stringify(MANIFEST_SIGNATURE_TAG)} followed by the bytes of ${MANIFEST_FILE}`,
    },
    files: paths.map((path) => {
      const bytes = files[path] as Uint8Array;
      return { path, sha256: sha256Of(bytes), size: bytes.byteLength };
    }),
  };
  const manifestBytes = strToU8(`${JSON.stringify(manifest, null, 2)}\n`);
  const sig = strToU8(`${JSON.stringify(signManifest(key, manifestBytes), null, 2)}\n`);
  const mtime = new Date(meta.createdAt);
  const bytes = zipSync(
    {
      [MANIFEST_FILE]: manifestBytes,
      [SIGNATURE_FILE]: sig,
      ...Object.fromEntries(paths.map((p) => [p, files[p] as Uint8Array])),
    },
    { level: 6, mtime },
  );
  return { bytes, manifestSha256: sha256Of(manifestBytes) };
}

export type CaseFileProblem =
  | { file: string; problem: 'changed'; detail: string }
  | { file: string; problem: 'missing'; detail: string }
  | { file: string; problem: 'extra'; detail: string }
  | { file: string; problem: 'signature'; detail: string }
  | { file: string; problem: 'unreadable'; detail: string };

export interface CaseFileCheck {
  ok: boolean;
  caseId?: string;
  /** The key that verified the manifest's signature. */
  keyId?: string;
  /** Files checked against the manifest. */
  checked: number;
  problems: CaseFileProblem[];
}

/** Checks an archive against `keys` (the verifier's; the archive's own word about its key is never trusted). */
export function checkCaseFile(archive: Uint8Array, keys: readonly KeyObject[]): CaseFileCheck {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(archive);
  } catch (error) {
    return { ok: false, checked: 0, problems: [{ file: '(archive)', problem: 'unreadable', detail: String(error) }] };
  }
  // Directory entries (a re-zip by another tool adds them) carry no content.
  const files = new Map(Object.entries(entries).filter(([path, bytes]) => !(path.endsWith('/') && !bytes.length)));
  const problems: CaseFileProblem[] = [];
  const manifestBytes = files.get(MANIFEST_FILE);
  if (!manifestBytes) {
    return { ok: false, checked: 0, problems: [{ file: MANIFEST_FILE, problem: 'missing', detail: 'no manifest' }] };
  }
  const sigBytes = files.get(SIGNATURE_FILE);
  let keyId: string | undefined;
  if (!sigBytes) {
    problems.push({ file: SIGNATURE_FILE, problem: 'missing', detail: 'the manifest is not signed' });
  } else {
    const verdict = verifyManifestSignature(keys, manifestBytes, parseJson(sigBytes));
    if (verdict.ok) keyId = verdict.keyId;
    else problems.push({ file: MANIFEST_FILE, problem: 'signature', detail: verdict.why });
  }
  const manifest = Manifest.safeParse(parseJson(manifestBytes));
  if (!manifest.success) {
    problems.push({ file: MANIFEST_FILE, problem: 'unreadable', detail: 'not a case-file manifest' });
    return { ok: false, checked: 0, problems };
  }
  const listed = new Set<string>();
  for (const f of manifest.data.files) {
    listed.add(f.path);
    const bytes = files.get(f.path);
    if (!bytes) {
      problems.push({ file: f.path, problem: 'missing', detail: 'listed in the manifest, not in the archive' });
      continue;
    }
    const why = [
      bytes.byteLength !== f.size ? `size ${bytes.byteLength}, the manifest says ${f.size}` : '',
      sha256Of(bytes) !== f.sha256 ? `SHA-256 ${sha256Of(bytes)}, the manifest says ${f.sha256}` : '',
    ].filter(Boolean);
    if (why.length) problems.push({ file: f.path, problem: 'changed', detail: why.join('; ') });
  }
  for (const path of files.keys()) {
    if (path !== MANIFEST_FILE && path !== SIGNATURE_FILE && !listed.has(path)) {
      problems.push({ file: path, problem: 'extra', detail: 'in the archive, not in the manifest' });
    }
  }
  return {
    ok: problems.length === 0,
    caseId: manifest.data.caseId,
    ...(keyId ? { keyId } : {}),
    checked: manifest.data.files.length,
    problems,
  };
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return undefined;
  }
}
