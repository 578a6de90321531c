import * as z from 'zod/mini';
import type { TaskPayload } from './action.ts';

/** The Task payload every action Lambda receives (DESIGN.md §2), as a zod/mini schema. */
export const taskPayloadSchema: z.ZodMiniType<TaskPayload> = z.looseObject({
  nodeId: z.string().check(z.minLength(1)),
  action: z.string().check(z.minLength(1)),
  config: z._default(z.record(z.string(), z.unknown()), {}),
  execution: z.looseObject({
    id: z.string().check(z.minLength(1)),
    startedAt: z.string(),
    flowId: z.string(),
    version: z.number(),
    trigger: z.optional(z.object({ id: z.nullable(z.string()), type: z.string() })),
  }),
  attempt: z._default(z.int().check(z.gte(1)), 1),
  phase: z.optional(z.string().check(z.minLength(1))),
  iteration: z.optional(z.string().check(z.minLength(1))),
});
