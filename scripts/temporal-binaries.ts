/** Make sure the Temporal CLI and test server are available (see scripts/lib/temporal-binaries.ts). */
import { ensureTemporalBinary } from './lib/temporal-binaries';

const log = (line: string) => process.stdout.write(`[vcdc] ${line}\n`);
for (const which of ['cli', 'testServer'] as const) {
  const found = ensureTemporalBinary(which, log);
  if (found) log(`temporal ${which === 'cli' ? 'CLI' : 'test server'}: ${found}`);
}
