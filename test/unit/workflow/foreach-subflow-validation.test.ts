import { describe, expect, it } from 'vitest';
import { validateDefinition } from '../../../lib/workflow/validate-definition.ts';

type Json = Record<string, unknown>;

const trigger = { id: 'start', type: 'trigger', trigger: 'manual' };
const fetch = {
  id: 'fetch',
  type: 'action',
  action: 'transform',
  config: { expression: '[1, 2, 3]' },
  dependencies: ['start'],
};

function forEach(config: Json, extra: Json = {}): Json {
  return { id: 'each', type: 'operation', operation: 'forEach', dependencies: ['fetch'], config, ...extra };
}

function flow(...nodes: Json[]): Json {
  return { name: 'fe', nodes: [trigger, fetch, ...nodes] };
}

const body = (nodes: Json[], more: Json = {}): Json => ({
  items: '{{ nodes.fetch.output }}',
  nodes,
  ...more,
});
const log = (id: string, message: string, more: Json = {}): Json => ({
  id,
  type: 'action',
  action: 'log',
  config: { message },
  ...more,
});

const errors = (raw: unknown) => validateDefinition(raw).errors;

describe('forEach validation (DESIGN.md §2.1)', () => {
  it('accepts a body that reads item, index, input, execution, upstream outputs and its own upstream', () => {
    const raw = flow(
      forEach(
        body(
          [
            { id: 'price', type: 'action', action: 'transform', config: { expression: 'item * 2' } },
            log(
              'note',
              '{{ item.id }} #{{ index }} {{ input.x }} {{ execution.id }} {{ nodes.fetch.output }} {{ nodes.price.output }}',
              {
                dependencies: ['price'],
              },
            ),
          ],
          { output: 'price', concurrency: 40, toleratedFailurePercent: 50 },
        ),
      ),
      log('after', '{{ nodes.each.output }}', { dependencies: ['each'] }),
    );
    const result = validateDefinition(raw);
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
    const config = result.definition?.nodes[2]?.config as Json;
    expect(config.concurrency).toBe(40);
  });

  it('points into the body for graph, config and reference errors', () => {
    const raw = flow(
      forEach(
        body([
          log('a', 'x', { dependencies: ['ghost'] }),
          { id: 'b', type: 'action', action: 'nope', config: {} },
          log('c', '{{ nodes.after.output }}'),
        ]),
      ),
      log('after', 'y', { dependencies: ['each'] }),
    );
    const found = errors(raw);
    expect(found).toEqual(
      expect.arrayContaining([
        {
          path: '/nodes/2/config/nodes/0/dependencies/0',
          message: expect.stringContaining('"ghost", which does not exist'),
        },
        { path: '/nodes/2/config/nodes/1/action', message: expect.stringContaining('unknown action "nope"') },
        {
          path: '/nodes/2/config/nodes/2/config/message',
          message: expect.stringContaining('not upstream of forEach "each"'),
        },
      ]),
    );
  });

  it('refuses a cycle inside the body at the closing edge', () => {
    const raw = flow(
      forEach(
        body([log('a', 'x', { dependencies: ['b'] }), log('b', 'y', { dependencies: ['a'] })], {
          output: 'a',
        }),
      ),
    );
    expect(
      errors(raw)
        .map((e) => e.message)
        .join('\n'),
    ).toMatch(/cycle .*a workflow must be a DAG/);
    expect(errors(raw).some((e) => e.path.startsWith('/nodes/2/config/nodes/'))).toBe(true);
  });

  it('keeps body ids unique across the whole definition', () => {
    const raw = flow(forEach(body([log('fetch', 'x')])));
    expect(errors(raw)).toContainEqual({
      path: '/nodes/2/config/nodes/0/id',
      message: 'duplicate node id "fetch" (first used by /nodes/1)',
    });
  });

  it('refuses references to a body node from outside, and item/index outside a body', () => {
    const raw = flow(
      forEach(body([log('inner', 'x')])),
      log('after', '{{ nodes.inner.output }} {{ index }}', { dependencies: ['each'] }),
    );
    const messages = errors(raw)
      .filter((e) => e.path === '/nodes/3/config/message')
      .map((e) => e.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        'template path "nodes.inner.output" reads node "inner", which is inside the body of forEach "each"; read "each"\'s output instead',
        'template path "index": item and index exist only inside a forEach body',
      ]),
    );
    const condition = {
      ...flow(forEach(body([log('inner', 'x')])), log('after', 'y')),
      connections: [{ from: 'each', to: 'after', condition: 'item.ok == true' }],
    };
    expect(errors(condition)).toContainEqual({
      path: '/connections/0/condition',
      message: 'condition path "item.ok": item and index exist only inside a forEach body',
    });
  });

  it('needs output when the body has several sinks, and output must name a body node', () => {
    const twoSinks = flow(forEach(body([log('a', 'x'), log('b', 'y')])));
    expect(errors(twoSinks)).toContainEqual({
      path: '/nodes/2/config/output',
      message:
        'the body of forEach "each" has several sinks ("a", "b"): name the node whose output is collected in "output"',
    });
    const wrong = flow(forEach(body([log('a', 'x')], { output: 'fetch' })));
    expect(errors(wrong)).toContainEqual({
      path: '/nodes/2/config/output',
      message: 'output names node "fetch", which is not in the body of forEach "each"',
    });
  });

  it('checks items, concurrency, tolerance and triggers in the body', () => {
    const raw = flow(
      forEach({
        items: 'orders: {{ nodes.fetch.output }}',
        concurrency: 41,
        toleratedFailures: 1,
        toleratedFailurePercent: 10,
        nodes: [{ id: 't', type: 'trigger', trigger: 'manual' }],
      }),
    );
    const byPath = Object.fromEntries(errors(raw).map((e) => [e.path, e.message]));
    expect(byPath['/nodes/2/config/items']).toMatch(/exactly one template/);
    expect(byPath['/nodes/2/config/concurrency']).toMatch(/<=40/);
    expect(byPath['/nodes/2/config/toleratedFailurePercent']).toMatch(/not both/);
    expect(byPath['/nodes/2/config/nodes/0/type']).toMatch(/no triggers/);
    expect(errors(flow(forEach(body([log('a', 'x')], { concurrency: 0 }))))[0]?.path).toBe(
      '/nodes/2/config/concurrency',
    );
  });

  it('allows nesting up to depth 3 and refuses depth 4', () => {
    const nest = (depth: number, id: string): Json => {
      const inner =
        depth === 1 ? log(`${id}-leaf`, '{{ item }} {{ nodes.fetch.output }}') : nest(depth - 1, `${id}x`);
      return { id, type: 'operation', operation: 'forEach', config: { items: '{{ item }}', nodes: [inner] } };
    };
    const three = flow({
      ...nest(3, 'l'),
      dependencies: ['fetch'],
      config: { items: '{{ nodes.fetch.output }}', nodes: [nest(2, 'm')] },
    });
    expect(errors(three)).toEqual([]);
    const four = flow({
      ...nest(4, 'l'),
      dependencies: ['fetch'],
      config: { items: '{{ nodes.fetch.output }}', nodes: [nest(3, 'm')] },
    });
    expect(errors(four)).toContainEqual({
      path: '/nodes/2/config/nodes/0/config/nodes/0/config/nodes/0/operation',
      message: expect.stringContaining('nests at most 3 levels'),
    });
  });

  it('a nested body sees the outer body upstream and the top-level upstream', () => {
    const raw = flow(
      forEach(
        body(
          [
            log('first', '{{ item }}'),
            {
              id: 'inner',
              type: 'operation',
              operation: 'forEach',
              dependencies: ['first'],
              config: {
                items: '{{ item.lines }}',
                nodes: [log('leaf', '{{ nodes.first.output }} {{ nodes.fetch.output }} {{ item }}')],
              },
            },
          ],
          { output: 'inner' },
        ),
      ),
    );
    expect(errors(raw)).toEqual([]);
  });
});

