// @vitest-environment happy-dom
import dagre from '@dagrejs/dagre';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FlowGraph } from '../src/components/FlowGraph';
import { JsonEditor, locate } from '../src/components/JsonEditor';
import { layoutDefinition } from '../src/components/layout';
import { barsOf, Timeline } from '../src/components/Timeline';
import { type Definition, nodeIdAt } from '../src/definition';

afterEach(cleanup);

const definition: Definition = {
  name: 'shapes',
  nodes: [
    { id: 'start', type: 'trigger', trigger: 'webhook' },
    { id: 'fetch', type: 'action', action: 'http', dependencies: ['start'] },
    {
      id: 'each',
      type: 'operation',
      operation: 'forEach',
      dependencies: ['fetch'],
      config: {
        items: '{{ nodes.fetch.output.body }}',
        nodes: [
          { id: 'price', type: 'action', action: 'transform' },
          { id: 'note', type: 'action', action: 'log', dependencies: ['price'] },
        ],
      },
    },
    {
      id: 'child',
      type: 'operation',
      operation: 'subflow',
      config: { flowId: 'f-123' },
      dependencies: ['each'],
    },
    { id: 'alert', type: 'action', action: 'log', join: 'any' },
  ],
  connections: [
    { from: 'fetch', to: 'alert', on: 'error' },
    { from: 'child', to: 'alert', on: 'always', condition: 'nodes.child.status == "failed"' },
  ],
};

describe('FlowGraph', () => {
  it('draws every node, bodies inside their forEach group, with data-node-id and, in a run, data-status', async () => {
    const { container } = render(
      <FlowGraph
        definition={definition}
        statuses={{ start: 'succeeded', fetch: 'failed', alert: 'running' }}
      />,
    );
    await waitFor(() => expect(container.querySelectorAll('[data-node-id]')).toHaveLength(7));
    expect(container.querySelector('[data-node-id="fetch"]')?.getAttribute('data-status')).toBe('failed');
    expect(container.querySelector('[data-node-id="price"]')?.getAttribute('data-status')).toBeNull();
    const group = container.querySelector('.react-flow__node[data-id="each"]');
    expect(group?.querySelector('[data-node-id="each"]')?.className).toContain('ff-group');
    expect(screen.getByText('join any')).toBeTruthy();
    expect(screen.getByText('open child flow').getAttribute('href')).toBe('#/flows/f-123');
  });

  it('marks the nodes validation errors point into', async () => {
    const { container } = render(<FlowGraph definition={definition} errors={{ note: ['/x: bad'] }} />);
    await waitFor(() =>
      expect(container.querySelector('[data-node-id="note"][data-invalid="true"]')).not.toBeNull(),
    );
    expect(container.querySelector('[data-node-id="price"][data-invalid]')).toBeNull();
  });

  it('lays out once per definition: a live status change redraws the node without laying out again', async () => {
    const layout = vi.spyOn(dagre, 'layout');
    try {
      const { container, rerender } = render(
        <FlowGraph definition={definition} statuses={{ start: 'succeeded', fetch: 'running' }} />,
      );
      await waitFor(() => expect(container.querySelectorAll('[data-node-id]')).toHaveLength(7));
      const calls = layout.mock.calls.length; // the main graph and the forEach body
      expect(calls).toBeGreaterThan(0);
      rerender(<FlowGraph definition={definition} statuses={{ start: 'succeeded', fetch: 'failed' }} />);
      await waitFor(() =>
        expect(container.querySelector('[data-node-id="fetch"]')?.getAttribute('data-status')).toBe('failed'),
      );
      expect(container.querySelector('[data-node-id="start"]')?.getAttribute('data-status')).toBe(
        'succeeded',
      );
      expect(layout.mock.calls.length).toBe(calls);
      rerender(<FlowGraph definition={structuredClone(definition)} statuses={{ fetch: 'failed' }} />);
      await waitFor(() => expect(layout.mock.calls.length).toBe(2 * calls));
    } finally {
      layout.mockRestore();
    }
  });

  it('gives every node its size and handles, so React Flow draws edges without measuring first', () => {
    const laid = layoutDefinition(definition);
    for (const node of laid.nodes) {
      expect(node.measured).toEqual({ width: node.width, height: node.height });
      expect(Number.isInteger(node.width) && Number.isInteger(node.height)).toBe(true);
      const width = node.width ?? 0;
      const height = node.height ?? 0;
      expect(node.handles).toEqual([
        { type: 'target', position: 'top', x: width / 2 - 4, y: -4, width: 8, height: 8 },
        { type: 'source', position: 'bottom', x: width / 2 - 4, y: height - 4, width: 8, height: 8 },
      ]);
    }
  });

  it('lays out with dagre: edges styled by kind, body nodes relative to their group, ranks top to bottom', () => {
    const laid = layoutDefinition(definition);
    const byId = new Map(laid.nodes.map((n) => [n.id, n]));
    expect(byId.get('price')?.parentId).toBe('each');
    expect(byId.get('fetch')?.position.y).toBeGreaterThan(byId.get('start')?.position.y ?? Infinity);
    const edges = new Map(laid.edges.map((e) => [e.id, e]));
    expect(edges.get('fetch->alert')?.className).toBe('edge-error');
    expect(edges.get('fetch->alert')?.label).toBe('error');
    expect(edges.get('child->alert')?.className).toBe('edge-always');
    expect(edges.get('child->alert')?.label).toBe('always: nodes.child.status == "failed"');
    expect(edges.get('price->note')?.className).toBe('edge-success');
    expect(laid.nodes.findIndex((n) => n.id === 'each')).toBeLessThan(
      laid.nodes.findIndex((n) => n.id === 'price'),
    );
  });
});

