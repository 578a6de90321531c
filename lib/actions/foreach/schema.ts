import * as z from 'zod/mini';

/**
 * Config of the internal `foreach` action: the two Tasks the compiler adds around a forEach node's
 * Map state (DESIGN.md §2.1). Not a user action: the validator refuses it in definitions.
 * - `items`: checks that `items` (payload references already resolved) is an array and returns it
 *   inline for an Inline Map's ItemsPath, or (`store`) keeps it in the payload store for a
 *   Distributed Map's ItemReader and answers `{ itemsKey, resultsPrefix, count }`;
 * - `collect`: folds the Map's per-item results (the Inline Map's array, or the Distributed Map's
 *   ResultWriter files named by `manifest`) into the node record (output in item order, the
 *   per-item error at a failed index, `items: { total, succeeded, failed }`) and applies the tolerance.
 */
export const forEachStepConfigSchema = z.union([
  z.strictObject({
    op: z.literal('items'),
    items: z.optional(z.unknown()),
    maxItems: z.optional(z.number()),
    /** Distributed Map: keep the list in the payload store and answer its key (never the list). */
    store: z.optional(z.boolean()),
  }),
  z.strictObject({
    op: z.literal('collect'),
    /** Inline Map: its result array. */
    results: z.optional(z.array(z.unknown())),
    /** Distributed Map: its `ResultWriterDetails` (the manifest the ResultWriter wrote). */
    manifest: z.optional(z.strictObject({ Bucket: z.optional(z.string()), Key: z.string() })),
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

/** Output of `op: "items"`: the list inline, or (`store`) where it and the results live. */
export type ItemsStepOutput =
  | { status: 'running'; items: unknown[]; count: number }
  | { status: 'running'; itemsKey: string; resultsPrefix: string; count: number };

/**
 * Output of `op: "collect"`: the forEach node's record. Both `output` and `error` are always present
 * (one of them null) so the Task's ResultSelector can name them.
 */
export type CollectStepOutput =
  | { status: 'succeeded'; output: unknown[]; error: null; items: ItemCounts }
  | { status: 'failed'; output: null; error: { error: 'ForEachFailed'; cause: string }; items: ItemCounts };
