import { lazy, Suspense, useEffect, useState } from 'react';
import { configure, prefetch, session } from './api/client';
import { Flows } from './pages/Flows';
import { SignIn } from './pages/SignIn';
import { go, useRoute } from './router';

// The pages with graphs, editors and diffs load on first use: the first load stays small.
const Flow = lazy(() => import('./pages/Flow').then((m) => ({ default: m.Flow })));
const loadRun = () => import('./pages/Run');
const Run = lazy(() => loadRun().then((m) => ({ default: m.Run })));
const Runs = lazy(() => import('./pages/Runs').then((m) => ({ default: m.Runs })));
const Keys = lazy(() => import('./pages/Keys').then((m) => ({ default: m.Keys })));
const Secrets = lazy(() => import('./pages/Secrets').then((m) => ({ default: m.Secrets })));

/** The console: sign-in, then flows, runs, keys and secrets; a 401 anywhere comes back to sign-in. */
export function App() {
  const [ready, setReady] = useState(false);
  const [signedIn, setSignedIn] = useState(() => session.key() !== null);
  const route = useRoute();
  // biome-ignore lint/correctness/useExhaustiveDependencies: once, with the route the console opened on
  useEffect(() => {
    void configure(() => {
      setSignedIn(false);
      go('/sign-in');
    }).then(() => {
      // Opened on a run: its record and the page's code load side by side.
      if (route[0] === 'runs' && route[1] && session.key()) {
        prefetch('/api/v1/executions/{executionId}', { executionId: route[1] });
        void loadRun();
      }
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
