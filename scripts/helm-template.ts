/**
 * Renders deploy/helm/vcdc (with the vendored Temporal chart) to stdout, building the pinned helm from
 * its Go module into .tools/ first when it is not there (scripts/lib/helm.ts).
 *
 *   node --import tsx scripts/helm-template.ts [values.yaml …]   (default: deploy/helm/vcdc/ci/values.yaml)
 *   node --import tsx scripts/helm-template.ts --build-only       (just build helm; prints where and how long)
 */
import { ensureHelm, helmTemplate } from './lib/helm';

const log = (line: string) => process.stderr.write(`[vcdc] ${line}\n`);
const args = process.argv.slice(2);
const found = ensureHelm(log);
if (found.helm === undefined) {
  log(`${found.reason}; nothing rendered`);
  process.exit(2);
}
if (found.built) log(`helm built in ${found.seconds.toFixed(0)} s: ${found.helm}`);
if (args.includes('--build-only')) {
  log(`helm: ${found.helm}`);
} else {
  process.stdout.write(helmTemplate(found.helm, args.length ? { valuesFiles: args } : {}));
}
