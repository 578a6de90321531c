import { edgePointer } from './cycles.ts';
import type { ValidationContext } from './validation-context.ts';

/** Triggers are entry points: no edge may lead into a trigger node. */
export function checkTriggerIncoming(ctx: ValidationContext): void {
  for (const node of ctx.byId.values()) {
    if (node.type !== 'trigger') continue;
    for (const edge of ctx.graph.incoming.get(node.id) ?? []) {
      ctx.error(
        edgePointer(ctx, edge),
        `trigger "${node.id}" cannot have incoming edges (here from "${edge.from}"); triggers start a run`,
      );
    }
  }
}
