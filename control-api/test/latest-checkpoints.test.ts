/**
 * The case file carries each chain's latest signed checkpoint as it was written (its signature
 * included), so an auditor can check it offline with the checkpoint verify keys.
 */

import { createPrivateKey, createPublicKey } from 'node:crypto';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { newActKeyPair, signCheckpoint, verifyCheckpoint } from '@vcdc/shared';
import { latestSignedCheckpoints } from '../src/latest-checkpoints';

const pair = newActKeyPair();
const key = createPrivateKey({ key: Buffer.from(pair.signingKey, 'base64'), format: 'der', type: 'pkcs8' });
const verifyKey = createPublicKey({ key: Buffer.from(pair.verifyKey, 'base64'), format: 'der', type: 'spki' });
const hash = (n: number) => n.toString(16).padStart(64, '0');

test('the last signed checkpoint of each chain is read from the end of its file, signature and all', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'checkpoints-'));
  const file = path.join(dir, 'audit.checkpoints.jsonl');
  // Many lines (more than one read from the end holds): only the last one is the latest.
  for (let seq = 1; seq <= 2000; seq++) {
    const signed = signCheckpoint(key, {
      chain: 'audit',
      seq,
      hash: hash(seq),
      at: new Date(seq * 1000).toISOString(),
    });
    appendFileSync(file, `${JSON.stringify(signed)}\n`);
  }
  writeFileSync(path.join(dir, 'custody.checkpoints.jsonl'), 'not json\n');
  const latest = await latestSignedCheckpoints(dir, ['audit', 'custody', 'fx']);
  expect(latest.map((l) => [l.chain, l.latest?.checkpoint.seq ?? null, l.problem ?? null])).toEqual([
    ['audit', 2000, null],
    ['custody', null, 'the last line is not a signed checkpoint'],
    ['fx', null, 'no checkpoint file'],
  ]);
  const verdict = verifyCheckpoint([verifyKey], latest[0]?.latest, 'audit');
  expect(verdict.ok).toBe(true);
});
