import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { answerUpstreamQueries } from '../../../lib/workflow/checks/upstream-index.ts';
import type { Edge } from '../../../lib/workflow/edges.ts';
import { ancestors, buildGraph, topologicalOrder } from '../../../lib/workflow/graph/index.ts';

function graphOf(size: number, pairs: Array<[number, number]>, acyclic: boolean) {
  const ids = Array.from({ length: size }, (_, i) => `n${i}`);
  const edges: Edge[] = [];
  const seen = new Set<string>();
  for (const [a, b] of pairs) {
    const from = a % size;
    const to = b % size;
    if (from === to || (acyclic && from > to) || seen.has(`${from}>${to}`)) continue;
    seen.add(`${from}>${to}`);
    edges.push({ from: `n${from}`, to: `n${to}`, on: 'success', pointer: '' });
  }
  return { ids, graph: buildGraph(ids, edges) };
}

describe('answerUpstreamQueries', () => {
  it('agrees with ancestors() on random DAGs and on cyclic graphs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 80 }),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 200 }),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 120 }),
        fc.boolean(),
        (size, pairs, asks, acyclic) => {
          const { graph } = graphOf(size, pairs, acyclic);
          const queries = asks.map(([a, b]) => ({ ancestor: `n${a % size}`, node: `n${b % size}` }));
          const expected = queries.map(
            (q) => q.ancestor !== q.node && ancestors(graph, q.node).has(q.ancestor),
          );
          expect(answerUpstreamQueries(graph, topologicalOrder(graph), queries)).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('answers false for unknown nodes', () => {
    const { graph } = graphOf(3, [[0, 1]], true);
    const queries = [
      { ancestor: 'ghost', node: 'n1' },
      { ancestor: 'n0', node: 'ghost' },
      { ancestor: 'n0', node: 'n1' },
    ];
    expect(answerUpstreamQueries(graph, topologicalOrder(graph), queries)).toEqual([false, false, true]);
  });
});
