/**
 * The running system does not hold the database owner. The dev stack's environment builder gives no
 * process the owner's URL or password; a real service process started with the environment the dev
 * stack gives it reaches /readyz with neither in its environment (/proc/<pid>/environ); the same
 * process given the owner's URL refuses to start, saying why. The provision CLI, the only holder of the
 * owner's URL, runs twice at once and again after, each time ending with every role ready.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../scripts/lib/ports';
import { SERVICES, type StackSettings, stackEnvironments } from '../scripts/lib/stack-environment';
import { SYSTEM_ROLES } from '../scripts/lib/system-database';
import { newDecisionKeyPair } from '../workflows/src/activities/decision-signature';
import { newCodecKey } from '../workflows/src/codec/payload-codec';
import { createTestDatabase } from './support/database';
import { provisionSystemForTest, TEST_ROLE_PASSWORD } from './support/provision';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '..');

/** The dev stack's settings with these role URLs (ports and secrets as dev.ts would make them). */
function settings(roleUrls: StackSettings['roleUrls'], treasuryPort = 7104): StackSettings {
  const url = (port: number) => `http://127.0.0.1:${port}`;
  return {
    logLevel: 'info',
    ports: {
      controlApi: 7100,
      custody: 7101,
      exchange: 7102,
      fx: 7103,
      treasury: treasuryPort,
      venue: 7201,
      chain: 7202,
      fxRates: 7203,
      evm: 7204,
      temporalUi: 8233,
    },
    urls: {
      controlApi: url(7100),
      custody: url(7101),
      exchange: url(7102),
      fx: url(7103),
      treasury: url(treasuryPort),
      venue: url(7201),
      chain: url(7202),
      fxRates: url(7203),
      evm: { rpcUrl: url(7204), usdtAddress: '0x5FbDB2315678afecb367f032d93F642f64180aa3' },
    },
    roleUrls,
    serviceTokens: { custody: 'c'.repeat(64), exchange: 'e'.repeat(64), fx: 'f'.repeat(64), treasury: 't'.repeat(64) },
    controlApiToken: 'a'.repeat(64),
    registerReadToken: 'r'.repeat(64),
    decisionKeys: DECISION_KEYS,
    temporal: { address: '127.0.0.1:7233', namespace: 'default', payloadCodecKeys: newCodecKey('k1') },
    devKeyDir: '/tmp/dev-issuer',
    codecUiSecret: 's'.repeat(43),
    evmFundAddresses: '0x0000000000000000000000000000000000000001',
    simulatorStateDir: '/tmp/simulators',
  };
}

const DECISION_KEYS = newDecisionKeyPair();
let ownerUrl: string;
let roleUrls: StackSettings['roleUrls'];
const owner = () => new URL(ownerUrl);

beforeAll(async () => {
  ownerUrl = await createTestDatabase('owner_credentials');
  roleUrls = await provisionSystemForTest(ownerUrl);
});

/** Whether `text` carries any of the owner's credentials: its URL, its password, or its user in a URL. */
function holdsOwner(text: string): string | undefined {
  const o = owner();
  if (text.includes(ownerUrl)) return 'the owner URL';
  if (o.password && text.includes(decodeURIComponent(o.password))) return 'the owner password';
  if (new RegExp(`//${o.username}[:@]`).test(text)) return `a URL logging in as ${o.username}`;
  return undefined;
}

test('the environment builder gives every process its role URLs and no process the owner', () => {
  const environments = stackEnvironments(settings(roleUrls));
  for (const [name, env] of Object.entries(environments)) {
    expect({ name, holds: holdsOwner(JSON.stringify(env)) }).toEqual({ name, holds: undefined });
  }
  const userOf = (url: string | undefined) => (url ? new URL(url).username : undefined);
  for (const name of SERVICES) expect(userOf(environments[name].DATABASE_URL)).toBe(`${name}_service`);
  expect(userOf(environments.worker.DATABASE_URL)).toBe('notifications_service');
  expect(userOf(environments.worker.AUDIT_DATABASE_URL)).toBe('audit_service');
  expect(userOf(environments['control-api'].DATABASE_URL)).toBe('audit_service');
  expect(userOf(environments['control-api'].NOTIFICATIONS_DATABASE_URL)).toBe('notifications_service');
  // The lot manifests of large cases: the control API stores them, the worker's intake reads them.
  expect(userOf(environments.worker.LOT_MANIFESTS_DATABASE_URL)).toBe('lot_manifests_service');
  expect(userOf(environments['control-api'].LOT_MANIFESTS_DATABASE_URL)).toBe('lot_manifests_service');
  expect(environments.simulators.DATABASE_URL).toBeUndefined();
});

