import type { Graph } from './graph.ts';

/** The distinct direct successors of `id`, in edge order. */
export function children(graph: Graph, id: string): string[] {
  return [...new Set((graph.outgoing.get(id) ?? []).map((edge) => edge.to))];
}
