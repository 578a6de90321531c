import * as z from 'zod';
import { connectionSchema, nodeIdSchema, nodeSchema, type OperationNode } from './definition-schema.ts';
import { hasTemplate } from './template.ts';

/**
 * Config schemas of the operations (DESIGN.md §2), which compile to native states. The validator
 * checks `config` against them (ignoring any issue at or under a string with a template, since a
 * template may produce any type at run time); the compiler reads the parsed configs.
 */

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** `delay`: wait `seconds` (a number >= 0, or a template), or `until` a timestamp (ISO 8601 with offset, or a template). */
export const delayConfigSchema = z
  .object({
    seconds: z.number().min(0).max(31_536_000).optional(),
    until: z
      .string()
      .refine(
        (value) => hasTemplate(value) || (ISO_TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value))),
        {
          message: 'must be an ISO 8601 timestamp with a time zone (2026-12-01T10:00:00Z) or a template',
        },
      )
      .optional(),
  })
  .strict()
  .refine((config) => (config.seconds === undefined) !== (config.until === undefined), {
    message: 'a delay takes exactly one of "seconds" or "until"',
  });

/** `set`: a Pass state that builds `values` (templates resolved) as the node's output. */
export const setConfigSchema = z.object({ values: z.record(z.string(), z.unknown()) }).strict();

/** `fail`: a Fail state with an optional error name and cause. */
export const failConfigSchema = z
  .object({ error: z.string().min(1).max(256).optional(), cause: z.string().max(32_768).optional() })
  .strict();

/** `noop`: does nothing (a Pass state); takes no config. */
export const noopConfigSchema = z.object({}).strict();

/** The longest a wait may last (1 year, the longest a Standard execution may run). */
export const MAX_WAIT_SECONDS = 31_536_000;
/** The furthest back an early event still counts for a waitForEvent (and how long events are kept). */
export const MAX_LOOKBACK_SECONDS = 86_400;
/** The lookback of a waitForEvent without `lookbackSeconds`. */
export const DEFAULT_LOOKBACK_SECONDS = 300;

const waitTimeoutSchema = z.number().int().min(1).max(MAX_WAIT_SECONDS);

/**
 * `waitForCallback` (DESIGN.md §2.1): waits until `POST /callbacks/{callbackId}` (or the keyed route)
 * answers, at most `timeoutSeconds`. `notify` is an action run once the callback exists; its config is
 * checked against its action's own schema, and its templates may use `callback.url` and `callback.id`.
 */
export const waitForCallbackConfigSchema = z
  .object({
    timeoutSeconds: waitTimeoutSchema.optional(),
    notify: z
      .object({ action: z.string().min(1).max(64), config: z.record(z.string(), z.unknown()).default({}) })
      .strict()
      .optional(),
  })
  .strict();

/**
 * `waitForEvent` (DESIGN.md §2.1): waits for `POST /events` with this `event` name and the `match`
 * key (a template over upstream data, or a literal); an event up to `lookbackSeconds` before the wait
 * began counts too.
 */
export const waitForEventConfigSchema = z
  .object({
    event: z.string().min(1).max(256),
    match: z.string().min(1).max(1024),
    timeoutSeconds: waitTimeoutSchema.optional(),
    lookbackSeconds: z.number().int().min(0).max(MAX_LOOKBACK_SECONDS).default(DEFAULT_LOOKBACK_SECONDS),
  })
  .strict();

/** Deepest nesting of forEach bodies (a forEach inside a body inside a body: depth 3). */
export const MAX_FOREACH_DEPTH = 3;
/** Step Functions' inline Map runs at most 40 iterations at once. */
export const MAX_FOREACH_CONCURRENCY = 40;
export const DEFAULT_FOREACH_CONCURRENCY = 10;

/**
 * `forEach`: runs the body sub-DAG (`nodes`, `connections`) once per element of `items` (one
 * template resolving to an array). `output` names the body node whose output is collected per item
 * (default: the body's only sink). `toleratedFailures` (a count) or `toleratedFailurePercent`.
 * Body nodes are checked as nodes here; their configs, graph and references by the validator's
 * body checks (`checks/foreach-bodies.ts`), with pointers into the body.
 */
