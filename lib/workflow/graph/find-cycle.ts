import type { Graph } from './graph.ts';

/**
 * One cycle of the graph as a closed path (`['a', 'b', 'c', 'a']`), or `undefined` when it is acyclic.
 * Iterative DFS (no recursion limit on deep graphs), O(V + E).
 */
export function findCycle(graph: Graph): string[] | undefined {
  const state = new Map<string, 'active' | 'done'>();
  for (const root of graph.nodes) {
    if (state.has(root)) continue;
    const stack: Array<{ id: string; next: number }> = [{ id: root, next: 0 }];
    state.set(root, 'active');
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as { id: string; next: number };
      const edges = graph.outgoing.get(frame.id) ?? [];
      if (frame.next >= edges.length) {
        state.set(frame.id, 'done');
        stack.pop();
        continue;
      }
      const to = (edges[frame.next++] as { to: string }).to;
      const seen = state.get(to);
      if (seen === 'active') {
        const start = stack.findIndex((f) => f.id === to);
        return [...stack.slice(start).map((f) => f.id), to];
      }
      if (seen === undefined) {
        state.set(to, 'active');
        stack.push({ id: to, next: 0 });
      }
    }
  }
  return undefined;
}
