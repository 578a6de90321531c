import { useState } from 'react';
import { call, type Execution, type FlowSummary } from '../api/client';
import { describe, useLoad } from '../hooks';
import { go } from '../router';

interface Row extends FlowSummary {
  lastStatus?: string;
  triggerKinds: string[];
}

/** Flows: search, last run status, trigger kinds; create a flow from JSON. */
export function Flows() {
  const [search, setSearch] = useState('');
  const [creating, setCreating] = useState(false);
  const { data, error } = useLoad(async () => {
    const flows = await call('get', '/api/v1/flows', { query: { limit: 100 } });
    const runs = await call('get', '/api/v1/executions', { query: { limit: 100 } });
    const last = new Map<string, Execution>();
    for (const run of runs.body.items) if (!last.has(run.flowId)) last.set(run.flowId, run);
    const rows: Row[] = await Promise.all(
      flows.body.items.map(async (flow) => {
        const versions = await call('get', '/api/v1/flows/{flowId}/versions', {
          params: { flowId: flow.flowId },
          query: { limit: 1 },
        });
        const status = last.get(flow.flowId)?.status;
        return {
          ...flow,
          ...(status ? { lastStatus: status } : {}),
          triggerKinds: [...new Set(versions.body.items[0]?.triggers.map((t) => t.type) ?? [])],
        };
      }),
    );
    return rows;
  }, []);
  const shown = (data ?? []).filter((flow) =>
    `${flow.name} ${flow.flowId}`.toLowerCase().includes(search.trim().toLowerCase()),
  );
  return (
    <main>
      <h1>Flows</h1>
      <div className="toolbar">
        <label>
          Search <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
        <button type="button" onClick={() => setCreating(!creating)}>
          {creating ? 'Cancel' : 'New flow from JSON'}
        </button>
      </div>
      {creating ? <CreateFlow /> : null}
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      {data === undefined && !error ? <p className="muted">Loading…</p> : null}
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Version</th>
            <th scope="col">Triggers</th>
            <th scope="col">Last run</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((flow) => (
            <tr key={flow.flowId} data-flow-id={flow.flowId}>
              <td>
                <a href={`#/flows/${flow.flowId}`}>{flow.name}</a>
              </td>
              <td>{flow.version}</td>
              <td>{flow.triggerKinds.join(', ')}</td>
              <td>
                {flow.lastStatus ? (
                  <span className={`pill status-${flow.lastStatus}`}>{flow.lastStatus}</span>
                ) : (
                  '—'
                )}
              </td>
              <td>{new Date(flow.updatedAt).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && shown.length === 0 ? <p className="muted">No flows{search ? ' match' : ' yet'}.</p> : null}
    </main>
  );
}

function CreateFlow() {
  const [text, setText] = useState(
    JSON.stringify(
      {
        name: 'hello',
        nodes: [
          { id: 'start', type: 'trigger', trigger: 'manual' },
          {
            id: 'greet',
            type: 'action',
            action: 'log',
            config: { message: 'hello {{ input.name }}' },
            dependencies: ['start'],
          },
        ],
      },
      null,
      2,
    ),
  );
  const [error, setError] = useState<string>();
  const create = async () => {
    try {
      const created = await call('post', '/api/v1/flows', { body: JSON.parse(text) });
      go(`/flows/${created.body.flowId}`);
    } catch (caught) {
      setError(describe(caught));
    }
  };
  return (
    <section className="card">
      <h2>New flow</h2>
      <label htmlFor="new-flow">Definition (JSON)</label>
      <textarea
        id="new-flow"
        rows={14}
        value={text}
        onChange={(e) => setText(e.target.value)}
        spellCheck={false}
      />
      <button type="button" onClick={create}>
        Create
      </button>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
    </section>
  );
}
