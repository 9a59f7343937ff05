/**
 * The operator's checked-in view matches the code: every vcdc_* metric the Grafana dashboard queries is
 * one a process defines (prom-client names in the source), every temporal_* one is a Temporal SDK
 * metric the worker exports, each panel reads the provisioned Prometheus datasource, and the five
 * signals README.md's "Operating" section names are the dashboard's first five panels.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const dashboard = JSON.parse(
  readFileSync(path.join(ROOT, 'docker/grafana/dashboards/vcdc-operations.json'), 'utf8'),
) as {
  panels: Array<{ type: string; title: string; datasource?: { uid: string }; targets?: Array<{ expr: string }> }>;
};
const queryPanels = dashboard.panels.filter((p) => p.type !== 'row');

/** Metric names defined in the source (`name: 'vcdc_…'` of prom-client), with prom-client's default metrics under our prefix. */
function definedMetricNames(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      if (entry === 'node_modules' || entry === 'test') continue;
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (full.endsWith('.ts'))
        for (const m of readFileSync(full, 'utf8').matchAll(/name: '(vcdc_[a-z0-9_]+)'/g)) names.add(m[1] as string);
    }
  };
  for (const dir of ['packages/shared/src', 'services', 'workflows/src', 'control-api/src']) walk(path.join(ROOT, dir));
  return names;
}

/** The Temporal SDK (Core) metrics the dashboard may use: the ones the worker test sees, and the failure and cache counters. */
const TEMPORAL_METRICS = new Set([
  'temporal_workflow_task_schedule_to_start_latency',
  'temporal_activity_schedule_to_start_latency',
  'temporal_workflow_task_execution_failed',
  'temporal_activity_execution_failed',
  'temporal_sticky_cache_size',
  'temporal_sticky_cache_miss',
  'temporal_sticky_cache_hit',
]);

test('every metric the dashboard queries is one the stack exports', () => {
  const defined = definedMetricNames();
  expect(defined.has('vcdc_http_request_duration_seconds')).toBe(true);
  const unknown: string[] = [];
  for (const panel of queryPanels) {
    for (const { expr } of panel.targets ?? []) {
      for (const [name] of expr.matchAll(/\b(vcdc|temporal)_[a-z0-9_]+/g)) {
        const base = name.replace(/_(bucket|sum|count)$/, '');
        if (name.startsWith('vcdc_process_')) continue; // prom-client's default metrics, under our prefix
        if (!(defined.has(base) || TEMPORAL_METRICS.has(base))) unknown.push(`${panel.title}: ${name}`);
      }
    }
  }
  expect(unknown).toEqual([]);
});

test('every panel reads the provisioned Prometheus datasource', () => {
  const provisioned = readFileSync(path.join(ROOT, 'docker/grafana/provisioning/datasources/prometheus.yml'), 'utf8');
  const uid = /uid: (\S+)/.exec(provisioned)?.[1];
  expect(uid).toBe('prometheus');
  for (const panel of queryPanels) expect(panel.datasource?.uid).toBe(uid);
});

test('the five signals README "Operating" names are the dashboard’s first five panels', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const operating = /\n## Operating\n([\s\S]*?)(\n## |$)/.exec(readme)?.[1] ?? '';
  const signals = [...operating.matchAll(/^\d\. \*\*(.+?)\*\*/gm)].map((m) => m[1] as string);
  expect(signals).toHaveLength(5);
  const firstFive = queryPanels.slice(0, 5).map((p) => p.title.replace(/^\d\. /, ''));
  expect(firstFive.map((t) => t.split(':')[0])).toEqual(signals);
});
