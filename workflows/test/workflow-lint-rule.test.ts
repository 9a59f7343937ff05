/**
 * The lint rule of the determinism boundary (biome.json, the override for workflows/src/workflow): a
 * workflow file that imports a Node module, a Node-only package or an activity implementation fails
 * `biome lint`, which `npm test` runs before jest, so it fails CI. Runs the project's own biome.json
 * (without its VCS settings) over files placed where workflow code lives, in a scratch copy.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const BIOME = path.join(ROOT, 'node_modules/.bin/biome');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'vcdc-lint-'));
  const config = JSON.parse(readFileSync(path.join(ROOT, 'biome.json'), 'utf8'));
  delete config.vcs;
  writeFileSync(path.join(dir, 'biome.json'), JSON.stringify(config));
  mkdirSync(path.join(dir, 'workflows/src/workflow'), { recursive: true });
  mkdirSync(path.join(dir, 'workflows/src/activities'), { recursive: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Lints one file at `rel` holding `source`; the diagnostics' rule names, and whether biome failed. */
function lint(rel: string, source: string): { failed: boolean; rules: string[] } {
  writeFileSync(path.join(dir, rel), source);
  try {
    execFileSync(BIOME, ['lint', '--max-diagnostics=50', rel], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
    return { failed: false, rules: [] };
  } catch (error) {
    const out = `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`;
    return { failed: true, rules: [...out.matchAll(/lint\/\w+\/(\w+)/g)].map((m) => m[1] as string) };
  } finally {
    rmSync(path.join(dir, rel));
  }
}

test('a workflow file importing a Node built-in, a Node-only package or an activity implementation fails the lint', () => {
  const cases: [string, string][] = [
    ["import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n", 'noNodejsModules'],
    ["import crypto from 'crypto';\nexport const c = crypto;\n", 'noNodejsModules'],
    ["import { Client } from '@temporalio/client';\nexport const c = Client;\n", 'noRestrictedImports'],
    ["import { Pool } from 'pg';\nexport const p = Pool;\n", 'noRestrictedImports'],
    [
      "import { createActivities } from '../activities/case-activities';\nexport const a = createActivities;\n",
      'noRestrictedImports',
    ],
    // Even as a type: the types the workflow may see are in activities/types.ts, the one file it may import.
    [
      "import type { CaseActivities } from '../activities/case-activities';\nexport type A = CaseActivities;\n",
      'noRestrictedImports',
    ],
    ["import { openStore } from '../manifest/store';\nexport const s = openStore;\n", 'noRestrictedImports'],
  ];
  for (const [source, rule] of cases) {
    expect({ source, ...lint('workflows/src/workflow/offender.ts', source) }).toEqual({
      source,
      failed: true,
      rules: expect.arrayContaining([rule]),
    });
  }
});

test('the activities as types, pure packages and workflow files pass; activity files may import Node', () => {
  const workflow = [
    "import type { CaseActivities } from '../activities/types';",
    "import { proxyActivities } from '@temporalio/workflow';",
    "import { z } from 'zod';",
    "import { stepKey } from './keys';",
    'export const calls = proxyActivities<CaseActivities>({ startToCloseTimeout: 1000 });',
    'export const k = [z, stepKey];',
    '',
  ].join('\n');
  expect(lint('workflows/src/workflow/fine.ts', workflow)).toEqual({ failed: false, rules: [] });
  const activity = "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n";
  expect(lint('workflows/src/activities/reads-files.ts', activity)).toEqual({ failed: false, rules: [] });
});
