/**
 * Builds the people's console into console/dist with esbuild (which tsx already brings): one hashed
 * script and stylesheet, and index.html naming them. No CDN: everything the browser loads is in dist.
 *
 *   node --import tsx console/build.ts        (scripts/ensure-deps.sh runs it; so do the browser tests)
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

const ROOT = __dirname;
export const CONSOLE_DIST_DIR = path.join(ROOT, 'dist');

/** Builds the console; returns the files written (relative to dist). */
export async function buildConsole(outdir = CONSOLE_DIST_DIR): Promise<string[]> {
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  const result = await build({
    entryPoints: [path.join(ROOT, 'src/main.tsx')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    sourcemap: false,
    outdir,
    entryNames: '[name]-[hash]',
    metafile: true,
    logLevel: 'warning',
    // The console never reaches for Node: a stray import of a server module fails the build here.
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const written = Object.keys(result.metafile.outputs).map((f) => path.relative(outdir, f));
  const script = written.find((f) => f.endsWith('.js'));
  const style = written.find((f) => f.endsWith('.css'));
  if (!script || !style) throw new Error(`console build wrote no script or stylesheet: ${written.join(', ')}`);
  const page = (await readFile(path.join(ROOT, 'src/index.html'), 'utf8'))
    .replace('%SCRIPT%', `/console/${script}`)
    .replace('%STYLE%', `/console/${style}`);
  await writeFile(path.join(outdir, 'index.html'), page);
  return [...written, 'index.html'];
}

if (require.main === module) {
  buildConsole().then(
    (files) => process.stdout.write(`[vcdc] console built: ${files.join(', ')}\n`),
    (error) => {
      process.stderr.write(`console build: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
