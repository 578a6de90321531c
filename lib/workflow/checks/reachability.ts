import { reachableFrom } from '../graph/index.ts';
import type { ValidationContext } from './validation-context.ts';

/**
 * Every non-trigger node is reachable from an entry point: a trigger or a node without incoming
 * edges. A node inside a cycle has incoming edges, so a cycle with no way in is reported here too.
 */
export function checkReachability(ctx: ValidationContext): void {
  const entries: string[] = [];
  for (const node of ctx.byId.values()) {
    if (node.type === 'trigger' || (ctx.graph.incoming.get(node.id) ?? []).length === 0)
      entries.push(node.id);
  }
  const reached = reachableFrom(ctx.graph, entries);
  for (const node of ctx.byId.values()) {
    if (node.type === 'trigger' || reached.has(node.id)) continue;
    ctx.error(
      node.pointer,
      `node "${node.id}" can never run: no path leads to it from a trigger or a start node (only from a cycle)`,
    );
  }
}
