import type { Edge } from '../edges.ts';

/** Adjacency of a workflow graph: node ids in declaration order, incoming and outgoing edges per node. */
export interface Graph {
  nodes: readonly string[];
  incoming: ReadonlyMap<string, readonly Edge[]>;
  outgoing: ReadonlyMap<string, readonly Edge[]>;
}

/** Builds the adjacency of `nodeIds` over `edges`; edges naming unknown nodes are ignored. */
export function buildGraph(nodeIds: readonly string[], edges: readonly Edge[]): Graph {
  const incoming = new Map<string, Edge[]>();
  const outgoing = new Map<string, Edge[]>();
  for (const id of nodeIds) {
    incoming.set(id, []);
    outgoing.set(id, []);
  }
  for (const edge of edges) {
    const out = outgoing.get(edge.from);
    const inc = incoming.get(edge.to);
    if (!out || !inc) continue;
    out.push(edge);
    inc.push(edge);
  }
  return { nodes: nodeIds, incoming, outgoing };
}
