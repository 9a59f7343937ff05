/** The console's pages under /console/, in the browser's history (no hash, no reload). */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'inbox' }
  | { page: 'audit' }
  | { page: 'case'; caseId: string }
  | { page: 'sign-in' }
  | { page: 'callback' }
  | { page: 'not-found'; path: string };

export function routeOf(pathname: string): Route {
  const rest = pathname.replace(/^\/console\/?/, '');
  if (rest === '' || rest === 'inbox') return { page: 'inbox' };
  if (rest === 'audit') return { page: 'audit' };
  if (rest === 'sign-in') return { page: 'sign-in' };
  if (rest === 'callback') return { page: 'callback' };
  const m = /^cases\/([^/]+)$/.exec(rest);
  if (m?.[1]) return { page: 'case', caseId: decodeURIComponent(m[1]) };
  return { page: 'not-found', path: pathname };
}

export const casePath = (caseId: string) => `/console/cases/${encodeURIComponent(caseId)}`;

export function navigate(path: string): void {
  history.pushState(null, '', path);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => routeOf(location.pathname));
  useEffect(() => {
    const onPop = () => setRoute(routeOf(location.pathname));
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  return route;
}

/** A link inside the console: the browser's own link (keyboard, middle click), followed without a reload. */
export function follow(event: MouseEvent): void {
  const a = event.currentTarget as HTMLAnchorElement;
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  navigate(a.pathname + a.search);
}
