/**
 * Signed checkpoints of the audit chains, kept outside the database (issue 12). A checkpoint is a
 * chain's head — {chain, seq, hash, at} — signed with an Ed25519 key no database role holds
 * (AUDIT_CHECKPOINT_KEY), and appended as one JSON line to `<dir>/<chain>.checkpoints.jsonl`
 * (AUDIT_CHECKPOINT_DIR: keep it off the database's host, append-only — e.g. `chattr +a`, a WORM
 * bucket, or a copy shipped elsewhere; the verifier needs only the file and the public keys).
 *
 * Like a Certificate Transparency signed tree head or a QLDB digest: whoever rewrites records behind a
 * checkpoint — even the table's owner re-computing every later hash — or deletes the last records, or
 * inserts one, can no longer match the hash the checkpoint signed for its seq, and cannot sign a new
 * checkpoint without the key. `verifyAuditChain(db, { checkpoints })` checks every valid checkpoint of
 * the chain and reports the latest one it used.
 *
 * The checkpointer never signs a head it cannot vouch for: before signing it verifies the records
 * after the previous checkpoint (or, the first time, the whole chain) and that the record at the
 * previous checkpoint's seq still has the signed hash. A tampered chain is refused, not laundered.
 */
import { createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { ActSigningKey, ActVerifyKeys, keyIdOf } from '../acts/signed-act';
import { canonicalJson } from '../canonical';
import type { Queryable } from '../db/pool';
import type { Logger } from '../logger';
import { type ChainVerification, type CheckpointRef, verifyAuditChainHead } from './verify';

/** A chain's name as checkpoints carry it, and its file's name: a service's schema, `audit`, … */
const ChainName = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/i, 'a chain name: letters, digits, _ . -');

export const Checkpoint = z.strictObject({
  chain: ChainName,
  seq: z.number().int().min(1),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  at: z.iso.datetime(),
});
export type Checkpoint = z.infer<typeof Checkpoint>;

export const SignedCheckpoint = z.strictObject({
  v: z.literal(1),
  checkpoint: Checkpoint,
  keyId: z.string().min(1).max(64),
  signature: z.string().min(1).max(200),
});
export type SignedCheckpoint = z.infer<typeof SignedCheckpoint>;

/** A checkpoint whose signature verified. */
export interface VerifiedCheckpoint extends CheckpointRef {
  chain: string;
}

/** Where a verifier finds the signed checkpoints of a chain. */
export interface CheckpointSource {
  /** The chain's valid signed checkpoints, and how many entries were refused (bad signature, unknown key, damaged). */
  read(chain: string): Promise<{ checkpoints: VerifiedCheckpoint[]; refused: number }>;
}

/** What is signed: a domain tag, then the checkpoint's canonical JSON. */
function signedBytes(c: Checkpoint): Buffer {
  return Buffer.from(`vcdc-audit-checkpoint/1\n${canonicalJson(c)}`);
}

export function signCheckpoint(key: KeyObject, checkpoint: Checkpoint): SignedCheckpoint {
  const c = Checkpoint.parse(checkpoint);
  return { v: 1, checkpoint: c, keyId: keyIdOf(key), signature: sign(null, signedBytes(c), key).toString('base64') };
}

/** The checkpoint, if `presented` is one signed by one of `keys` (for `chain`, when given). */
export function verifyCheckpoint(
  keys: readonly KeyObject[],
  presented: unknown,
  chain?: string,
): { ok: true; checkpoint: VerifiedCheckpoint } | { ok: false; why: string } {
  const parsed = SignedCheckpoint.safeParse(presented);
  if (!parsed.success) return { ok: false, why: 'not a signed checkpoint' };
  const { checkpoint: c, keyId, signature } = parsed.data;
  if (chain !== undefined && c.chain !== chain) return { ok: false, why: `a checkpoint of chain ${c.chain}` };
  const key = keys.find((k) => keyIdOf(k) === keyId);
  if (!key) return { ok: false, why: `signed by unknown key ${keyId}` };
  if (!verify(null, signedBytes(c), key, Buffer.from(signature, 'base64')))
    return { ok: false, why: 'the signature does not verify' };
  return { ok: true, checkpoint: { chain: c.chain, seq: c.seq, hash: c.hash, at: c.at, keyId } };
}

