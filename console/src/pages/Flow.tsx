import { diffLines } from 'diff';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { call, type Flow as FlowView, type VersionDetail } from '../api/client';
import { FlowGraph } from '../components/FlowGraph';
import { type FieldError, JsonEditor } from '../components/JsonEditor';
import { type Definition, isDefinition } from '../definition';
import { describe, useLoad } from '../hooks';
import { go } from '../router';

const QUOTA_BYTES = 1_048_576;

/** Asks the API what a save would say (`POST /flows/validate`). */
export const validateWithApi = async (document: unknown): Promise<FieldError[]> => {
  const answer = await call('post', '/api/v1/flows/validate', { body: document });
  return answer.body.errors;
};

/** One flow: graph, editor, versions with a diff, triggers and the compile report. */
export function Flow({ flowId }: { flowId: string }) {
  const flow = useLoad(
    async () => (await call('get', '/api/v1/flows/{flowId}', { params: { flowId } })).body,
    [flowId],
  );
  const [tab, setTab] = useState<'graph' | 'edit' | 'versions' | 'triggers'>('graph');
  const latest = useLoad(
    async () =>
      flow.data
        ? (
            await call('get', '/api/v1/flows/{flowId}/versions/{version}', {
              params: { flowId, version: flow.data.version },
            })
          ).body
        : undefined,
    [flowId, flow.data?.version],
  );
  if (flow.error)
    return (
      <main>
        <h1>Flow</h1>
        <p role="alert" className="error">
          {flow.error}
        </p>
      </main>
    );
  if (!flow.data)
    return (
      <main>
        <h1>Flow</h1>
        <p className="muted">Loading…</p>
      </main>
    );
  const data = flow.data;
  const definition = data.definition as unknown as Definition;
  return (
    <main>
      <h1>
        {data.name} <span className="muted">v{data.version}</span>
      </h1>
      <div className="toolbar">
        <a href={`#/runs?flowId=${flowId}`}>Runs of this flow</a>
        <RunButton flowId={flowId} />
      </div>
      <div role="tablist" className="tabs">
        {(['graph', 'edit', 'versions', 'triggers'] as const).map((name) => (
          <button
            key={name}
            type="button"
            role="tab"
            aria-selected={tab === name}
            onClick={() => setTab(name)}
          >
            {name}
          </button>
        ))}
      </div>
      {tab === 'graph' ? (
        <section>
          <FlowGraph definition={definition} />
          {latest.data ? <Report report={latest.data.report} /> : null}
        </section>
      ) : null}
      {tab === 'edit' ? <Editor flow={data} onSaved={(saved) => flow.setData(saved)} /> : null}
      {tab === 'versions' ? <Versions flowId={flowId} latest={data.version} /> : null}
      {tab === 'triggers' ? <Triggers flow={data} /> : null}
    </main>
  );
}

function RunButton({ flowId }: { flowId: string }) {
  const [input, setInput] = useState('{}');
  const [error, setError] = useState<string>();
  const run = async () => {
    try {
      const started = await call('post', '/api/v1/flows/{flowId}/execute', {
        params: { flowId },
        body: { input: JSON.parse(input) },
      });
      go(`/runs/${started.body.executionId}`);
    } catch (caught) {
      setError(describe(caught));
    }
  };
  return (
    <span className="run-form">
      <label>
        Input <input value={input} onChange={(e) => setInput(e.target.value)} aria-label="run input (JSON)" />
      </label>
      <button type="button" onClick={run}>
        Run
      </button>
      {error ? (
        <span role="alert" className="error">
          {error}
        </span>
      ) : null}
    </span>
  );
}

