import * as z from 'zod/mini';

/**
 * Config of the internal `foreach` action: the two Tasks the compiler adds around a forEach node's
 * Map state (DESIGN.md §2.1). Not a user action: the validator refuses it in definitions.
 * - `items`: checks that `items` (payload references already resolved) is an array and returns it
 *   inline for the Map's ItemsPath;
 * - `collect`: folds the Map's per-item results into the node record (output in item order, the
 *   per-item error at a failed index, `items: { total, succeeded, failed }`) and applies the tolerance.
 */
export const forEachStepConfigSchema = z.union([
  z.strictObject({
    op: z.literal('items'),
    items: z.optional(z.unknown()),
    maxItems: z.optional(z.number()),
  }),
  z.strictObject({
    op: z.literal('collect'),
    results: z.array(z.unknown()),
    toleratedFailures: z.optional(z.number()),
    toleratedFailurePercent: z.optional(z.number()),
  }),
]);

export type ForEachStepConfig = z.output<typeof forEachStepConfigSchema>;

/** What one item of the Map returns: its output node's record, or the body's fatal error. */
export type ItemResult =
  | { record: { status?: string; output?: unknown } }
  | { error: { error: string; cause?: string } };

/** `items: { total, succeeded, failed }` of a forEach node record. */
export interface ItemCounts {
  total: number;
  succeeded: number;
  failed: number;
}

/** Output of `op: "items"`. */
export interface ItemsStepOutput {
  status: 'running';
  items: unknown[];
  count: number;
}

/**
 * Output of `op: "collect"`: the forEach node's record. Both `output` and `error` are always present
 * (one of them null) so the Task's ResultSelector can name them.
 */
export type CollectStepOutput =
  | { status: 'succeeded'; output: unknown[]; error: null; items: ItemCounts }
  | { status: 'failed'; output: null; error: { error: 'ForEachFailed'; cause: string }; items: ItemCounts };
