import { ActionError } from './action.ts';
import { type ActionLoaders, actionRegistry, IDEMPOTENT_ACTIONS } from './registry.ts';
import { parseTaskPayload, type RunActionOptions, runAction } from './run-action.ts';

/** No action of the payload's kind is registered. Not retryable. */
export class UnknownActionError extends ActionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnknownAction';
  }
}

/** Options of {@link invokeAction}: {@link RunActionOptions} plus the registry to look the kind up in. */
export interface InvokeActionOptions extends RunActionOptions {
  /** Default: {@link actionRegistry} (every action, each loaded on first use). */
  registry?: ActionLoaders;
}

/**
 * Runs one Task payload with the action of its `action` kind: what the local runner calls for
 * each Task, and what the Lambda wrapper does (through {@link runAction}) for its one action.
 * `options.idempotency` applies to the kinds whose Lambdas keep idempotency records
 * ({@link IDEMPOTENT_ACTIONS}), so local runs dedupe exactly what the deployed ones dedupe.
 */
export async function invokeAction(payload: unknown, options: InvokeActionOptions = {}): Promise<unknown> {
  const task = parseTaskPayload(payload);
  const registry = options.registry ?? actionRegistry;
  const load = Object.hasOwn(registry, task.action) ? registry[task.action] : undefined;
  if (!load) throw new UnknownActionError(`No action of kind "${task.action}"`);
  const { idempotency, ...rest } = options;
  return runAction(await load(), task, idempotency && IDEMPOTENT_ACTIONS.has(task.action) ? options : rest);
}

export { type RunActionOptions, runAction } from './run-action.ts';
