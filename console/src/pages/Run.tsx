import { useEffect, useMemo, useRef, useState } from 'react';
import { call, type Execution, type NodeRecord } from '../api/client';
import { JsonValue } from '../components/Collapsible';
import { FlowGraph } from '../components/FlowGraph';
import { Timeline } from '../components/Timeline';
import type { Definition, DefinitionNode } from '../definition';
import { describe } from '../hooks';
import { followEvents } from '../live';
import { go } from '../router';

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);
const POLL_MS = 2000;

/** Routes the generated types may not list yet (other areas add them); called through a loose path. */
const loose = call as unknown as (
  method: 'post',
  path: string,
  options: { params: Record<string, string>; body?: unknown },
) => Promise<{ body: unknown }>;

/** Finds a node (bodies included) of a definition. */
const findNode = (definition: Definition | undefined, id: string): DefinitionNode | undefined => {
  for (const node of definition?.nodes ?? []) {
    if (node.id === id) return node;
    const body =
      node.config && Array.isArray(node.config.nodes)
        ? { nodes: node.config.nodes as DefinitionNode[] }
        : undefined;
    const inner = findNode(body, id);
    if (inner) return inner;
  }
  return undefined;
};

/**
 * One run: its graph coloured by node status (live through the event stream, polling where the
 * stream cannot stay open), a timeline, each node's config, output and error, and the actions
 * the API allows: stop, redrive, approve or reject a waiting node, run again with edited input.
 */
