/**
 * Signing in. Dev stack: pick one of the seeded people; the dev issuer mints their token (the same
 * token `dev-token` prints). Production: the issuer's own login (OIDC code flow with PKCE).
 */
import { useState } from 'preact/hooks';
import { publicGet, publicPost } from './api';
import { Loading, ProblemView, useLoad } from './loading';
import { startOidcSignIn } from './oidc';
import type { ConsoleConfig, DevPerson } from './types';

export function SignIn({ config, onToken }: { config: ConsoleConfig; onToken: (token: string) => void }) {
  return (
    <main id="main" tabIndex={-1} class="sign-in">
      <h1>Sign in to the VCDC console</h1>
      {config.signIn.mode === 'dev' ? <DevSignIn onToken={onToken} /> : <OidcSignIn config={config.signIn} />}
    </main>
  );
}

function DevSignIn({ onToken }: { onToken: (token: string) => void }) {
  const people = useLoad(() => publicGet<{ people: DevPerson[] }>('/console/dev/people'), []);
  const [person, setPerson] = useState('');
  const [error, setError] = useState<unknown>();
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      onToken((await publicPost<{ token: string }>('/console/dev/sign-in', { person })).token);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Loading loaded={people}>
      {({ people: list }) => (
        <form onSubmit={submit}>
          <p>Development stack: sign in as one of the seeded people.</p>
          <label for="person">Person</label>
          <select id="person" required value={person} onChange={(e) => setPerson(e.currentTarget.value)}>
            <option value="">Choose a person…</option>
            {list.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} — {p.id} ({p.roles.join(', ')}; {p.unit})
              </option>
            ))}
          </select>
          <button type="submit">Sign in</button>
          {error ? <ProblemView error={error} /> : null}
        </form>
      )}
    </Loading>
  );
}

function OidcSignIn({ config }: { config: Extract<ConsoleConfig['signIn'], { mode: 'oidc' }> }) {
  const [error, setError] = useState<unknown>();
  return (
    <div>
      <p>You sign in at {new URL(config.issuer).host}, the identity provider this system trusts.</p>
      <button type="button" onClick={() => startOidcSignIn(config).catch(setError)}>
        Sign in with your organisation
      </button>
      {error ? <ProblemView error={error} /> : null}
    </div>
  );
}
