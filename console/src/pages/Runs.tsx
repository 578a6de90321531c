import { useState } from 'react';
import { call } from '../api/client';
import { useLoad } from '../hooks';

const STATUSES = ['', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'INTERRUPTED'];
const TRIGGERS = ['', 'api', 'manual', 'webhook', 'schedule', 'queue', 'subflow'];

/** Runs of the tenant with the API's filters (status, flow, trigger), refreshed every 3 s. */
export function Runs({ initialFlowId }: { initialFlowId?: string }) {
  const [status, setStatus] = useState('');
  const [trigger, setTrigger] = useState('');
  const [flowId, setFlowId] = useState(initialFlowId ?? '');
  const [auto, setAuto] = useState(true);
  const runs = useLoad(
    async () =>
      (
        await call('get', '/api/v1/executions', {
          query: {
            status: status || undefined,
            trigger: trigger || undefined,
            flowId: flowId || undefined,
            limit: 50,
          },
        })
      ).body.items,
    [status, trigger, flowId, auto],
    auto ? 3000 : undefined,
  );
  return (
    <main>
      <h1>Runs</h1>
      <div className="toolbar">
        <Choice label="Status" options={STATUSES} value={status} onChange={setStatus} />
        <Choice label="Trigger" options={TRIGGERS} value={trigger} onChange={setTrigger} />
        <label>
          Flow id <input value={flowId} onChange={(e) => setFlowId(e.target.value.trim())} />
        </label>
        <label>
          <input type="checkbox" checked={auto} onChange={(e) => setAuto(e.target.checked)} /> auto-refresh
        </label>
      </div>
      {runs.error ? (
        <p role="alert" className="error">
          {runs.error}
        </p>
      ) : null}
      <table>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Flow</th>
            <th scope="col">Status</th>
            <th scope="col">Trigger</th>
            <th scope="col">Started</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {(runs.data ?? []).map((run) => (
            <tr key={run.executionId} data-execution-id={run.executionId}>
              <td>
                <a href={`#/runs/${run.executionId}`}>{run.executionId.slice(0, 18)}…</a>
              </td>
              <td>
                <a href={`#/flows/${run.flowId}`}>{run.flowId.slice(0, 8)}</a> v{run.version}
              </td>
              <td>
                <span className={`pill status-${run.status}`}>{run.status}</span>
              </td>
              <td>{run.trigger.type}</td>
              <td>{new Date(run.startedAt).toLocaleString()}</td>
              <td>{run.finishedAt ? `${Date.parse(run.finishedAt) - Date.parse(run.startedAt)} ms` : '…'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {runs.data?.length === 0 ? <p className="muted">No runs match.</p> : null}
    </main>
  );
}

/** A labelled select whose empty option reads "any". */
function Choice(props: {
  label: string;
  options: string[];
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <label>
      {props.label}{' '}
      <select value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        {props.options.map((option) => (
          <option key={option} value={option}>
            {option || 'any'}
          </option>
        ))}
      </select>
    </label>
  );
}
