/**
 * The people's console (console/): its built files served at /console/ by the control API, beside the
 * routes it reads and acts through. The console has no other path to the data: every read and act is
 * a /v1 call with the person's own bearer token, judged by the same access matrix and workflow rules.
 *
 *   GET  /console/config.json      how to sign in (dev or OIDC), the Temporal Web UI's URL, who decides each stage
 *   GET  /console/, /console/…     the built files; any other path under /console/ is the app (SPA fallback)
 *   GET  /console/dev/people       the dev stack's seeded people (AUTH_MODE=dev only)
 *   POST /console/dev/sign-in      { person } -> { token } from the dev issuer (AUTH_MODE=dev only; recorded)
 *
 * The dev routes exist only when the control API is its own (dev) issuer: it already mints the same
 * tokens for anyone who can read `.data/dev-issuer` (dev-token.ts). In oidc mode they are not mounted;
 * the console runs the authorization code flow with PKCE against the issuer the API trusts.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ACT_KINDS, type AuditChain, Problem, parseInput } from '@vcdc/shared';
import { DECISION_ROLES } from '@vcdc/workflows/workflow/decision';
import express, { type Express, type Response } from 'express';
import { z } from 'zod';
import { DEV_USERS, type DevIssuer } from './dev-issuer';

/** Where console/build.ts writes the console (relative to this file: control-api/src). */
export const CONSOLE_DIST = path.resolve(__dirname, '../../console/dist');

/** How the console signs people in, as the browser is told. */
export type ConsoleSignIn =
  | { mode: 'dev'; issuer: DevIssuer }
  | {
      mode: 'oidc';
      /** The issuer the API trusts (AUTH_ISSUER): the browser discovers its endpoints from it. */
      issuer: string;
      clientId: string;
      /** Requested with the code: the API's audience must be in the token (e.g. an `audience` or resource scope). */
      scope: string;
      /** Sent as `resource`/`audience` where the issuer needs it to put the API's audience in the token. */
      audience?: string;
    };

export interface ConsoleOptions {
  /** The built console (console/dist); missing: /console/ answers 503 saying how to build it. */
  dir?: string;
  signIn: ConsoleSignIn;
  /**
   * The console's address as people reach it (e.g. https://vcdc.example/console): each case's workflow
   * names its console page in its details in the Web UI. None: no link.
   */
  publicUrl?: string;
  /** The Temporal Web UI and namespace, for the link from a case page to its workflow. */
  temporalUi?: { url: string; namespace: string };
}

export const SignInBody = z.object({ person: z.string().min(1).max(64) });

/**
 * The console's pages may load only its own files and talk only to this origin (and, in oidc mode,
 * the issuer's endpoints): no inline script, no framing, no other origin.
 */
function consoleCsp(signIn: ConsoleSignIn): string {
  const connect = signIn.mode === 'oidc' ? `'self' ${new URL(signIn.issuer).origin}` : "'self'";
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src ${connect}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function mountConsole(
  app: Express,
  { dir = CONSOLE_DIST, signIn, temporalUi }: ConsoleOptions,
  audit: Pick<AuditChain, 'append'>,
): void {
  const csp = consoleCsp(signIn);
  const asPage = (res: Response) => res.set('content-security-policy', csp);

  app.get('/console/config.json', (_req, res) => {
    res.json({
      signIn:
        signIn.mode === 'dev'
          ? { mode: 'dev' }
          : {
              mode: 'oidc',
              issuer: signIn.issuer,
              clientId: signIn.clientId,
              scope: signIn.scope,
              ...(signIn.audience ? { audience: signIn.audience } : {}),
            },
      ...(temporalUi ? { temporalUi } : {}),
      decisionRoles: DECISION_ROLES,
      // Who may take each act (the shared ACT_KINDS table): the forms' "you cannot" before the click.
      actRoles: Object.fromEntries(Object.entries(ACT_KINDS).map(([kind, rule]) => [kind, rule.roles])),
    });
  });

  if (signIn.mode === 'dev') {
    const issuer = signIn.issuer;
    app.get('/console/dev/people', (_req, res) => {
      res.json({ people: Object.entries(DEV_USERS).map(([id, u]) => ({ id, ...u })) });
    });
    app.post('/console/dev/sign-in', async (req, res) => {
      const { person } = parseInput(SignInBody, req.body, 'body');
      if (!DEV_USERS[person]) {
        throw new Problem(404, 'not-found', 'No such person', `${person} is not a seeded person of the dev stack`);
      }
      const token = await issuer.mint(person, '8h');
      await audit.append({ kind: 'console.dev-sign-in', actor: person, data: { via: 'console' } });
      res.json({ token });
    });
  }

  const files = express.static(dir, { index: false, fallthrough: true, etag: false });
  const index = path.join(dir, 'index.html');
  app.get(['/console', '/console/{*page}'], (req, res, next) => {
    if (!existsSync(index)) {
      throw new Problem(
        503,
        'console-not-built',
        'Console not built',
        'run `npm run console:build` (scripts/ensure-deps.sh does)',
      );
    }
    asPage(res);
    // The hashed bundle may be cached; the page itself is always asked again (it names the bundle).
    if (req.path === '/console') return res.redirect(301, '/console/');
    const rest = req.path.slice('/console'.length);
    // The dev routes are never the app: without them (oidc mode) they are a 404, not the page.
    if (rest.startsWith('/dev/')) return next();
    if (/\.[a-z0-9]+$/i.test(rest)) {
      req.url = rest;
      return files(req, res, next);
    }
    res.sendFile(index);
  });
}

/** A case's page in the console, for the workflow's details in the Web UI. */
export function casePageUrl(publicUrl: string, caseId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/cases/${encodeURIComponent(caseId)}`;
}
