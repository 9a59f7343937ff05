/**
 * The people's console: who is signed in, which page, and the one API client made from their token.
 * Built by console/build.ts into console/dist; served by the control API at /console/ (console.ts).
 */
import './styles.css';
import { render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { apiFor, publicGet } from './api';
import { AuditPage } from './audit-page';
import { CasePage } from './case-page';
import { Inbox } from './inbox';
import { Loading, ProblemView, useLoad } from './loading';
import { finishOidcSignIn } from './oidc';
import { follow, navigate, useRoute } from './router';
import { endSession, keepSession, type Session, storedSession } from './session';
import { SignIn } from './sign-in';
import type { ConsoleConfig } from './types';

function App() {
  const config = useLoad(() => publicGet<ConsoleConfig>('/console/config.json'), []);
  return <Loading loaded={config}>{(c) => <Signed config={c} />}</Loading>;
}

function Signed({ config }: { config: ConsoleConfig }) {
  const route = useRoute();
  // A page change moves the keyboard and screen reader to the new page's content (not on the first load).
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById('main')?.focus();
  }, [route]);
  const [session, setSession] = useState<Session | undefined>(storedSession);
  const signOut = () => {
    endSession();
    setSession(undefined);
    navigate('/console/sign-in');
  };
  const api = useMemo(() => (session ? apiFor(session.token, signOut) : undefined), [session?.token]);
  const signedIn = (token: string) => {
    const s = keepSession(token);
    setSession(s);
    if (s) navigate('/console/');
  };

  if (route.page === 'callback' && config.signIn.mode === 'oidc')
    return <Callback config={config.signIn} onToken={signedIn} />;
  if (!session || !api || route.page === 'sign-in') return <SignIn config={config} onToken={signedIn} />;
  const me = session.person;
  return (
    <>
      <a class="skip" href="#main">
        Skip to the content
      </a>
      <header class="top">
        <nav aria-label="Console">
          <a href="/console/" onClick={follow}>
            Inbox
          </a>
          {me.roles.includes('auditor') ? (
            <a href="/console/audit" onClick={follow}>
              Audit chains
            </a>
          ) : null}
        </nav>
        <p class="who" data-testid="signed-in-as">
          Signed in as <strong>{me.id}</strong> ({me.roles.join(', ') || 'no role'}
          {me.unit ? `; ${me.unit}` : ''})
        </p>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      {route.page === 'audit' ? (
        <AuditPage api={api} />
      ) : route.page === 'case' ? (
        <CasePage api={api} me={me} config={config} caseId={route.caseId} />
      ) : route.page === 'not-found' ? (
        <main id="main" tabIndex={-1}>
          <h1>No such page</h1>
          <p>{route.path} is not a page of the console.</p>
        </main>
      ) : (
        <Inbox api={api} me={me} config={config} />
      )}
    </>
  );
}

function Callback({
  config,
  onToken,
}: {
  config: Extract<ConsoleConfig['signIn'], { mode: 'oidc' }>;
  onToken: (token: string) => void;
}) {
  const done = useLoad(() => finishOidcSignIn(config).then(onToken), []);
  return (
    <main id="main" tabIndex={-1}>
      {done.error ? <ProblemView error={done.error} /> : <p aria-live="polite">Signing in…</p>}
    </main>
  );
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
