/**
 * deploy/helm/vcdc renders (`helm template`, with Temporal's vendored chart) to what issue 18 asks: the
 * four services, the control API and the worker, each with a Service, a PodDisruptionBudget and probes on
 * its health routes; an autoscaler that scales the worker Deployment on its task queue's latency;
 * Temporal's server from its production image after the schema Job; every image pinned; no dev image;
 * no secret value anywhere, only references to the Secret; every environment key one the process reads.
 *
 * helm is built from its Go module into .tools/ the first time (scripts/lib/helm.ts; minutes on a cold Go
 * cache, seconds warm, nothing once built). Skipped only where there is no Go and no helm.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { READS, readComposeFiles } from '../scripts/lib/compose-check';
import { CHART_DIR, ensureHelm, findHelm, goVersion, helmLint, helmTemplate } from '../scripts/lib/helm';
import { SYSTEM_ROLES } from '../scripts/lib/system-database';
import { SEARCH_ATTRIBUTES } from '../workflows/src/workflow/shared';

const yaml = require('js-yaml') as { loadAll(text: string): unknown[]; load(text: string): unknown };

type Env = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };
type Probe = { httpGet?: { path: string; port: string | number } };
type Container = {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: Env[];
  ports?: Array<{ name?: string; containerPort: number }>;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
};
type PodSpec = { containers: Container[]; initContainers?: Container[] };
type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown> & { template?: { spec: PodSpec }; replicas?: number };
  data?: Record<string, string>;
};

const canRender = findHelm() !== undefined || goVersion() !== undefined;
if (!canRender) process.stderr.write('test/helm-chart.test.ts: skipped, Go is not installed (no helm to build)\n');
const describeIfHelm = canRender ? describe : describe.skip;

/** Our own processes: Deployment name suffix → compose service name (for READS). */
const VCDC = ['custody', 'exchange', 'fx', 'treasury', 'control-api', 'worker'] as const;
const TEMPORAL_SERVICES = ['frontend', 'history', 'matching', 'worker'];

let helm: string;
let text: string;
let manifests: Manifest[];