export function Run({ executionId }: { executionId: string }) {
  const [run, setRun] = useState<Execution>();
  const [definition, setDefinition] = useState<Definition>();
  const [error, setError] = useState<string>();
  const [selected, setSelected] = useState<string>();
  const [message, setMessage] = useState<string>();
  const [live, setLive] = useState<Record<string, string>>({});
  const [input, setInput] = useState<string>();
  const refreshTimer = useRef<ReturnType<typeof setTimeout>>(undefined);

  const load = async () => {
    try {
      const read = (await call('get', '/api/v1/executions/{executionId}', { params: { executionId } })).body;
      setRun(read);
      return read;
    } catch (caught) {
      setError(describe(caught));
      return undefined;
    }
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs once per execution
  useEffect(() => {
    setRun(undefined);
    setLive({});
    const abort = new AbortController();
    let poll: ReturnType<typeof setTimeout> | undefined;
    const pollUntilDone = async () => {
      const read = await load();
      if (!abort.signal.aborted && read && !TERMINAL.has(read.status))
        poll = setTimeout(pollUntilDone, POLL_MS);
    };
    void (async () => {
      const first = await load();
      if (!first) return;
      call('get', '/api/v1/flows/{flowId}/versions/{version}', {
        params: { flowId: first.flowId, version: first.version },
      })
        .then((version) => setDefinition(version.body.definition as unknown as Definition))
        .catch(() => setDefinition(undefined));
      if (TERMINAL.has(first.status)) return;
      const final = await followEvents(
        executionId,
        (event) => {
          if (event.event === 'node' && event.data.nodeId) {
            const { nodeId, status } = event.data;
            setLive((current) => ({ ...current, [nodeId]: status }));
          }
          clearTimeout(refreshTimer.current);
          refreshTimer.current = setTimeout(() => void load(), event.event === 'status' ? 0 : 250);
        },
        abort.signal,
      ).catch(() => false);
      if (!final && !abort.signal.aborted) await pollUntilDone();
    })();
    return () => {
      abort.abort();
      clearTimeout(poll);
      clearTimeout(refreshTimer.current);
    };
  }, [executionId]);

  const statuses = useMemo(() => {
    const fromRecord = Object.fromEntries(
      Object.entries(run?.nodes ?? {}).map(([id, node]) => [id, node.status]),
    );
    return { ...live, ...fromRecord };
  }, [run, live]);

  const act = async (label: string, action: () => Promise<unknown>) => {
    setMessage(undefined);
    try {
      await action();
      setMessage(`${label}: done.`);
      await load();
    } catch (caught) {
      setMessage(`${label}: ${describe(caught)}`);
    }
  };

  if (error)
    return (
      <main>
        <h1>Run</h1>
        <p role="alert" className="error">
          {error}
        </p>
      </main>
    );
  if (!run)
    return (
      <main>
        <h1>Run</h1>
        <p className="muted">Loading…</p>
      </main>
    );
  const node: NodeRecord | undefined = selected ? run.nodes[selected] : undefined;
  const waiting = Object.entries(run.nodes)
    .filter(([, n]) => n.status === 'waiting')
    .map(([id]) => id);
  return (
    <main>
      <h1>
        Run{' '}
        <span className={`pill status-${run.status}`} data-run-status={run.status}>
          {run.status}
        </span>
      </h1>
      <p className="muted">
        {executionId} · flow <a href={`#/flows/${run.flowId}`}>{run.flowId}</a> v{run.version} · trigger{' '}
        {run.trigger.type} · started {new Date(run.startedAt).toLocaleString()}
      </p>
      <div className="toolbar">
        {run.status === 'RUNNING' || run.status === 'PENDING_REDRIVE' ? (
          <button
            type="button"
            onClick={() =>
              act('Stop', () =>
                call('post', '/api/v1/executions/{executionId}/stop', { params: { executionId } }),
              )
            }
          >
            Stop
          </button>
        ) : null}
        {['FAILED', 'TIMED_OUT', 'ABORTED', 'INTERRUPTED'].includes(run.status) ? (
          <button
            type="button"
            onClick={() =>
              act('Redrive', () =>
                call('post', '/api/v1/executions/{executionId}/redrive', { params: { executionId } }),
              )
            }
          >
            Redrive
          </button>
        ) : null}
        <button
          type="button"
          onClick={() => setInput(input === undefined ? JSON.stringify(run.input, null, 2) : undefined)}
        >
          Run again…
        </button>
      </div>
      {input !== undefined ? (
        <div className="card">
          <label htmlFor="rerun-input">Input (JSON)</label>
          <textarea
            id="rerun-input"
            rows={6}
            value={input}
            onChange={(e) => setInput(e.target.value)}
            spellCheck={false}
          />
          <button
            type="button"
            onClick={() =>
              act('Run again', async () => {
                const started = await call('post', '/api/v1/flows/{flowId}/execute', {
                  params: { flowId: run.flowId },
                  body: { input: JSON.parse(input), version: run.version },
                });
                go(`/runs/${started.body.executionId}`);
              })
            }
          >
            Start
          </button>
        </div>
      ) : null}
      {waiting.map((nodeId) => (
        <div className="card waiting" key={nodeId} data-waiting-node={nodeId}>
          <strong>{nodeId}</strong> is waiting for a callback.{' '}
          <button
            type="button"
            onClick={() =>
              act(`Approve ${nodeId}`, () =>
                loose('post', '/api/v1/executions/{executionId}/nodes/{nodeId}/callback', {
                  params: { executionId, nodeId },
                  body: { output: { approved: true } },
                }),
              )
            }
          >
            Approve
          </button>{' '}
          <button
            type="button"
            onClick={() =>
              act(`Reject ${nodeId}`, () =>
                loose('post', '/api/v1/executions/{executionId}/nodes/{nodeId}/callback', {
                  params: { executionId, nodeId },
                  body: { error: 'Rejected', cause: 'rejected in the console' },
                }),
              )
            }
          >
            Reject
          </button>
        </div>
      ))}
      {message ? <p role="status">{message}</p> : null}
      {run.error ? (
        <p className="error">
          {run.error.error}
          {run.error.cause ? `: ${run.error.cause}` : ''}
        </p>
      ) : null}
      <div className="run-layout">
        <section>
          <h2>Graph</h2>
          {definition ? (
            <FlowGraph definition={definition} statuses={statuses} onSelect={setSelected} />
          ) : (
            <p className="muted">The flow version is not readable; the timeline still shows every node.</p>
          )}
        </section>
        <section aria-label="node details">
          <h2>{selected ? `Node ${selected}` : 'Node'}</h2>
          {selected ? (
            <>
              <p>
                Status: <strong>{node?.status ?? 'not started'}</strong>
              </p>
              {node?.attempts ? (
                <ol className="ff-attempts" aria-label="attempts">
                  {node.attempts.map((attempt, index) => (
                    <li key={attempt.startedAt}>
                      attempt {index + 1}:{' '}
                      {attempt.error
                        ? `failed (${attempt.error.error}${attempt.error.cause ? `: ${attempt.error.cause}` : ''})`
                        : index === (node.attempts?.length ?? 0) - 1
                          ? node.status
                          : 'failed'}
                    </li>
                  ))}
                </ol>
              ) : null}
              <JsonValue label="Config" value={findNode(definition, selected)?.config} />
              <JsonValue label="Output" value={node?.output} />
              <JsonValue label="Error" value={node?.error} />
            </>
          ) : (
            <p className="muted">Click a node in the graph or the timeline.</p>
          )}
        </section>
      </div>
      <section>
        <h2>Timeline</h2>
        <Timeline
          nodes={run.nodes}
          startedAt={run.startedAt}
          {...(run.finishedAt ? { finishedAt: run.finishedAt } : {})}
          onSelect={setSelected}
        />
      </section>
      <JsonValue label="Input" value={run.input} />
      <JsonValue label="Output" value={run.output} />
    </main>
  );
}
