/**
 * Checks docker-compose.yml where `docker compose config` is not available (no compose plugin):
 *  - the file parses as YAML (anchors and `<<` merges resolved);
 *  - every environment key of our own containers is a setting that process's zod schema reads
 *    (services/<name>/src/config.ts, workflows' WorkerConfig / ControlApiConfig, the simulators'
 *    Config, the provision step's ProvisionConfig, plus SERVICE_TOKEN and CONTROL_API_TOKEN, which every
 *    service reads through the shared start-up);
 *  - no container but the provision step (`db-provision`) is given the database owner's credentials:
 *    every other postgres:// URL logs in as a `<schema>_service` role;
 *  - every `${VAR}` the file interpolates is documented in README.md's "Production" section;
 *  - Prometheus (docker/prometheus/prometheus.yml) scrapes every VCDC process at the PORT it is given.
 * Third-party containers (postgres, temporal, temporal-ui, admin tools) take their own settings.
 *
 *   node --import tsx scripts/check-compose.ts      (exit 1 and one line per finding when not clean)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { CustodyConfigSchema } from '../services/custody/src/config';
import { ExchangeConfig } from '../services/exchange/src/config';
import { FxConfig } from '../services/fx/src/config';
import { TreasuryConfig } from '../services/treasury/src/config';
import { ControlApiConfig } from '../workflows/src/control-api/config';
import { WorkerConfig } from '../workflows/src/worker';
import { ProvisionConfig } from './lib/system-database';

const ROOT = path.resolve(__dirname, '..');
// js-yaml comes with the dev tool chain (jest, hardhat); this is a dev-only check.
const yaml = require('js-yaml') as { load(text: string): unknown };

/** The keys of a zod object schema, through refinements, transforms and pipes. */
function keysOf(schema: z.ZodType): string[] {
  let s = schema as unknown as { shape?: Record<string, unknown>; in?: unknown; def?: { in?: unknown } };
  for (let depth = 0; !s.shape && depth < 10; depth += 1) s = (s.in ?? s.def?.in) as typeof s;
  if (!s.shape) throw new Error('not an object schema');
  return Object.keys(s.shape);
}

/** The simulators' Config is local to their entry point: read its keys from the source. */
function simulatorKeys(): string[] {
  const source = readFileSync(path.join(ROOT, 'simulators/src/main.ts'), 'utf8');
  const body = /const Config = z\.object\(\{([\s\S]*?)\n\}\);/.exec(source)?.[1];
  if (!body) throw new Error('simulators/src/main.ts: no `const Config = z.object({…});`');
  return [...body.matchAll(/^\s{2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1] as string);
}

const SERVICE = ['SERVICE_TOKEN', 'CONTROL_API_TOKEN'];
/** Read by the shared tracing set-up (packages/shared/src/telemetry/tracing.ts) in every process that traces. */
const TRACING = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_SERVICE_NAME'];
const READS: Record<string, string[]> = {
  custody: [...keysOf(CustodyConfigSchema), ...SERVICE, ...TRACING],
  exchange: [...keysOf(ExchangeConfig), ...SERVICE, ...TRACING],
  fx: [...keysOf(FxConfig), ...SERVICE, ...TRACING],
  treasury: [...keysOf(TreasuryConfig), ...SERVICE, ...TRACING],
  worker: [...keysOf(WorkerConfig), ...TRACING],
  'control-api': [...keysOf(ControlApiConfig), ...TRACING],
  simulators: simulatorKeys(),
  'db-provision': keysOf(ProvisionConfig),
};
/** The only container that holds the owner's credentials (scripts/db-provision.ts). */
const PROVISION = 'db-provision';
const THIRD_PARTY = new Set([
  'postgres',
  'temporal',
  'temporal-search-attributes',
  'temporal-ui',
  'prometheus',
  'grafana',
]);

const text = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
const compose = yaml.load(text) as { services: Record<string, { environment?: Record<string, unknown> | string[] }> };
const findings: string[] = [];

for (const [name, service] of Object.entries(compose.services)) {
  if (THIRD_PARTY.has(name)) continue;
  const reads = READS[name];
  if (!reads) {
    findings.push(`service ${name}: unknown to this check (add its config schema to scripts/check-compose.ts)`);
    continue;
  }
  const env = service.environment ?? {};
  const keys = Array.isArray(env) ? env.map((e) => e.split('=')[0] as string) : Object.keys(env);
  for (const key of keys) {
    if (!reads.includes(key)) findings.push(`service ${name}: ${key} is not read by its config schema`);
  }
  if (name === PROVISION) continue;
  const values = Array.isArray(env) ? env.map((e) => e.slice(e.indexOf('=') + 1)) : Object.values(env).map(String);
  for (const value of values) {
    const user = /^postgres(?:ql)?:\/\/([^:@/]+)/.exec(value)?.[1];
    if (user !== undefined && !user.endsWith('_service'))
      findings.push(
        `service ${name}: a database URL logs in as ${user}, not a service role (only ${PROVISION} holds the owner)`,
      );
    if (/VCDC_OWNER_PASSWORD|POSTGRES_PASSWORD/.test(value))
      findings.push(`service ${name}: is given the owner's or the superuser's password`);
  }
}

// Every VCDC process that serves /metrics is scraped by the checked-in Prometheus at the port it listens on.
const scrape = yaml.load(readFileSync(path.join(ROOT, 'docker/prometheus/prometheus.yml'), 'utf8')) as {
  scrape_configs?: Array<{ static_configs?: Array<{ targets?: string[] }> }>;
};
const targets = new Set(
  (scrape.scrape_configs ?? []).flatMap((job) => (job.static_configs ?? []).flatMap((c) => c.targets ?? [])),
);
for (const name of ['custody', 'exchange', 'fx', 'treasury', 'worker', 'control-api']) {
  const env = compose.services[name]?.environment;
  const port = env && !Array.isArray(env) ? env.PORT : undefined;
  if (port === undefined) findings.push(`service ${name}: no PORT, so no /metrics to scrape`);
  else if (!targets.has(`${name}:${port}`))
    findings.push(`service ${name}: docker/prometheus/prometheus.yml does not scrape ${name}:${port}`);
}

const production = /\n## Production\n([\s\S]*?)(\n## |$)/.exec(readFileSync(path.join(ROOT, 'README.md'), 'utf8'))?.[1];
if (!production) findings.push('README.md has no "## Production" section');
const uncommented = text
  .split('\n')
  .filter((line) => !line.trimStart().startsWith('#'))
  .join('\n');
const interpolated = new Set(
  [...uncommented.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] as string),
);
for (const name of interpolated) {
  if (production && !production.includes(`\`${name}\``)) {
    findings.push(`\${${name}} is not documented in README.md "Production"`);
  }
}

if (findings.length) {
  for (const finding of findings) process.stderr.write(`docker-compose.yml: ${finding}\n`);
  process.exit(1);
}
process.stdout.write(
  `docker-compose.yml: YAML ok; environment keys of ${Object.keys(READS).join(', ')} are read by their schemas; ` +
    `${interpolated.size} interpolated variables documented\n`,
);
