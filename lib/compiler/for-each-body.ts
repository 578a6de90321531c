import { actionsReceivingRunData } from '../actions/catalog.ts';
import type { WorkflowDefinition, WorkflowNode } from '../workflow/definition-schema.ts';
import { collectEdges } from '../workflow/edges.ts';
import { conditionPaths, parseCondition } from '../workflow/expression.ts';
import { type ForEachConfig, forEachConfigSchema } from '../workflow/operation-configs.ts';
import { intrinsicString } from './parameters.ts';
import { expressionReads, templateReads } from './record-readers.ts';
import { CompileError } from './types.ts';

/**
 * A forEach node's body as a definition of its own (DESIGN.md §2.1: a body is a workflow), with its
 * config parsed (defaults applied). Throws CompileError when the config is not a forEach config.
 */
export function bodyDefinition(node: WorkflowNode): {
  config: ForEachConfig;
  definition: WorkflowDefinition;
} {
  const parsed = forEachConfigSchema.safeParse(node.config);
  if (!parsed.success) {
    throw new CompileError(
      `node "${node.id}": invalid forEach config (${parsed.error.message})`,
      'INVALID_DEFINITION',
    );
  }
  const config = parsed.data;
  return {
    config,
    definition: { name: node.id, nodes: config.nodes, connections: config.connections ?? [] },
  };
}

/** The body's only sink (a node without outgoing edges); validation guarantees one when `output` is absent. */
export function sinkOf(body: WorkflowDefinition): string {
  const sources = new Set(collectEdges(body).map((edge) => edge.from));
  const sinks = body.nodes.filter((node) => !sources.has(node.id));
  if (sinks.length !== 1) {
    throw new CompileError(
      `forEach "${body.name}": the body has ${sinks.length} sinks; name the collected node in "output"`,
      'INVALID_DEFINITION',
    );
  }
  return (sinks[0] as WorkflowNode).id;
}

/**
 * The nodes outside a body (nested bodies included) that it reads: `nodes.<id>` paths in templates
 * and conditions, and what its transforms' expressions name (every one of `visible` when an
 * expression reads `nodes` some other way). The caller keeps those that are visible to the body.
 */
export function bodyOuterReads(body: WorkflowDefinition, visible: readonly string[]): Set<string> {
  const reads = new Set<string>();
  const visit = (definition: WorkflowDefinition): void => {
    for (const node of definition.nodes) {
      if (node.type === 'action' && actionsReceivingRunData.has(node.action)) {
        const named = expressionReads(String(node.config.expression ?? ''));
        for (const id of named === 'all' ? visible : named) reads.add(id);
      }
      if (node.type === 'operation' && node.operation === 'forEach') {
        const inner = bodyDefinition(node);
        templateReads(inner.config.items, reads);
        visit(inner.definition);
      } else templateReads(node.config, reads);
      if (node.compensate) templateReads(node.compensate.config, reads);
    }
    for (const connection of definition.connections ?? []) {
      if (connection.condition === undefined) continue;
      for (const ref of conditionPaths(parseCondition(connection.condition))) {
        if (ref.nodeId !== undefined) reads.add(ref.nodeId);
      }
    }
  };
  visit(body);
  return reads;
}

/**
 * The ItemSelector expression naming an iteration: `each[3]` at the top level, `<outer>/inner[0]`
 * inside a body. Body Tasks send it as `iteration` (part of their idempotency identity), so the
 * same node of two items never shares a record.
 */
export function iterationExpression(forEachId: string, nested: boolean): string {
  const text = intrinsicString(`${forEachId}[`).slice(1, -1);
  return nested
    ? `States.Format('{}/${text}{}]', $.iteration, $$.Map.Item.Index)`
    : `States.Format('${text}{}]', $$.Map.Item.Index)`;
}