describe('a real treasury process', () => {
  let child: ChildProcess | undefined;
  let output = '';

  function startTreasury(env: NodeJS.ProcessEnv): ChildProcess {
    output = '';
    const started = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'services/treasury/src/main.ts')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.stdout?.on('data', (d) => {
      output += String(d);
    });
    started.stderr?.on('data', (d) => {
      output += String(d);
    });
    return started;
  }

  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    child = undefined;
  });

  test('started as the dev stack starts it, it is ready and its environment holds no owner credentials', async () => {
    const port = await freePort();
    const env = stackEnvironments(settings(roleUrls, port)).treasury;
    child = startTreasury(env);
    for (let i = 0; ; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (i > 600 || child.exitCode !== null) throw new Error(`treasury did not become ready: ${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const environ = readFileSync(`/proc/${child.pid}/environ`, 'utf8');
    expect(environ).toContain(`DATABASE_URL=${roleUrls.treasury}`);
    expect(holdsOwner(environ)).toBeUndefined();
    // and it works as its role, which the provision step gave a login
    expect(new URL(roleUrls.treasury).password).toBe(TEST_ROLE_PASSWORD);
  });

  test('given the owner’s URL it refuses to start and says why', async () => {
    const port = await freePort();
    child = startTreasury({ ...stackEnvironments(settings(roleUrls, port)).treasury, DATABASE_URL: ownerUrl });
    const code = await new Promise<number | null>((resolve) => child?.once('exit', resolve));
    expect(code).toBe(1);
    expect(output).toMatch(/DATABASE_URL: database role vcdc is a superuser, .*owns schema treasury/);
    expect(output).toMatch(/db:provision/);
  });
});

test.each([
  [
    'worker',
    'workflows/src/worker/worker-main.ts',
    'AUDIT_DATABASE_URL',
    /AUDIT_DATABASE_URL: database role vcdc is a superuser, .*owns schema audit/,
  ],
  [
    'control-api',
    'control-api/src/main.ts',
    'NOTIFICATIONS_DATABASE_URL',
    /NOTIFICATIONS_DATABASE_URL: database role vcdc is a superuser, .*owns schema notifications/,
  ],
] as const)('the %s (%s) given the owner’s URL refuses to start and says why', async (name, entry, setting, why) => {
  const env = {
    ...stackEnvironments({ ...settings(roleUrls), devKeyDir: mkdtempSync(path.join(os.tmpdir(), 'owner-cred-')) })[
      name
    ],
    [setting]: ownerUrl,
    PORT: String(await freePort()),
    // The worker binds its SDK metrics port before it opens the database: never the dev stack's fixed one.
    SDK_METRICS_PORT: String(await freePort()),
  };
  const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
    let output = '';
    const started = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.stdout?.on('data', (d) => {
      output += String(d);
    });
    started.stderr?.on('data', (d) => {
      output += String(d);
    });
    started.once('exit', (code) => resolve({ code, output }));
  });
  expect(result.code).toBe(1);
  expect(result.output).toMatch(why);
});

describe('the provision CLI (npm run db:provision)', () => {
  const run = (env: NodeJS.ProcessEnv) =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      let output = '';
      const cli = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/db-provision.ts')], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      cli.stdout?.on('data', (d) => {
        output += String(d);
      });
      cli.stderr?.on('data', (d) => {
        output += String(d);
      });
      cli.once('exit', (code) => resolve({ code, output }));
    });
  const passwords = Object.fromEntries(
    SYSTEM_ROLES.map((name) => [`${name.toUpperCase()}_DB_PASSWORD`, TEST_ROLE_PASSWORD]),
  );

  test('run twice at once on a fresh database, then again: every run succeeds and every role logs in', async () => {
    const url = await createTestDatabase('provision_cli');
    const env = { DATABASE_OWNER_URL: url, ...passwords };
    const [a, b] = await Promise.all([run(env), run(env)]);
    expect([a.code, b.code, a.output + b.output]).toEqual([0, 0, '']);
    expect(await run(env)).toEqual({ code: 0, output: '' });
    for (const name of SYSTEM_ROLES) {
      const roleUrl = new URL(url);
      roleUrl.username = `${name}_service`;
      roleUrl.password = TEST_ROLE_PASSWORD;
      const client = new pg.Client({ connectionString: roleUrl.toString() });
      await client.connect();
      try {
        const { rows } = await client.query('SELECT current_user AS role');
        expect(rows[0]).toEqual({ role: `${name}_service` });
      } finally {
        await client.end();
      }
    }
  });

  test('a role without a password or login URL is a configuration error naming it', async () => {
    const { TREASURY_DB_PASSWORD: _dropped, ...rest } = passwords;
    const { code, output } = await run({ DATABASE_OWNER_URL: ownerUrl, ...rest });
    expect(code).toBe(2);
    expect(output.trim()).toMatch(
      /^invalid configuration: TREASURY_DB_PASSWORD: set exactly one of TREASURY_DB_PASSWORD and TREASURY_DB_URL/,
    );
  });
});
