import type { ZodMiniType } from 'zod/mini';
import type { PayloadStore } from '../payloads/payload-store.ts';

/** What every Task sends its action Lambda (DESIGN.md §2): `config` has every template already resolved. */
export interface TaskPayload {
  nodeId: string;
  action: string;
  config: Record<string, unknown>;
  execution: ExecutionInfo;
  /** 1 for the first attempt, 2 for the first retry, … */
  attempt: number;
  /**
   * Which Task of the node this is: absent for the node's own (forward) Task, e.g. `"compensate"`
   * for its compensation. Part of the idempotency identity, so a second Task of a node never meets
   * the first one's record.
   */
  phase?: string;
  /**
   * Inside a forEach body: which item of which forEach this Task runs for (`each[3]`,
   * `each[3]/inner[0]`). Part of the idempotency identity, so items never share a record.
   */
  iteration?: string;
}

/** The `execution` object of the machine state (DESIGN.md §2). */
export interface ExecutionInfo {
  id: string;
  startedAt: string;
  flowId: string;
  version: number;
  trigger?: { id: string | null; type: string };
  /**
   * The tenant the execution runs for (set by the service's start path): waits scope their records
   * by it, and `{{ secret:… }}` resolves only among its secrets.
   */
  tenant?: string;
  /** A subflow's child: how deep in the chain of subflows it runs (1 for a child of a top-level run). */
  depth?: number;
}

/** What an action's `run()` receives besides its config. */
export interface ActionContext {
  nodeId: string;
  attempt: number;
  execution: ExecutionInfo;
  /** Aborted when the Task's time is up. */
  signal?: AbortSignal;
  /** Where the action writes log lines (the Lambda's structured logger); absent means no logging. */
  logger?: ActionLogger;
  /** Where the action records numbers (the Lambda's Powertools metrics); absent means none. */
  metrics?: ActionMetrics;
  /**
   * The plaintexts of the secrets resolved into this Task's config (the core redacts them from the
   * output, errors and logs); an action may treat values containing them as credentials.
   */
  secrets?: readonly string[];
  /** The payload store, where files live (http downloads and uploads, email attachments); absent means no files. */
  payloads?: PayloadStore;
}

/** Numeric metrics an action may record (e.g. the ai action's token usage). */
export interface ActionMetrics {
  /** Adds `value` (a count) to metric `name`, with extra `dimensions` beside the action kind. */
  count(name: string, value: number, dimensions?: Record<string, string>): void;
}

/** The part of a logger an action may use (Powertools Logger satisfies it). */
export interface ActionLogger {
  debug(message: string, ...extra: unknown[]): void;
  info(message: string, ...extra: unknown[]): void;
  warn(message: string, ...extra: unknown[]): void;
  error(message: string, ...extra: unknown[]): void;
}

/**
 * One action kind. The config schema lives in the kind's `schema.ts` so the validator can use it
 * without loading the action's runtime dependencies; `run()` returns the node's output as is.
 * `configSchema` is a zod/mini schema (a classic zod schema fits the type too): handler bundles
 * then carry zod/mini's few KB instead of classic zod's ~450 KB.
 */
export interface ActionDefinition<Config = Record<string, unknown>, Output = unknown> {
  kind: string;
  configSchema: ZodMiniType<Config>;
  run(config: Config, context: ActionContext): Promise<Output>;
  /**
   * True when this config's output must stay inline in the state (never offloaded to the payload
   * store), e.g. the list a forEach's Map iterates: the Map reads it from the state. The state
   * limit still applies.
   */
  inlineOutput?(config: Config): boolean;
}

/**
 * Base of the errors actions throw. `name` is stable: the compiled Retry/Catch match on it
 * (Step Functions sees it as the Lambda's `errorType`), and `retryable` says whether the default
 * retry policy of a Task retries it.
 */
export class ActionError extends Error {
  readonly retryable: boolean = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ActionError';
  }
}

/** The config does not satisfy the action's schema (after templates were resolved). Not retryable. */
export class InvalidConfigError extends ActionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidConfig';
  }
}

/** The output is larger than a Step Functions state may carry. Not retryable. */
export class PayloadTooLargeError extends ActionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PayloadTooLarge';
  }
}
