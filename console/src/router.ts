import { startTransition, useEffect, useState } from 'react';

/** The hash route as path segments (`#/flows/7c3b` → `['flows', '7c3b']`), `flows` by default. */
const read = (): string[] =>
  (window.location.hash.replace(/^#\/?/, '') || 'flows').split('/').map(decodeURIComponent);

/**
 * The console's routes live in the URL hash (`#/flows/…`), so static hosting needs no rewrites.
 * A route change is a transition: while the next page's code loads, the current page stays.
 */
export function useRoute(): string[] {
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => startTransition(() => setRoute(read()));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** Goes to a route (`/runs/<id>`). */
export const go = (path: string) => {
  window.location.hash = path;
};
