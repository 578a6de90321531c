import type { ExecutionParent } from '../store/types.ts';
import type { WorkflowDefinition } from '../workflow/definition-schema.ts';

export type { ExecutionParent } from '../store/types.ts';

/**
 * The contract between every trigger and the service's one start path
 * (`lib/service/start-execution.ts`). Triggers receive it as an injected function so that
 * they depend on the contract only, never on the use case's internals.
 */

export type TriggerType = 'api' | 'webhook' | 'schedule' | 'queue' | 'subflow';

export interface StartExecutionRequest {
  tenantId: string;
  flowId: string;
  /** A pinned version; absent means the flow's current version. */
  version?: number;
  input: unknown;
  /** The trigger node that fired (`null` when none applies) and how the run was started. */
  trigger: { id: string | null; type: TriggerType };
  /** Same key → same execution: the use case derives the execution name from it and dedupes. */
  idempotencyKey: string;
  /**
   * Hash of the client's request behind a client-chosen key: the same key with another hash is
   * refused (`IdempotencyKeyReusedError`) instead of answering the first execution.
   */
  requestHash?: string;
  /** For a subflow's child: the parent's node that started it (trigger type `subflow`). */
  parent?: ExecutionParent;
}

export interface StartExecutionResult {
  executionId: string;
  status: string;
  /** True when this key had already started an execution and nothing new was started. */
  alreadyStarted: boolean;
}

/** `startExecution` with its dependencies already bound: `(request) => startExecution(deps, request)`. */
export type StartExecutionFn = (request: StartExecutionRequest) => Promise<StartExecutionResult>;

/** The facts about a stored flow version that triggers need. */
export interface TriggerFlow {
  flowId: string;
  version: number;
  definition: WorkflowDefinition;
}

/**
 * Looks a flow up within a tenant: the given version, or the current one when `version` is
 * absent. Resolves `null` when the flow (or that version) does not exist for the tenant.
 */
export type FlowLookup = (tenantId: string, flowId: string, version?: number) => Promise<TriggerFlow | null>;
