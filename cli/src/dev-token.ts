/**
 * Mints a bearer token from the local dev issuer for one of the seeded people:
 *
 *   node --import tsx cli/src/dev-token.ts supervisor.li            # prints the token
 *   node --import tsx cli/src/dev-token.ts --list                   # the people and their roles
 *   curl -H "Authorization: Bearer $(node --import tsx cli/src/dev-token.ts auditor.qian)" …
 *
 * Uses the same key folder as the control API (AUTH_DEV_KEY_DIR, default `.data/dev-issuer`).
 */

import { DEV_KEY_DIR } from '@vcdc/control-api/config';
import { DEV_USERS, loadOrCreateDevIssuer } from '@vcdc/control-api/dev-issuer';
import { Command } from 'commander';

const program = new Command('dev-token')
  .description('mint a dev bearer token for a seeded person of the VCDC control API')
  .argument('[user]', 'the person, e.g. supervisor.li (see --list)')
  .option(
    '--ttl <span>',
    'lifetime, e.g. 30m, 8h (the control API refuses more than AUTH_MAX_TOKEN_LIFETIME, 12h)',
    '8h',
  )
  .option('--dir <path>', 'the dev issuer key folder (default: AUTH_DEV_KEY_DIR or .data/dev-issuer)')
  .option('--list', 'list the seeded people, their roles and units')
  .action(async (user: string | undefined, opts: { ttl: string; dir?: string; list?: boolean }) => {
    if (opts.list || !user) {
      for (const [id, u] of Object.entries(DEV_USERS)) {
        process.stdout.write(`${id.padEnd(22)} ${u.unit.padEnd(14)} ${u.roles.join(', ')}\n`);
      }
      return;
    }
    if (!DEV_USERS[user]) {
      process.stderr.write(`dev-token: no seeded person ${user} (see --list)\n`);
      process.exit(2);
    }
    const dir = opts.dir ?? process.env.AUTH_DEV_KEY_DIR ?? DEV_KEY_DIR;
    const issuer = await loadOrCreateDevIssuer(dir);
    process.stdout.write(`${await issuer.mint(user, opts.ttl)}\n`);
  });

program.parseAsync().catch((error) => {
  process.stderr.write(`dev-token: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
