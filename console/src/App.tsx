import { Suspense, useEffect, useState } from 'react';
import { configure, prefetch, session } from './api/client';
import { lazyPage } from './lazy-page';
import { Flows } from './pages/Flows';
import { SignIn } from './pages/SignIn';
import { go, useRoute } from './router';

// The pages with graphs, editors and diffs load on first use: the first load stays small.
const Flow = lazyPage(() => import('./pages/Flow').then((m) => m.Flow));
const Run = lazyPage(() => import('./pages/Run').then((m) => m.Run));
const Runs = lazyPage(() => import('./pages/Runs').then((m) => m.Runs));
const Keys = lazyPage(() => import('./pages/Keys').then((m) => m.Keys));
const Secrets = lazyPage(() => import('./pages/Secrets').then((m) => m.Secrets));

/** The console: sign-in, then flows, runs, keys and secrets; a 401 anywhere comes back to sign-in. */
export function App() {
  const [ready, setReady] = useState(false);
  const [signedIn, setSignedIn] = useState(() => session.key() !== null);
  const route = useRoute();
  // biome-ignore lint/correctness/useExhaustiveDependencies: once, with the route the console opened on
  useEffect(() => {
    // Opened on a run: the page's code, then (once the API's address is known) its record, load
    // side by side; the code is awaited so the page draws at once (no Suspense fallback, whose
    // reveal React throttles by 300 ms).
    const onRun = route[0] === 'runs' && route[1] !== undefined && session.key() !== null;
    const code = onRun ? Run.preload().catch(() => undefined) : undefined;
    void configure(() => {
      setSignedIn(false);
      go('/sign-in');
    }).then(async () => {
      if (onRun && route[1]) prefetch('/api/v1/executions/{executionId}', { executionId: route[1] });
      await code;
      setReady(true);
    });
  }, []);
  if (!ready) return null;
  if (!signedIn || route[0] === 'sign-in') return <SignIn onSignedIn={() => setSignedIn(true)} />;
  const [page, id] = route;
  const query = new URLSearchParams(window.location.hash.split('?')[1] ?? '');
  const pageId = id?.split('?')[0];
  const section = page?.split('?')[0];
  return (
    <>
      <header className="top">
        <a href="#/flows" className="brand">
          FlowForge
        </a>
        <nav aria-label="main">
          <a href="#/flows" aria-current={section === 'flows' ? 'page' : undefined}>
            Flows
          </a>
          <a href="#/runs" aria-current={section === 'runs' ? 'page' : undefined}>
            Runs
          </a>
          <a href="#/keys" aria-current={section === 'keys' ? 'page' : undefined}>
            Keys
          </a>
          <a href="#/secrets" aria-current={section === 'secrets' ? 'page' : undefined}>
            Secrets
          </a>
        </nav>
        <button
          type="button"
          onClick={() => {
            session.signOut();
            setSignedIn(false);
            go('/sign-in');
          }}
        >
          Sign out
        </button>
      </header>
      <Suspense
        fallback={
          <main>
            <p className="muted">Loading…</p>
          </main>
        }
      >
        {section === 'flows' && pageId ? <Flow key={pageId} flowId={pageId} /> : null}
        {section === 'flows' && !pageId ? <Flows /> : null}
        {section === 'runs' && pageId ? <Run key={pageId} executionId={pageId} /> : null}
        {section === 'runs' && !pageId ? (
          <Runs {...(query.get('flowId') ? { initialFlowId: query.get('flowId') ?? '' } : {})} />
        ) : null}
        {section === 'keys' ? <Keys /> : null}
        {section === 'secrets' ? <Secrets /> : null}
      </Suspense>
    </>
  );
}