/** One line of a checkpoint file: undefined when blank, else verified (a damaged line is not a checkpoint). */
function checkpointLine(
  keys: readonly KeyObject[],
  line: string,
  chain: string,
): ReturnType<typeof verifyCheckpoint> | undefined {
  if (!line.trim()) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, why: 'not JSON' };
  }
  return verifyCheckpoint(keys, value, chain);
}

export function checkpointFile(dir: string, chain: string): string {
  return path.join(dir, `${ChainName.parse(chain)}.checkpoints.jsonl`);
}

/**
 * How far a checkpointer has read its chain's checkpoint file, and the latest valid checkpoint in what it
 * read. The file only grows (lines are appended), so the next look reads only what was appended since:
 * a checkpoint's cost does not grow with the checkpoints the file holds (a case at each stage, every
 * interval: thousands of lines a day). A file shorter than the cursor was replaced or cut and is read again
 * from its start. The verifier (`fileCheckpoints`) always reads the whole file.
 */
export interface CheckpointCursor {
  offset: number;
  latest?: VerifiedCheckpoint;
}

/** The latest (highest seq, then latest signed) of two checkpoints. */
function later(a: VerifiedCheckpoint | undefined, b: VerifiedCheckpoint): VerifiedCheckpoint {
  return !a || b.seq > a.seq || (b.seq === a.seq && b.at > a.at) ? b : a;
}

/** Read the checkpoint lines appended after `cursor` (whole lines only: one being written is left for next time). */
export async function readCheckpointsAfter(
  dir: string,
  chain: string,
  keys: readonly KeyObject[],
  cursor: CheckpointCursor = { offset: 0 },
): Promise<CheckpointCursor> {
  const publicKeys = keys.map((k) => (k.type === 'private' ? createPublicKey(k) : k));
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(checkpointFile(dir, chain), 'r');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return { offset: 0 };
    throw error;
  }
  try {
    const { size } = await file.stat();
    const from = size < cursor.offset ? { offset: 0 } : cursor;
    if (size === from.offset) return from;
    const bytes = Buffer.alloc(size - from.offset);
    await file.read(bytes, 0, bytes.length, from.offset);
    const whole = bytes.lastIndexOf(0x0a) + 1;
    let latest = from.latest;
    for (const line of bytes.subarray(0, whole).toString('utf8').split('\n')) {
      const result = checkpointLine(publicKeys, line, chain);
      if (result?.ok) latest = later(latest, result.checkpoint);
    }
    return { offset: from.offset + whole, ...(latest ? { latest } : {}) };
  } finally {
    await file.close();
  }
}

/** The checkpoints in `dir`, accepted when signed by one of `keys`. The file is read line by line. */
export function fileCheckpoints(dir: string, keys: readonly KeyObject[]): CheckpointSource {
  const publicKeys = keys.map((k) => (k.type === 'private' ? createPublicKey(k) : k));
  return {
    async read(chain) {
      const checkpoints: VerifiedCheckpoint[] = [];
      let refused = 0;
      const seen = new Set<string>();
      const input = createReadStream(checkpointFile(dir, chain), { encoding: 'utf8' });
      try {
        for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
          const result = checkpointLine(publicKeys, line, chain);
          if (!result) continue;
          if (!result.ok) {
            refused++;
            continue;
          }
          const c = result.checkpoint;
          const key = `${c.seq}:${c.hash}`;
          if (seen.has(key)) continue; // the same head signed again (two instances): once is enough
          seen.add(key);
          checkpoints.push(c);
        }
      } catch (error) {
        if ((error as { code?: string }).code === 'ENOENT') return { checkpoints: [], refused: 0 };
        throw error;
      } finally {
        input.destroy();
      }
      return { checkpoints, refused };
    },
  };
}

export class CheckpointRefused extends Error {
  constructor(
    readonly chain: string,
    readonly verification: ChainVerification,
  ) {
    super(`checkpoint of ${chain} refused: the chain does not verify: ${verification.why ?? 'broken'}`);
  }
}

