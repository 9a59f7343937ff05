/**
 * Checks docker-compose.yml where `docker compose config` is not available (no compose plugin); what it
 * checks is listed in scripts/lib/compose-check.ts (test/compose-check.test.ts runs it on every `npm test`).
 *
 *   node --import tsx scripts/check-compose.ts      (exit 1 and one line per finding when not clean)
 */
import { checkCompose, readComposeFiles } from './lib/compose-check';

const { findings, summary } = checkCompose(readComposeFiles());
if (findings.length) {
  for (const finding of findings) process.stderr.write(`docker-compose.yml: ${finding}\n`);
  process.exit(1);
}
process.stdout.write(`${summary}\n`);
