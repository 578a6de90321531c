import { afterAll, describe, expect, it } from 'vitest';
import type { TaskPayload } from '../../../lib/actions/action.ts';
import { compile } from '../../../lib/compiler/compile.ts';
import { expressionReads } from '../../../lib/compiler/record-readers.ts';
import { planSlots, rewriteRecordPaths } from '../../../lib/compiler/state-slots.ts';
import type { Structure } from '../../../lib/compiler/structure.ts';
import type { WorkflowDefinitionInput } from '../../../lib/workflow/definition-schema.ts';
import { AslCollector } from './asl-check.ts';
import { definition, TEST_CONTEXT } from './fixtures.ts';
import { runAsl } from './run-asl.ts';

// The state carries only what later states read (STATE-DESIGN §2, lib/compiler/state-slots.ts).

const collector = new AslCollector();
afterAll(() => {
  expect(collector.validate()).toEqual([]);
});

type Nodes = WorkflowDefinitionInput['nodes'];
const log = (id: string, deps: string[], message = id) =>
  ({ id, type: 'action', action: 'log', config: { message }, dependencies: deps }) as Nodes[number];
const build = (nodes: Nodes) => {
  const result = compile(definition({ name: 'slots', nodes }), TEST_CONTEXT);
  collector.add(result.asl);
  return result;
};
const echo = (p: TaskPayload) => ({ message: p.config.message });

function largestState(events: Awaited<ReturnType<typeof runAsl>>['events']): number {
  return Math.max(...events.map((e) => JSON.stringify(e.input ?? null).length));
}

