import * as z from 'zod';
import { API_SCOPES } from '../../lib/store/types.ts';
import { definitionSchema } from '../../lib/workflow/definition-schema.ts';

/**
 * The request and response bodies of the HTTP API as zod schemas. Handlers parse requests with
 * them and `openapi.ts` renders the same schemas into the OpenAPI document, so the document
 * cannot drift from what the handlers accept and answer.
 */

/** The API key scopes (the store's list); `admin` implies every other scope. */
export const SCOPES = API_SCOPES;
export const scopeSchema = z.enum(SCOPES);
export type Scope = z.infer<typeof scopeSchema>;

/** A tenant id as it appears in keys and records. */
export const tenantIdSchema = z
  .string()
  .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1-64 characters of letters, digits, "_" or "-"');

/** `?limit=&cursor=` of every listing. */
export const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).optional(),
  cursor: z.string().min(1).max(4096).optional(),
});
export type ListQuery = z.infer<typeof listQuerySchema>;

const EXECUTION_STATUSES = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'INTERRUPTED',
  'PENDING_REDRIVE',
] as const;

/** `?status=&trigger=&limit=&cursor=` of `GET /flows/{flowId}/executions`. */
export const flowExecutionsQuerySchema = listQuerySchema.extend({
  status: z
    .string()
    .transform((text) => text.split(',').map((part) => part.trim()))
    .pipe(z.array(z.enum(EXECUTION_STATUSES)).min(1))
    .optional()
    .describe('one status or several, comma-separated (e.g. FAILED,TIMED_OUT)'),
  trigger: z
    .enum(['api', 'manual', 'webhook', 'schedule', 'queue', 'subflow'])
    .optional()
    .describe('the kind of trigger that started the execution'),
});

/** `?status=&trigger=&flowId=&limit=&cursor=` of `GET /executions`. */
export const executionsQuerySchema = flowExecutionsQuerySchema.extend({
  flowId: z.string().min(1).max(128).optional().describe("only this flow's executions"),
});

/** `{ items, nextCursor? }`: the shape of every listing. */
export const listOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().optional() });

/** RFC 9457 problem details, as every error answers. */
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  instance: z.string(),
  requestId: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/** The definition as a request body (validated in full by `validateDefinition`). */
export const definitionBodySchema = definitionSchema;

/** A trigger of a stored flow version. */
export const triggerViewSchema = z
  .object({
    id: z.string(),
    type: z.enum(['manual', 'webhook', 'schedule', 'queue']),
    config: z.record(z.string(), z.unknown()).optional(),
    url: z.string().optional().describe('webhook: where the sender posts'),
    secret: z
      .string()
      .optional()
      .describe('webhook: the signing secret, shown only on the version that created it'),
    nextFireTimes: z
      .array(z.string())
      .optional()
      .describe('schedule: the next five fire times, ISO 8601 UTC'),
    queueUrl: z.string().optional().describe('queue: where to send a message that starts the flow'),
  })
  .passthrough();

