/**
 * What scripts/check-compose.ts checks in docker-compose.yml where `docker compose config` is not
 * available (no compose plugin), as a function of the files' texts so a test can feed it a broken file:
 *  - the file parses as YAML (anchors and `<<` merges resolved);
 *  - every environment key of our own containers is a setting that process's zod schema reads
 *    (services/<name>/src/config.ts, workflows' WorkerConfig / ControlApiConfig, the simulators'
 *    Config, the provision step's ProvisionConfig, plus SERVICE_TOKEN and CONTROL_API_TOKEN, which every
 *    service reads through the shared start-up);
 *  - the provision step (`db-provision`) is given a password or a login URL for every schema's role
 *    (SYSTEM_ROLES, scripts/lib/system-database.ts), so every store a process opens is migrated;
 *  - no container but the provision step (`db-provision`) is given the database owner's credentials:
 *    every other postgres:// URL logs in as a `<schema>_service` role;
 *  - every `${VAR}` the file interpolates is documented in README.md's "Production" section;
 *  - Prometheus (docker/prometheus/prometheus.yml) scrapes every VCDC process at the PORT it is given;
 *  - no dev image: no `temporalio/auto-setup` (nor any image without a pinned tag); the Temporal server is
 *    `temporalio/server`, started only after the one-shot schema job (`temporal-schema`, admin-tools)
 *    completed, whose script sets up and updates both the `temporal` and `temporal_visibility` databases;
 *    the namespace job registers every search attribute the case workflow sets, with its type.
 * Third-party containers (postgres, temporal, its jobs, temporal-ui, prometheus, grafana) take their own settings.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { ControlApiConfig } from '../../control-api/src/config';
import { CustodyConfigSchema } from '../../services/custody/src/config';
import { ExchangeConfig } from '../../services/exchange/src/config';
import { FxConfig } from '../../services/fx/src/config';
import { TreasuryConfig } from '../../services/treasury/src/config';
import { WorkerConfig } from '../../workflows/src/worker/worker';
import { SEARCH_ATTRIBUTES } from '../../workflows/src/workflow/shared';
import { ProvisionConfig, SYSTEM_ROLES } from './system-database';

export const ROOT = path.resolve(__dirname, '../..');
// js-yaml comes with the dev tool chain (jest, hardhat); this is a dev-only check.
const yaml = require('js-yaml') as { load(text: string): unknown };

/** The files the check reads, by their path in the repository. */
export const COMPOSE_FILES = {
  compose: 'docker-compose.yml',
  prometheus: 'docker/prometheus/prometheus.yml',
  readme: 'README.md',
  schemaScript: 'docker/temporal/setup-schema.sh',
  namespaceScript: 'deploy/helm/vcdc/files/setup-namespace.sh',
} as const;
export type ComposeFiles = Record<keyof typeof COMPOSE_FILES, string>;

