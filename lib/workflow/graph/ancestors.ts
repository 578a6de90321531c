import type { Graph } from './graph.ts';

/** Every node from which `id` can be reached (not `id` itself), following edges backward. O(V + E). */
export function ancestors(graph: Graph, id: string): Set<string> {
  const seen = new Set<string>();
  const queue = [id];
  for (let i = 0; i < queue.length; i++) {
    for (const edge of graph.incoming.get(queue[i] as string) ?? []) {
      if (!seen.has(edge.from)) {
        seen.add(edge.from);
        queue.push(edge.from);
      }
    }
  }
  seen.delete(id);
  return seen;
}