function intrinsicsPerField(value: unknown): number {
  if (typeof value === 'string') return (value.match(/States\.[A-Za-z0-9]+\(/g) ?? []).length;
  if (Array.isArray(value)) return Math.max(0, ...value.map(intrinsicsPerField));
  if (value !== null && typeof value === 'object')
    return Math.max(0, ...Object.values(value).map(intrinsicsPerField));
  return 0;
}

function fanOut(k: number): Nodes {
  return [
    log('root', []),
    ...Array.from({ length: k }, (_, i) => log(`b${i}`, ['root'], `{{ nodes.root.output.message }}-${i}`)),
    log(
      'join',
      Array.from({ length: k }, (_, i) => `b${i}`),
      Array.from({ length: k }, (_, i) => `{{ nodes.b${i}.output.message }}`).join(','),
    ),
  ];
}

describe('state slots', () => {
  it('keeps a chain that reads its predecessor in one slot, however long', async () => {
    const chain = (n: number): Nodes =>
      Array.from({ length: n }, (_, i) =>
        log(`n${i}`, i === 0 ? [] : [`n${i - 1}`], i === 0 ? 'x' : `{{ nodes.n${i - 1}.output.message }}+`),
      );
    const short = build(chain(5));
    const long = build(chain(60));
    const start = (asl: typeof short.asl) =>
      Object.keys((asl.States[':start'] as { Parameters: object }).Parameters).filter((k) =>
        k.startsWith('nodes'),
      );
    // Each node reads its predecessor's record and then replaces it in the same slot.
    expect(start(short.asl)).toEqual(['nodes']);
    expect(start(long.asl)).toEqual(['nodes']);
    const a = await runAsl(short.asl, { handlers: { log: echo } });
    const b = await runAsl(long.asl, { handlers: { log: echo } });
    expect(b.status).toBe('SUCCEEDED');
    expect(b.nodes.n59).toEqual({ status: 'succeeded', output: { message: `x${'+'.repeat(59)}` } });
    // Every record reached the event log, and no state grew with the chain.
    expect(Object.keys(b.nodes)).toHaveLength(60);
    expect(largestState(b.events)).toBeLessThan(largestState(a.events) + 200);
    expect(b.output).not.toHaveProperty('nodes.n0');
  });

  it('compiles 12- and 40-way fan-outs with no field over 10 intrinsic functions, and joins every branch', async () => {
    for (const k of [12, 40]) {
      const { asl } = build(fanOut(k));
      expect(intrinsicsPerField(asl)).toBeLessThanOrEqual(10);
      const result = await runAsl(asl, { handlers: { log: echo } });
      expect(result.status).toBe('SUCCEEDED');
      expect(result.nodes.join?.output).toEqual({
        message: Array.from({ length: k }, (_, i) => `root-${i}`).join(','),
      });
    }
  });

  it('returns from a Parallel only the branch records read after the join', () => {
    const { asl } = build([
      log('a', []),
      log('b', ['a']),
      log('c', ['a']),
      log('d', ['b', 'c'], '{{ nodes.b.output.message }}'),
    ]);
    const parallel = asl.States[':p1'] as { ResultSelector: Record<string, unknown> };
    const taken = Object.entries(parallel.ResultSelector).filter(
      ([k]) => k.startsWith('nodes') && k.endsWith('.$'),
    );
    expect(taken).toHaveLength(1);
    const [key, path] = taken[0] as [string, string];
    // `b` runs in the first branch; its slot is taken from that branch's copy, `c`'s is dropped.
    expect(path).toBe(`$[0].${key.slice(0, -2)}`);
  });

  it('passes a record that entered a Parallel through the joins of its first branch only', () => {
    // a, { [c {d1 | d2} e] | [f {g1 | g2} h] }, z — z reads a (planned without parking).
    const node = (id: string): Structure => ({ kind: 'node', id });
    const inner = (x: string, y1: string, y2: string, w: string): Structure => ({
      kind: 'series',
      items: [node(x), { kind: 'parallel', branches: [node(y1), node(y2)] }, node(w)],
    });
    const left = inner('c', 'd1', 'd2', 'e');
    const right = inner('f', 'g1', 'g2', 'h');
    const outer: Structure = { kind: 'parallel', branches: [left, right] };
    const tree: Structure = { kind: 'series', items: [node('a'), outer, node('z')] };
    const plan = planSlots(tree, (id) => (id === 'a' ? ['z'] : []));
    const slotOfA = plan.slotOf.get('a') as number;
    const listsA = (s: Structure) => (plan.joins.get(s) ?? []).some((j) => j.slot === slotOfA);
    const innerOf = (s: Structure) => (s as { items: Structure[] }).items[1] as Structure;
    // The outer join takes `a` from branch 0; the other branch's inner join drops it.
    expect(plan.joins.get(outer)).toContainEqual({ slot: slotOfA, branch: 0 });
    expect([listsA(innerOf(left)), listsA(innerOf(right))]).toEqual([true, false]);
    expect(plan.parked.size).toBe(0);
  });

  it('parks a record that would pass several joins: one slot, added to, passes every join', async () => {
    const nodes: Nodes = [
      log('a', []),
      log('b1', ['a']),
      log('b2', ['a']),
      log('c', ['b1', 'b2']),
      log('d1', ['c']),
      log('d2', ['c']),
      log('e', ['d1', 'd2'], '{{ nodes.a.output.message }}+{{ nodes.d2.output.message }}'),
    ];
    const { asl } = build(nodes);
    const slotOfA = /\$\.(nodes\d*)\.a\./.exec(JSON.stringify(asl.States.e))?.[1] as string;
    // `a` is added to its slot (the parking slot) rather than replacing it.
    expect((asl.States.a as { ResultPath: string }).ResultPath).toBe(`$.${slotOfA}.a`);
    const joins = Object.values(asl.States).filter(
      (s) => (s as { Type: string }).Type === 'Parallel',
    ) as Array<{
      ResultSelector: Record<string, unknown>;
    }>;
    expect(joins).toHaveLength(2);
    for (const join of joins) expect(join.ResultSelector[`${slotOfA}.$`]).toBe(`$[0].${slotOfA}`);
    const result = await runAsl(asl, { handlers: { log: echo } });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.nodes.e?.output).toEqual({ message: 'a+d2' });
  });

  it('lets a fatal top-level Task drop the state in its Catch when no compensation reads a record', async () => {
    const nodes: Nodes = [log('a', []), log('b', ['a'], '{{ nodes.a.output.message }}'), log('c', ['b'])];
    const failing = (p: TaskPayload) => {
      if (p.nodeId === 'b') throw Object.assign(new Error('no luck'), { name: 'Boom' });
      return echo(p);
    };
    const bare = build(nodes).asl;
    expect((bare.States.b as { Catch: unknown[] }).Catch).toEqual([
      { ErrorEquals: ['States.ALL'], Next: ':err' },
    ]);
    const result = await runAsl(bare, { handlers: { log: failing } });
    expect(result.status).toBe('FAILED');
    expect(result.error).toMatchObject({ error: 'Boom', cause: expect.stringContaining('no luck') });
    expect(result.nodes.b).toMatchObject({ status: 'failed', error: { error: 'Boom' } });
    expect(result.nodes.c?.status).toBe('skipped');
    // A compensation reads records on the failure path: the Catch keeps the state.
    const kept = build([
      { ...log('a', []), compensate: { action: 'log', config: { message: 'undo' } } } as Nodes[number],
      ...nodes.slice(1),
    ]).asl;
    expect((kept.States.b as { Catch: unknown[] }).Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.run.failed', Next: ':fail' },
    ]);
    expect(kept.States[':err']).toBeUndefined();
  });

  it('rewrites record paths to their slot, but not quoted text or context paths', () => {
    const slots = new Map([
      ['a', 2],
      ['my-node', 1],
      ['z', 0],
    ]);
    const rewritten = rewriteRecordPaths(
      {
        'x.$': "States.Format('$.nodes.a is {}', $.nodes.a.output.v)",
        Variable: "$.nodes['my-node'].status",
        'y.$': '$$.nodes.a',
        'z.$': '$.nodes.z.output',
        Result: { text: '$.nodes.a' },
      },
      slots,
    );
    expect(rewritten).toEqual({
      'x.$': "States.Format('$.nodes.a is {}', $.nodes2.a.output.v)",
      Variable: "$.nodes1['my-node'].status",
      'y.$': '$$.nodes.a',
      'z.$': '$.nodes.z.output',
      Result: { text: '$.nodes.a' },
    });
  });

  it('finds the nodes a transform expression names, and falls back to all for other uses', () => {
    expect(expressionReads('nodes.fetch.output.body.items[price > 10]')).toEqual(new Set(['fetch']));
    expect(expressionReads('$sum(nodes.`my-node`.output.x) + nodes . b.output')).toEqual(
      new Set(['my-node', 'b']),
    );
    expect(expressionReads('input.x * 2')).toEqual(new Set());
    expect(expressionReads('$keys(nodes)')).toBe('all');
    expect(expressionReads('nodes.*.output')).toBe('all');
    expect(expressionReads('$$.nodes.a')).toBe('all');
  });

  it('gives a transform only the upstream records its expression names', async () => {
    const { asl } = build([
      log('a', []),
      log('b', ['a']),
      {
        id: 't',
        type: 'action',
        action: 'transform',
        config: { expression: 'nodes.a.output.message' },
        dependencies: ['b'],
      },
    ]);
    const result = await runAsl(asl, {
      handlers: { log: echo, transform: (p) => Object.keys((p.config.data as { nodes: object }).nodes) },
    });
    expect(result.nodes.t?.output).toEqual(['a']);
  });
});
