import dagre from '@dagrejs/dagre';
import { type Edge, type Node, type NodeHandle, Position } from '@xyflow/react';
import { bodyOf, type Definition, type DefinitionNode, edgesOf } from '../definition';

/** What a drawn node carries. */
export interface NodeData extends Record<string, unknown> {
  node: DefinitionNode;
  status?: string;
  errors?: string[];
  group?: boolean;
}

const NODE_WIDTH = 190;
const NODE_HEIGHT = 60;
const GROUP_HEADER = 34;
const GROUP_PADDING = 16;

/** React Flow's handle (`.react-flow__handle`: 6 px and a 1 px border, centred on the node's edge). */
const HANDLE = 8;

/**
 * A node's size and handles, as React Flow would measure them (its box is its inline width and
 * height, whole pixels; the target handle centred on the top edge, the source on the bottom).
 * Given up front, React Flow draws nodes and edges and fits the view in its first render, without
 * observing and measuring every node first (a store update that redraws all 200 nodes again).
 */
function measuredBox(width: number, height: number): Pick<Node, 'width' | 'height' | 'measured' | 'handles'> {
  const handles: NodeHandle[] = [
    {
      type: 'target',
      position: Position.Top,
      x: width / 2 - HANDLE / 2,
      y: -HANDLE / 2,
      width: HANDLE,
      height: HANDLE,
    },
    {
      type: 'source',
      position: Position.Bottom,
      x: width / 2 - HANDLE / 2,
      y: height - HANDLE / 2,
      width: HANDLE,
      height: HANDLE,
    },
  ];
  return { width, height, measured: { width, height }, handles };
}

interface Laid {
  nodes: Node<NodeData>[];
  edges: Edge[];
  width: number;
  height: number;
}

const edgeStyle = (on: string): Partial<Edge> =>
  on === 'error'
    ? { className: 'edge-error', style: { stroke: '#b71c1c', strokeDasharray: '6 4' }, animated: false }
    : on === 'always'
      ? { className: 'edge-always', style: { stroke: '#4a148c', strokeWidth: 3, strokeDasharray: '2 3' } }
      : { className: 'edge-success', style: { stroke: '#455a64' } };

/**
 * Lays a definition out top to bottom with dagre (a layered, Sugiyama-style layout). A forEach
 * body is laid out first, on its own, and drawn as a group node of that size whose children are
 * the body's nodes, so bodies nest to any depth. Nodes carry their size and handles (see
 * `measuredBox`). The layout depends on the definition only: statuses and errors are laid on top
 * (FlowGraph), never laid out again.
 */
export function layoutDefinition(definition: Definition, parentId?: string): Laid {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 56, marginx: 8, marginy: 8 });
  graph.setDefaultEdgeLabel(() => ({}));
  const inner = new Map<string, Laid>();
  for (const node of definition.nodes) {
    const body = bodyOf(node);
    if (body) {
      const laid = layoutDefinition(body, node.id);
      inner.set(node.id, laid);
      graph.setNode(node.id, {
        width: Math.ceil(Math.max(NODE_WIDTH, laid.width + 2 * GROUP_PADDING)),
        height: Math.ceil(laid.height + GROUP_HEADER + GROUP_PADDING),
      });
    } else graph.setNode(node.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  }
  const ids = new Set(definition.nodes.map((n) => n.id));
  const edges = edgesOf(definition).filter((e) => ids.has(e.from) && ids.has(e.to));
  for (const edge of edges) graph.setEdge(edge.from, edge.to);
  dagre.layout(graph);

  const nodes: Node<NodeData>[] = [];
  const flowEdges: Edge[] = [];
  for (const node of definition.nodes) {
    const box = graph.node(node.id);
    const group = inner.get(node.id);
    nodes.push({
      id: node.id,
      type: group ? 'group-node' : 'flow-node',
      position: { x: box.x - box.width / 2, y: box.y - box.height / 2 },
      data: { node, ...(group ? { group: true } : {}) },
      ...(parentId ? { parentId, extent: 'parent' as const } : {}),
      ...measuredBox(box.width, box.height),
      draggable: false,
    });
    if (group) {
      for (const child of group.nodes) {
        if (child.parentId === node.id) {
          child.position = { x: child.position.x + GROUP_PADDING, y: child.position.y + GROUP_HEADER };
        }
        nodes.push(child);
      }
      flowEdges.push(...group.edges);
    }
  }
  for (const edge of edges) {
    flowEdges.push({
      id: `${edge.from}->${edge.to}`,
      source: edge.from,
      target: edge.to,
      ...(edge.condition || edge.on !== 'success'
        ? { label: [edge.on === 'success' ? '' : edge.on, edge.condition ?? ''].filter(Boolean).join(': ') }
        : {}),
      ...edgeStyle(edge.on),
      data: { on: edge.on },
    });
  }
  const size = graph.graph();
  return { nodes, edges: flowEdges, width: size.width ?? 0, height: size.height ?? 0 };
}
