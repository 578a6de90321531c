import { NODE_ID_PATTERN } from '../definition-schema.ts';
import type { Edge } from '../edges.ts';
import { buildGraph, type Graph, topologicalOrder } from '../graph/index.ts';
import { escapePointer } from '../template.ts';

/** One finding of the validator: a JSON pointer into the input ("" for the root) and a message. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** A node of the input as far as it can be read: an object at `/nodes/<index>` with a well-formed id. */
export interface NodeView {
  index: number;
  /** `/nodes/<index>` */
  pointer: string;
  id: string;
  type: unknown;
  raw: Readonly<Record<string, unknown>>;
  /** False for the second and later nodes with the same id (they take no part in the graph). */
  first: boolean;
}

/** One connection as written, before it is merged with a dependency between the same nodes. */
export interface EdgeDeclaration {
  from: unknown;
  to: unknown;
  /** Where `from` / `to` sit in the input. */
  fromPointer: string;
  toPointer: string;
  /** `/connections/1` */
  pointer: string;
  on: Edge['on'];
  condition?: unknown;
}

/**
 * What every check reads: the raw input seen leniently (so checks run even where zod found
 * problems), the graph over the well-formed edges between existing nodes, and the issue sinks.
 */
export interface ValidationContext {
  /** The scope's object: the definition, or a forEach node's `config` (a body). */
  raw: unknown;
  /** JSON pointer of `raw`: "" for the definition, `/nodes/3/config` for a body. */
  base: string;
  /** Set for a forEach body: what its templates and conditions may read from outside it. */
  body?: BodyScope;
  nodes: NodeView[];
  /** The first node of each id. */
  byId: ReadonlyMap<string, NodeView>;
  /** The connections (objects only); dependencies are read from `nodes[].raw.dependencies`. */
  declarations: EdgeDeclaration[];
  /**
   * Edges between existing, distinct nodes; a dependency and a connection between the same pair are
   * one edge (the connection's). Dependencies come first, then connections.
   */
  edges: Edge[];
  graph: Graph;
  /** The nodes in topological order (Kahn, declaration order on ties), or undefined when the graph has a cycle. */
  order: string[] | undefined;
  error(path: string, message: string): void;
  warn(path: string, message: string): void;
  /** A context over a forEach body (`raw` = the forEach's config at `base`) with the same sinks. */
  nested(raw: unknown, base: string, body: BodyScope): ValidationContext;
}

/** What a forEach body sees beyond its own nodes (DESIGN.md §2.1). */
export interface BodyScope {
  /** The forEach node that owns the body. */
  forEachId: string;
  /** 1 for a body at the top level, 2 for a body inside a body, … */
  depth: number;
  /** Nodes outside the body whose data exists when an item runs: the upstream of each enclosing forEach. */
  visible: ReadonlySet<string>;
}

/** True for a plain JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Joins JSON-pointer tokens: `pointerOf(['nodes', 2, 'id'])` → `/nodes/2/id`. */
export function pointerOf(tokens: readonly PropertyKey[]): string {
  let out = '';
  for (const token of tokens) out += `/${escapePointer(String(token))}`;
  return out;
}

const EDGE_ON = new Set<string>(['success', 'error', 'always']);

/** Reads the input leniently and builds the graph every graph check shares. */
export function createContext(
  raw: unknown,
  sinks: { errors: ValidationIssue[]; warnings: ValidationIssue[] },
  base = '',
  body?: BodyScope,
): ValidationContext {
  const nodes: NodeView[] = [];
  const byId = new Map<string, NodeView>();
  const declarations: EdgeDeclaration[] = [];
  const root = isRecord(raw) ? raw : {};
  const rawNodes = Array.isArray(root.nodes) ? root.nodes : [];
  rawNodes.forEach((node: unknown, index) => {
    if (!isRecord(node) || typeof node.id !== 'string' || !NODE_ID_PATTERN.test(node.id)) return;
    const view: NodeView = {
      index,
      pointer: `${base}/nodes/${index}`,
      id: node.id,
      type: node.type,
      raw: node,
      first: !byId.has(node.id),
    };
    nodes.push(view);
    if (view.first) byId.set(node.id, view);
  });
  const rawConnections = Array.isArray(root.connections) ? root.connections : [];
  rawConnections.forEach((connection: unknown, i) => {
    if (!isRecord(connection)) return;
    const pointer = `${base}/connections/${i}`;
    const declaration: EdgeDeclaration = {
      from: connection.from,
      to: connection.to,
      fromPointer: `${pointer}/from`,
      toPointer: `${pointer}/to`,
      pointer,
      on:
        typeof connection.on === 'string' && EDGE_ON.has(connection.on)
          ? (connection.on as Edge['on'])
          : 'success',
    };
    if (connection.condition !== undefined) declaration.condition = connection.condition;
    declarations.push(declaration);
  });

  // Same merge rule as collectEdges(): one edge per (from, to), a connection overrides a dependency.
  // Only connections need a pair index; a dependency repeated in its own list counts once.
  const usable = (from: unknown, to: unknown): from is string =>
    typeof from === 'string' && typeof to === 'string' && from !== to && byId.has(from) && byId.has(to);
  const byPair = new Map<string, Edge>();
  for (const d of declarations) {
    if (!usable(d.from, d.to)) continue;
    const edge: Edge = { from: d.from, to: d.to as string, on: d.on, pointer: d.pointer };
    if (typeof d.condition === 'string') edge.condition = d.condition;
    byPair.set(`${d.from}\u0000${String(d.to)}`, edge);
  }
  const edges: Edge[] = [];
  for (const node of nodes) {
    const dependencies = node.raw.dependencies;
    if (!node.first || !Array.isArray(dependencies)) continue;
    const seen = dependencies.length > 16 ? new Set<unknown>() : undefined;
    for (let i = 0; i < dependencies.length; i++) {
      const from: unknown = dependencies[i];
      if (!usable(from, node.id)) continue;
      if (seen ? seen.has(from) : dependencies.indexOf(from) !== i) continue;
      seen?.add(from);
      if (byPair.size > 0 && byPair.has(`${from}\u0000${node.id}`)) continue;
      edges.push({ from, to: node.id, on: 'success', pointer: `${node.pointer}/dependencies/${i}` });
    }
  }
  for (const edge of byPair.values()) edges.push(edge);
  const graph = buildGraph([...byId.keys()], edges);
  return {
    raw,
    base,
    ...(body ? { body } : {}),
    nodes,
    byId,
    declarations,
    edges,
    graph,
    order: topologicalOrder(graph),
    error: (path, message) => sinks.errors.push({ path, message }),
    warn: (path, message) => sinks.warnings.push({ path, message }),
    nested: (scopeRaw, scopeBase, scope) => createContext(scopeRaw, sinks, scopeBase, scope),
  };
}
