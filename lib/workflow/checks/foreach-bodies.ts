import { ancestors } from '../graph/index.ts';
import { MAX_FOREACH_DEPTH } from '../operation-configs.ts';
import { parseTemplate } from '../template.ts';
import { type BodyScope, isRecord, type ValidationContext } from './validation-context.ts';

/** Runs every scope check on a body's context (validate-definition's list, passed in to avoid a cycle). */
export type ScopeChecks = (body: ValidationContext) => void;

/**
 * forEach nodes (DESIGN.md §2.1): `items` is one `{{ path }}`; the body has no triggers; `output`
 * names a body node, or the body has exactly one sink; nesting stays within MAX_FOREACH_DEPTH.
 * Each body is then validated as a workflow of its own (graph, configs, templates, conditions)
 * with pointers into the body (`/nodes/3/config/nodes/1/…`), seeing from outside the nodes
 * upstream of its forEach (and of every enclosing forEach).
 */
export function checkForEachBodies(ctx: ValidationContext, runScope: ScopeChecks): void {
  for (const node of ctx.nodes) {
    if (!node.first || node.type !== 'operation' || node.raw.operation !== 'forEach') continue;
    const config = node.raw.config;
    if (!isRecord(config)) continue;
    const base = `${node.pointer}/config`;
    const depth = (ctx.body?.depth ?? 0) + 1;
    if (depth > MAX_FOREACH_DEPTH) {
      ctx.error(
        `${node.pointer}/operation`,
        `forEach "${node.id}" is nested ${depth} levels deep; forEach nests at most ${MAX_FOREACH_DEPTH} levels`,
      );
      continue;
    }
    checkItems(ctx, config.items, `${base}/items`);
    if (!Array.isArray(config.nodes)) continue;
    const visible = new Set(ctx.body?.visible ?? []);
    for (const id of ancestors(ctx.graph, node.id)) visible.add(id);
    const scope: BodyScope = { forEachId: node.id, depth, visible };
    const body = ctx.nested(config, base, scope);
    for (const inner of body.nodes) {
      if (inner.type === 'trigger') {
        ctx.error(
          `${inner.pointer}/type`,
          `a forEach body has no triggers: it runs once per item of "${node.id}"`,
        );
      }
    }
    checkOutput(body, config.output, `${base}/output`, node.id);
    runScope(body);
  }
}

function checkItems(ctx: ValidationContext, items: unknown, pointer: string): void {
  if (typeof items !== 'string') return; // zod reports the type
  let whole = false;
  try {
    const parsed = parseTemplate(items);
    whole = parsed.whole;
  } catch {
    return; // the template check reports the syntax error
  }
  if (!whole) {
    ctx.error(
      pointer,
      'items must be exactly one template that gives an array, e.g. "{{ nodes.fetch.output.body.orders }}"',
    );
  }
}

function checkOutput(body: ValidationContext, output: unknown, pointer: string, forEachId: string): void {
  if (typeof output === 'string') {
    if (!body.byId.has(output)) {
      body.error(
        pointer,
        `output names node "${output}", which is not in the body of forEach "${forEachId}"`,
      );
    }
    return;
  }
  if (output !== undefined) return; // zod reports the type
  const sinks = [...body.byId.keys()].filter((id) => (body.graph.outgoing.get(id) ?? []).length === 0);
  if (sinks.length > 1) {
    body.error(
      pointer,
      `the body of forEach "${forEachId}" has several sinks (${sinks.map((s) => `"${s}"`).join(', ')}): name the node whose output is collected in "output"`,
    );
  }
}
