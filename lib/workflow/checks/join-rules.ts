import type { ValidationContext } from './validation-context.ts';

/**
 * `join` only means something on a node with two or more incoming edges (warning otherwise), and a
 * node with `join: all` (the default) over edges from two or more triggers can never run from one
 * schedule or webhook alone, since only the trigger that fired is taken (warning, DESIGN.md §2).
 */
export function checkJoinRules(ctx: ValidationContext): void {
  for (const node of ctx.byId.values()) {
    const incoming = ctx.graph.incoming.get(node.id) ?? [];
    const join = node.raw.join;
    if (join !== undefined && incoming.length <= 1) {
      ctx.warn(
        `${node.pointer}/join`,
        `"join" has no effect on node "${node.id}": it has ${incoming.length === 0 ? 'no incoming edge' : 'only one incoming edge'}`,
      );
    }
    if (join === 'any' || incoming.length < 2) continue;
    const triggers = incoming
      .filter((edge) => ctx.byId.get(edge.from)?.type === 'trigger')
      .map((e) => e.from);
    if (triggers.length >= 2) {
      ctx.warn(
        join === undefined ? node.pointer : `${node.pointer}/join`,
        `node "${node.id}" waits for all of the triggers ${triggers.map((t) => `"${t}"`).join(', ')}, but a schedule, webhook or queue message fires only one; use "join": "any"`,
      );
    }
  }
}
