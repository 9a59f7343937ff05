/**
 * Every process refuses a bad configuration the same way: one clear line naming the variable on
 * stderr, exit code 2, before it touches anything.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

const ENTRY_POINTS = [
  'services/custody/src/main.ts',
  'services/exchange/src/main.ts',
  'services/fx/src/main.ts',
  'services/treasury/src/main.ts',
  'workflows/src/worker/worker-main.ts',
  'control-api/src/main.ts',
];

function run(entry: string, env: Record<string, string>) {
  const result = spawnSync(TSX, [path.join(ROOT, entry)], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status, stderr: result.stderr.trim() };
}

describe.each(ENTRY_POINTS)('%s', (entry) => {
  test('an invalid PORT stops it with exit code 2 and one line naming PORT', () => {
    const { code, stderr } = run(entry, { PORT: 'not-a-port', DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none' });
    expect(code).toBe(2);
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/PORT/);
  });
});

describe.each(ENTRY_POINTS.filter((e) => e.startsWith('services/')))('%s', (entry) => {
  test('a missing DATABASE_URL stops it with one line naming DATABASE_URL', () => {
    const { code, stderr } = run(entry, {});
    expect(code).toBe(2);
    expect(stderr).toMatch(/^invalid configuration: DATABASE_URL/);
  });
});
