import { afterAll, describe, expect, it } from 'vitest';
import type { TaskPayload } from '../../../lib/actions/action.ts';
import { compile } from '../../../lib/compiler/compile.ts';
import type { WorkflowDefinitionInput } from '../../../lib/workflow/definition-schema.ts';
import { AslCollector } from './asl-check.ts';
import { definition, TEST_CONTEXT } from './fixtures.ts';
import { namedError, type RunAslOptions, runAsl } from './run-asl.ts';

// Execution tests: compiled machines run in aws-local-stepfunctions, one per semantic rule of
// DESIGN.md §2. Waits run at 1 ms per second (run-asl.ts), so nothing sleeps for real.

const collector = new AslCollector();
afterAll(() => {
  expect(collector.validate()).toEqual([]);
});

type Nodes = WorkflowDefinitionInput['nodes'];

function build(nodes: Nodes, connections: WorkflowDefinitionInput['connections'] = []) {
  const result = compile(definition({ name: 'test', nodes, connections }), TEST_CONTEXT);
  collector.add(result.asl);
  return result;
}

async function run(
  nodes: Nodes,
  connections: WorkflowDefinitionInput['connections'],
  options: RunAslOptions,
) {
  const { asl, report } = build(nodes, connections);
  return { ...(await runAsl(asl, options)), asl, report };
}

const echo = (p: TaskPayload) => ({ node: p.nodeId, config: p.config });
const log = (id: string, deps: string[] = [], extra: Record<string, unknown> = {}) =>
  ({
    id,
    type: 'action',
    action: 'log',
    config: { message: id },
    dependencies: deps,
    ...extra,
  }) as Nodes[number];
const trigger = (id: string) => ({ id, type: 'trigger', trigger: 'manual' }) as Nodes[number];

function entered(events: Awaited<ReturnType<typeof runAsl>>['events']): string[] {
  return events.filter((e) => e.type === 'StateEntered').map((e) => e.name as string);
}

