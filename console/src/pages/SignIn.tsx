import { type FormEvent, useState } from 'react';
import { call, session } from '../api/client';
import { describe } from '../hooks';
import { go } from '../router';

/** Sign in by pasting an API key; it is kept in sessionStorage only (gone when the tab closes). */
export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string>();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    session.signIn(key.trim());
    try {
      await call('get', '/api/v1/flows', { query: { limit: 1 } });
      onSignedIn();
      go('/flows');
    } catch (caught) {
      session.signOut();
      setError(describe(caught));
    }
  };
  return (
    <main className="sign-in">
      <h1>FlowForge</h1>
      <form onSubmit={submit}>
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          value={key}
          onChange={(event) => setKey(event.target.value)}
          placeholder="ffk_…"
          required
        />
        <button type="submit">Sign in</button>
        <p className="muted">
          The key stays in this tab (sessionStorage) and is sent only to the FlowForge API.
        </p>
        {error ? (
          <p role="alert" className="error">
            {error}
          </p>
        ) : null}
      </form>
    </main>
  );
}
