import {
  executionKeyPrefix,
  InvalidPayloadKeyError,
  newResultsPrefix,
  PayloadError,
  type PayloadScope,
  type PayloadStore,
} from '../../payloads/payload-store.ts';
import { type ActionContext, type ActionDefinition, ActionError } from '../action.ts';
import { ActionPayloadError } from '../run-action.ts';
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

/** A Distributed Map's steps ran without a payload store to keep the list and read the results. Not retryable. */
export class ForEachNeedsPayloadStoreError extends ActionError {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadStoreUnavailable';
  }
}

/**
 * The internal `foreach` action (see `schema.ts`): the `items` step before a forEach's Map and the
 * `collect` step after it. Its `items` output stays inline (`inlineOutput`): an Inline Map reads
 * the list from the state, so offloading it would hand the Map a reference; a Distributed Map's
 * list is kept in the payload store by the step itself (`store`), and only its key is in the state.
 */
export const forEachAction: ActionDefinition<ForEachStepConfig, ItemsStepOutput | CollectStepOutput> & {
  inlineOutput: (config: ForEachStepConfig) => boolean;
} = {
  kind: FOREACH_ACTION_KIND,
  configSchema: forEachStepConfigSchema,
  inlineOutput: (config) => config.op === 'items',
  async run(config, context) {
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
      if (!config.store) return { status: 'running', items, count: items.length };
      const store = payloadsOf(context);
      const scope = scopeOf(context);
      const ref = await guarded(() => store.putJson(scope, items));
      return {
        status: 'running',
        itemsKey: ref.$ffref,
        resultsPrefix: newResultsPrefix(scope),
        count: items.length,
      };
    }
    if (config.manifest !== undefined) {
      return collect(await readMapResults(config.manifest.Key, context), config);
    }
    return collect(config.results ?? [], config);
  },
};

/** One entry of a ResultWriter results file (Transformation NONE: the child execution as listed). */
interface ChildExecutionResult {
  Status?: string;
  Input?: string;
  Output?: string;
  Error?: string;
  Cause?: string;
}

/**
 * The per-item results of a Distributed Map run, in item order, from the files its ResultWriter
 * wrote: `manifest.json` (`ResultFiles.SUCCEEDED|FAILED|PENDING: [{ Key }]`) and each file's child
 * executions. A child's output is its iteration's `{ record, index }` or `{ error, index }`; a child
 * execution that failed itself (not its body) gives that item its `Error`/`Cause`. Files are read
 * only under this execution's own key prefix.
 */
async function readMapResults(manifestKey: string, context: ActionContext): Promise<unknown[]> {
  const store = payloadsOf(context);
  const own = executionKeyPrefix(scopeOf(context));
  const read = (key: unknown): Promise<unknown> => {
    if (typeof key !== 'string' || !key.startsWith(own)) {
      throw new ActionPayloadError(
        new InvalidPayloadKeyError(`forEach results ${JSON.stringify(key)} are not of this execution`),
      );
    }
    return guarded(() => store.getJson(key));
  };
  const manifest = (await read(manifestKey)) as { ResultFiles?: Record<string, Array<{ Key?: unknown }>> };
  const files = Object.values(manifest.ResultFiles ?? {}).flat();
  const entries = (await Promise.all(files.map((file) => read(file.Key)))).flat() as ChildExecutionResult[];
  const results: unknown[] = [];
  for (const entry of entries) {
    const output = parseJson(entry.Output) as { index?: unknown } | undefined;
    const index =
      typeof output?.index === 'number'
        ? output.index
        : (parseJson(entry.Input) as { index?: unknown })?.index;
    if (typeof index !== 'number') continue;
    results[index] =
      entry.Status === 'SUCCEEDED'
        ? output
        : {
            error: {
              error: entry.Error ?? 'States.Runtime',
              cause: entry.Cause ?? `child execution ${entry.Status}`,
            },
          };
  }
  for (let i = 0; i < results.length; i++) {
    results[i] ??= { error: { error: 'States.Runtime', cause: `no result was written for item ${i}` } };
  }
  return results;
}

function payloadsOf(context: ActionContext): PayloadStore {
  if (!context.payloads)
    throw new ForEachNeedsPayloadStoreError(
      `forEach "${context.nodeId}" runs as a Distributed Map, which keeps its items and results in the payload store; none is configured`,
    );
  return context.payloads;
}

function scopeOf(context: ActionContext): PayloadScope {
  const { execution } = context;
  return {
    ...(execution.tenant === undefined ? {} : { tenant: execution.tenant }),
    flowId: execution.flowId,
    executionId: execution.id,
    nodeId: context.nodeId,
  };
}

async function guarded<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw error instanceof PayloadError ? new ActionPayloadError(error) : error;
  }
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

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
