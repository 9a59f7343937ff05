/**
 * The dev stack's payload key: made once and kept (readable by this user only) in `.data/`, so a
 * restarted dev stack still reads the history it wrote. Production passes PAYLOAD_CODEC_KEYS from
 * its secret store instead.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { newCodecKey } from './payload-codec';

export async function loadOrCreateDevCodecKeys(file: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  try {
    await writeFile(file, `${newCodecKey('dev-1')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return (await readFile(file, 'utf8')).trim();
}
