import type { Edge } from './edges.ts';
import { collectEdges } from './edges.ts';

/** The parts of a definition a diagram draws; forEach bodies (`config.nodes`) nest. */
export interface DiagramDefinition {
  name: string;
  nodes: ReadonlyArray<DiagramNode>;
  connections?: ReadonlyArray<{
    from: string;
    to: string;
    on?: 'success' | 'error' | 'always';
    condition?: string;
  }>;
}

interface DiagramNode {
  id: string;
  type: string;
  trigger?: string;
  action?: string;
  operation?: string;
  join?: string;
  dependencies?: readonly string[];
  config?: unknown;
}

/** The kind a diagram names a node by: `webhook`, `http`, `delay`, … */
export const nodeKind = (node: DiagramNode): string =>
  node.trigger ?? node.action ?? node.operation ?? node.type;

/** A forEach node's body (its own nodes and connections), if it has one. */
export const bodyOf = (node: DiagramNode): DiagramDefinition | undefined => {
  const config = node.config as { nodes?: unknown; connections?: unknown } | undefined;
  if (node.operation !== 'forEach' || !Array.isArray(config?.nodes)) return undefined;
  return {
    name: node.id,
    nodes: config.nodes as DiagramNode[],
    connections: Array.isArray(config.connections)
      ? (config.connections as DiagramDefinition['connections'])
      : [],
  };
};

const edgesOf = (definition: DiagramDefinition): Edge[] =>
  collectEdges(definition as unknown as Parameters<typeof collectEdges>[0]);

const label = (node: DiagramNode): string =>
  `${node.id}\\n${node.type}: ${nodeKind(node)}${node.join === 'any' ? ' (join any)' : ''}`;

const edgeLabel = (edge: Edge): string =>
  [edge.on === 'success' ? '' : edge.on, edge.condition ?? ''].filter(Boolean).join(': ');

/** Quotes a text for Mermaid labels (double quotes become `#quot;`). */
const mermaidText = (text: string): string =>
  `"${text.replaceAll('"', '#quot;').replaceAll('\\n', '<br/>')}"`;

/**
 * The definition as a Mermaid flowchart (top to bottom): triggers as stadiums, operations as
 * hexagons, actions as boxes; `on: error` edges dotted, `always` thick, conditions as labels;
 * forEach bodies as subgraphs.
 */
export function toMermaid(definition: DiagramDefinition): string {
  const lines = ['flowchart TD'];
  const draw = (scope: DiagramDefinition, indent: string) => {
    for (const node of scope.nodes) {
      const body = bodyOf(node);
      const text = mermaidText(label(node));
      const shape =
        node.type === 'trigger' ? `([${text}])` : node.type === 'operation' ? `{{${text}}}` : `[${text}]`;
      lines.push(`${indent}${node.id}${shape}`);
      if (body) {
        lines.push(`${indent}subgraph ${node.id}_body[${mermaidText(`forEach ${node.id}`)}]`);
        draw(body, `${indent}  `);
        lines.push(`${indent}end`);
        lines.push(`${indent}${node.id} -.- ${node.id}_body`);
      }
    }
    for (const edge of edgesOf(scope)) {
      const text = edgeLabel(edge);
      const arrow = edge.on === 'error' ? '-.->' : edge.on === 'always' ? '==>' : '-->';
      lines.push(`${indent}${edge.from} ${arrow}${text ? `|${mermaidText(text)}|` : ''} ${edge.to}`);
    }
  };
  draw(definition, '  ');
  return `${lines.join('\n')}\n`;
}

const dotText = (text: string): string =>
  `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\\\\n', '\\n')}"`;

/**
 * The definition as a Graphviz digraph: the same shapes and edge styles as {@link toMermaid}
 * (error edges dashed red, always edges bold), forEach bodies as clusters.
 */
export function toDot(definition: DiagramDefinition): string {
  const lines = [`digraph ${dotText(definition.name)} {`, '  rankdir=TB;', '  node [fontname="Helvetica"];'];
  const draw = (scope: DiagramDefinition, indent: string) => {
    for (const node of scope.nodes) {
      const shape = node.type === 'trigger' ? 'oval' : node.type === 'operation' ? 'hexagon' : 'box';
      lines.push(`${indent}${dotText(node.id)} [label=${dotText(label(node))}, shape=${shape}];`);
      const body = bodyOf(node);
      if (body) {
        lines.push(`${indent}subgraph ${dotText(`cluster_${node.id}`)} {`);
        lines.push(`${indent}  label=${dotText(`forEach ${node.id}`)};`);
        draw(body, `${indent}  `);
        lines.push(`${indent}}`);
      }
    }
    for (const edge of edgesOf(scope)) {
      const attributes: string[] = [];
      const text = edgeLabel(edge);
      if (text) attributes.push(`label=${dotText(text)}`);
      if (edge.on === 'error') attributes.push('style=dashed', 'color=red');
      if (edge.on === 'always') attributes.push('style=bold');
      lines.push(
        `${indent}${dotText(edge.from)} -> ${dotText(edge.to)}${attributes.length ? ` [${attributes.join(', ')}]` : ''};`,
      );
    }
  };
  draw(definition, '  ');
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
