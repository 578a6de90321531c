import { type FormEvent, useState } from 'react';
import { call } from '../api/client';
import { describe, useLoad } from '../hooks';

/** `/secrets` routes through a loose path: the generated types list them once that area has landed. */
const secrets = call as unknown as (
  method: 'get' | 'put' | 'delete',
  path: string,
  options?: { params?: Record<string, string>; body?: unknown },
) => Promise<{ body: { items?: Array<{ name: string; updatedAt?: string }> } | undefined }>;

/** Secrets of the tenant: names and update times (never values), set and delete. */
export function Secrets() {
  const list = useLoad(async () => (await secrets('get', '/api/v1/secrets')).body?.items ?? [], []);
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [message, setMessage] = useState<string>();
  const save = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await secrets('put', '/api/v1/secrets/{name}', { params: { name }, body: { value } });
      setMessage(`Secret ${name} saved.`);
      setName('');
      setValue('');
      await list.reload();
    } catch (caught) {
      setMessage(describe(caught));
    }
  };
  const remove = async (secret: string) => {
    try {
      await secrets('delete', '/api/v1/secrets/{name}', { params: { name: secret } });
      await list.reload();
    } catch (caught) {
      setMessage(describe(caught));
    }
  };
  return (
    <main>
      <h1>Secrets</h1>
      {list.error ? (
        <p role="alert" className="error">
          {list.error}
        </p>
      ) : null}
      <ul>
        {(list.data ?? []).map((secret) => (
          <li key={secret.name}>
            <code>{secret.name}</code>{' '}
            {secret.updatedAt ? `· updated ${new Date(secret.updatedAt).toLocaleString()}` : ''}{' '}
            <button type="button" onClick={() => remove(secret.name)} aria-label={`Delete ${secret.name}`}>
              Delete
            </button>
          </li>
        ))}
      </ul>
      <form className="card" onSubmit={save}>
        <h2>Set a secret</h2>
        <label htmlFor="secret-name">Name</label>
        <input id="secret-name" value={name} onChange={(e) => setName(e.target.value)} required />
        <label htmlFor="secret-value">Value (write-only)</label>
        <input
          id="secret-value"
          type="password"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          required
        />
        <button type="submit">Save</button>
      </form>
      {message ? <p role="status">{message}</p> : null}
    </main>
  );
}