describe('subflow validation (DESIGN.md §2.1)', () => {
  const subflow = (config: Json): Json => ({
    id: 'child',
    type: 'operation',
    operation: 'subflow',
    dependencies: ['fetch'],
    config,
  });

  it('accepts flowId, version, input with templates and wait', () => {
    const raw = flow(
      subflow({ flowId: 'f1', version: 2, input: { x: '{{ nodes.fetch.output }}' }, wait: false }),
    );
    expect(errors(raw)).toEqual([]);
  });

  it('names the bad fields', () => {
    const raw = flow(
      subflow({ version: 0, wait: 'yes', other: 1, input: { y: '{{ nodes.nobody.output }}' } }),
    );
    const byPath = Object.fromEntries(errors(raw).map((e) => [e.path, e.message]));
    expect(Object.keys(byPath)).toEqual(
      expect.arrayContaining([
        '/nodes/2/config/flowId',
        '/nodes/2/config/version',
        '/nodes/2/config/wait',
        '/nodes/2/config/other',
        '/nodes/2/config/input/y',
      ]),
    );
  });

  it('refuses machineType express with a subflow that waits, naming it; one that does not wait may run in Express', () => {
    const waiting = { ...flow(subflow({ flowId: 'f1', version: 1 })), machineType: 'express' };
    const refused = errors(waiting);
    expect(refused).toHaveLength(1);
    expect(refused[0]?.message).toContain('child');
    const fireAndForget = {
      ...flow(subflow({ flowId: 'f1', version: 1, wait: false })),
      machineType: 'express',
    };
    expect(errors(fireAndForget)).toEqual([]);
  });
});
