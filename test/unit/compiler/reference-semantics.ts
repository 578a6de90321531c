import type { WorkflowDefinition } from '../../../lib/workflow/definition-schema.ts';
import { collectEdges, type Edge } from '../../../lib/workflow/edges.ts';
import { evaluateCondition } from '../../../lib/workflow/evaluate-condition.ts';
import { parseCondition } from '../../../lib/workflow/expression.ts';

/**
 * A small reference evaluator of DESIGN.md §2, written from the rules and not from the compiler:
 * it walks the nodes in dependency order and says what each node's final status is.
 *
 * - A trigger is `succeeded` (output = the input) when the run names no trigger or names it,
 *   else `skipped`.
 * - An edge is taken: `success` when the source succeeded and its condition (if any) holds on the
 *   data seen so far; `error` when the source failed; `always` when it succeeded or failed.
 * - A node runs when it has no incoming edge, or per `join`: `all` every edge taken, `any` at
 *   least one. A node that does not run is `skipped`.
 * - A node that runs succeeds with the output `outcome` gives it, or fails. Its `onError` is
 *   `continue` when it has an outgoing error edge and `fail` otherwise (unless set); a failure
 *   with `fail` makes the run fail — statuses are still computed as if the run went on, and the
 *   caller decides what a failing run may leave undone.
 */
export interface ReferenceResult {
  status: Record<string, 'succeeded' | 'failed' | 'skipped'>;
  /** Nodes whose failure fails the run (onError: fail), in evaluation order. */
  fatal: string[];
}

export type Outcome = { ok: true; output: unknown } | { ok: false; error: string; cause: string };

export function referenceRun(
  definition: WorkflowDefinition,
  options: { input: unknown; triggerId: string | null; outcome: (nodeId: string) => Outcome },
): ReferenceResult {
  const edges = collectEdges(definition);
  const incoming = new Map<string, Edge[]>();
  const hasErrorEdge = new Set<string>();
  for (const node of definition.nodes) incoming.set(node.id, []);
  for (const edge of edges) {
    incoming.get(edge.to)?.push(edge);
    if (edge.on === 'error') hasErrorEdge.add(edge.from);
  }
  const status: ReferenceResult['status'] = {};
  const data: { input: unknown; nodes: Record<string, { status: string; output?: unknown }> } = {
    input: options.input,
    nodes: {},
  };
  const fatal: string[] = [];
  const pending = [...definition.nodes];
  while (pending.length > 0) {
    const index = pending.findIndex((n) =>
      (incoming.get(n.id) ?? []).every((e) => status[e.from] !== undefined),
    );
    if (index < 0) throw new Error('reference: cycle');
    const [node] = pending.splice(index, 1);
    if (!node) break;
    let runs: boolean;
    if (node.type === 'trigger') runs = options.triggerId === null || options.triggerId === node.id;
    else {
      const taken = (incoming.get(node.id) ?? []).map((edge) => {
        const from = status[edge.from];
        if (edge.on === 'error') return from === 'failed';
        if (edge.on === 'always') return from === 'succeeded' || from === 'failed';
        return (
          from === 'succeeded' &&
          (edge.condition === undefined || evaluateCondition(parseCondition(edge.condition), data))
        );
      });
      runs =
        taken.length === 0 || ((node.join ?? 'all') === 'all' ? taken.every(Boolean) : taken.some(Boolean));
    }
    if (!runs) {
      status[node.id] = 'skipped';
    } else if (node.type === 'trigger') {
      status[node.id] = 'succeeded';
      data.nodes[node.id] = { status: 'succeeded', output: options.input };
    } else {
      const outcome =
        node.type === 'action' ? options.outcome(node.id) : { ok: true as const, output: undefined };
      if (outcome.ok) {
        status[node.id] = 'succeeded';
        data.nodes[node.id] = { status: 'succeeded', output: outcome.output };
      } else {
        status[node.id] = 'failed';
        data.nodes[node.id] = { status: 'failed' };
        if ((node.onError ?? (hasErrorEdge.has(node.id) ? 'continue' : 'fail')) === 'fail')
          fatal.push(node.id);
      }
    }
  }
  return { status, fatal };
}
