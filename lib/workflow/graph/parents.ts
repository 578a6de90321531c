import type { Graph } from './graph.ts';

/** The distinct direct predecessors of `id`, in edge order. */
export function parents(graph: Graph, id: string): string[] {
  return [...new Set((graph.incoming.get(id) ?? []).map((edge) => edge.from))];
}
