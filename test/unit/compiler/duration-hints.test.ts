import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../../lib/compiler/compile.ts';
import type { AslDefinition } from '../../../lib/compiler/types.ts';
import { definitionSchema, type WorkflowDefinitionInput } from '../../../lib/workflow/definition-schema.ts';
import { definition, TEST_CONTEXT } from './fixtures.ts';
import { runAsl } from './run-asl.ts';

type Nodes = WorkflowDefinitionInput['nodes'];
const log = (id: string, deps: string[] = []) =>
  ({ id, type: 'action', action: 'log', config: { message: id }, dependencies: deps }) as Nodes[number];

// An N: a→c, a→d, b→d. It becomes series-parallel with one added edge; which one depends on
// the durations.
const nShape = definition({ name: 'n', nodes: [log('a'), log('b'), log('c', ['a']), log('d', ['a', 'b'])] });
const original = [
  { from: 'a', to: 'c' },
  { from: 'a', to: 'd' },
  { from: 'b', to: 'd' },
];
// Measured: b and c are slow. (a|b);(c|d) would wait for b before c starts: 100 + 100 ms;
// a;(c|b;d) lets c run beside b;d: 1 + 101 ms (the ideal critical path is 101 ms).
const hints = { a: 1, b: 100, c: 100, d: 1 };

/** Longest path (ms) over the original edges and the added ones, under `hints`. */
function criticalPath(edges: Array<{ from: string; to: string }>): number {
  const finish = new Map<string, number>();
  const at = (id: string): number => {
    const known = finish.get(id);
    if (known !== undefined) return known;
    const parents = edges.filter((e) => e.to === id).map((e) => at(e.from));
    const value = Math.max(0, ...parents) + hints[id as keyof typeof hints];
    finish.set(id, value);
    return value;
  };
  return Math.max(...Object.keys(hints).map(at));
}

/** Every state by name, Parallel branches included. */
function allStates(states: AslDefinition['States']): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const [name, state] of Object.entries(states)) {
    out.set(name, state);
    const branches = (state.Branches as Array<{ States: AslDefinition['States'] }> | undefined) ?? [];
    for (const branch of branches) for (const [n, s] of allStates(branch.States)) out.set(n, s);
  }
  return out;
}

describe('compile with duration hints', () => {
  it('chooses the cut of an N-shape with the shorter critical path under the measured durations', () => {
    const plain = compile(nShape, TEST_CONTEXT);
    const hinted = compile(nShape, { ...TEST_CONTEXT, durationHints: hints });
    // Without hints every action weighs the same: (a|b);(c|d) keeps the critical path at 2 nodes.
    expect(plain.report.addedEdges).toEqual([{ from: 'b', to: 'c' }]);
    expect(hinted.report.addedEdges).toEqual([{ from: 'a', to: 'b' }]);
    expect(criticalPath([...original, ...plain.report.addedEdges])).toBe(200);
    expect(criticalPath([...original, ...hinted.report.addedEdges])).toBe(102);
    // Deterministic: the same hints give the same bytes.
    expect(JSON.stringify(compile(nShape, { ...TEST_CONTEXT, durationHints: { ...hints } }).asl)).toBe(
      JSON.stringify(hinted.asl),
    );
  });

  it('changes nothing but the structure: the same node Tasks, the same run result', async () => {
    const plain = compile(nShape, TEST_CONTEXT);
    const hinted = compile(nShape, { ...TEST_CONTEXT, durationHints: hints });
    expect(hinted.report.stateMachineType).toBe(plain.report.stateMachineType);
    const plainStates = allStates(plain.asl.States);
    const hintedStates = allStates(hinted.asl.States);
    for (const id of ['a', 'b', 'c', 'd']) {
      expect(hintedStates.get(id)?.Parameters).toEqual(plainStates.get(id)?.Parameters);
    }
    const handlers = { log: (p: { nodeId: string }) => ({ ran: p.nodeId }) };
    const [a, b] = await Promise.all([runAsl(plain.asl, { handlers }), runAsl(hinted.asl, { handlers })]);
    expect(b.status).toBe('SUCCEEDED');
    expect(b.nodes).toEqual(a.nodes);
    expect(b.output).toEqual(a.output);
    // The added edge is kept: b starts only after a.
    const order = b.calls.map((call) => call.nodeId);
    expect(order.indexOf('a')).toBeLessThan(order.indexOf('b'));
  });

  it('ignores hints that name no node or are not durations, and an empty set of hints', () => {
    const plain = JSON.stringify(compile(nShape, TEST_CONTEXT).asl);
    const ignored: Array<Record<string, number>> = [
      {},
      { x: 5 },
      { a: -1, b: Number.NaN, c: Number.POSITIVE_INFINITY },
    ];
    for (const durationHints of ignored) {
      expect(JSON.stringify(compile(nShape, { ...TEST_CONTEXT, durationHints }).asl)).toBe(plain);
    }
  });

  it('compiles every series-parallel example to the same bytes with or without hints', () => {
    const root = join(import.meta.dirname, '../../..');
    let compared = 0;
    for (const dir of ['examples', 'test/fixtures/definitions']) {
      for (const file of readdirSync(join(root, dir)).filter((f) => f.endsWith('.json'))) {
        const def = definitionSchema.parse(JSON.parse(readFileSync(join(root, dir, file), 'utf8')));
        const plain = compile(def, TEST_CONTEXT);
        if (plain.report.addedEdges.length > 0) continue;
        const durationHints = Object.fromEntries(def.nodes.map((n, i) => [n.id, ((i * 37) % 101) + 1]));
        const hinted = compile(def, { ...TEST_CONTEXT, durationHints });
        expect(JSON.stringify(hinted)).toBe(JSON.stringify(plain));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(5);
  });
});
