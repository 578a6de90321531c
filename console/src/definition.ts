/** The parts of a workflow definition the console draws (DESIGN.md §2; forEach bodies nest). */
export interface DefinitionNode {
  id: string;
  type: string;
  trigger?: string;
  action?: string;
  operation?: string;
  join?: string;
  dependencies?: string[];
  onError?: string;
  config?: Record<string, unknown>;
}

export interface Definition {
  name?: string;
  nodes: DefinitionNode[];
  connections?: Array<{ from: string; to: string; on?: string; condition?: string }>;
}

export interface GraphEdge {
  from: string;
  to: string;
  on: 'success' | 'error' | 'always';
  condition?: string;
}

/** True when the value looks like a definition (an object with a `nodes` array). */
export const isDefinition = (value: unknown): value is Definition =>
  typeof value === 'object' && value !== null && Array.isArray((value as Definition).nodes);

/** The kind a node is drawn as: its trigger, action or operation. */
export const kindOf = (node: DefinitionNode): string =>
  node.trigger ?? node.action ?? node.operation ?? node.type;

/** A forEach node's body, drawn as a group. */
export const bodyOf = (node: DefinitionNode): Definition | undefined => {
  const config = node.config;
  if (node.operation !== 'forEach' || !config || !Array.isArray(config.nodes)) return undefined;
  return {
    nodes: config.nodes as DefinitionNode[],
    connections: Array.isArray(config.connections) ? (config.connections as Definition['connections']) : [],
  };
};

/** Edges from `dependencies` and `connections`; one given both ways counts once (the connection's). */
export function edgesOf(definition: Definition): GraphEdge[] {
  const byPair = new Map<string, GraphEdge>();
  for (const node of definition.nodes) {
    for (const from of node.dependencies ?? [])
      byPair.set(`${from}>${node.id}`, { from, to: node.id, on: 'success' });
  }
  for (const connection of definition.connections ?? []) {
    const on = connection.on === 'error' || connection.on === 'always' ? connection.on : 'success';
    byPair.set(`${connection.from}>${connection.to}`, {
      from: connection.from,
      to: connection.to,
      on,
      ...(connection.condition === undefined ? {} : { condition: connection.condition }),
    });
  }
  return [...byPair.values()];
}

/** Every node id of a definition, bodies included. */
export function allNodeIds(definition: Definition): string[] {
  return definition.nodes.flatMap((node) => {
    const body = bodyOf(node);
    return [node.id, ...(body ? allNodeIds(body) : [])];
  });
}

/**
 * The node a JSON pointer of a validation error points into (`/nodes/2/config/url` → the third
 * node's id; into a forEach body, the body node), or undefined for a pointer outside every node.
 */
export function nodeIdAt(definition: unknown, pointer: string): string | undefined {
  const segments = pointer
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  let scope: unknown = definition;
  let found: string | undefined;
  for (let i = 0; i < segments.length; i++) {
    if (typeof scope !== 'object' || scope === null) break;
    const next = (scope as Record<string, unknown>)[segments[i] ?? ''];
    if (segments[i] === 'nodes' && Array.isArray(next)) {
      const node = next[Number(segments[i + 1])] as { id?: unknown } | undefined;
      if (node && typeof node.id === 'string') found = node.id;
      scope = node;
      i++;
      continue;
    }
    scope = next;
  }
  return found;
}
