/**
 * What the console's browser tests set up alike, on the control API harness: the console built into
 * a temporary directory, the case worker on a Temporal dev server, an audit chain, a dev issuer,
 * Debian's chromium (never a downloaded browser), and the control API as a person over fetch. Each
 * test file adds its stand-in services and serves its control API from `deps`.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AuditChain } from '@vcdc/shared';
import { type Browser, chromium, type Page } from 'playwright-core';
import { buildConsole } from '../../console/build';
import type { ControlApiDeps } from '../../control-api/src/app';
import { createDevIssuer, type DevIssuer } from '../../control-api/src/dev-issuer';
import type { CaseProgress } from '../../workflows/src/workflow/case-state';
import { testAuditChain } from '../../workflows/test/audit-support';
import { type CaseTemporal, eventually, startCaseTemporal, testControlApiDeps } from '../support/control-api-harness';

/** Where the browser tests leave their screenshots. */
export const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/console');

export interface ConsoleStack {
  temporal: CaseTemporal;
  issuer: DevIssuer;
  audit: AuditChain;
  consoleDir: string;
  browser: Browser;
  /** The control API's dependencies on this stack (its audit chain, Temporal, issuer and task queue). */
  deps: ControlApiDeps;
  /** Closes the browser, stops the workers and Temporal, ends the audit pool, removes the console build. */
  close(): Promise<void>;
}

/** The stack for one test file (`name` names its database and build directory); close it in afterAll. */
export async function startConsoleStack(name: string, taskQueue: string, activities: object): Promise<ConsoleStack> {
  const closers: Array<() => Promise<unknown>> = [];
  // What was started is closed in reverse, each even if one before it failed.
  const close = async () => {
    const errors: unknown[] = [];
    for (const closer of closers.splice(0).reverse()) await closer().catch((e: unknown) => errors.push(e));
    if (errors.length) throw errors[0];
  };
  try {
    const consoleDir = await mkdtemp(path.join(tmpdir(), `vcdc-${name}-`));
    closers.push(() => rm(consoleDir, { recursive: true, force: true }));
    await buildConsole(consoleDir);
    await mkdir(ARTIFACTS, { recursive: true });
    const temporal = await startCaseTemporal(taskQueue, activities);
    closers.push(() => temporal.teardown());
    const issuer = await createDevIssuer();
    const { audit, pool } = await testAuditChain(name);
    closers.push(() => pool.end());
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox'],
    });
    closers.push(() => browser.close());
    const deps = testControlApiDeps({ audit, issuer, client: temporal.env.client, taskQueue });
    return { temporal, issuer, audit, consoleDir, browser, deps, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

/**
 * The control API at `baseUrl()` as a person with a token, over fetch (what a test sets up; the
 * console does the rest), and waiting for a case to get somewhere (`waitMs` unless told).
 */
export function controlApiByFetch(baseUrl: () => string, waitMs = 30_000) {
  const api = async (token: string, method: 'GET' | 'POST', url: string, body?: unknown) => {
    const res = await fetch(`${baseUrl()}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const progress = (token: string, caseId: string, ok: (p: CaseProgress) => boolean, ms = waitMs) =>
    eventually(
      async () => {
        const res = await api(token, 'GET', `/v1/cases/${caseId}`);
        const p = res.body as unknown as CaseProgress;
        return res.status === 200 && ok(p) ? p : undefined;
      },
      `case ${caseId}`,
      ms,
    );
  return { api, progress };
}

/** A fresh page of the console at `baseURL`, in a desktop-sized window of its own. */
export async function newConsolePage(browser: Browser, baseURL: string): Promise<Page> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 900 } });
  return context.newPage();
}