export function readComposeFiles(root = ROOT): ComposeFiles {
  return Object.fromEntries(
    Object.entries(COMPOSE_FILES).map(([key, file]) => [key, readFileSync(path.join(root, file), 'utf8')]),
  ) as ComposeFiles;
}

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
/** The environment keys each VCDC process reads (its zod config schema), by its compose service name. */
export const READS: Record<string, string[]> = {
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
/** The Temporal server, its one-shot schema job and the namespace job (docker/temporal/). */
const TEMPORAL = 'temporal';
const SCHEMA_JOB = 'temporal-schema';
const THIRD_PARTY = new Set([
  'postgres',
  TEMPORAL,
  SCHEMA_JOB,
  'temporal-namespace',
  'temporal-ui',
  'prometheus',
  'grafana',
]);
/** Images made for development or trials, never for production. */
const DEV_IMAGES = [/auto-setup/, /temporalio\/temporal(:|$)/];

type Service = {
  image?: string;
  build?: unknown;
  environment?: Record<string, unknown> | string[];
  depends_on?: Record<string, { condition?: string }> | string[];
};

/** The SDK's type names (KEYWORD_LIST) as the CLI spells them (KeywordList); as scripts/dev.ts does. */
function cliType(type: string): string {
  return type
    .split('_')
    .map((w) => w.charAt(0) + w.slice(1).toLowerCase())
    .join('');
}

/** The Temporal containers: production images, the schema job before the server, every search attribute. */
function temporalFindings(services: Record<string, Service>, files: ComposeFiles): string[] {
  const findings: string[] = [];
  for (const [name, service] of Object.entries(services)) {
    const image = service.image ?? '';
    if (service.build !== undefined) continue; // VCDC's own image, built from this repository
    if (DEV_IMAGES.some((dev) => dev.test(image))) findings.push(`service ${name}: ${image} is a dev image`);
    const tag = /:([^/:]+)$/.exec(image)?.[1];
    if (!tag || tag === 'latest') findings.push(`service ${name}: image ${image || '(none)'} has no pinned tag`);
  }
  const server = services[TEMPORAL];
  if (!server || !/^temporalio\/server:/.test(server.image ?? ''))
    findings.push(`service ${TEMPORAL}: not the Temporal server image (temporalio/server:<version>)`);
  const job = services[SCHEMA_JOB];
  if (!job) findings.push(`no one-shot schema job \`${SCHEMA_JOB}\``);
  else {
    if (!/^temporalio\/admin-tools:/.test(job.image ?? ''))
      findings.push(`service ${SCHEMA_JOB}: not the admin-tools image (temporalio/admin-tools:<version>)`);
    const serverTag = /:([^:]+)$/.exec(server?.image ?? '')?.[1];
    if (serverTag && !(job.image ?? '').endsWith(`:${serverTag}`))
      findings.push(`service ${SCHEMA_JOB}: admin-tools ${job.image} is not the server's version ${serverTag}`);
  }
  const dependsOn = server?.depends_on;
  const condition = dependsOn && !Array.isArray(dependsOn) ? dependsOn[SCHEMA_JOB]?.condition : undefined;
  if (condition !== 'service_completed_successfully')
    findings.push(`service ${TEMPORAL}: does not wait for ${SCHEMA_JOB} to complete successfully`);

  const script = files.schemaScript;
  for (const step of ['create-database', 'setup-schema', 'update-schema'])
    if (!script.includes(`temporal-sql-tool --db "$database" ${step}`))
      findings.push(`${COMPOSE_FILES.schemaScript}: no temporal-sql-tool ${step}`);
  for (const pair of ['temporal:temporal', 'temporal_visibility:visibility'])
    if (!script.includes(pair)) findings.push(`${COMPOSE_FILES.schemaScript}: does not set up ${pair.split(':')[0]}`);

  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES))
    if (!new RegExp(`\\b${name}=${cliType(type)}\\b`).test(files.namespaceScript))
      findings.push(`${COMPOSE_FILES.namespaceScript}: does not register ${name} as ${cliType(type)}`);
  return findings;
}

export type ComposeCheck = { findings: string[]; summary: string };

export function checkCompose(files: ComposeFiles): ComposeCheck {
  const compose = yaml.load(files.compose) as { services: Record<string, Service> };
  const findings: string[] = [];

  for (const [name, service] of Object.entries(compose.services)) {
    if (THIRD_PARTY.has(name)) continue;
    const reads = READS[name];
    if (!reads) {
      findings.push(`service ${name}: unknown to this check (add its config schema to scripts/lib/compose-check.ts)`);
      continue;
    }
    const env = service.environment ?? {};
    const keys = Array.isArray(env) ? env.map((e) => e.split('=')[0] as string) : Object.keys(env);
    for (const key of keys) {
      if (!reads.includes(key)) findings.push(`service ${name}: ${key} is not read by its config schema`);
    }
    if (name === PROVISION) {
      for (const role of SYSTEM_ROLES) {
        const [password, url] = [`${role.toUpperCase()}_DB_PASSWORD`, `${role.toUpperCase()}_DB_URL`];
        if (!keys.includes(password) && !keys.includes(url))
          findings.push(`service ${name}: neither ${password} nor ${url} (the ${role}_service role)`);
      }
      continue;
    }
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

  findings.push(...temporalFindings(compose.services, files));

  // Every VCDC process that serves /metrics is scraped by the checked-in Prometheus at the port it listens on.
  const scrape = yaml.load(files.prometheus) as {
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

  const production = /\n## Production\n([\s\S]*?)(\n## |$)/.exec(files.readme)?.[1];
  if (!production) findings.push('README.md has no "## Production" section');
  const uncommented = files.compose
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

  return {
    findings,
    summary:
      `docker-compose.yml: YAML ok; environment keys of ${Object.keys(READS).join(', ')} are read by their schemas; ` +
      `Temporal is temporalio/server after the ${SCHEMA_JOB} job, no dev image; ` +
      `${interpolated.size} interpolated variables documented`,
  };
}
