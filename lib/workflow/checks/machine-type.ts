import { WAIT_OPERATIONS } from '../operation-configs.ts';
import { isRecord, type ValidationContext } from './validation-context.ts';

/** Express stops an execution after 5 minutes. */
const EXPRESS_SECONDS = 300;

/**
 * Why a node needs a Standard state machine, or `undefined` when Express can run it (DESIGN.md §2.1):
 * `waitForCallback` and `waitForEvent` pause on a task token, which Express machines do not support;
 * a `subflow` that waits for its child; a delay of more than 5 minutes or until a timestamp; an
 * action allowed more than 5 minutes (`timeoutSeconds`, times its attempts). New kinds of waiting
 * nodes add their rule here.
 */
export function needsStandard(node: Readonly<Record<string, unknown>>): string | undefined {
  const config = isRecord(node.config) ? node.config : {};
  if (node.type === 'operation' && typeof node.operation === 'string') {
    if (WAIT_OPERATIONS.has(node.operation)) {
      return `${node.operation} waits on a task token (.waitForTaskToken), which Express machines do not support`;
    }
    if (node.operation === 'subflow' && config.wait !== false) {
      return 'a subflow that waits for its child can run longer than Express allows (5 minutes)';
    }
    if (node.operation === 'delay') {
      if (config.until !== undefined) return 'a delay until a timestamp can wait longer than 5 minutes';
      if (typeof config.seconds !== 'number') return 'a delay from a path can wait longer than 5 minutes';
      if (config.seconds > EXPRESS_SECONDS) return `a delay of ${config.seconds} s is longer than 5 minutes`;
    }
  }
  if (node.type === 'action' && typeof node.timeoutSeconds === 'number') {
    const retry = isRecord(node.retry) ? node.retry : {};
    const attempts = typeof retry.maxAttempts === 'number' ? retry.maxAttempts : 1;
    if (node.timeoutSeconds * attempts > EXPRESS_SECONDS) {
      return `its ${attempts} attempt(s) of up to ${node.timeoutSeconds} s can take longer than 5 minutes`;
    }
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
