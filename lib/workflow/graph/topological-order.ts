import type { Graph } from './graph.ts';

/**
 * Kahn's algorithm, O(V + E). Ties are broken by declaration order, so the result is stable.
 * Returns `undefined` when the graph has a cycle (use `findCycle` to name it).
 */
export function topologicalOrder(graph: Graph): string[] | undefined {
  const indegree = new Map<string, number>();
  for (const id of graph.nodes) indegree.set(id, graph.incoming.get(id)?.length ?? 0);
  const ready = graph.nodes.filter((id) => indegree.get(id) === 0);
  const order: string[] = [];
  for (let i = 0; i < ready.length; i++) {
    const id = ready[i] as string;
    order.push(id);
    for (const edge of graph.outgoing.get(id) ?? []) {
      const left = (indegree.get(edge.to) ?? 0) - 1;
      indegree.set(edge.to, left);
      if (left === 0) ready.push(edge.to);
    }
  }
  return order.length === graph.nodes.length ? order : undefined;
}
