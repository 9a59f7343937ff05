/**
 * Helm, to render deploy/helm/vcdc without a cluster and without downloading a binary: built from its Go
 * module (pinned) with the machine's `go` through the Go module proxy, once, into
 * `.tools/helm-<version>/helm`, then reused (the folder's name is the cache key: a new pin builds anew).
 * HELM_PATH names another binary. No Go and no binary: `ensureHelm` says so and the caller skips.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { buildFromGoModule, executable, type GoModuleTool, goVersion, isBuilt } from './go-module-build';
import { TOOLS_DIR } from './temporal-binaries';

export { goVersion };

export const HELM = {
  module: 'helm.sh/helm/v3/cmd/helm',
  version: 'v3.22.0',
} as const;
export const HELM_DIR = path.join(TOOLS_DIR, `helm-${HELM.version}`);
export const CHART_DIR = path.resolve(__dirname, '../../deploy/helm/vcdc');
/** The example settings every `required` value needs to render (no secrets: the chart has none). */
export const CI_VALUES = path.join(CHART_DIR, 'ci/values.yaml');

const HELM_TOOL: GoModuleTool = {
  dir: HELM_DIR,
  packages: [{ pkg: HELM.module, binary: 'helm' }],
  version: HELM.version,
  ldflags: `-s -w -X helm.sh/helm/v3/internal/version.version=${HELM.version}`,
};

export type HelmFound = { helm: string; built: boolean; seconds: number } | { helm: undefined; reason: string };

/** The pinned helm if it is there already (HELM_PATH, or built before into .tools/). */
export function findHelm(): string | undefined {
  const fromEnv = process.env.HELM_PATH;
  if (fromEnv) {
    if (!executable(fromEnv)) throw new Error(`HELM_PATH=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  return isBuilt(HELM_TOOL) ? path.join(HELM_DIR, 'helm') : undefined;
}

/** Find the pinned helm, or build it from its module (scripts/lib/go-module-build.ts). */
export function ensureHelm(log: (line: string) => void = () => undefined): HelmFound {
  const found = findHelm();
  if (found) return { helm: found, built: false, seconds: 0 };
  const go = goVersion();
  if (!go) return { helm: undefined, reason: `Go is not installed: cannot build helm ${HELM.version} from its module` };
  log(`building helm ${HELM.version} from ${HELM.module} with ${go} into ${HELM_DIR}`);
  const seconds = buildFromGoModule(HELM_TOOL);
  return { helm: path.join(HELM_DIR, 'helm'), built: true, seconds };
}

/** `helm template` of the chart with its vendored Temporal dependency; the manifests as text. */
export function helmTemplate(
  helm: string,
  options: { release?: string; valuesFiles?: string[]; set?: string[] } = {},
): string {
  const args = ['template', options.release ?? 'vcdc', CHART_DIR];
  for (const file of options.valuesFiles ?? [CI_VALUES]) args.push('--values', file);
  for (const value of options.set ?? []) args.push('--set', value);
  return execFileSync(helm, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

/** `helm lint --strict` of the chart (warnings fail too); its report as text, throwing when it fails. */
export function helmLint(helm: string, valuesFiles: string[] = [CI_VALUES]): string {
  const args = ['lint', '--strict', CHART_DIR];
  for (const file of valuesFiles) args.push('--values', file);
  return execFileSync(helm, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
