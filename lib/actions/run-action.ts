import * as z from 'zod/mini';
import { inlineBytesFromEnv, offload } from '../payloads/offload.ts';
import {
  InvalidPayloadKeyError,
  PayloadError,
  type PayloadStore,
  tenantKeyPrefix,
} from '../payloads/payload-store.ts';
import { containsRef, refKeys, resolveRefs } from '../payloads/resolve-refs.ts';
import type { SecretSource } from '../security/secrets.ts';
import {
  type ActionDefinition,
  ActionError,
  type ActionLogger,
  type ActionMetrics,
  InvalidConfigError,
  PayloadTooLargeError,
  type TaskPayload,
} from './action.ts';
import type { IdempotencyStore } from './idempotency.ts';
import { taskPayloadSchema } from './task-payload-schema.ts';
import { redactDeep, redactError, redactingLogger, resolveConfigSecrets } from './task-secrets.ts';

/** Default limit of an action's output as JSON (`FLOWFORGE_MAX_OUTPUT_BYTES`): 200 KiB, under Step Functions' 256 KiB. */
export const DEFAULT_MAX_OUTPUT_BYTES = 200 * 1024;

/** Options of {@link runAction}. */
export interface RunActionOptions {
  /** When given, the Task's side effect runs at most once per `execution.id + nodeId + attempt`. */
  idempotency?: IdempotencyStore;
  /** Output limit in bytes; default `FLOWFORGE_MAX_OUTPUT_BYTES` or 200 KiB. */
  maxOutputBytes?: number;
  logger?: ActionLogger;
  metrics?: ActionMetrics;
  signal?: AbortSignal;
  /** The Lambda's remaining time (lets an in-progress idempotency record expire with it). */
  remainingTimeMs?: () => number;
  /**
   * Where large outputs go and references in configs come from (DESIGN.md §2.1). Without one,
   * configs are used as they are and an output over `maxOutputBytes` is refused.
   */
  payloads?: PayloadStore;
  /** Outputs whose JSON is larger are offloaded to `payloads`; default `FLOWFORGE_INLINE_BYTES` or 8192. */
  inlineBytes?: number;
  /** Where `{{ secret:… }}` in the config is read, for the run's tenant only; absent → such a Task fails `SecretUnavailable`. */
  secrets?: SecretSource;
}

/**
 * A payload reference in the config could not be read, or an output could not be offloaded. The
 * name is the store's: `PayloadNotFound`, `InvalidPayloadKey` (not retryable) or
 * `PayloadStoreUnavailable` (retryable).
 */
export class ActionPayloadError extends ActionError {
  override readonly retryable: boolean;
  constructor(error: PayloadError) {
    super(error.message, { cause: error.message });
    this.name = error.name;
    this.retryable = error.name === 'PayloadStoreUnavailable';
  }
}

/** A duplicate of a Task that is still running elsewhere. Retryable. */
export class ActionInProgressError extends ActionError {
  override readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ActionInProgress';
  }
}

/** The idempotency records could not be read or written. Retryable. */
export class IdempotencyUnavailableError extends ActionError {
  override readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IdempotencyUnavailable';
  }
}

/** The Task was delivered again with the same identity but a different config. Not retryable. */
export class IdempotencyMismatchError extends ActionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IdempotencyMismatch';
  }
}

/** Parses a Task payload; a bad one is `InvalidConfig` naming the offending paths. */
export function parseTaskPayload(payload: unknown): TaskPayload {
  const parsed = z.safeParse(taskPayloadSchema, payload);
  if (!parsed.success)
    throw new InvalidConfigError(`Invalid Task payload: ${describeIssues(parsed.error.issues)}`, {
      cause: describeIssues(parsed.error.issues),
    });
  return parsed.data;
}

/**
 * Runs one Task (already checked by {@link parseTaskPayload}) with `action`: resolve payload
 * references anywhere in the config (with `options.payloads`), then its `{{ secret:… }}` references
 * from the run's tenant only (`options.secrets`; the plaintexts are redacted from the output, every
 * error and every log line), parse the config with the action's
 * schema (`InvalidConfig` with the zod issue paths), run (idempotently when a store is given), then
 * offload an output over `inlineBytes` to the payload store (the Task returns the skeleton; see
 * `offload`) and refuse what is still over the limit (`PayloadTooLarge`, never cut). Errors keep
 * their stable `name`. The idempotency identity and config check use the config as delivered
 * (references unresolved), and a duplicate answers the stored skeleton.
 */