const named = (kind: string, name: string) => {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the rendered chart`);
  return found;
};
const podSpec = (m: Manifest): PodSpec =>
  (m.kind === 'Pod' ? (m.spec as unknown as PodSpec) : m.spec?.template?.spec) as PodSpec;
const containersOf = (m: Manifest): Container[] => {
  const spec = podSpec(m);
  return spec ? [...(spec.initContainers ?? []), ...spec.containers] : [];
};
const envOf = (c: Container) => new Map((c.env ?? []).map((e) => [e.name, e]));

describeIfHelm('the Helm chart', () => {
  beforeAll(() => {
    const found = ensureHelm((line) => process.stderr.write(`[vcdc] ${line}\n`));
    if (found.helm === undefined) throw new Error(found.reason);
    helm = found.helm;
    text = helmTemplate(helm);
    manifests = (yaml.loadAll(text) as Array<Manifest | null>).filter((m): m is Manifest => m !== null);
  }, 30 * 60_000);

  it('passes helm lint --strict', () => {
    expect(helmLint(helm)).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('renders every VCDC process and every Temporal service as a Deployment with a Service', () => {
    for (const name of VCDC) {
      named('Deployment', `vcdc-${name}`);
      named('Service', `vcdc-${name}`);
      named('PodDisruptionBudget', `vcdc-${name}`);
    }
    for (const service of TEMPORAL_SERVICES) {
      named('Deployment', `vcdc-temporal-${service}`);
      named('PodDisruptionBudget', `vcdc-temporal-${service}-pdb`);
    }
    named('Service', 'vcdc-temporal-frontend');
    named('Deployment', 'vcdc-temporal-web');
    named('Service', 'vcdc-temporal-web');
    named('HorizontalPodAutoscaler', 'vcdc-worker');
    named('Job', 'vcdc-db-provision');
    named('Job', 'vcdc-temporal-schema');
    named('Job', 'vcdc-temporal-search-attributes');
  });

  it('scales the worker Deployment on its own task queue’s schedule-to-start latency', () => {
    const hpa = named('HorizontalPodAutoscaler', 'vcdc-worker');
    const spec = hpa.spec as {
      scaleTargetRef: { apiVersion: string; kind: string; name: string };
      minReplicas: number;
      maxReplicas: number;
      metrics: Array<{
        type: string;
        external: { metric: { name: string; selector: { matchLabels: Record<string, string> } } };
      }>;
    };
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'vcdc-worker' });
    const worker = named('Deployment', 'vcdc-worker');
    // The autoscaler owns the count: a `replicas` in the Deployment would fight it at every upgrade.
    expect(worker.spec?.replicas).toBeUndefined();
    expect(spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(spec.maxReplicas).toBeGreaterThan(spec.minReplicas);
    const queue = envOf(containersOf(worker)[0] as Container).get('TEMPORAL_TASK_QUEUE')?.value;
    expect(queue).toBe('vcdc-cases');
    expect(spec.metrics.map((m) => m.type)).toEqual(['External', 'External']);
    for (const metric of spec.metrics) {
      expect(metric.external.metric.name).toMatch(/schedule_to_start/);
      expect(metric.external.metric.selector.matchLabels).toEqual({ task_queue: queue });
    }
    // The adapter rule that makes these metrics exists, from the histograms the worker exports.
    const adapter = readFileSync(path.join(CHART_DIR, '../prometheus-adapter-values.yaml'), 'utf8');
    for (const metric of spec.metrics) expect(adapter).toContain(`as: ${metric.external.metric.name}`);
    expect(adapter).toContain('temporal_workflow_task_schedule_to_start_latency_bucket');
    expect(adapter).toContain('temporal_activity_schedule_to_start_latency_bucket');
  });

  it('lets people reach the control API (console, API, codec endpoint) through its Ingress, over TLS', () => {
    const ingress = named('Ingress', 'vcdc-control-api');
    const spec = ingress.spec as unknown as {
      tls: Array<{ hosts: string[]; secretName: string }>;
      rules: Array<{
        host: string;
        http: { paths: Array<{ path: string; backend: { service: { name: string; port: { name: string } } } }> };
      }>;
    };
    expect(spec.tls).toEqual([{ hosts: ['vcdc.example.gov'], secretName: 'vcdc-tls' }]);
    expect(spec.rules[0]?.http.paths[0]).toMatchObject({
      path: '/',
      backend: { service: { name: 'vcdc-control-api', port: { name: 'http' } } },
    });
    named('Service', 'vcdc-control-api');
  });

  it('probes the services and the control API on /readyz, the worker on /healthz, each at its PORT', () => {
    for (const name of VCDC) {
      const container = containersOf(named('Deployment', `vcdc-${name}`))[0] as Container;
      const port = container.ports?.[0];
      expect(port?.name).toBe('http');
      expect(String(port?.containerPort)).toBe(envOf(container).get('PORT')?.value);
      expect(container.readinessProbe?.httpGet).toEqual({
        path: name === 'worker' ? '/healthz' : '/readyz',
        port: 'http',
      });
      expect(container.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    }
  });

  it('runs no dev image and pins every image: Temporal at the versions docker-compose.yml runs', () => {
    expect(text).not.toMatch(/auto-setup/);
    const images = manifests.flatMap((m) => containersOf(m).map((c) => c.image));
    expect(images.length).toBeGreaterThan(10);
    for (const image of images) {
      const tag = /:([^/:]+)$/.exec(image)?.[1];
      expect({ image, pinned: tag !== undefined && tag !== 'latest' }).toEqual({ image, pinned: true });
    }
    const compose = yaml.load(readComposeFiles().compose) as { services: Record<string, { image?: string }> };
    const server = containersOf(named('Deployment', 'vcdc-temporal-frontend'))[0]?.image;
    expect(server).toBe(compose.services.temporal?.image);
    expect(server).toMatch(/^temporalio\/server:/);
    expect(containersOf(named('Deployment', 'vcdc-temporal-web'))[0]?.image).toBe(
      compose.services['temporal-ui']?.image,
    );
    expect(new Set(containersOf(named('Job', 'vcdc-temporal-schema')).map((c) => c.image))).toEqual(
      new Set([compose.services['temporal-schema']?.image]),
    );
  });

  it('provisions every schema’s role in the provision Job, and gives the lot manifests’ login to the worker and the control API', () => {
    const provision = envOf(containersOf(named('Job', 'vcdc-db-provision'))[0] as Container);
    for (const role of SYSTEM_ROLES)
      expect(provision.get(`${role.toUpperCase()}_DB_PASSWORD`)?.valueFrom?.secretKeyRef).toEqual({
        name: 'vcdc',
        key: `${role.toUpperCase()}_DB_PASSWORD`,
      });
    for (const process of ['worker', 'control-api']) {
      const container = containersOf(named('Deployment', `vcdc-${process}`)).find((c) => c.name === process);
      const env = envOf(container as Container);
      expect(env.get('LOT_MANIFESTS_SCHEMA')?.value).toBe('lot_manifests');
      expect(env.get('LOT_MANIFESTS_DATABASE_URL')?.value).toMatch(
        /^postgresql:\/\/lot_manifests_service:\$\(LOT_MANIFESTS_DB_PASSWORD\)@/,
      );
    }
  });

  it('sets up both Temporal databases in the schema Job, before the install and every upgrade', () => {
    const job = named('Job', 'vcdc-temporal-schema');
    expect(job.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    const containers = new Map(containersOf(job).map((c) => [c.name, c]));
    const run = (name: string) => {
      const c = containers.get(name);
      if (!c) throw new Error(`schema Job: no container ${name}`);
      return {
        line: [...(c.command ?? []), ...(c.args ?? [])].join(' '),
        database: envOf(c).get('SQL_DATABASE')?.value,
      };
    };
    for (const [store, database, schema] of [
      ['default', 'temporal', 'temporal'],
      ['visibility', 'temporal_visibility', 'visibility'],
    ] as const) {
      expect(run(`create-${store}-store`)).toEqual({ line: 'temporal-sql-tool create-database', database });
      expect(run(`manage-schema-${store}-store`)).toEqual({
        line: `sh -c temporal-sql-tool setup-schema -v 0.0 && temporal-sql-tool update-schema --schema-dir /etc/temporal/schema/postgresql/v12/${schema}/versioned`,
        database,
      });
    }
  });

  it('gives the Temporal server the dynamic config docker-compose.yml mounts', () => {
    const rendered = named('ConfigMap', 'vcdc-temporal-dynamic-config').data?.['dynamic_config.yaml'] ?? '';
    const compose = readFileSync(
      path.resolve(CHART_DIR, '../../../docker/temporal/dynamicconfig/production.yaml'),
      'utf8',
    );
    expect(yaml.load(rendered)).toEqual(yaml.load(compose));
    expect(yaml.load(rendered)).toHaveProperty(['frontend.enableUpdateWorkflowExecution']);
  });

  it('registers the case workflow’s search attributes with the script docker-compose.yml runs', () => {
    const config = named('ConfigMap', 'vcdc-temporal-search-attributes');
    const script = readFileSync(path.join(CHART_DIR, 'files/setup-namespace.sh'), 'utf8');
    expect(config.data?.['setup-namespace.sh']).toBe(script.trimEnd());
    expect(readComposeFiles().compose).toContain(
      './deploy/helm/vcdc/files/setup-namespace.sh:/scripts/setup-namespace.sh',
    );
    for (const name of Object.keys(SEARCH_ATTRIBUTES)) expect(script).toMatch(new RegExp(`\\b${name}=`));
  });

  it('renders no secret value: no Secret, and every credential comes from a secretKeyRef', () => {
    expect(manifests.filter((m) => m.kind === 'Secret')).toEqual([]);
    const credential = /(TOKEN|PASSWORD|SECRET|_KEY|_KEYS)$/;
    for (const m of manifests) {
      for (const c of containersOf(m)) {
        for (const e of c.env ?? []) {
          if (credential.test(e.name))
            expect({
              where: `${m.metadata.name}/${c.name}`,
              env: e.name,
              ref: e.valueFrom?.secretKeyRef !== undefined,
            }).toEqual({ where: `${m.metadata.name}/${c.name}`, env: e.name, ref: true });
          // A database URL carries its password only as $(VAR), expanded by the kubelet from a secretKeyRef.
          const password = /^postgres(?:ql)?:\/\/[^:@/]+:([^@]*)@/.exec(e.value ?? '')?.[1];
          if (password !== undefined) expect(password).toMatch(/^\$\([A-Z_]+_PASSWORD\)$/);
        }
      }
    }
  });

  it('gives each VCDC process only settings its config schema reads, and only its own database role', () => {
    for (const name of VCDC) {
      const container = containersOf(named('Deployment', `vcdc-${name}`))[0] as Container;
      const env = envOf(container);
      const reads = READS[name] as string[];
      for (const key of env.keys()) {
        // `<ROLE>_DB_PASSWORD` is there only for a database URL's $(…) to expand.
        const expands = [...env.values()].some((e) => e.value?.includes(`$(${key})`));
        expect({ name, key, read: reads.includes(key) || expands }).toEqual({ name, key, read: true });
      }
      for (const e of env.values()) {
        const user = /^postgres(?:ql)?:\/\/([^:@/]+)/.exec(e.value ?? '')?.[1];
        if (user !== undefined) expect(user).toMatch(/_service$/);
        expect(e.valueFrom?.secretKeyRef?.key ?? '').not.toMatch(/VCDC_OWNER_PASSWORD|POSTGRES_PASSWORD/);
      }
    }
    const provision = containersOf(named('Job', 'vcdc-db-provision'))[0] as Container;
    expect(envOf(provision).get('DATABASE_OWNER_URL')?.value).toMatch(
      /^postgresql:\/\/vcdc_owner:\$\(VCDC_OWNER_PASSWORD\)@/,
    );
  });

  it('points the worker and the control API at the rendered Temporal frontend and the services at each other', () => {
    const services = new Map(
      manifests
        .filter((m) => m.kind === 'Service')
        .map((m) => [m.metadata.name, ((m.spec?.ports ?? []) as Array<{ port: number }>).map((p) => p.port)]),
    );
    for (const name of ['worker', 'control-api']) {
      const env = envOf(containersOf(named('Deployment', `vcdc-${name}`))[0] as Container);
      const [host, port] = (env.get('TEMPORAL_ADDRESS')?.value ?? '').split(':');
      expect(services.get(host as string)).toContain(Number(port));
      for (const key of ['CUSTODY_URL', 'EXCHANGE_URL', 'FX_URL', 'TREASURY_URL']) {
        const url = new URL(env.get(key)?.value ?? '');
        expect(services.get(url.hostname)).toContain(Number(url.port));
      }
    }
  });

  it('refuses to render without the settings that have no default, naming the one missing', () => {
    expect(() => helmTemplate(helm, { valuesFiles: [] })).toThrow(
      /database\.host|settings\.[A-Z_]+ is required|temporalUi\./,
    );
    expect(() => helmTemplate(helm, { set: ['image.tag=latest'] })).toThrow(/`latest` is not a pinned version/);
  });
});
