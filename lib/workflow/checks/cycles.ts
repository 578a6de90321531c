import type { Edge } from '../edges.ts';
import { buildGraph, findCycle } from '../graph/index.ts';
import type { ValidationContext } from './validation-context.ts';

const MAX_REPORTED = 10;

/**
 * The graph is acyclic. Each cycle found is an error at the edge that closes it, with the cycle in
 * the message (`cycle a -> b -> c -> a`); that edge is then set aside and the search repeated, so
 * separate cycles are all reported (up to ten). Returns true when the graph has no cycle.
 */
export function checkCycles(ctx: ValidationContext): boolean {
  if (ctx.order) return true;
  let graph = ctx.graph;
  let removed: Set<Edge> | undefined;
  for (let n = 0; n < MAX_REPORTED; n++) {
    const cycle = findCycle(graph);
    if (!cycle) return n === 0;
    const from = cycle[cycle.length - 2] as string;
    const to = cycle[cycle.length - 1] as string;
    const closing = (graph.outgoing.get(from) ?? []).find((edge) => edge.to === to);
    if (!closing) break;
    ctx.error(edgePointer(ctx, closing), `cycle ${cycle.join(' -> ')}: a workflow must be a DAG`);
    removed ??= new Set();
    removed.add(closing);
    const kept = ctx.edges.filter((edge) => !removed?.has(edge));
    graph = buildGraph(ctx.graph.nodes, kept);
  }
  return false;
}

/** Where to report an edge: a connection at its `to`, a dependency at the entry itself. */
export function edgePointer(ctx: ValidationContext, edge: Edge): string {
  return edge.pointer.startsWith(`${ctx.base}/connections/`) ? `${edge.pointer}/to` : edge.pointer;
}
