/**
 * Production sign-in: the OIDC authorization code flow with PKCE (oauth4webapi) against the issuer
 * the control API trusts. The verifier and state live in sessionStorage for the one round trip to the
 * issuer; the access token is what the control API verifies (its audience, roles and unit claims).
 */
import * as oauth from 'oauth4webapi';

type OidcConfig = { issuer: string; clientId: string; scope: string; audience?: string };

const PENDING_KEY = 'vcdc.console.oidc';
export const CALLBACK_PATH = '/console/callback';

const redirectUri = () => `${location.origin}${CALLBACK_PATH}`;

/** Plain HTTP only to an issuer on this machine (a test's or a developer's); anywhere else HTTPS is required. */
function transport(issuer: URL): { [oauth.allowInsecureRequests]?: boolean } {
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
  return issuer.protocol === 'http:' && loopback ? { [oauth.allowInsecureRequests]: true } : {};
}

async function server(issuerUrl: string): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(issuerUrl);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, transport(issuer)));
}

/** Sends the browser to the issuer's login page. */
export async function startOidcSignIn(config: OidcConfig): Promise<void> {
  const as = await server(config.issuer);
  if (!as.authorization_endpoint) throw new Error(`${config.issuer} publishes no authorization endpoint`);
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ codeVerifier, state }));
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('redirect_uri', redirectUri());
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', config.scope);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', state);
  if (config.audience) url.searchParams.set('audience', config.audience);
  location.assign(url.href);
}

/** On /console/callback: exchanges the code for the access token (PKCE verifier, state checked). */
export async function finishOidcSignIn(config: OidcConfig): Promise<string> {
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as {
    codeVerifier: string;
    state: string;
  } | null;
  sessionStorage.removeItem(PENDING_KEY);
  if (!pending) throw new Error('no sign-in was started in this tab: start again');
  const as = await server(config.issuer);
  const client: oauth.Client = { client_id: config.clientId };
  const params = oauth.validateAuthResponse(as, client, new URL(location.href), pending.state);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    oauth.None(),
    params,
    redirectUri(),
    pending.codeVerifier,
    transport(new URL(config.issuer)),
  );
  const result = await oauth.processAuthorizationCodeResponse(as, client, response);
  return result.access_token;
}
