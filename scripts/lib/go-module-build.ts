/**
 * Tools built from their Go module (pinned) with the machine's `go` through the Go module proxy, once,
 * into `.tools/<name>-<version>/`, then reused: the folder's name is the cache key, so a new pin builds
 * anew and nothing is ever downloaded as a binary (helm, the Temporal server and its SQL tool).
 */

import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { TOOLS_DIR } from './temporal-binaries';

export interface GoModuleTool {
  /** The folder under .tools/ it is built into (its name carries the version). */
  dir: string;
  /** Each package to `go install`, at `version`, and the name its binary gets in `dir`. */
  packages: Array<{ pkg: string; binary: string }>;
  version: string;
  ldflags: string;
}

export function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `go version`, or undefined when there is no Go to build with. */
export function goVersion(): string | undefined {
  try {
    return execFileSync('go', ['version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** True when every binary of the tool is in its folder already. */
export function isBuilt(tool: GoModuleTool): boolean {
  return tool.packages.every(({ binary }) => executable(path.join(tool.dir, binary)));
}

/**
 * `go install <pkg>@<version> …` into a fresh folder beside the final one, each binary renamed to its
 * name, then the folder renamed into place: two runs building at once never see half a tool.
 * The seconds it took.
 */
export function buildFromGoModule(tool: GoModuleTool): number {
  mkdirSync(TOOLS_DIR, { recursive: true });
  const staging = mkdtempSync(path.join(TOOLS_DIR, `.${path.basename(tool.dir)}-`));
  const started = Date.now();
  try {
    execFileSync(
      'go',
      ['install', '-trimpath', '-ldflags', tool.ldflags, ...tool.packages.map(({ pkg }) => `${pkg}@${tool.version}`)],
      {
        env: { ...process.env, GOBIN: staging, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    // `go install` names a binary after its package's last element (`server`, `sql`).
    for (const { pkg, binary } of tool.packages) {
      const installed = path.join(staging, path.basename(pkg));
      if (installed !== path.join(staging, binary)) renameSync(installed, path.join(staging, binary));
    }
    try {
      renameSync(staging, tool.dir);
    } catch (error) {
      // Another run finished first: its binaries are the same build.
      if (!existsSync(tool.dir)) throw error;
      rmSync(staging, { recursive: true, force: true });
    }
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  return (Date.now() - started) / 1000;
}
