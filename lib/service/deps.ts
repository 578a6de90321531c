import type { Compile, CompileContext } from '../compiler/types.ts';
import type { PayloadStore } from '../payloads/payload-store.ts';
import type { StateMachines } from '../runtime/state-machines.ts';
import type { Clock, Stores } from '../store/types.ts';
import type { TaskTokens } from '../waits/task-tokens.ts';

/** The few log calls the use cases make; Powertools' Logger and the local server's logger both fit. */
export interface ServiceLogger {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/**
 * Registers and unregisters the triggers of a flow version (schedules with the scheduler, webhook
 * secrets, queue routes). Implemented by the triggers area for AWS and for local mode.
 */
export interface TriggerRegistrar {
  /**
   * Makes `version`'s triggers the live ones of the flow (removing triggers the previous version had
   * and this one has not). Answers, per trigger id, facts to show once: a new webhook's `secret`.
   */
  register(request: RegisterTriggersRequest): Promise<Record<string, { secret?: string }>>;
  /** Removes every trigger of a deleted flow. */
  unregisterAll(tenantId: string, flowId: string): Promise<void>;
}

export interface RegisterTriggersRequest {
  tenantId: string;
  flowId: string;
  version: number;
  triggers: Array<{
    id: string;
    type: 'manual' | 'webhook' | 'schedule' | 'queue';
    config?: Record<string, unknown>;
  }>;
  /** The deployed machine of the version (schedules in AWS target it). */
  machine?: { stateMachineArn: string; versionArn: string };
}

/**
 * Everything the use cases need, injected: the AWS adapters in Lambda (functions/shared/aws-deps.ts)
 * and the local ones in `npm start` (lib/local/server.ts). No use case reads `process.env` or a clock.
 */
export interface Deps {
  stores: Stores;
  stateMachines: StateMachines;
  compile: Compile;
  compileContext: CompileContext;
  triggers: TriggerRegistrar;
  /** The current secrets of a webhook registration's `secretRef` (`WebhookSecrets.resolve`, lib/triggers/webhook-secrets.ts). */
  resolveWebhookSecrets: (secretRef: string) => Promise<string[]>;
  clock: Clock;
  /** The budget of one tenant over all its keys (default `TENANT_RATE_LIMIT` of the API handler). */
  tenantRateLimit?: { capacity: number; refillPerSecond: number };
  /** Public base URL of the API (`https://…/api/v1` is appended by callers), for webhook URLs. */
  apiBaseUrl: string;
  log: ServiceLogger;
  /**
   * True where the HTTP server can stream a response (npm start): the execution event stream then
   * follows a run to its end. API Gateway HTTP APIs answer whole responses only.
   */
  responseStreaming?: boolean;
  /**
   * Where large node outputs live (S3 in AWS, `<dataDir>/payloads` locally): `GET /executions/{id}`
   * shows the values behind their references. Absent: references are shown as they are.
   */
  payloads?: PayloadStore;
  /** Answers waiting Tasks (callbacks, events): Step Functions' SendTask* in AWS, the local runner locally. */
  taskTokens?: TaskTokens;
}
