import { describe, expect, it } from 'vitest';
import type { TaskPayload } from '../../../lib/actions/action.ts';
import { compile } from '../../../lib/compiler/compile.ts';
import { localCompileContext } from '../../../lib/runtime/local/local-action-arns.ts';
import type { LocalExecutionEvent } from '../../../lib/runtime/local/local-execution-event.ts';
import {
  type InvokeAction,
  invokeRegisteredAction,
  runLocally,
} from '../../../lib/runtime/local/run-locally.ts';
import { validateDefinition } from '../../../lib/workflow/validate-definition.ts';
import { machineInput, namedError } from '../runtime/asl-fixtures.ts';

type Json = Record<string, unknown>;

/** Validates, compiles and runs a definition locally with the real actions, `http` simulated by `http`. */
async function run(
  raw: Json,
  input: unknown,
  http?: (payload: TaskPayload) => unknown,
  options: { timeScale?: number } = {},
) {
  const validation = validateDefinition(raw);
  expect(validation.errors).toEqual([]);
  const { asl } = compile(validation.definition as never, localCompileContext());
  const calls: TaskPayload[] = [];
  const invokeAction: InvokeAction = async (payload, context) => {
    calls.push(payload);
    if (context.kind === 'http' && http) return http(payload);
    return invokeRegisteredAction(payload, context);
  };
  const handle = runLocally(asl, machineInput(input), {
    invokeAction,
    validate: 'full',
    timeScale: options.timeScale ?? 0.001,
  });
  const record = await handle.promise;
  return { record, calls, events: handle.events() };
}

const trigger = { id: 'start', type: 'trigger', trigger: 'manual' };

function flow(forEach: Json, ...more: Json[]): Json {
  return {
    name: 'fe',
    nodes: [
      trigger,
      { id: 'each', type: 'operation', operation: 'forEach', dependencies: ['start'], ...forEach },
      ...more,
    ],
  };
}

const double = { id: 'double', type: 'action', action: 'transform', config: { expression: 'item.n * 2' } };

/** The most iterations of `stateName` running at once, from the order of the event log. */
function maxOverlap(events: readonly LocalExecutionEvent[], stateName: string): number {
  let active = 0;
  let max = 0;
  for (const event of events) {
    if (!('state' in event) || (event.state as { name: string }).name !== stateName) continue;
    if (event.type === 'StateEntered') max = Math.max(max, ++active);
    else if (event.type === 'StateExited' || event.type === 'StateFailed') active--;
  }
  return max;
}

