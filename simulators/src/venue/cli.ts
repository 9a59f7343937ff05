/**
 * `npm run venue -- <command>`: drive the running venue simulator's market and faults from a terminal
 * (dev stack only; it calls the admin routes of admin.ts on loopback). A separate command rather than
 * a `vcdc` subcommand: `vcdc` is a person's client of the control API (signed acts, OIDC), this is a
 * dev-stack tool that talks to a simulator and has no place in production.
 *
 *   npm run venue -- market BTC/USDT                 step, mid and the driver's commands in force
 *   npm run venue -- move BTC/USDT -8% 60s           move the mid by -8 % over 60 s (s, m, h; then it stays)
 *   npm run venue -- volatility BTC/USDT 5           5 bp per step (1 s) from the next step
 *   npm run venue -- flow BTC/USDT 2                 other participants' flow per step (default 0.5)
 *   npm run venue -- faults                          the fault profile in force and what was injected
 *   npm run venue -- faults '{"seed":7,"serverErrorRate":0.3}'   replace the profile
 *   npm run venue -- faults clear                    no faults
 *
 * VENUE_URL (default http://127.0.0.1:7201) and VENUE_ADMIN_TOKEN (default: read from
 * $VCDC_DATA_DIR/simulators/venue-admin-token, VCDC_DATA_DIR defaulting to .data, as the dev stack writes it).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ADMIN_TOKEN_FILE } from './admin-token';

export type VenueCommand = { method: 'GET'; route: string } | { method: 'POST' | 'PUT'; route: string; body: unknown };

export class UsageError extends Error {}

const USAGE = `usage: npm run venue -- market <symbol>
       npm run venue -- move <symbol> <±percent%> <duration: 60s | 5m | 1h>
       npm run venue -- volatility <symbol> <bp per step>
       npm run venue -- flow <symbol> <flow per step>
       npm run venue -- faults [<profile JSON> | clear]`;

const DECIMAL = /^[+-]?\d+(\.\d+)?$/;

/** Seconds of "60s", "5m", "1h" or "90". */
export function parseDuration(text: string): number {
  const m = /^(\d+)(s|m|h)?$/.exec(text);
  if (!m) throw new UsageError(`duration: "${text}" is not a duration such as 60s, 5m or 1h`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 's' | 'm' | 'h'];
}

/** The admin call a command line stands for. Pure: the tests check it without a venue. */
export function parseCommand(args: string[]): VenueCommand {
  const [command, ...rest] = args;
  const symbolRoute = (symbol: string | undefined) => {
    if (!symbol || !/^[A-Z0-9]+\/?[A-Z0-9]+$/.test(symbol))
      throw new UsageError(`symbol: expected e.g. BTC/USDT\n${USAGE}`);
    return `/market/${encodeURIComponent(symbol)}`;
  };
  const decimalArg = (name: string, text: string | undefined) => {
    if (!text || !DECIMAL.test(text))
      throw new UsageError(`${name}: "${text ?? ''}" is not a decimal number\n${USAGE}`);
    return text;
  };
  switch (command) {
    case 'market':
      return { method: 'GET', route: symbolRoute(rest[0]) };
    case 'move': {
      const [symbol, percent, duration] = rest;
      return {
        method: 'POST',
        route: `${symbolRoute(symbol)}/move`,
        body: {
          percent: decimalArg('percent', percent?.replace(/%$/, '')),
          overSeconds: parseDuration(duration ?? ''),
        },
      };
    }
    case 'volatility':
      return {
        method: 'PUT',
        route: `${symbolRoute(rest[0])}/volatility`,
        body: { volatilityBp: decimalArg('volatility', rest[1]) },
      };
    case 'flow':
      return {
        method: 'PUT',
        route: `${symbolRoute(rest[0])}/flow`,
        body: { flowPerStep: decimalArg('flow', rest[1]) },
      };
    case 'faults': {
      if (rest.length === 0) return { method: 'GET', route: '/faults' };
      if (rest[0] === 'clear') return { method: 'PUT', route: '/faults', body: {} };
      try {
        return { method: 'PUT', route: '/faults', body: JSON.parse(rest.join(' ')) };
      } catch {
        throw new UsageError(`faults: the profile is not JSON\n${USAGE}`);
      }
    }
    default:
      throw new UsageError(USAGE);
  }
}

function adminToken(env: NodeJS.ProcessEnv): string {
  if (env.VENUE_ADMIN_TOKEN) return env.VENUE_ADMIN_TOKEN;
  const dataDir = env.VCDC_DATA_DIR ?? path.join(process.cwd(), '.data');
  const file = path.join(dataDir, 'simulators', ADMIN_TOKEN_FILE);
  if (!existsSync(file)) throw new UsageError(`no VENUE_ADMIN_TOKEN and no ${file}: is the dev stack running?`);
  return readFileSync(file, 'utf8').trim();
}

async function main(): Promise<number> {
  let command: VenueCommand;
  let token: string;
  try {
    command = parseCommand(process.argv.slice(2));
    token = adminToken(process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
  const base = (process.env.VENUE_URL ?? 'http://127.0.0.1:7201').replace(/\/+$/, '');
  const response = await fetch(`${base}/sim/v1${command.route}`, {
    method: command.method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(command.method === 'GET' ? {} : { 'content-type': 'application/json' }),
    },
    body: command.method === 'GET' ? undefined : JSON.stringify(command.body),
  });
  const text = await response.text();
  const out = response.ok ? process.stdout : process.stderr;
  try {
    out.write(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
  } catch {
    out.write(`${text}\n`);
  }
  return response.ok ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
