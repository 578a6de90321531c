import { type ActionDefinition, ActionError } from '../action.ts';
import {
  type CollectStepOutput,
  type ForEachStepConfig,
  forEachStepConfigSchema,
  type ItemsStepOutput,
} from './schema.ts';

export type { CollectStepOutput, ItemCounts, ItemResult, ItemsStepOutput } from './schema.ts';

/** A forEach's `items` did not resolve to an array (DESIGN.md §2.1). Not retryable. */
export class ForEachItemsNotArrayError extends ActionError {
  constructor(message: string) {
    super(message);
    this.name = 'ForEachItemsNotArray';
  }
}

/** A list longer than a Standard execution's history budget allows for this body. Not retryable. */
export class ForEachTooManyItemsError extends ActionError {
  constructor(message: string) {
    super(message);
    this.name = 'ForEachTooManyItems';
  }
}

/** The kind of the internal forEach action (its Lambda is `flowforge-action-foreach`). */
export const FOREACH_ACTION_KIND = 'foreach';

/**
 * The internal `foreach` action (see `schema.ts`): the `items` step before a forEach's Map and the
 * `collect` step after it. Pure (no I/O of its own); its output stays inline (`inlineOutput`): the
 * Map reads the list from the state, so offloading it would hand the Map a reference.
 */
export const forEachAction: ActionDefinition<ForEachStepConfig, ItemsStepOutput | CollectStepOutput> & {
  inlineOutput: (config: ForEachStepConfig) => boolean;
} = {
  kind: FOREACH_ACTION_KIND,
  configSchema: forEachStepConfigSchema,
  inlineOutput: (config) => config.op === 'items',
  async run(config) {
    if (config.op === 'items') {
      const { items } = config;
      if (!Array.isArray(items)) {
        throw new ForEachItemsNotArrayError(`items is ${describe(items)}, not an array`);
      }
      if (config.maxItems !== undefined && items.length > config.maxItems) {
        throw new ForEachTooManyItemsError(
          `items has ${items.length} elements; this body fits at most ${config.maxItems} in one Standard execution (25,000 history events)`,
        );
      }
      return { status: 'running', items, count: items.length };
    }
    return collect(config.results, config);
  },
};

/** Folds per-item results (see `ItemResult`) into the forEach node record. */
export function collect(
  results: readonly unknown[],
  tolerance: { toleratedFailures?: number | undefined; toleratedFailurePercent?: number | undefined },
): CollectStepOutput {
  const output: unknown[] = [];
  let failed = 0;
  let first: { index: number; error: { error: string; cause?: string } } | undefined;
  results.forEach((result, index) => {
    const value = (result ?? {}) as Record<string, unknown>;
    const raw = value.error as { error: string; cause?: unknown } | undefined;
    const error = raw === undefined ? undefined : withMessageCause(raw);
    if (error !== undefined) {
      failed++;
      first ??= { index, error };
      output.push({ error });
      return;
    }
    const record = value.record as { output?: unknown } | undefined;
    output.push(record?.output === undefined ? null : record.output);
  });
  const total = results.length;
  const items = { total, succeeded: total - failed, failed };
  const percent = tolerance.toleratedFailurePercent;
  const over =
    percent !== undefined ? failed * 100 > percent * total : failed > (tolerance.toleratedFailures ?? 0);
  if (!over || first === undefined) return { status: 'succeeded', output, error: null, items };
  const allowed =
    percent !== undefined ? `${percent}% tolerated` : `${tolerance.toleratedFailures ?? 0} tolerated`;
  const cause = `${failed} of ${total} items failed (${allowed}); the first failed item is index ${first.index}: ${first.error.error}${first.error.cause ? `: ${first.error.cause}` : ''}`;
  return { status: 'failed', output: null, error: { error: 'ForEachFailed', cause }, items };
}

/**
 * A failed item's error as later nodes see it: in AWS (and in the local runner, which mirrors it)
 * the Cause of a Lambda error is the runtime's JSON `{"errorType","errorMessage","trace"}`; the
 * element keeps the message, not the stack.
 */
function withMessageCause(error: { error: string; cause?: unknown }): { error: string; cause?: string } {
  const { cause } = error;
  if (cause === undefined) return { error: error.error };
  if (typeof cause !== 'string') return { error: error.error, cause: JSON.stringify(cause) };
  if (cause.startsWith('{') && cause.includes('"errorMessage"')) {
    try {
      const parsed = JSON.parse(cause) as { errorMessage?: unknown };
      if (typeof parsed.errorMessage === 'string') return { error: error.error, cause: parsed.errorMessage };
    } catch {
      // Not the runtime's JSON: the text is the cause.
    }
  }
  return { error: error.error, cause };
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}