describe('forEach run locally (DESIGN.md §2.1)', () => {
  it('collects the output node of every item in item order, with item, index and upstream data', async () => {
    const items = Array.from({ length: 7 }, (_, i) => ({ n: i, id: `o${i}` }));
    const { record, calls } = await run(
      flow({
        config: {
          items: '{{ input.items }}',
          concurrency: 3,
          nodes: [
            double,
            {
              id: 'label',
              type: 'operation',
              operation: 'set',
              dependencies: ['double'],
              config: {
                values: {
                  id: '{{ item.id }}',
                  at: '{{ index }}',
                  twice: '{{ nodes.double.output }}',
                  run: '{{ execution.id }}',
                },
              },
            },
          ],
        },
      }),
      { items },
    );
    expect(record.status).toBe('SUCCEEDED');
    expect(record.nodes.each).toMatchObject({
      status: 'succeeded',
      items: { total: 7, succeeded: 7, failed: 0 },
      output: items.map((item, i) => ({ id: item.id, at: i, twice: i * 2, run: 'exec-1' })),
    });
    expect(record.nodes.double).toMatchObject({
      status: 'succeeded',
      iterations: { total: 7, succeeded: 7, failed: 0, skipped: 0, running: 0 },
    });
    // Each body Task names its item: that is part of its idempotency identity.
    const iterations = calls.filter((c) => c.nodeId === 'double').map((c) => c.iteration);
    expect(new Set(iterations)).toEqual(new Set(items.map((_, i) => `each[${i}]`)));
    expect(calls.filter((c) => c.action === 'foreach').map((c) => c.phase)).toEqual(['items', 'collect']);
  });

  it('an empty list gives [] and succeeds; not an array fails with ForEachItemsNotArray', async () => {
    const definition = flow({ config: { items: '{{ input.items }}', nodes: [double] } });
    const empty = await run(definition, { items: [] });
    expect(empty.record.status).toBe('SUCCEEDED');
    expect(empty.record.nodes.each).toMatchObject({
      status: 'succeeded',
      output: [],
      items: { total: 0, succeeded: 0, failed: 0 },
    });
    for (const items of [{ a: 1 }, 'orders', 5, null]) {
      const bad = await run(definition, { items });
      expect(bad.record.status).toBe('FAILED');
      expect(bad.record.nodes.each?.status).toBe('failed');
      expect(bad.record.nodes.each?.error?.error).toBe('ForEachItemsNotArray');
      expect(bad.record.error?.error).toBe('ForEachItemsNotArray');
    }
  });

  it('keeps a failed item error at its index within tolerance; past it fails with ForEachFailed naming the count and the first index', async () => {
    const items = [0, 1, 2, 3, 4].map((n) => ({ n }));
    const body = [
      {
        id: 'call',
        type: 'action',
        action: 'http',
        config: { method: 'GET', url: 'https://api.example.com/{{ item.n }}' },
      },
    ];
    const http = (payload: TaskPayload) => {
      const url = String(payload.config.url);
      if (url.endsWith('/1') || url.endsWith('/3')) throw namedError('HttpError', `bad ${url}`);
      return { status: 200, body: url };
    };
    const tolerated = await run(
      flow({ config: { items: '{{ input.items }}', toleratedFailures: 2, nodes: body } }),
      { items },
      http,
    );
    expect(tolerated.record.status).toBe('SUCCEEDED');
    const output = tolerated.record.nodes.each?.output as unknown[];
    expect(output).toHaveLength(5);
    expect(output[1]).toEqual({ error: { error: 'HttpError', cause: 'bad https://api.example.com/1' } });
    expect(output[2]).toEqual({ status: 200, body: 'https://api.example.com/2' });
    expect(tolerated.record.nodes.each?.items).toEqual({ total: 5, succeeded: 3, failed: 2 });
    expect(tolerated.record.nodes.call).toMatchObject({
      status: 'failed',
      failedIteration: 'each[1]',
      error: { error: 'HttpError' },
      iterations: { total: 5, succeeded: 3, failed: 2 },
    });

    const percent = await run(
      flow({ config: { items: '{{ input.items }}', toleratedFailurePercent: 40, nodes: body } }),
      { items },
      http,
    );
    expect(percent.record.status).toBe('SUCCEEDED');

    const over = await run(
      flow({ config: { items: '{{ input.items }}', toleratedFailures: 1, nodes: body } }),
      { items },
      http,
    );
    expect(over.record.status).toBe('FAILED');
    expect(over.record.nodes.each).toMatchObject({
      status: 'failed',
      items: { total: 5, succeeded: 3, failed: 2 },
      error: {
        error: 'ForEachFailed',
        cause:
          '2 of 5 items failed (1 tolerated); the first failed item is index 1: HttpError: bad https://api.example.com/1',
      },
    });
    expect(over.record.error?.error).toBe('ForEachFailed');
  });

  it('takes the forEach node error edge past the tolerance', async () => {
    const definition = {
      ...flow(
        {
          config: {
            items: '{{ input.items }}',
            nodes: [{ id: 'boom', type: 'operation', operation: 'fail', config: { error: 'Boom' } }],
          },
        },
        {
          id: 'handle',
          type: 'action',
          action: 'log',
          config: { message: 'failed: {{ nodes.each.error.error }}' },
        },
      ),
      connections: [{ from: 'each', to: 'handle', on: 'error' }],
    };
    const { record } = await run(definition, { items: [1, 2] });
    expect(record.status).toBe('SUCCEEDED');
    expect(record.nodes.handle?.output).toEqual({ message: 'failed: ForEachFailed' });
    expect(record.nodes.each?.output).toBeUndefined();
  });

  it('retries per item: each item gets its own attempts', async () => {
    const attempts = new Map<string, number>();
    const http = (payload: TaskPayload) => {
      const key = String(payload.iteration);
      attempts.set(key, (attempts.get(key) ?? 0) + 1);
      if (payload.attempt < 3) throw namedError('Http5xx', `attempt ${payload.attempt}`);
      return { status: 200, attempt: payload.attempt };
    };
    const { record } = await run(
      flow({
        config: {
          items: '{{ input.items }}',
          nodes: [
            {
              id: 'call',
              type: 'action',
              action: 'http',
              config: { method: 'GET', url: 'https://api.example.com/x' },
              retry: { strategy: 'fixed', maxAttempts: 3, delaySeconds: 1, retryOn: ['Http5xx'] },
            },
          ],
        },
      }),
      { items: [1, 2, 3, 4] },
      http,
    );
    expect(record.status).toBe('SUCCEEDED');
    expect(record.nodes.each?.output).toEqual([1, 2, 3, 4].map(() => ({ status: 200, attempt: 3 })));
    expect([...attempts.values()]).toEqual([3, 3, 3, 3]);
  });

  it('nests: a forEach inside a body gives an array per outer item', async () => {
    const { record } = await run(
      flow({
        config: {
          items: '{{ input.orders }}',
          concurrency: 2,
          nodes: [
            {
              id: 'lines',
              type: 'operation',
              operation: 'forEach',
              config: {
                items: '{{ item.lines }}',
                nodes: [
                  {
                    id: 'lineTotal',
                    type: 'action',
                    action: 'transform',
                    config: { expression: 'item.qty * item.price' },
                  },
                ],
              },
            },
            {
              id: 'orderTotal',
              type: 'action',
              action: 'transform',
              config: { expression: '$sum(nodes.lines.output)' },
              dependencies: ['lines'],
            },
          ],
          output: 'orderTotal',
        },
      }),
      {
        orders: [
          {
            lines: [
              { qty: 2, price: 5 },
              { qty: 1, price: 3 },
            ],
          },
          { lines: [] },
          { lines: [{ qty: 4, price: 1 }] },
        ],
      },
    );
    expect(record.status).toBe('SUCCEEDED');
    expect(record.nodes.each?.output).toEqual([13, 0, 4]);
    expect(record.nodes.lines).toMatchObject({ status: 'succeeded', iterations: { total: 3, succeeded: 3 } });
    expect(record.nodes.lineTotal).toMatchObject({
      status: 'succeeded',
      iterations: { total: 3, succeeded: 3 },
    });
  });

  it('concurrency bounds how many items run at once (event-log overlap, not wall time)', async () => {
    const body = (concurrency: number) =>
      flow({
        config: {
          items: '{{ input.items }}',
          concurrency,
          nodes: [{ id: 'pause', type: 'operation', operation: 'delay', config: { seconds: 1 } }],
        },
      });
    const items = Array.from({ length: 10 }, (_, i) => i);
    const wide = await run(body(10), { items }, undefined, { timeScale: 0.05 });
    const narrow = await run(body(1), { items }, undefined, { timeScale: 0.05 });
    expect(wide.record.status).toBe('SUCCEEDED');
    expect(maxOverlap(wide.events, 'pause')).toBe(10);
    expect(maxOverlap(narrow.events, 'pause')).toBe(1);
    expect(narrow.record.nodes.each?.items).toEqual({ total: 10, succeeded: 10, failed: 0 });
  });

  it('an inline (nested) forEach refuses a list longer than the history budget, naming the numbers', async () => {
    const items = Array.from({ length: 9000 }, (_, i) => i);
    const { record } = await run(
      flow({
        config: {
          items: '{{ input.outer }}',
          nodes: [
            {
              id: 'inner',
              type: 'operation',
              operation: 'forEach',
              config: { items: '{{ input.items }}', nodes: [double] },
            },
          ],
        },
        onError: 'continue',
        // The outer item fails (its inner forEach refused the list): the outer node fails past tolerance.
      }),
      { outer: [1], items },
    );
    expect(record.nodes.inner?.error?.error).toBe('ForEachTooManyItems');
    expect(record.nodes.inner?.error?.cause).toMatch(
      /items has 9000 elements; this body fits at most \d+ in one Standard execution/,
    );
    expect(record.nodes.each?.error?.cause).toMatch(/1 of 1 items failed .*index 0: ForEachTooManyItems/);
  });

  it('a top-level forEach is a Distributed Map: the list and the results stay out of the state', async () => {
    const raw = flow({
      config: {
        items: '{{ input.items }}',
        nodes: [
          { id: 'pick', type: 'operation', operation: 'set', config: { values: { n: '{{ item.n }}' } } },
        ],
      },
    });
    const validation = validateDefinition(raw);
    const { asl, report } = compile(validation.definition as never, localCompileContext());
    const map = asl.States.each as Record<string, unknown>;
    expect(map.ItemProcessor).toMatchObject({
      ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
    });
    expect(map.ItemReader).toMatchObject({
      Resource: 'arn:aws:states:::s3:getObject',
      ReaderConfig: { InputType: 'JSON' },
    });
    expect(map.ResultWriter).toMatchObject({ Resource: 'arn:aws:states:::s3:putObject' });
    expect(report.warnings.join('\n')).toMatch(
      /forEach "each": a Distributed Map \(one child execution per item, up to \d+ history events each/,
    );
    // 5,000 items of a 3-node body: far over one Standard history inline, fine as child executions.
    // The list comes from a node (offloaded to the payload store), not from the execution input.
    const three = {
      name: 'fe',
      nodes: [
        trigger,
        {
          id: 'make',
          type: 'action',
          action: 'transform',
          config: { expression: '$map([0..4999], function($n) { { "n": $n } })' },
          dependencies: ['start'],
        },
        {
          id: 'each',
          type: 'operation',
          operation: 'forEach',
          dependencies: ['make'],
          config: {
            items: '{{ nodes.make.output }}',
            concurrency: 40,
            nodes: [
              { id: 'a', type: 'operation', operation: 'set', config: { values: { n: '{{ item.n }}' } } },
              {
                id: 'b',
                type: 'operation',
                operation: 'set',
                config: { values: { a: '{{ nodes.a.output }}' } },
                dependencies: ['a'],
              },
              {
                id: 'c',
                type: 'operation',
                operation: 'set',
                config: { values: { i: '{{ index }}' } },
                dependencies: ['b'],
              },
            ],
          },
        },
      ],
    };
    const { record, events } = await run(three, {});
    expect(record.status, JSON.stringify(record.error)).toBe('SUCCEEDED');
    expect(record.nodes.each?.items).toEqual({ total: 5000, succeeded: 5000, failed: 0 });
    expect(record.nodes.c?.iterations).toMatchObject({ total: 5000, succeeded: 5000 });
    // The list never sits in a state of the run: every state input and output stays small.
    const largest = Math.max(
      ...events.map((event) => {
        const state = (event as { state?: { input?: unknown; output?: unknown } }).state;
        return state
          ? JSON.stringify(state.input ?? null).length + JSON.stringify(state.output ?? null).length
          : 0;
      }),
    );
    expect(largest).toBeLessThan(8192);
  });
});
