import { actionsReceivingRunData } from '../actions/catalog.ts';
import type { WorkflowNode } from '../workflow/definition-schema.ts';
import type { Edge } from '../workflow/edges.ts';
import { type Condition, parseCondition } from '../workflow/expression.ts';
import { hasTemplate, parseTemplate } from '../workflow/template.ts';
import { bodyDefinition, bodyOuterReads } from './for-each-body.ts';
import { AFTER_ALL } from './state-slots.ts';

/** The nodes whose records one template-bearing value reads (`{{ nodes.<id>… }}`). */
export function templateReads(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string') {
    if (!hasTemplate(value)) return out;
    try {
      for (const part of parseTemplate(value).parts) {
        if (part.kind === 'path' && part.ref.nodeId !== undefined) out.add(part.ref.nodeId);
      }
    } catch {
      // A malformed template is reported by the compiler where it compiles the value.
    }
  } else if (Array.isArray(value)) {
    for (const item of value) templateReads(item, out);
  } else if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) templateReads(item, out);
  }
  return out;
}

function conditionReads(condition: Condition, out: Set<string>): void {
  switch (condition.kind) {
    case 'and':
    case 'or':
      conditionReads(condition.left, out);
      conditionReads(condition.right, out);
      return;
    case 'not':
      conditionReads(condition.operand, out);
      return;
    case 'compare':
      for (const side of [condition.left, condition.right]) {
        if (side.kind === 'path' && side.ref.nodeId !== undefined) out.add(side.ref.nodeId);
      }
      return;
    case 'exists':
    case 'matches':
    case 'truthy':
      if (condition.ref.nodeId !== undefined) out.add(condition.ref.nodeId);
      return;
    case 'constant':
      return;
  }
}

const NODES_WORD = /(?<![A-Za-z0-9_$.`])nodes\b/g;
const NODE_STEP = /^\s*\.\s*(?:([A-Za-z_][A-Za-z0-9_-]*)|`([^`]+)`)/;

/**
 * The nodes a JSONata expression over the run's data (`{ input, nodes, execution }`) reads: every
 * `nodes.<id>` (or ``nodes.`my-id` ``) it names, or `'all'` when it uses `nodes` any other way
 * (`nodes.*`, `$keys(nodes)`, `nodes[…]`, `$$.nodes`, a string that mentions it): then every upstream
 * record is kept for it, as before.
 */
export function expressionReads(expression: string): Set<string> | 'all' {
  const out = new Set<string>();
  for (const match of expression.matchAll(NODES_WORD)) {
    const step = NODE_STEP.exec(expression.slice((match.index as number) + match[0].length));
    const id = step?.[1] ?? step?.[2];
    if (id === undefined) return 'all';
    out.add(id);
  }
  if (/\$\$/.test(expression) && /nodes/.test(expression)) return 'all';
  return out;
}

/**
 * What each node reads of other nodes' records, keyed by reader: its guard (the statuses of its
 * incoming edges' sources, unless `statusDecided` says the compiler knows the only status a source
 * can end with, and the paths of their conditions), its config templates, its
 * transform expression, and — under {@link AFTER_ALL} — what the failure path reads (the status
 * and compensation templates of every node with `compensate`). `all` lists every node id, for a
 * transform that reads the whole run.
 */
export function recordReads(
  nodes: readonly WorkflowNode[],
  incoming: ReadonlyMap<string, readonly Edge[]>,
  statusDecided: (id: string) => boolean = () => false,
): Map<string, Set<string>> {
  const reads = new Map<string, Set<string>>();
  const of = (reader: string): Set<string> => {
    let set = reads.get(reader);
    if (!set) {
      set = new Set();
      reads.set(reader, set);
    }
    return set;
  };
  for (const node of nodes) {
    const own = of(node.id);
    for (const edge of incoming.get(node.id) ?? []) {
      if (!statusDecided(edge.from)) own.add(edge.from);
      if (edge.condition !== undefined) {
        try {
          conditionReads(parseCondition(edge.condition), own);
        } catch {
          // Reported where the condition is compiled.
        }
      }
    }
    if (node.type === 'trigger') continue;
    const config = (node.config ?? {}) as Record<string, unknown>;
    templateReads(config, own);
    // A forEach reads (from its Map's ItemSelector) what its body reads from outside, transforms included.
    if (node.type === 'operation' && node.operation === 'forEach') {
      for (const id of bodyOuterReads(
        bodyDefinition(node).definition,
        nodes.map((n) => n.id),
      ))
        own.add(id);
    }
    const runData = runDataExpression(node);
    if (runData !== undefined) {
      const named = expressionReads(runData);
      if (named === 'all') for (const other of nodes) own.add(other.id);
      else for (const id of named) own.add(id);
    }
    if (node.compensate) {
      const end = of(AFTER_ALL);
      end.add(node.id);
      templateReads(node.compensate.config, end);
    }
  }
  return reads;
}

/**
 * The expression of the run-data action a node runs (an action of `actionsReceivingRunData`, or
 * the `notify` action of a waitForCallback), if any.
 */
function runDataExpression(node: WorkflowNode): string | undefined {
  let action: string | undefined;
  let config: Record<string, unknown> | undefined;
  if (node.type === 'action') {
    action = node.action;
    config = node.config;
  } else if (node.type === 'operation' && node.operation === 'waitForCallback') {
    const notify = node.config.notify as { action?: string; config?: Record<string, unknown> } | undefined;
    action = notify?.action;
    config = notify?.config;
  }
  if (action === undefined || !actionsReceivingRunData.has(action)) return undefined;
  return typeof config?.expression === 'string' ? config.expression : '';
}

/**
 * The records a node's run-data action gets in `config.data.nodes`: the upstream nodes its
 * expression names (every upstream node when it cannot tell).
 */
export function runDataReads(
  node: WorkflowNode,
  upstream: (id: string) => boolean,
  all: readonly string[],
): string[] {
  const expression = runDataExpression(node);
  if (expression === undefined) return [];
  const named = expressionReads(expression);
  return (named === 'all' ? all : [...named]).filter(upstream);
}
