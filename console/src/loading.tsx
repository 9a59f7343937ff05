/** Loading what a page shows through the API, and showing a refusal as the server sent it. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiProblem } from './api';

export interface Loaded<T> {
  data?: T;
  error?: unknown;
  loading: boolean;
  reload: () => void;
}

export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [round, setRound] = useState(0);
  // The caller names what the load depends on (`deps`); `round` is a reload.
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { ...state, reload };
}

/** A refusal or failure: the problem+json the server sent, verbatim (status, type, title, detail, extensions). */
export function ProblemView({ error }: { error: unknown }) {
  if (error instanceof ApiProblem) {
    const p = error.problem;
    return (
      <div class="problem" role="alert">
        <p>
          <strong>
            {error.status} {p.title ?? ''}
          </strong>
          {p.type ? <code class="problem-type">{p.type}</code> : null}
        </p>
        {p.detail ? <p class="problem-detail">{p.detail}</p> : null}
        <details>
          <summary>As the server sent it</summary>
          <pre>{JSON.stringify(p, null, 2)}</pre>
        </details>
      </div>
    );
  }
  return (
    <div class="problem" role="alert">
      <p>{error instanceof Error ? error.message : String(error)}</p>
    </div>
  );
}

export function Loading<T>({
  loaded,
  children,
}: {
  loaded: Loaded<T>;
  children: (data: T) => preact.ComponentChildren;
}) {
  if (loaded.error) return <ProblemView error={loaded.error} />;
  if (loaded.data === undefined) return <p aria-live="polite">Loading…</p>;
  return <>{children(loaded.data)}</>;
}