export const forEachConfigSchema = z
  .object({
    items: z.string().min(1).max(4096),
    concurrency: z.number().int().min(1).max(MAX_FOREACH_CONCURRENCY).default(DEFAULT_FOREACH_CONCURRENCY),
    toleratedFailures: z.number().int().min(0).max(1_000_000_000).optional(),
    toleratedFailurePercent: z.number().min(0).max(100).optional(),
    nodes: z.array(nodeSchema).min(1).max(1_000),
    connections: z.array(connectionSchema).max(10_000).optional(),
    output: nodeIdSchema.optional(),
  })
  .strict()
  .refine((c) => c.toleratedFailures === undefined || c.toleratedFailurePercent === undefined, {
    message: 'give either "toleratedFailures" or "toleratedFailurePercent", not both',
    path: ['toleratedFailurePercent'],
  });

/**
 * `subflow`: starts flow `flowId` of the same tenant with `input` (templates resolved). Without
 * `version` the child's latest version at save time is pinned. `wait` (default true) waits for
 * the child and takes its output; `wait: false` gives `{ executionId }` at once.
 */
export const subflowConfigSchema = z
  .object({
    flowId: z.string().min(1).max(128),
    version: z.number().int().min(1).optional(),
    input: z.record(z.string(), z.unknown()).optional(),
    wait: z.boolean().default(true),
  })
  .strict();

/** Headers a `respond` operation may not set: the server frames the answer itself. */
export const RESPONSE_HEADERS_REFUSED: ReadonlySet<string> = new Set([
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'trailer',
  'te',
  'proxy-connection',
  'set-cookie',
]);

/**
 * `respond` (DESIGN.md §2.2): the answer of a webhook trigger with `response: "sync"` that is still
 * waiting — `status` (default 200), `headers` (string values; framing headers and `set-cookie` are
 * refused) and `body` (a string is sent as text, anything else as JSON). Its output is
 * `{ status, headers, body }`; in a run without a waiting webhook it changes nothing else.
 */
export const respondConfigSchema = z
  .object({
    status: z
      .union([
        z.number().int().min(200).max(599),
        z.string().max(1024).refine(hasTemplate, { message: 'a status is a number 200–599 or a template' }),
      ])
      .default(200),
    headers: z
      .record(
        z
          .string()
          .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/, 'a header name is a token (letters, digits, -)')
          .refine((name) => !RESPONSE_HEADERS_REFUSED.has(name.toLowerCase()), {
            message: 'the server sets this header itself',
          }),
        z.string().max(8192),
      )
      .default({}),
    body: z.unknown().optional(),
  })
  .strict();

/** The config schema of each operation kind. */
export const operationConfigSchemas = {
  delay: delayConfigSchema,
  set: setConfigSchema,
  fail: failConfigSchema,
  noop: noopConfigSchema,
  waitForCallback: waitForCallbackConfigSchema,
  waitForEvent: waitForEventConfigSchema,
  forEach: forEachConfigSchema,
  subflow: subflowConfigSchema,
  respond: respondConfigSchema,
} as const satisfies Record<OperationNode['operation'], z.ZodType>;

export type DelayConfig = z.infer<typeof delayConfigSchema>;
export type SetConfig = z.infer<typeof setConfigSchema>;
export type FailConfig = z.infer<typeof failConfigSchema>;
export type NoopConfig = z.infer<typeof noopConfigSchema>;
export type WaitForCallbackConfig = z.infer<typeof waitForCallbackConfigSchema>;
export type WaitForEventConfig = z.infer<typeof waitForEventConfigSchema>;

/** The operations that pause a run until something outside answers (Standard machines only). */
export const WAIT_OPERATIONS: ReadonlySet<string> = new Set(['waitForCallback', 'waitForEvent']);
export type ForEachConfig = z.infer<typeof forEachConfigSchema>;
export type SubflowConfig = z.infer<typeof subflowConfigSchema>;
export type RespondConfig = z.infer<typeof respondConfigSchema>;
