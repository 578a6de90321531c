import { type FormEvent, useState } from 'react';
import { call } from '../api/client';
import { describe, useLoad } from '../hooks';

const SCOPES = ['flows:read', 'flows:write', 'executions:start', 'executions:read', 'events:send', 'admin'];

/** API keys (admin): list, create (the key shown once), revoke. */
export function Keys() {
  const keys = useLoad(
    async () => (await call('get', '/api/v1/keys', { query: { limit: 100 } })).body.items,
    [],
  );
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['flows:read', 'executions:read']);
  const [created, setCreated] = useState<string>();
  const [message, setMessage] = useState<string>();
  const create = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const answer = await call('post', '/api/v1/keys', { body: { name, scopes: scopes as never } });
      setCreated(answer.body.key);
      setName('');
      await keys.reload();
    } catch (caught) {
      setMessage(describe(caught));
    }
  };
  const revoke = async (keyId: string) => {
    try {
      await call('delete', '/api/v1/keys/{keyId}', { params: { keyId } });
      await keys.reload();
    } catch (caught) {
      setMessage(describe(caught));
    }
  };
  return (
    <main>
      <h1>API keys</h1>
      {keys.error ? (
        <p role="alert" className="error">
          {keys.error}
        </p>
      ) : null}
      <table>
        <thead>
          <tr>
            <th scope="col">Key id</th>
            <th scope="col">Name</th>
            <th scope="col">Scopes</th>
            <th scope="col">Tenant</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(keys.data ?? []).map((key) => (
            <tr key={key.keyId} data-key-id={key.keyId}>
              <td>
                <code>{key.keyId}</code>
              </td>
              <td>{key.name}</td>
              <td>{key.scopes.join(', ')}</td>
              <td>{key.tenant}</td>
              <td>{new Date(key.createdAt).toLocaleString()}</td>
              <td>{key.lastUsedAt ? new Date(key.lastUsedAt).toLocaleString() : 'never'}</td>
              <td>
                {key.revokedAt ? (
                  'revoked'
                ) : (
                  <button type="button" onClick={() => revoke(key.keyId)} aria-label={`Revoke ${key.name}`}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="card" onSubmit={create}>
        <h2>New key</h2>
        <label htmlFor="key-name">Name</label>
        <input id="key-name" value={name} onChange={(e) => setName(e.target.value)} required />
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.map((scope) => (
            <label key={scope} className="inline">
              <input
                type="checkbox"
                checked={scopes.includes(scope)}
                onChange={(e) =>
                  setScopes(e.target.checked ? [...scopes, scope] : scopes.filter((s) => s !== scope))
                }
              />{' '}
              {scope}
            </label>
          ))}
        </fieldset>
        <button type="submit">Create key</button>
      </form>
      {created ? (
        <div className="card" role="status">
          <strong>The new key, shown only now:</strong> <code data-created-key>{created}</code>
        </div>
      ) : null}
      {message ? (
        <p role="alert" className="error">
          {message}
        </p>
      ) : null}
    </main>
  );
}
