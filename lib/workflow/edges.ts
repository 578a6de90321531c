import type { EdgeOn, WorkflowDefinition } from './definition-schema.ts';

/** One edge of the workflow graph, from `dependencies` or `connections` (an edge given both ways counts once). */
export interface Edge {
  from: string;
  to: string;
  on: EdgeOn;
  condition?: string;
  /** JSON pointer of where the edge was declared (the connection wins when both declare it). */
  pointer: string;
}

/**
 * Every edge of a definition: each `dependencies` entry is a `success` edge without a condition;
 * each connection is taken as written. A dependency and a connection between the same two nodes
 * are one edge, the connection's.
 */
export function collectEdges(definition: Pick<WorkflowDefinition, 'nodes' | 'connections'>): Edge[] {
  const byPair = new Map<string, Edge>();
  definition.nodes.forEach((node, nodeIndex) => {
    (node.dependencies ?? []).forEach((from, depIndex) => {
      const key = `${from}\u0000${node.id}`;
      if (!byPair.has(key)) {
        byPair.set(key, {
          from,
          to: node.id,
          on: 'success',
          pointer: `/nodes/${nodeIndex}/dependencies/${depIndex}`,
        });
      }
    });
  });
  (definition.connections ?? []).forEach((connection, index) => {
    const key = `${connection.from}\u0000${connection.to}`;
    const edge: Edge = {
      from: connection.from,
      to: connection.to,
      on: connection.on ?? 'success',
      pointer: `/connections/${index}`,
    };
    if (connection.condition !== undefined) edge.condition = connection.condition;
    byPair.set(key, edge);
  });
  return [...byPair.values()];
}