export interface CheckpointResult {
  /** Whether a new checkpoint was signed and appended (not when the head has not moved). */
  written: boolean;
  /** The chain's latest checkpoint after this call (none: the chain is empty and was never checkpointed). */
  checkpoint?: VerifiedCheckpoint;
  /** The line written, when one was: a copy can be kept elsewhere too (the case's Temporal history). */
  signed?: SignedCheckpoint;
}

/**
 * Sign the head of the chain on `db` (a pool on its schema) and append the checkpoint to the chain's
 * file in `dir`. Verifies first, from the previous checkpoint on (the whole chain the first time),
 * and throws `CheckpointRefused` rather than sign a chain that contradicts it.
 */
export async function checkpointChain(
  db: Queryable,
  chainName: string,
  key: KeyObject,
  dir: string,
  options: {
    verifyKeys?: readonly KeyObject[];
    now?: () => Date;
    pageSize?: number;
    /** How far an earlier call read the file (a checkpointer keeps one): only what was appended since is read. */
    cursor?: CheckpointCursor;
  } = {},
): Promise<CheckpointResult> {
  ChainName.parse(chainName);
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519')
    throw new Error('checkpointChain: the key must be an Ed25519 private key');
  const read = await readCheckpointsAfter(
    dir,
    chainName,
    [createPublicKey(key), ...(options.verifyKeys ?? [])],
    options.cursor,
  );
  if (options.cursor) Object.assign(options.cursor, read);
  const previous = read.latest;
  // The chain alone: a checkpoint vouches for records; the money tables are the verifier's to compare.
  const { verification, headSeq } = await verifyAuditChainHead(db, {
    tables: false,
    ...(previous ? { from: previous } : {}),
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
  });
  if (!verification.ok) throw new CheckpointRefused(chainName, verification);
  if (headSeq === 0) return { written: false };
  if (previous && previous.seq === headSeq && previous.hash === verification.headHash)
    return { written: false, checkpoint: previous };
  const signed = signCheckpoint(key, {
    chain: chainName,
    seq: headSeq,
    hash: verification.headHash,
    at: (options.now?.() ?? new Date()).toISOString(),
  });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = await open(checkpointFile(dir, chainName), 'a', 0o600);
  try {
    // One write of one line with O_APPEND: two writers never interleave within a line.
    await file.write(`${JSON.stringify(signed)}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  const written = { ...signed.checkpoint, keyId: signed.keyId };
  // The cursor's offset stays before this line (another writer's may precede it): the next look reads it.
  if (options.cursor) options.cursor.latest = later(options.cursor.latest, written);
  return { written: true, checkpoint: written, signed };
}

export interface Checkpointer {
  /**
   * Checkpoint now (e.g. at a case's stage change): a checkpoint that starts after this call, once any in
   * progress has ended; calls made while one waits to start share it.
   */
  checkpoint(): Promise<CheckpointResult>;
  /** Stop the timer and wait for a checkpoint in progress. */
  stop(): Promise<void>;
}

/**
 * Checkpoint `chain` now and every `intervalMs` (default one minute) until stopped. A failure is
 * logged (a refused checkpoint as an error: the chain contradicts its last checkpoint) and retried at
 * the next tick; the timer does not keep the process alive.
 */
export function startCheckpointer(options: {
  db: Queryable;
  chain: string;
  key: KeyObject;
  dir: string;
  intervalMs?: number;
  verifyKeys?: readonly KeyObject[];
  logger?: Logger;
}): Checkpointer {
  const { db, chain, key, dir, logger } = options;
  let running: Promise<unknown> = Promise.resolve();
  /** A checkpoint asked for and not started yet: later askers share it (it starts after their call). */
  let waiting: Promise<CheckpointResult> | undefined;
  let stopped = false;
  const cursor: CheckpointCursor = { offset: 0 };
  // Group commit: cases at once each ask at their stage changes; one checkpoint that starts after a call
  // vouches for every record written before it, so the askers queued behind a running one share the
  // next instead of each verifying and signing in turn (100 cases at once: 900 asks, a few checkpoints).
  const checkpoint = (): Promise<CheckpointResult> => {
    if (waiting) return waiting;
    const run = running.then(() => {
      waiting = undefined;
      return checkpointChain(db, chain, key, dir, {
        cursor,
        ...(options.verifyKeys ? { verifyKeys: options.verifyKeys } : {}),
      });
    });
    waiting = run;
    running = run.catch(() => undefined);
    return run;
  };
  const tick = () => {
    if (stopped) return;
    checkpoint().then(
      (r) => {
        if (r.written) logger?.debug({ chain, seq: r.checkpoint?.seq }, 'audit checkpoint signed');
      },
      (error: unknown) =>
        logger?.error(
          { err: error, chain, ...(error instanceof CheckpointRefused ? { why: error.verification.why } : {}) },
          'audit checkpoint failed',
        ),
    );
  };
  const timer = setInterval(tick, options.intervalMs ?? 60_000);
  timer.unref();
  tick();
  return {
    checkpoint,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

/**
 * The checkpointer of `chain` the environment asks for (AUDIT_CHECKPOINT_KEY and AUDIT_CHECKPOINT_DIR,
 * optionally _VERIFY_KEYS and _INTERVAL_MS), or undefined when it asks for none: how every part that
 * writes a chain (each service, the control API) starts its own.
 */
export function startCheckpointerFromEnv(
  options: { db: Queryable; chain: string; logger?: Logger },
  env: NodeJS.ProcessEnv = process.env,
): Checkpointer | undefined {
  const s = checkpointSettingsFromEnv(env);
  if (!s.AUDIT_CHECKPOINT_KEY || !s.AUDIT_CHECKPOINT_DIR) return undefined;
  return startCheckpointer({
    ...options,
    key: s.AUDIT_CHECKPOINT_KEY,
    dir: s.AUDIT_CHECKPOINT_DIR,
    intervalMs: s.AUDIT_CHECKPOINT_INTERVAL_MS,
    ...(s.AUDIT_CHECKPOINT_VERIFY_KEYS ? { verifyKeys: s.AUDIT_CHECKPOINT_VERIFY_KEYS } : {}),
  });
}

/** The checkpoint settings, from the environment (all optional: without them, no checkpoints). */
export const CheckpointSettings = z.object({
  AUDIT_CHECKPOINT_DIR: z.string().min(1).optional(),
  AUDIT_CHECKPOINT_KEY: ActSigningKey.optional(),
  AUDIT_CHECKPOINT_VERIFY_KEYS: ActVerifyKeys.optional(),
  AUDIT_CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(1000).default(60_000),
});
export type CheckpointSettings = z.infer<typeof CheckpointSettings>;

function blankToUndefined(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const name of Object.keys(CheckpointSettings.shape)) out[name] = env[name] || undefined;
  return out;
}

export function checkpointSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): CheckpointSettings {
  const parsed = CheckpointSettings.safeParse(blankToUndefined(env));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid configuration: ${String(issue?.path[0] ?? 'AUDIT_CHECKPOINT_*')}: ${issue?.message}`);
  }
  return parsed.data;
}

/**
 * The verifier's checkpoints from the environment: the files in AUDIT_CHECKPOINT_DIR signed by one of
 * AUDIT_CHECKPOINT_VERIFY_KEYS (default: the public half of AUDIT_CHECKPOINT_KEY, when this process
 * signs); undefined without a directory or a key.
 */
export function checkpointSourceFromEnv(env: NodeJS.ProcessEnv = process.env): CheckpointSource | undefined {
  const s = checkpointSettingsFromEnv(env);
  const keys =
    s.AUDIT_CHECKPOINT_VERIFY_KEYS ?? (s.AUDIT_CHECKPOINT_KEY ? [createPublicKey(s.AUDIT_CHECKPOINT_KEY)] : undefined);
  return s.AUDIT_CHECKPOINT_DIR && keys ? fileCheckpoints(s.AUDIT_CHECKPOINT_DIR, keys) : undefined;
}
