import type { Graph } from './graph.ts';

/** Every node reachable from `starts` (the starts included), following edges forward. O(V + E). */
export function reachableFrom(graph: Graph, starts: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const queue: string[] = [];
  for (const id of starts) {
    if (!seen.has(id)) {
      seen.add(id);
      queue.push(id);
    }
  }
  for (let i = 0; i < queue.length; i++) {
    for (const edge of queue[i] === undefined ? [] : (graph.outgoing.get(queue[i] as string) ?? [])) {
      if (!seen.has(edge.to)) {
        seen.add(edge.to);
        queue.push(edge.to);
      }
    }
  }
  return seen;
}