function Report({ report }: { report: VersionDetail['report'] }) {
  return (
    <section className="card">
      <h2>Compile report</h2>
      <dl className="facts">
        <dt>Machine type</dt>
        <dd>{report.stateMachineType}</dd>
        <dt>States</dt>
        <dd>{report.states}</dd>
        <dt>Estimated transitions</dt>
        <dd>{report.estimatedTransitions}</dd>
        <dt>Definition size</dt>
        <dd>
          {report.definitionBytes.toLocaleString()} bytes (
          {((report.definitionBytes / QUOTA_BYTES) * 100).toFixed(1)}% of the 1 MB quota)
          <meter
            min={0}
            max={QUOTA_BYTES}
            value={report.definitionBytes}
            aria-label="share of the 1 MB quota"
          />
        </dd>
      </dl>
      {report.warnings.length > 0 ? (
        <ul>
          {report.warnings.map((w) => (
            <li key={String(w)}>{typeof w === 'string' ? w : JSON.stringify(w)}</li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

function Editor({ flow, onSaved }: { flow: FlowView; onSaved: (flow: FlowView) => void }) {
  const [text, setText] = useState(() => JSON.stringify(flow.definition, null, 2));
  const [nodeErrors, setNodeErrors] = useState<Record<string, string[]>>({});
  const [saveErrors, setSaveErrors] = useState<FieldError[]>([]);
  const [message, setMessage] = useState<string>();
  const parsed = useMemo(() => {
    try {
      const value: unknown = JSON.parse(text);
      return isDefinition(value) ? value : undefined;
    } catch {
      return undefined;
    }
  }, [text]);
  const onNodeErrors = useCallback((errors: Record<string, string[]>) => setNodeErrors(errors), []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new text clears the errors of the last save
  useEffect(() => setSaveErrors([]), [text]);
  const save = async () => {
    setMessage(undefined);
    try {
      const saved = await call('put', '/api/v1/flows/{flowId}', {
        params: { flowId: flow.flowId },
        body: JSON.parse(text),
        headers: { 'if-match': `"${flow.version}"` },
      });
      onSaved(saved.body);
      setMessage(`Saved version ${saved.body.version}.`);
    } catch (caught) {
      const problem = (caught as { problem?: { errors?: FieldError[] } }).problem;
      if (problem?.errors?.length) setSaveErrors(problem.errors);
      setMessage(describe(caught));
    }
  };
  return (
    <section className="editor-layout">
      <div>
        <JsonEditor
          value={text}
          onChange={setText}
          validate={validateWithApi}
          onNodeErrors={onNodeErrors}
          externalErrors={saveErrors}
        />
        <button type="button" onClick={save}>
          Save as version {flow.version + 1}
        </button>
        {message ? <p role="status">{message}</p> : null}
      </div>
      <div>
        {parsed ? (
          <FlowGraph definition={parsed} errors={nodeErrors} />
        ) : (
          <p className="muted">Fix the JSON to see the graph.</p>
        )}
      </div>
    </section>
  );
}

function Versions({ flowId, latest }: { flowId: string; latest: number }) {
  const versions = useLoad(
    async () =>
      (await call('get', '/api/v1/flows/{flowId}/versions', { params: { flowId }, query: { limit: 100 } }))
        .body.items,
    [flowId, latest],
  );
  const [left, setLeft] = useState(Math.max(1, latest - 1));
  const [right, setRight] = useState(latest);
  const pair = useLoad(async () => {
    const read = async (version: number) =>
      (await call('get', '/api/v1/flows/{flowId}/versions/{version}', { params: { flowId, version } })).body;
    return Promise.all([read(left), read(right)]);
  }, [flowId, left, right]);
  const parts = useMemo(
    () =>
      pair.data
        ? diffLines(
            JSON.stringify(pair.data[0].definition, null, 2),
            JSON.stringify(pair.data[1].definition, null, 2),
          )
        : [],
    [pair.data],
  );
  const numbers = (versions.data ?? []).map((v) => v.version);
  const picker = (label: string, value: number, set: (v: number) => void) => (
    <label>
      {label}{' '}
      <select value={value} onChange={(e) => set(Number(e.target.value))}>
        {numbers.map((n) => (
          <option key={n} value={n}>
            v{n}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <section>
      <h2>Versions</h2>
      <ul>
        {(versions.data ?? []).map((v) => (
          <li key={v.version}>
            v{v.version} · {v.name} · {new Date(v.createdAt).toLocaleString()}{' '}
            {v.createdBy ? `· by ${v.createdBy}` : ''}
          </li>
        ))}
      </ul>
      <div className="toolbar">
        {picker('Left', left, setLeft)}
        {picker('Right', right, setRight)}
      </div>
      {pair.error ? (
        <p role="alert" className="error">
          {pair.error}
        </p>
      ) : null}
      <section className="diff" aria-label={`differences between v${left} and v${right}`}>
        <pre className="diff-side">
          {parts.map((part, i) =>
            part.added ? null : (
              // biome-ignore lint/suspicious/noArrayIndexKey: diff parts have no identity but their place
              <span key={`l${i}`} className={part.removed ? 'diff-removed' : ''}>
                {part.value}
              </span>
            ),
          )}
        </pre>
        <pre className="diff-side">
          {parts.map((part, i) =>
            part.removed ? null : (
              // biome-ignore lint/suspicious/noArrayIndexKey: diff parts have no identity but their place
              <span key={`r${i}`} className={part.added ? 'diff-added' : ''}>
                {part.value}
              </span>
            ),
          )}
        </pre>
      </section>
    </section>
  );
}

function Triggers({ flow }: { flow: FlowView }) {
  const triggers = useLoad(
    async () =>
      (await call('get', '/api/v1/flows/{flowId}/triggers', { params: { flowId: flow.flowId } })).body.items,
    [flow.flowId, flow.version],
  );
  return (
    <section>
      <h2>Triggers</h2>
      {triggers.error ? (
        <p role="alert" className="error">
          {triggers.error}
        </p>
      ) : null}
      <ul className="triggers">
        {(triggers.data ?? []).map((trigger) => (
          <li key={trigger.id}>
            <strong>{trigger.id}</strong> ({trigger.type})
            {trigger.url ? (
              <div>
                Webhook URL: <code>{trigger.url}</code>
              </div>
            ) : null}
            {trigger.nextFireTimes?.length ? (
              <div>
                Next fire times:
                <ol>
                  {trigger.nextFireTimes.map((time) => (
                    <li key={time}>
                      <time dateTime={time}>{time}</time>
                    </li>
                  ))}
                </ol>
              </div>
            ) : null}
            {trigger.queueUrl ? (
              <div>
                Queue: <code>{trigger.queueUrl}</code>
              </div>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
