/**
 * Each chain's latest signed checkpoint as its checkpointer wrote it (audit/checkpoint.ts: one JSON line
 * a checkpoint in `<dir>/<chain>.checkpoints.jsonl`), for the case file: with its signature, so an
 * auditor checks it offline with the checkpoint verify keys (AUDIT_CHECKPOINT_VERIFY_KEYS) and holds
 * the chains' verification in the same archive against it. Only the file's end is read (a checkpoint a
 * minute is half a million lines a year).
 */
import { open } from 'node:fs/promises';
import { checkpointFile, SignedCheckpoint } from '@vcdc/shared';

export interface LatestCheckpoint {
  chain: string;
  latest: SignedCheckpoint | null;
  /** Why there is none: no file, or a last line that is not a signed checkpoint. */
  problem?: string;
}

/** A signed checkpoint's line is a few hundred bytes: the last 8 KiB hold the last line whole. */
const TAIL_BYTES = 8192;

async function lastLine(file: string): Promise<string | undefined> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer.toString('utf8').trimEnd().split('\n').at(-1) ?? '';
  } finally {
    await handle.close();
  }
}

export async function latestSignedCheckpoints(dir: string, chains: readonly string[]): Promise<LatestCheckpoint[]> {
  return Promise.all(
    chains.map(async (chain): Promise<LatestCheckpoint> => {
      const line = await lastLine(checkpointFile(dir, chain));
      if (line === undefined) return { chain, latest: null, problem: 'no checkpoint file' };
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        parsed = undefined;
      }
      const signed = SignedCheckpoint.safeParse(parsed);
      return signed.success
        ? { chain, latest: signed.data }
        : { chain, latest: null, problem: 'the last line is not a signed checkpoint' };
    }),
  );
}