/** A stored flow at one version. */
export const flowViewSchema = z.object({
  flowId: z.string(),
  version: z.number().int(),
  name: z.string(),
  definition: z.record(z.string(), z.unknown()),
  triggers: z.array(triggerViewSchema),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** A flow in a listing. */
export const flowSummarySchema = z.object({
  flowId: z.string(),
  name: z.string(),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** One immutable version of a flow. */
export const versionViewSchema = z.object({
  flowId: z.string(),
  version: z.number().int(),
  name: z.string(),
  createdAt: z.string(),
  createdBy: z.string().optional(),
  triggers: z.array(z.object({ id: z.string(), type: z.string() })),
});

const nodeErrorSchema = z.object({ error: z.string(), cause: z.string().optional() });

/** One run of a node's own state (lib/runtime/node-attempts.ts). */
const nodeAttemptSchema = z
  .object({
    startedAt: z.string(),
    finishedAt: z.string().optional().describe('absent while the attempt runs, or when a stop cut it off'),
    error: nodeErrorSchema.optional().describe('the attempt failed with this error'),
  })
  .describe('one attempt of a node');

/** An execution (DESIGN.md §3), `nodes` as in the CLI's execution record. */
export const executionViewSchema = z.object({
  executionId: z.string(),
  flowId: z.string(),
  version: z.number().int(),
  status: z.string(),
  trigger: z.object({ id: z.string().nullable(), type: z.string() }),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  input: z.unknown(),
  output: z.unknown().optional(),
  error: nodeErrorSchema.optional(),
  parent: z
    .object({ executionId: z.string(), nodeId: z.string() })
    .optional()
    .describe('a subflow child: the execution and node that started it'),
  nodes: z.record(
    z.string(),
    z.object({
      status: z.string(),
      output: z.unknown().optional(),
      error: nodeErrorSchema.optional(),
      logs: z.array(z.string()).optional(),
      startedAt: z.string().optional(),
      finishedAt: z.string().optional(),
      attempts: z
        .array(nodeAttemptSchema)
        .optional()
        .describe(
          'only for a node its retry policy ran more than once: every attempt in order, the last one ' +
            'included (a native retry of a Lambda service error is part of its attempt)',
        ),
    }),
  ),
});

/** `POST /flows/{flowId}/execute` (unknown keys answer 400: `{ "name": "Ada" }` is not an input). */
export const executeBodySchema = z.strictObject({
  input: z.unknown().optional(),
  version: z.number().int().min(1).optional(),
});

/** `POST /flows/execute` (unknown keys answer 400). */
export const executeByIdBodySchema = z.strictObject({
  flowId: z.string().min(1).max(128),
  input: z.unknown().optional(),
  version: z.number().int().min(1).optional(),
});

/** 202 of every start. */
export const executionAcceptedSchema = z.object({ executionId: z.string(), status: z.string() });

/** `POST /keys`. */
export const createKeyBodySchema = z.object({
  name: z.string().min(1).max(128),
  scopes: z.array(scopeSchema).min(1),
  tenant: tenantIdSchema.optional(),
});

/** 201 of `POST /keys`: the key in clear text, shown only here. */
export const createdKeySchema = z.object({
  keyId: z.string(),
  key: z.string(),
  tenant: z.string(),
  scopes: z.array(scopeSchema),
  name: z.string(),
});

/** A key as `GET /keys` lists it: never the key itself. */
export const keyViewSchema = z.object({
  keyId: z.string(),
  name: z.string(),
  tenant: z.string(),
  scopes: z.array(scopeSchema),
  createdAt: z.string(),
  createdBy: z.string().optional(),
  lastUsedAt: z.string().optional().describe('to the hour'),
  revokedAt: z.string().optional(),
});

/** `GET /flows/{flowId}/versions/{version}`: the stored definition and its compile report. */
export const versionDetailSchema = versionViewSchema.extend({
  definition: z.record(z.string(), z.unknown()),
  report: z.lazy(() => compileReportSchema),
});

const compileReportSchema = z
  .object({
    stateMachineType: z.string(),
    definitionBytes: z.number(),
    states: z.number(),
    estimatedTransitions: z.number(),
    addedEdges: z.array(z.unknown()),
    warnings: z.array(z.unknown()),
  })
  .passthrough();

/** `POST /flows/validate`: what saving the definition would say, without saving it. */
export const validationResultSchema = z.object({
  valid: z.boolean(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })),
  warnings: z.array(z.object({ path: z.string(), message: z.string() })),
  report: compileReportSchema.optional(),
});

/** `PUT /secrets/{name}`: the value, write-only (never answered, listed or logged). */
export const putSecretBodySchema = z.strictObject({
  value: z.string().describe('the secret value, 1-4096 bytes of UTF-8'),
});

/** A tenant secret as answers show it: its name and last update, never its value. */
export const secretSummarySchema = z.object({
  name: z.string().describe('1-128 letters, digits, "_", "." or "-"; used as {{ secret:<name> }}'),
  updatedAt: z.string(),
});

/** One audit log entry: who did what, when, from where. */
export const auditEntrySchema = z
  .object({
    at: z.string(),
    tenant: z.string(),
    actor: z.string(),
    action: z.string(),
    resource: z.string(),
    sourceIp: z.string().optional(),
    requestId: z.string().optional(),
  })
  .passthrough();

/** `GET /health`. */
export const healthSchema = z.object({ status: z.literal('ok') });

/** `POST /hooks/{flowId}/{triggerId}` answers 202 with the execution it started. */
export const hookAcceptedSchema = executionAcceptedSchema;

/**
 * `POST /callbacks/{callbackId}` and the keyed node callback: `{ "output": <any JSON> }` completes the
 * waiting node with that output; `{ "error": "<Name>", "cause"?: "…" }` fails it with that error.
 */
export const callbackBodySchema = z.union([
  z
    .object({ output: z.unknown() })
    .strict()
    .refine((body) => 'output' in body, {
      message: 'give "output" (any JSON) to complete the node, or "error" to fail it',
    }),
  z
    .object({
      error: z
        .string()
        .min(1)
        .max(256)
        .regex(/^[^\s]+$/, 'an error name has no spaces (e.g. "Rejected")'),
      cause: z.string().max(32_768).optional(),
    })
    .strict(),
]);

/** 202 of a callback: the node it completed. */
export const callbackAcceptedSchema = z.object({ executionId: z.string(), nodeId: z.string() });

/** `POST /events`: a named event with the key waits match on. */
export const eventBodySchema = z
  .object({
    name: z.string().min(1).max(256),
    key: z.string().min(1).max(1024),
    payload: z.unknown().optional(),
  })
  .strict();

/** 202 of `POST /events`: the stored event's id and how many waiting nodes it completed. */
export const eventAcceptedSchema = z.object({ eventId: z.string(), matched: z.number().int() });