describe('Timeline', () => {
  const nodes = {
    a: { status: 'succeeded', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:01.000Z' },
    b: {
      status: 'succeeded',
      startedAt: '2026-01-01T00:00:01.000Z',
      finishedAt: '2026-01-01T00:00:04.000Z',
      attempts: [
        {
          startedAt: '2026-01-01T00:00:01.000Z',
          finishedAt: '2026-01-01T00:00:02.000Z',
          error: { error: 'Timeout' },
        },
        { startedAt: '2026-01-01T00:00:03.000Z', finishedAt: '2026-01-01T00:00:04.000Z' },
      ],
    },
    skipped: { status: 'skipped' },
  };

  it('draws one bar per node attempt, placed on the run’s time axis, retries visible', () => {
    const onSelect = vi.fn();
    const { container } = render(
      <Timeline
        nodes={nodes}
        startedAt="2026-01-01T00:00:00.000Z"
        finishedAt="2026-01-01T00:00:04.000Z"
        onSelect={onSelect}
      />,
    );
    const bars = [...container.querySelectorAll<HTMLElement>('[data-timeline-node]')];
    expect(bars.map((b) => `${b.dataset.timelineNode}#${b.dataset.attempt}:${b.dataset.status}`)).toEqual([
      'a#1:succeeded',
      'b#1:failed',
      'b#2:succeeded',
    ]);
    expect(bars[1]?.style.left).toBe('25%');
    expect(bars[2]?.style.width).toBe('25%');
    fireEvent.click(bars[2] as HTMLElement);
    expect(onSelect).toHaveBeenCalledWith('b');
  });

  it('draws a node retried three times as three bars, the failed ones naming their error', () => {
    const { container } = render(
      <Timeline
        nodes={{
          flaky: {
            status: 'succeeded',
            startedAt: '2026-01-01T00:00:00.000Z',
            finishedAt: '2026-01-01T00:00:08.000Z',
            attempts: [
              {
                startedAt: '2026-01-01T00:00:00.000Z',
                finishedAt: '2026-01-01T00:00:01.000Z',
                error: { error: 'Http5xx', cause: '503' },
              },
              {
                startedAt: '2026-01-01T00:00:03.000Z',
                finishedAt: '2026-01-01T00:00:04.000Z',
                error: { error: 'HttpTimeout' },
              },
              { startedAt: '2026-01-01T00:00:07.000Z', finishedAt: '2026-01-01T00:00:08.000Z' },
            ],
          },
        }}
        startedAt="2026-01-01T00:00:00.000Z"
        finishedAt="2026-01-01T00:00:08.000Z"
      />,
    );
    const bars = [...container.querySelectorAll<HTMLElement>('[data-timeline-node="flaky"]')];
    expect(bars.map((b) => `${b.dataset.attempt}:${b.dataset.status}`)).toEqual([
      '1:failed',
      '2:failed',
      '3:succeeded',
    ]);
    expect(bars.map((b) => b.style.left)).toEqual(['0%', '37.5%', '87.5%']);
    expect(bars.map((b) => b.getAttribute('aria-label'))).toEqual([
      'flaky: failed (Http5xx), 1.00 s',
      'flaky (attempt 2): failed (HttpTimeout), 1.00 s',
      'flaky (attempt 3): succeeded, 1.00 s',
    ]);
  });

  it('ends an attempt a stop cut off at the end of the run, not at now', () => {
    const bars = barsOf(
      {
        cut: {
          status: 'failed',
          startedAt: '2026-01-01T00:00:00.000Z',
          error: { error: 'Interrupted' },
          attempts: [
            {
              startedAt: '2026-01-01T00:00:00.000Z',
              finishedAt: '2026-01-01T00:00:01.000Z',
              error: { error: 'Http5xx' },
            },
            { startedAt: '2026-01-01T00:00:02.000Z' },
          ],
        },
      },
      Date.parse('2026-01-01T00:00:05.000Z'),
    );
    expect(bars.map((b) => [b.attempt, b.status, b.end - b.start])).toEqual([
      [1, 'failed', 1000],
      [2, 'failed', 3000],
    ]);
  });

  it('ends the open bar of a running node at now', () => {
    const bars = barsOf(
      { r: { status: 'running', startedAt: '2026-01-01T00:00:00.000Z' } },
      Date.parse('2026-01-01T00:00:05.000Z'),
    );
    expect(bars[0]?.end - (bars[0]?.start ?? 0)).toBe(5000);
  });
});

describe('JsonEditor', () => {
  const text = JSON.stringify(
    {
      name: 'x',
      nodes: [
        { id: 'a', type: 'trigger', trigger: 'manual' },
        { id: 'b', type: 'action', dependencies: ['ghost'] },
      ],
    },
    null,
    2,
  );

  it('shows a syntax error at once, without asking the API', async () => {
    const validate = vi.fn(async () => []);
    render(<JsonEditor value="{ nope" onChange={() => {}} validate={validate} debounceMs={1} />);
    expect(screen.getByText(/not valid JSON/)).toBeTruthy();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(validate).not.toHaveBeenCalled();
    expect(screen.getByLabelText('Definition (JSON)').getAttribute('aria-invalid')).toBe('true');
  });

  it('places the API’s errors on their line and passes them on per node', async () => {
    const onNodeErrors = vi.fn();
    const validate = vi.fn(async () => [{ path: '/nodes/1/dependencies/0', message: 'no node "ghost"' }]);
    const { container } = render(
      <JsonEditor
        value={text}
        onChange={() => {}}
        validate={validate}
        onNodeErrors={onNodeErrors}
        debounceMs={1}
      />,
    );
    await waitFor(() =>
      expect(container.querySelector('[data-error-path="/nodes/1/dependencies/0"]')).not.toBeNull(),
    );
    const line = Number(container.querySelector('[data-error-path]')?.getAttribute('data-line'));
    expect(text.split('\n')[line - 1]).toContain('"ghost"');
    await waitFor(() =>
      expect(onNodeErrors).toHaveBeenLastCalledWith({ b: ['/nodes/1/dependencies/0: no node "ghost"'] }),
    );
    await act(async () => {
      fireEvent.click(screen.getByText(/line \d+ · \/nodes\/1\/dependencies\/0/));
    });
    const area = screen.getByLabelText('Definition (JSON)') as HTMLTextAreaElement;
    expect(text.slice(area.selectionStart, area.selectionEnd)).toBe('"ghost"');
  });

  it('calls onChange as the user types', () => {
    const onChange = vi.fn();
    render(<JsonEditor value="{}" onChange={onChange} />);
    fireEvent.change(screen.getByLabelText('Definition (JSON)'), { target: { value: '{"a":1}' } });
    expect(onChange).toHaveBeenCalledWith('{"a":1}');
  });

  it('finds the node a pointer points into, bodies included, and the text of a pointer', () => {
    expect(nodeIdAt(definition, '/nodes/2/config/nodes/1/dependencies/0')).toBe('note');
    expect(nodeIdAt(definition, '/nodes/1/config')).toBe('fetch');
    expect(nodeIdAt(definition, '/name')).toBeUndefined();
    expect(locate(text, '/nodes/1/id').line).toBe(
      text.split('\n').findIndex((l) => l.includes('"id": "b"')) + 1,
    );
  });
});
