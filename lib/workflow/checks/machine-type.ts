import { WAIT_OPERATIONS } from '../operation-configs.ts';
import { isRecord, type ValidationContext } from './validation-context.ts';

/**
 * Why a node needs a Standard state machine, or `undefined` when Express can run it (DESIGN.md §2.1):
 * `waitForCallback` and `waitForEvent` pause on a task token, which Express machines do not support.
 */
export function needsStandard(node: Readonly<Record<string, unknown>>): string | undefined {
  if (
    node.type === 'operation' &&
    typeof node.operation === 'string' &&
    WAIT_OPERATIONS.has(node.operation)
  ) {
    return `${node.operation} waits on a task token (.waitForTaskToken), which Express machines do not support`;
  }
  return undefined;
}

/** True when the definition asks for Express (`machineType: "express"` or `stateMachineType: "EXPRESS"`). */
function asksForExpress(root: Record<string, unknown>): boolean {
  return root.machineType === 'express' || root.stateMachineType === 'EXPRESS';
}

/** A definition that asks for Express but has a node that needs Standard is an error naming the node. */
export function checkMachineType(ctx: ValidationContext): void {
  const root = isRecord(ctx.raw) ? ctx.raw : {};
  if (!asksForExpress(root)) return;
  for (const node of ctx.nodes) {
    const reason = needsStandard(node.raw);
    if (reason) {
      ctx.error(
        node.pointer,
        `node "${node.id}" needs a Standard state machine but the flow asks for Express: ${reason}`,
      );
    }
  }
}