export async function runAction<Config>(
  action: ActionDefinition<Config, unknown>,
  task: TaskPayload,
  options: RunActionOptions = {},
): Promise<unknown> {
  const { payloads } = options;
  const delivered = payloads && containsRef(task.config) ? await resolveConfig(task, payloads) : task.config;
  const { config, secrets } = await resolveConfigSecrets(delivered, task.execution.tenant, options.secrets);
  const parsed = z.safeParse(action.configSchema, config);
  if (!parsed.success) {
    const details = describeIssues(parsed.error.issues);
    throw redactError(
      new InvalidConfigError(`Invalid config for action "${action.kind}": ${details}`, { cause: details }),
      secrets,
    );
  }
  const limit = options.maxOutputBytes ?? maxOutputBytesFromEnv();
  const inlineBytes = options.inlineBytes ?? inlineBytesFromEnv();
  const execute = async () => {
    try {
      const result = redactDeep(
        await action.run(parsed.data, {
          nodeId: task.nodeId,
          attempt: task.attempt,
          execution: task.execution,
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.logger ? { logger: redactingLogger(options.logger, secrets) } : {}),
          ...(options.metrics ? { metrics: options.metrics } : {}),
          ...(payloads ? { payloads } : {}),
          ...(secrets.length > 0 ? { secrets } : {}),
        }),
        secrets,
      );
      const inline = action.inlineOutput?.(parsed.data) ?? false;
      const output = payloads && !inline ? await offloadOutput(task, result, inlineBytes, payloads) : result;
      const bytes = Buffer.byteLength(JSON.stringify(output ?? null));
      if (bytes > limit)
        throw new PayloadTooLargeError(
          `Output of node "${task.nodeId}" is ${bytes} bytes, over the ${limit}-byte limit of a Task result`,
          { cause: `${bytes} > ${limit}` },
        );
      return output;
    } catch (error) {
      throw redactError(error, secrets);
    }
  };
  if (!options.idempotency) return execute();
  try {
    return await options.idempotency.run(task, execute, { remainingTimeMs: options.remainingTimeMs });
  } catch (error) {
    throw translateIdempotencyError(error);
  }
}

/** The config with its references resolved; a reference of another tenant is `InvalidPayloadKey`, never read. */
async function resolveConfig(task: TaskPayload, payloads: PayloadStore): Promise<Record<string, unknown>> {
  const own = tenantKeyPrefix(task.execution.tenant);
  try {
    for (const key of refKeys(task.config))
      if (!key.startsWith(own))
        throw new InvalidPayloadKeyError(
          `A payload reference in the config of node "${task.nodeId}" is not of this tenant`,
        );
    return (await resolveRefs(task.config, (key) => payloads.getJson(key))) as Record<string, unknown>;
  } catch (error) {
    throw error instanceof PayloadError ? new ActionPayloadError(error) : error;
  }
}

async function offloadOutput(
  task: TaskPayload,
  output: unknown,
  inlineBytes: number,
  payloads: PayloadStore,
): Promise<unknown> {
  const scope = {
    ...(task.execution.tenant === undefined ? {} : { tenant: task.execution.tenant }),
    flowId: task.execution.flowId,
    executionId: task.execution.id,
    nodeId: task.nodeId,
  };
  try {
    return await offload(output, inlineBytes, (subtree) => payloads.putJson(scope, subtree));
  } catch (error) {
    throw error instanceof PayloadError ? new ActionPayloadError(error) : error;
  }
}

function translateIdempotencyError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  switch (error.name) {
    case 'IdempotencyAlreadyInProgressError':
      return new ActionInProgressError('The same Task is already running', { cause: error.message });
    case 'IdempotencyValidationError':
      return new IdempotencyMismatchError('The same Task was delivered with a different config', {
        cause: error.message,
      });
    case 'IdempotencyPersistenceLayerError':
    case 'IdempotencyInconsistentStateError':
    case 'IdempotencyPersistenceConsistencyError':
    case 'IdempotencyKeyError':
      return new IdempotencyUnavailableError(`Idempotency records unavailable: ${error.message}`, {
        cause: error.message,
      });
    default:
      return error;
  }
}

function maxOutputBytesFromEnv(): number {
  const value = Number(process.env.FLOWFORGE_MAX_OUTPUT_BYTES);
  return Number.isInteger(value) && value > 0 ? value : DEFAULT_MAX_OUTPUT_BYTES;
}

function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  return issues
    .map(
      (issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)'}: ${issue.message}`,
    )
    .join('; ');
}
