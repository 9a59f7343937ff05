/**
 * Where the venue simulator's admin token is kept in the dev stack: SIM_STATE_DIR/venue-admin-token,
 * readable by its owner only, made once and kept (a restart keeps the token a person already uses).
 * `npm run venue` (cli.ts) reads it from there unless VENUE_ADMIN_TOKEN is set.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const ADMIN_TOKEN_FILE = 'venue-admin-token';

export function venueAdminToken(stateDir: string): string {
  const file = path.join(stateDir, ADMIN_TOKEN_FILE);
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept.length >= 16) return kept;
  }
  mkdirSync(stateDir, { recursive: true });
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return token;
}