describe('order and outputs', () => {
  it('runs a chain in order, resolves templates with their types and records outputs', async () => {
    const result = await run(
      [
        trigger('start'),
        {
          id: 'fetch',
          type: 'action',
          action: 'http',
          config: {
            url: 'https://x/{{ input.id }}',
            id: '{{ input.id }}',
            raw: "it's {literal} {{ input.name }}",
          },
          dependencies: ['start'],
        },
        {
          id: 'shape',
          type: 'operation',
          operation: 'set',
          config: {
            values: {
              whole: '{{ nodes.fetch.output.config }}',
              text: 'n={{ nodes.fetch.output.config.id }}',
              fixed: 3,
            },
          },
          dependencies: ['fetch'],
        },
        log('last', ['shape']),
      ],
      [],
      { input: { id: 42, name: 'Zoë' }, handlers: { http: echo, log: echo } },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(result.nodes.start).toEqual({ status: 'succeeded', output: { id: 42, name: 'Zoë' } });
    const fetchConfig = { url: 'https://x/42', id: 42, raw: "it's {literal} Zoë" };
    expect(result.nodes.fetch).toEqual({
      status: 'succeeded',
      output: { node: 'fetch', config: fetchConfig },
    });
    expect(result.nodes.shape).toEqual({
      status: 'succeeded',
      output: { whole: fetchConfig, text: 'n=42', fixed: 3 },
    });
    expect(result.calls.map((c) => [c.nodeId, c.action, c.attempt])).toEqual([
      ['fetch', 'http', 1],
      ['last', 'log', 1],
    ]);
    expect(result.calls[0]?.execution.id).toBe('exec-1');
    // A chain needs no guard after its first node: one transition per action node.
    expect(entered(result.events)).toEqual([':start', 'start:guard', 'start', 'fetch', 'shape', 'last']);
    const timing = (name: string) => result.timing.get(name) as { entered: number; exited: number };
    expect(timing('fetch').exited).toBeLessThanOrEqual(timing('last').entered);
  });

  it('runs independent branches in a Parallel and merges every branch record', async () => {
    const result = await run(
      [trigger('t'), log('a', ['t']), log('b', ['t']), log('c', ['t']), log('join', ['a', 'b', 'c'])],
      [],
      {
        handlers: {
          log: async (p) => {
            await new Promise((r) => setTimeout(r, 20));
            return { message: p.nodeId };
          },
        },
      },
    );
    expect(result.status).toBe('SUCCEEDED');
    for (const id of ['a', 'b', 'c', 'join'])
      expect(result.nodes[id]).toEqual({ status: 'succeeded', output: { message: id } });
    const timing = (name: string) => result.timing.get(name) as { entered: number; exited: number };
    // a, b and c overlap; join starts after all three ended.
    expect(Math.max(timing('a').entered, timing('b').entered, timing('c').entered)).toBeLessThan(
      Math.min(timing('a').exited, timing('b').exited, timing('c').exited),
    );
    expect(timing('join').entered).toBeGreaterThanOrEqual(
      Math.max(timing('a').exited, timing('b').exited, timing('c').exited),
    );
    expect(Object.keys(result.asl.States)).toContain(':p1');
  });

  it('adds the fewest ordering edges for a DAG that is not series-parallel and still respects every dependency', async () => {
    const result = await run(
      [trigger('t'), log('a', ['t']), log('b', ['t']), log('c', ['a']), log('d', ['a', 'b'])],
      [],
      { handlers: { log: echo } },
    );
    expect(result.report.addedEdges).toHaveLength(1);
    expect(result.status).toBe('SUCCEEDED');
    const timing = (name: string) => result.timing.get(name) as { entered: number; exited: number };
    for (const [from, to] of [
      ['a', 'c'],
      ['a', 'd'],
      ['b', 'd'],
    ] as const) {
      expect(timing(from).exited).toBeLessThanOrEqual(timing(to).entered);
    }
  });
});

describe('conditions, skips and joins', () => {
  const nodes: Nodes = [trigger('t'), log('check', ['t']), log('big'), log('small'), log('after', ['big'])];
  const connections = [
    { from: 'check', to: 'big', condition: 'nodes.check.output.n > 10' },
    { from: 'check', to: 'small', condition: '!(nodes.check.output.n > 10)' },
  ];

  it('takes the edge whose condition holds and skips the other branch and everything after it', async () => {
    const result = await run(nodes, connections, {
      handlers: { log: (p) => (p.nodeId === 'check' ? { n: 3 } : { ok: true }) },
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.nodes.big).toEqual({ status: 'skipped' });
    expect(result.nodes.after).toEqual({ status: 'skipped' });
    expect(result.nodes.small?.status).toBe('succeeded');
    expect(result.calls.map((c) => c.nodeId).sort()).toEqual(['check', 'small']);
  });

  it('treats a missing path or a type mismatch as false (and its negation as true)', async () => {
    const result = await run(nodes, connections, {
      handlers: { log: (p) => (p.nodeId === 'check' ? { n: 'eleven' } : {}) },
    });
    expect(result.nodes.big).toEqual({ status: 'skipped' });
    expect(result.nodes.small?.status).toBe('succeeded');
  });

  it('join any runs when one source is taken, join all only when every one is', async () => {
    const result = await run(
      [
        trigger('t'),
        log('a', ['t']),
        log('b', ['t']),
        log('any', [], { join: 'any' }),
        log('all', [], { join: 'all' }),
      ],
      [
        { from: 'a', to: 'any', condition: 'nodes.a.output.go == true' },
        { from: 'b', to: 'any', condition: 'nodes.b.output.go == true' },
        { from: 'a', to: 'all', condition: 'nodes.a.output.go == true' },
        { from: 'b', to: 'all', condition: 'nodes.b.output.go == true' },
      ],
      { handlers: { log: (p) => ({ go: p.nodeId === 'a' }) } },
    );
    expect(result.nodes.any?.status).toBe('succeeded');
    expect(result.nodes.all).toEqual({ status: 'skipped' });
  });

  it('fires only the trigger named by the run, and every trigger when none is named', async () => {
    const nodes: Nodes = [
      { id: 'hook', type: 'trigger', trigger: 'webhook' },
      { id: 'cron', type: 'trigger', trigger: 'schedule' },
      log('either', ['hook', 'cron'], { join: 'any' }),
      log('both', ['hook', 'cron']),
    ];
    const one = await run(nodes, [], {
      input: { x: 1 },
      execution: { trigger: { id: 'hook', type: 'webhook' } },
      handlers: { log: echo },
    });
    expect(one.nodes.hook).toEqual({ status: 'succeeded', output: { x: 1 } });
    expect(one.nodes.cron).toEqual({ status: 'skipped' });
    expect(one.nodes.either?.status).toBe('succeeded');
    expect(one.nodes.both).toEqual({ status: 'skipped' });
    const all = await run(nodes, [], { handlers: { log: echo } });
    expect(all.nodes.cron?.status).toBe('succeeded');
    expect(all.nodes.both?.status).toBe('succeeded');
  });
});

describe('errors', () => {
  it('continue: records the error, takes error and always edges, skips success edges', async () => {
    const result = await run(
      [trigger('t'), log('risky', ['t']), log('onOk'), log('onErr'), log('anyway')],
      [
        { from: 'risky', to: 'onOk' },
        { from: 'risky', to: 'onErr', on: 'error' },
        { from: 'risky', to: 'anyway', on: 'always' },
      ],
      {
        handlers: {
          log: (p) => {
            if (p.nodeId === 'risky') throw namedError('Boom', 'it broke');
            return {};
          },
        },
      },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(result.nodes.risky).toEqual({ status: 'failed', error: { error: 'Boom', cause: 'it broke' } });
    expect(result.nodes.onOk).toEqual({ status: 'skipped' });
    expect(result.nodes.onErr?.status).toBe('succeeded');
    expect(result.nodes.anyway?.status).toBe('succeeded');
  });

  it('fail: runs compensations of succeeded nodes in reverse order, then fails with the original error', async () => {
    const compensate = (action = 'log') => ({ action, config: { undo: '{{ nodes.a.output.id }}' } });
    const result = await run(
      [
        trigger('t'),
        log('a', ['t'], { compensate: compensate() }),
        log('b', ['a'], { compensate: compensate() }),
        log('skipped', ['b'], { compensate: compensate() }),
        log('c', ['b']),
        log('d', ['c']),
      ],
      [{ from: 'b', to: 'skipped', condition: 'false' }],
      {
        handlers: {
          log: (p) => {
            if (p.nodeId === 'c') throw namedError('Http5xx', 'server said no');
            return { id: `${p.nodeId}-1` };
          },
        },
      },
    );
    expect(result.status).toBe('FAILED');
    expect(result.error).toEqual({ error: 'Http5xx', cause: 'server said no' });
    const compensations = result.calls.filter((c) => c.config.undo !== undefined);
    expect(compensations.map((c) => c.nodeId)).toEqual(['b', 'a']);
    expect(compensations[0]?.config).toEqual({ undo: 'a-1' });
    expect(result.nodes.c).toEqual({
      status: 'failed',
      error: { error: 'Http5xx', cause: 'server said no' },
    });
    expect(result.nodes.d).toEqual({ status: 'skipped' });
    expect(result.nodes.skipped).toEqual({ status: 'skipped' });
    expect(result.nodes.a?.status).toBe('succeeded');
  });

  it('a fatal failure inside a Parallel keeps the other branches, skips what follows and compensates', async () => {
    const result = await run(
      [
        trigger('t'),
        log('left1', ['t'], { compensate: { action: 'log', config: { undo: 'left1' } } }),
        log('left2', ['left1']),
        log('left3', ['left2']),
        log('right1', ['t'], { compensate: { action: 'log', config: { undo: 'right1' } } }),
        log('right2', ['right1']),
        log('after', ['left3', 'right2']),
      ],
      [],
      {
        handlers: {
          log: async (p) => {
            if (p.nodeId === 'left2') throw namedError('Broken', 'left2 broke');
            if (p.nodeId.startsWith('right')) await new Promise((r) => setTimeout(r, 30));
            return { ok: p.nodeId };
          },
        },
      },
    );
    expect(result.status).toBe('FAILED');
    expect(result.error).toEqual({ error: 'Broken', cause: 'left2 broke' });
    expect(result.nodes.left2?.status).toBe('failed');
    expect(result.nodes.left3).toEqual({ status: 'skipped' });
    expect(result.nodes.right2?.status).toBe('succeeded');
    expect(result.nodes.after).toEqual({ status: 'skipped' });
    const undone = result.calls.filter((c) => c.config.undo !== undefined).map((c) => c.config.undo);
    expect(undone.sort()).toEqual(['left1', 'right1']);
  });

  it('a fatal failure in a Parallel that ends a branch reaches the outer join without a check of its own', async () => {
    const result = await run(
      [
        trigger('t'),
        log('l1', ['t']),
        log('l2', ['l1']),
        log('l3', ['l1']),
        log('r1', ['t']),
        log('after', ['l2', 'l3', 'r1']),
      ],
      [],
      {
        handlers: {
          log: async (p) => {
            if (p.nodeId === 'l2') throw namedError('Broken', 'l2 broke');
            if (p.nodeId === 'r1') await new Promise((r) => setTimeout(r, 30));
            return { ok: p.nodeId };
          },
        },
      },
    );
    // The inner Parallel (l2, l3) is the last part of its branch: it ends the branch either way.
    expect(Object.keys(result.asl.States).filter((name) => name.endsWith('?'))).toEqual([':p1?']);
    expect(JSON.stringify(result.asl)).toContain('":p2":');
    expect(JSON.stringify(result.asl)).not.toContain('":p2?"');
    expect(result.status).toBe('FAILED');
    expect(result.error).toEqual({ error: 'Broken', cause: 'l2 broke' });
    expect(result.nodes.l2?.status).toBe('failed');
    expect(result.nodes.l3?.status).toBe('succeeded');
    expect(result.nodes.r1?.status).toBe('succeeded');
    expect(result.nodes.after).toEqual({ status: 'skipped' });
  });

  it('a fatal failure before a branch writes the slot its join takes fails with the node error', async () => {
    // Nested joins: the join after n4's branch takes a slot from it that n4 never wrote; the join
    // before must have left that slot in the state (as {}), or the join fails with States.Runtime.
    const reads = (id: string, deps: string[]) =>
      log(id, deps, { config: { message: `{{ nodes.${deps[0]}.output.m }}` } });
    const result = await run(
      [
        log('n0'),
        reads('n1', ['n0']),
        reads('n2', ['n1']),
        reads('n3', ['n0']),
        reads('n4', ['n1', 'n3']),
        reads('n5', ['n2', 'n4']),
        reads('n6', ['n5']),
        reads('n7', ['n4', 'n6']),
        reads('n8', ['n7']),
      ],
      [],
      {
        handlers: {
          log: (p) => {
            if (p.nodeId === 'n4') throw namedError('Boom', 'n4 broke');
            return { m: p.nodeId };
          },
        },
      },
    );
    expect(result.status).toBe('FAILED');
    expect(result.error).toEqual({ error: 'Boom', cause: 'n4 broke' });
    expect(result.nodes.n4?.status).toBe('failed');
    expect(result.nodes.n8).toEqual({ status: 'skipped' });
  });

  it('a fail operation fails the run with its error and cause', async () => {
    const result = await run(
      [
        trigger('t'),
        {
          id: 'stop',
          type: 'operation',
          operation: 'fail',
          config: { error: 'NoStock', cause: 'item {{ input.sku }} gone' },
          dependencies: ['t'],
        },
      ],
      [],
      { input: { sku: 'A-1' } },
    );
    expect(result.status).toBe('FAILED');
    expect(result.error).toEqual({ error: 'NoStock', cause: 'item A-1 gone' });
    expect(result.nodes.stop).toEqual({
      status: 'failed',
      error: { error: 'NoStock', cause: 'item A-1 gone' },
    });
  });

  it('times out a Task after timeoutSeconds (States.Timeout)', async () => {
    const result = await run(
      [trigger('t'), log('slow', ['t'], { timeoutSeconds: 20, onError: 'continue' })],
      [],
      { msPerSecond: 2, handlers: { log: () => new Promise((r) => setTimeout(() => r({}), 200)) } },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(result.nodes.slow?.status).toBe('failed');
    expect(result.nodes.slow?.error?.error).toBe('States.Timeout');
    expect(result.asl.States.slow?.TimeoutSeconds).toBe(20);
  });
});

describe('retries', () => {
  const cases = [
    ['linear', { strategy: 'linear', maxAttempts: 4, delaySeconds: 2 }, [2, 4, 6]],
    [
      'fibonacci',
      { strategy: 'fibonacci', maxAttempts: 6, delaySeconds: 3, maxDelaySeconds: 10 },
      [3, 3, 6, 9, 10],
    ],
    [
      'exponential',
      { strategy: 'exponential', maxAttempts: 5, delaySeconds: 1, maxDelaySeconds: 5 },
      [1, 2, 4, 5],
    ],
    ['fixed', { strategy: 'fixed', maxAttempts: 3, delaySeconds: 7 }, [7, 7]],
  ] as const;
  for (const [name, retry, delays] of cases) {
    it(`${name}: waits exactly ${delays.join(', ')} s between attempts and sends the attempt number`, async () => {
      const result = await run([trigger('t'), log('flaky', ['t'], { retry, onError: 'continue' })], [], {
        handlers: {
          log: () => {
            throw namedError('HttpTimeout');
          },
        },
      });
      expect(result.waits.filter((w) => w.name === 'flaky:retry-wait').map((w) => w.seconds)).toEqual([
        ...delays,
      ]);
      expect(result.calls.map((c) => c.attempt)).toEqual(
        Array.from({ length: retry.maxAttempts }, (_, i) => i + 1),
      );
      expect(result.nodes.flaky?.status).toBe('failed');
      expect(result.nodes.flaky?.error?.error).toBe('HttpTimeout');
    });
  }

  it('stops retrying on success and records the output; errors outside retryOn are not retried', async () => {
    let calls = 0;
    const result = await run(
      [
        trigger('t'),
        log('flaky', ['t'], { retry: { strategy: 'linear', maxAttempts: 5, delaySeconds: 1 } }),
        log('picky', ['t'], {
          retry: { strategy: 'fixed', maxAttempts: 5, delaySeconds: 1, retryOn: ['Only'] },
          onError: 'continue',
        }),
      ],
      [],
      {
        handlers: {
          log: (p) => {
            if (p.nodeId === 'picky') throw namedError('Other');
            calls++;
            if (calls < 3) throw namedError('Http5xx');
            return { attempt: p.attempt };
          },
        },
      },
    );
    expect(result.status).toBe('SUCCEEDED');
    const { attempts, ...flaky } = result.nodes.flaky ?? {};
    expect(flaky).toEqual({ status: 'succeeded', output: { attempt: 3 } });
    expect(attempts?.map((a) => a.error?.error)).toEqual(['Http5xx', 'Http5xx', undefined]);
    expect(result.calls.filter((c) => c.nodeId === 'picky')).toHaveLength(1);
    expect(result.nodes.picky?.attempts).toBeUndefined();
    expect(result.nodes.picky?.error?.error).toBe('Other');
  });

  it('jitter waits a whole number of seconds between 0 and the delay', async () => {
    const result = await run(
      [
        trigger('t'),
        log('j', ['t'], {
          retry: { strategy: 'exponential', maxAttempts: 5, delaySeconds: 2, jitter: true },
          onError: 'continue',
        }),
      ],
      [],
      {
        handlers: {
          log: () => {
            throw namedError('Http429');
          },
        },
      },
    );
    const waits = result.waits.map((w) => w.seconds);
    expect(waits).toHaveLength(4);
    waits.forEach((w, i) => {
      expect(Number.isInteger(w)).toBe(true);
      expect(w).toBeGreaterThanOrEqual(0);
      expect(w).toBeLessThanOrEqual(2 * 2 ** i);
    });
  });
});

describe('operations', () => {
  it('delay waits its seconds or until a timestamp (literal or from a path); noop passes', async () => {
    const result = await run(
      [
        trigger('t'),
        { id: 'pause', type: 'operation', operation: 'delay', config: { seconds: 30 }, dependencies: ['t'] },
        {
          id: 'untilLit',
          type: 'operation',
          operation: 'delay',
          config: { until: '2020-01-01T00:00:00Z' },
          dependencies: ['pause'],
        },
        {
          id: 'untilPath',
          type: 'operation',
          operation: 'delay',
          config: { until: '{{ input.at }}' },
          dependencies: ['untilLit'],
        },
        {
          id: 'untilMixed',
          type: 'operation',
          operation: 'delay',
          config: { until: '{{ input.day }}T00:00:00Z' },
          dependencies: ['untilPath'],
        },
        { id: 'nothing', type: 'operation', operation: 'noop', dependencies: ['untilMixed'] },
      ],
      [],
      { input: { at: '2020-01-01T00:00:00Z', day: '2020-01-02' } },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(result.waits.map((w) => [w.name, w.seconds])).toEqual([
      ['pause', 30],
      ['untilLit', 0],
      ['untilPath', 0],
      ['untilMixed', 0],
    ]);
    for (const id of ['pause', 'untilLit', 'untilPath', 'untilMixed', 'nothing']) {
      expect(result.nodes[id]).toEqual({ status: 'succeeded' });
    }
    expect(result.asl.States.untilLit).toMatchObject({ Type: 'Wait', Timestamp: '2020-01-01T00:00:00Z' });
    expect(result.asl.States.untilPath).toMatchObject({ Type: 'Wait', TimestampPath: '$.input.at' });
    expect(result.report.stateMachineType).toBe('STANDARD');
  });

  it('works with node ids that need bracket paths', async () => {
    const result = await run(
      [
        trigger('the-trigger'),
        log('fetch-1', ['the-trigger'], { config: { m: 'v={{ nodes.the-trigger.output.v }}' } }),
        log('use-it', ['fetch-1']),
      ],
      [{ from: 'fetch-1', to: 'use-it', condition: 'nodes.fetch-1.output.config.m == "v=5"' }],
      { input: { v: 5 }, handlers: { log: echo } },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(result.nodes['fetch-1']?.output).toEqual({ node: 'fetch-1', config: { m: 'v=5' } });
    expect(result.nodes['use-it']?.status).toBe('succeeded');
  });
});
