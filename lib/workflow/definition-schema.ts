import * as z from 'zod';

/**
 * The workflow definition as zod schemas (DESIGN.md §2). This is the shape check only;
 * the rules zod cannot express (graph, templates, conditions, action configs) live in
 * `validate-definition.ts`. Types are inferred from these schemas, never written by hand.
 */

/** A node id: letters, digits, `_` and `-`, 1–64 characters. Compiler-added state names never match it. */
export const NODE_ID_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

/** Ids that name a property of every JavaScript object: a node of that id could not be looked up. */
export const RESERVED_NODE_IDS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

export const nodeIdSchema = z
  .string()
  .regex(NODE_ID_PATTERN, 'must be 1-64 characters of letters, digits, "_" or "-"')
  .refine((id) => !RESERVED_NODE_IDS.includes(id), {
    message: `must not be one of ${RESERVED_NODE_IDS.join(', ')} (reserved)`,
  });

export const retryStrategySchema = z.enum(['exponential', 'linear', 'fibonacci', 'fixed']);

/** Retry policy of a node. Delays are seconds; `maxAttempts` counts the first attempt. */
export const retrySchema = z
  .object({
    strategy: retryStrategySchema,
    maxAttempts: z.number().int().min(1).max(20),
    delaySeconds: z.number().min(0).max(86_400).default(1),
    maxDelaySeconds: z.number().min(0).max(86_400).optional(),
    jitter: z.boolean().default(false),
    retryOn: z.array(z.string().min(1).max(256)).min(1).optional(),
  })
  .strict();

/** The action run to undo a node's effect when the run fails after the node succeeded (saga). */
export const compensateSchema = z
  .object({
    action: z.string().min(1),
    config: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

const nodeCommon = {
  id: nodeIdSchema,
  name: z.string().max(256).optional(),
  description: z.string().max(4096).optional(),
  dependencies: z.array(nodeIdSchema).optional(),
  join: z.enum(['all', 'any']).optional(),
  onError: z.enum(['fail', 'continue']).optional(),
  retry: retrySchema.optional(),
  timeoutSeconds: z.number().int().min(1).max(31_536_000).optional(),
  compensate: compensateSchema.optional(),
};

export const triggerKindSchema = z.enum(['manual', 'webhook', 'schedule', 'queue']);

export const triggerNodeSchema = z
  .object({
    ...nodeCommon,
    type: z.literal('trigger'),
    trigger: triggerKindSchema,
    config: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export const actionNodeSchema = z
  .object({
    ...nodeCommon,
    type: z.literal('action'),
    action: z.string().min(1).max(64),
    config: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

/** Operations compile to native states; `forEach` and `subflow` are DESIGN.md §2.1 (configs in `operation-configs.ts`). */
export const operationKindSchema = z.enum([
  'delay',
  'set',
  'fail',
  'noop',
  'waitForCallback',
  'waitForEvent',
  'forEach',
  'subflow',
  'respond',
]);

export const operationNodeSchema = z
  .object({
    ...nodeCommon,
    type: z.literal('operation'),
    operation: operationKindSchema,
    config: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

/** A node: discriminated on `type`. */
export const nodeSchema = z.discriminatedUnion('type', [
  triggerNodeSchema,
  actionNodeSchema,
  operationNodeSchema,
]);

export const edgeOnSchema = z.enum(['success', 'error', 'always']);

/** An edge with an optional condition (the expression language of `expression.ts`). */
export const connectionSchema = z
  .object({
    from: nodeIdSchema,
    to: nodeIdSchema,
    on: edgeOnSchema.optional(),
    condition: z.string().min(1).max(4096).optional(),
  })
  .strict();

export const definitionSchema = z
  .object({
    $schema: z.string().optional(),
    name: z.string().min(1).max(128),
    description: z.string().max(4096).optional(),
    /** Standard by default; Express only when asked, and refused for nodes that need Standard (§2.1). */
    machineType: z.enum(['standard', 'express']).optional(),
    /** Older spelling of `machineType` (`STANDARD` / `EXPRESS`), still accepted. */
    stateMachineType: z.enum(['STANDARD', 'EXPRESS']).optional(),
    inputSchema: z.record(z.string(), z.unknown()).optional(),
    nodes: z.array(nodeSchema).min(1).max(10_000),
    connections: z.array(connectionSchema).max(50_000).optional(),
  })
  .strict();

export type RetryPolicy = z.infer<typeof retrySchema>;
export type Compensation = z.infer<typeof compensateSchema>;
export type TriggerNode = z.infer<typeof triggerNodeSchema>;
export type ActionNode = z.infer<typeof actionNodeSchema>;
export type OperationNode = z.infer<typeof operationNodeSchema>;
export type WorkflowNode = z.infer<typeof nodeSchema>;
export type Connection = z.infer<typeof connectionSchema>;
export type EdgeOn = z.infer<typeof edgeOnSchema>;
/** A definition after zod parsing (defaults applied). */
export type WorkflowDefinition = z.infer<typeof definitionSchema>;
/** A definition as a user writes it (before defaults). */
export type WorkflowDefinitionInput = z.input<typeof definitionSchema>;
