/**
 * Record types and ports of the FlowForge store (DynamoDB single table, DESIGN.md §1).
 *
 * Conventions every store follows:
 * - Every method takes the caller's `tenant` first; records of another tenant are never returned
 *   (a foreign id is a `NotFoundError`, a foreign cursor an `InvalidCursorError`).
 * - Ids that come from outside (flowId, executionId, keyId, triggerId) must match
 *   `^[a-zA-Z0-9_-]{1,128}$`; anything else cannot exist, so getters answer `NotFoundError`.
 * - Timestamps are ISO 8601 UTC strings from the injected clock.
 * - Getters throw `NotFoundError` (lib/store/errors.ts) unless they are named `find…`, which
 *   answer `undefined`.
 * - Listings take `{ limit?, cursor? }` and answer `{ items, nextCursor? }`; `nextCursor` is opaque.
 */

import type { AslDefinition, CompileReport } from '../compiler/types.ts';
import type { ExecutionStatus, NodeError, NodeRecord } from '../runtime/execution-record.ts';
import type { DeployedMachine } from '../runtime/state-machines.ts';
import type { TenantSecretStore } from '../security/tenant-secrets.ts';
import type { WorkflowDefinition } from '../workflow/definition-schema.ts';
import type { WaitStorePort } from './wait-store.ts';

// ---------------------------------------------------------------------------------------------
// Pagination

/** A page request: `limit` is clamped to 1..100 (default 25); `cursor` is a previous `nextCursor`. */
export interface PageRequest {
  limit?: number;
  cursor?: string;
}

/** One page of a listing; `nextCursor` is absent on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

// ---------------------------------------------------------------------------------------------
// Flows and versions

/** The trigger kinds of the definition schema. */
export type TriggerType = 'manual' | 'webhook' | 'schedule' | 'queue';

/** A trigger as stored with a version (derived from the definition's trigger nodes). */
export interface TriggerSummary {
  id: string;
  type: TriggerType;
  /** The trigger node's config (cron/timezone for schedules, …). */
  config?: Record<string, unknown>;
  /** For webhooks: where the signing secret lives (never the secret itself in AWS mode). */
  secretRef?: string;
}

/** The head of a flow: what `GET /flows` lists. */
export interface FlowSummary {
  tenant: string;
  flowId: string;
  /** The definition's `name` of the latest version. */
  name: string;
  latestVersion: number;
  createdAt: string;
  updatedAt: string;
}

/** One immutable version of a flow, as listed (without the large documents). */
export interface FlowVersionSummary {
  tenant: string;
  flowId: string;
  version: number;
  name: string;
  createdAt: string;
  /** keyId of the writer, when known. */
  createdBy?: string;
  triggers: TriggerSummary[];
  /** The deployed state machine version; absent until `FlowStore.setMachine` records it. */
  machine?: DeployedMachine;
}

/** One immutable version with its documents. */
export interface FlowVersion extends FlowVersionSummary {
  definition: WorkflowDefinition;
  compiled: AslDefinition;
  report: CompileReport;
}

/** What a save writes: the validated definition and its compile result. */
export interface NewFlowVersion {
  definition: WorkflowDefinition;
  compiled: AslDefinition;
  report: CompileReport;
  triggers: TriggerSummary[];
  /** When the machine was deployed before saving; otherwise record it later with `setMachine`. */
  machine?: DeployedMachine;
  createdBy?: string;
}

/**
 * Flows and their immutable versions. Concurrency contract: `saveVersion` succeeds for exactly one
 * of several concurrent callers with the same `expectedVersion`; the others get `VersionConflictError`.
 */
export interface FlowStorePort {
  /** Creates a flow at version 1 (flowId generated as a UUID unless given). Given and taken → `AlreadyExistsError`. */
  createFlow(tenant: string, input: NewFlowVersion & { flowId?: string }): Promise<FlowVersion>;
  /** Saves version `expectedVersion + 1`; stale `expectedVersion` → `VersionConflictError`; deleted/unknown → `NotFoundError`. */
  saveVersion(
    tenant: string,
    flowId: string,
    expectedVersion: number,
    input: NewFlowVersion,
  ): Promise<FlowVersion>;
  /** Records the deployed machine of a version (once; a second, different machine → `AlreadyExistsError`). */
  setMachine(tenant: string, flowId: string, version: number, machine: DeployedMachine): Promise<void>;
  /** The head of a live flow, else `NotFoundError`. */
  getFlow(tenant: string, flowId: string): Promise<FlowSummary>;
  /** One version (the latest when `version` is omitted) of a live flow, else `NotFoundError`. */
  getVersion(tenant: string, flowId: string, version?: number): Promise<FlowVersion>;
  /** Live flows of a tenant, newest first. */
  listFlows(tenant: string, page?: PageRequest): Promise<Page<FlowSummary>>;
  /** Versions of a live flow, newest first. */
  listVersions(tenant: string, flowId: string, page?: PageRequest): Promise<Page<FlowVersionSummary>>;
  /**
   * Soft-deletes a flow (versions stay for executions that reference them, but every getter and
   * listing answers as if it never existed). Returns the head as it was. Unknown → `NotFoundError`.
   */
  deleteFlow(tenant: string, flowId: string): Promise<FlowSummary>;
}

// ---------------------------------------------------------------------------------------------
// Executions

/** How an execution was started. `id` is the trigger node id (`null` for API `execute`). */
export interface ExecutionTrigger {
  id: string | null;
  type: 'api' | 'subflow' | TriggerType;
}

/**
 * The parent of a subflow's child execution (DESIGN.md §2.1): its execution and node, the key of
 * the parent's wait (the node id, or inside a forEach body the iteration's key) when it waits for
 * the child, and the child's depth in the chain (1 for a child of a top-level run).
 */
export interface ExecutionParent {
  executionId: string;
  nodeId: string;
  waitKey?: string;
  depth: number;
}

/** A stored execution: the DESIGN.md §3 execution shape plus bookkeeping. */
export interface ExecutionItem {
  tenant: string;
  executionId: string;
  flowId: string;
  version: number;
  status: ExecutionStatus;
  trigger: ExecutionTrigger;
  startedAt: string;
  finishedAt?: string;
  input: unknown;
  output?: unknown;
  error?: NodeError;
  nodes: Record<string, NodeRecord>;
  /**
   * The Step Functions (or local) execution ARN: written with the record when the state machine
   * names executions predictably (the execution may then not have started yet), else once started.
   */
  executionArn?: string;
  idempotencyKey?: string;
  /** Hash of the request that started it with `idempotencyKey` (the same key with another body is refused). */
  requestHash?: string;
  /** A subflow's child: the parent execution and node that started it. */
  parent?: ExecutionParent;
  updatedAt: string;
}

export interface NewExecution {
  flowId: string;
  version: number;
  trigger: ExecutionTrigger;
  input: unknown;
  /** Defaults to 'RUNNING'. */
  status?: ExecutionStatus;
  /**
   * Generated (UUID) when omitted. Given together with `idempotencyKey`, it must be derived from
   * the key (one key, one id): the conditional create on it is then the idempotency, no marker.
   */
  executionId?: string;
  /** Known before the start when the state machine names its executions predictably (see `StateMachines.executionArnOf`). */
  executionArn?: string;
  /**
   * The same key (per tenant) returns the same execution: for ever with a derived `executionId`,
   * else within `idempotencyTtlSeconds` (default 24 h).
   */
  idempotencyKey?: string;
  /** Hash of the client request behind `idempotencyKey` (see `ExecutionItem.requestHash`). */
  requestHash?: string;
  /** A subflow's child: its parent (see `ExecutionItem.parent`). */
  parent?: ExecutionParent;
}

/** Narrows an execution listing; every given field must match. */
export interface ExecutionFilter {
  /** Any of these statuses. */
  status?: readonly ExecutionStatus[];
  /** Started by a trigger of this kind (`api` for `execute`). */
  triggerType?: ExecutionTrigger['type'];
}

/** Fields an update may change; omitted fields stay as they are. */
export interface ExecutionPatch {
  status?: ExecutionStatus;
  finishedAt?: string;
  output?: unknown;
  error?: NodeError;
  nodes?: Record<string, NodeRecord>;
  /**
   * The nodes already encoded as the store keeps them (codec.ts `packJson`), instead of `nodes`:
   * local mode's interpreter thread packs a finished run's nodes, so the API's event loop does not.
   */
  packedNodes?: string | Uint8Array;
  executionArn?: string;
}

export interface ExecutionStorePort {
  /**
   * Creates an execution (conditional on its id). With an `idempotencyKey` that was already used
   * by this tenant, nothing is written and the earlier execution comes back with `created: false`
   * (the caller compares flowId/input if it cares). A given `executionId` taken by another key (or
   * by a start without one) → `AlreadyExistsError`.
   */
  create(tenant: string, input: NewExecution): Promise<{ execution: ExecutionItem; created: boolean }>;
  /** Applies a patch; `onlyIfStatus` makes it conditional (else `VersionConflictError`). Unknown → `NotFoundError`. */
  update(
    tenant: string,
    executionId: string,
    patch: ExecutionPatch,
    options?: { onlyIfStatus?: ExecutionStatus[] },
  ): Promise<ExecutionItem>;
  get(tenant: string, executionId: string): Promise<ExecutionItem>;
  /** The execution an idempotency key started without a derived id, if the key is known and not expired. */
  findByIdempotencyKey(tenant: string, key: string): Promise<ExecutionItem | undefined>;
  /** Executions of one flow, newest first; a cursor is bound to the filter it was made with. */
  listByFlow(
    tenant: string,
    flowId: string,
    page?: PageRequest,
    filter?: ExecutionFilter,
  ): Promise<Page<ExecutionItem>>;
  /** Executions of the tenant, newest first; a cursor is bound to the filter it was made with. */
  listByTenant(tenant: string, page?: PageRequest, filter?: ExecutionFilter): Promise<Page<ExecutionItem>>;
  /**
   * Every RUNNING or PENDING_REDRIVE execution of every tenant. Scans the table: only for
   * local-mode startup recovery (marking interrupted runs), never on a request path.
   */
  listUnfinished(): AsyncIterable<ExecutionItem>;
}

// ---------------------------------------------------------------------------------------------
// API keys and rate limits

/** The scopes of DESIGN.md / issue 5. */
export const API_SCOPES = [
  'flows:read',
  'flows:write',
  'executions:start',
  'executions:read',
  'events:send',
  'admin',
] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** Token bucket parameters: `capacity` tokens, refilled at `refillPerSecond`. */
export interface RateLimit {
  capacity: number;
  refillPerSecond: number;
}

/** A stored API key (never the plaintext; the item holds only its SHA-256). */
export interface ApiKeyRecord {
  keyId: string;
  tenant: string;
  name: string;
  scopes: ApiScope[];
  createdAt: string;
  revokedAt?: string;
  createdBy?: string;
  /** Per-key override of the rate limiter's default. */
  rateLimit?: RateLimit;
  /** When the key was last seen by the authorizer (kept to the hour, see `markUsed`). */
  lastUsedAt?: string;
}

export interface NewApiKey {
  tenant: string;
  name: string;
  scopes: ApiScope[];
  createdBy?: string;
  rateLimit?: RateLimit;
  /** Import a given plaintext (e.g. FLOWFORGE_API_KEY); generated `ffk_…` when omitted. Taken → `AlreadyExistsError`. */
  key?: string;
}

export interface ApiKeyStorePort {
  /** Creates a key; the plaintext `key` is returned only here. */
  create(input: NewApiKey): Promise<{ record: ApiKeyRecord; key: string }>;
  /** The live (not revoked) key record for a plaintext key, else `undefined`. */
  findByKey(plaintext: string): Promise<ApiKeyRecord | undefined>;
  get(tenant: string, keyId: string): Promise<ApiKeyRecord>;
  /** Revokes a key of the tenant (idempotent); unknown/foreign → `NotFoundError`. */
  revoke(tenant: string, keyId: string): Promise<ApiKeyRecord>;
  /**
   * Records that a plaintext key was used at `at`, unless it was already recorded after
   * `staleBefore` (one conditional write per key per interval, never on every request).
   */
  markUsed(plaintext: string, at: Date, staleBefore: Date): Promise<void>;
  /** Keys of the tenant (revoked ones included, with `revokedAt`). */
  list(tenant: string, page?: PageRequest): Promise<Page<ApiKeyRecord>>;
}

export type TakeTokenResult = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiterPort {
  /** Takes one token from the key's bucket (the limiter's default limit unless `limit` is given). */
  takeToken(keyId: string, limit?: RateLimit): Promise<TakeTokenResult>;
  /**
   * Takes `count` tokens at once, all or none (as `count` takes at this instant); refused, it takes
   * none. Optional: local mode's front batches concurrent takes of one key with it.
   */
  takeTokens?(keyId: string, count: number, limit?: RateLimit): Promise<TakeTokenResult>;
}

// ---------------------------------------------------------------------------------------------
// Audit

/** One audit entry: who (keyId), what (action + resource), when (at), from where (ip + requestId). */
export interface AuditEntry {
  tenant: string;
  auditId: string;
  at: string;
  /** keyId of the caller, or 'system'. */
  actor: string;
  /** e.g. 'flow.create', 'flow.update', 'execution.start', 'key.revoke'. */
  action: string;
  /** e.g. 'flow/<flowId>', 'execution/<executionId>', 'key/<keyId>'. */
  resource: string;
  sourceIp?: string;
  requestId?: string;
  /** Small extra facts (version numbers, outcome); keep it under a few KB. */
  details?: Record<string, unknown>;
}

export type NewAuditEntry = Omit<AuditEntry, 'auditId' | 'at'>;

export interface AuditLogPort {
  append(entry: NewAuditEntry): Promise<AuditEntry>;
  /** Entries of the tenant, newest first. */
  list(tenant: string, page?: PageRequest): Promise<Page<AuditEntry>>;
}

// ---------------------------------------------------------------------------------------------
// Webhooks and triggers

export interface WebhookReplayGuardPort {
  /** True the first time `webhookId` is seen for the tenant within `ttlSeconds`, false after. */
  remember(tenant: string, webhookId: string, ttlSeconds: number): Promise<boolean>;
}

/** What the triggers need to route an event to a flow. */
export interface TriggerRegistration {
  tenant: string;
  flowId: string;
  triggerId: string;
  type: TriggerType;
  /** The flow version that registered this trigger. */
  version: number;
  enabled: boolean;
  /** Webhooks: where the signing secret lives (or the secret in local mode, as the triggers helper decides). */
  secretRef?: string;
  /** Schedules: the expression and the scheduler's schedule name. */
  schedule?: { cron: string; timezone?: string; scheduleName?: string };
  updatedAt: string;
}

export interface TriggerStateStorePort {
  /** Creates or replaces the registration of one trigger. */
  putRegistration(registration: Omit<TriggerRegistration, 'updatedAt'>): Promise<TriggerRegistration>;
  findRegistration(
    tenant: string,
    flowId: string,
    triggerId: string,
  ): Promise<TriggerRegistration | undefined>;
  listRegistrations(tenant: string, flowId: string): Promise<TriggerRegistration[]>;
  /** Webhook URLs carry no tenant: finds a webhook registration by flowId + triggerId across tenants (GSI). */
  findWebhook(flowId: string, triggerId: string): Promise<TriggerRegistration | undefined>;
  deleteRegistration(tenant: string, flowId: string, triggerId: string): Promise<void>;
  /** Conditional put of a fired marker: true the first time for that instant, false if it already fired. */
  markScheduleFired(tenant: string, flowId: string, triggerId: string, instantIso: string): Promise<boolean>;
  /** The latest instant marked fired, if any. */
  lastScheduleFired(tenant: string, flowId: string, triggerId: string): Promise<string | undefined>;
}

// ---------------------------------------------------------------------------------------------

/** Every store over one table (see `createStores` in lib/store/index.ts). */
export interface Stores {
  flows: FlowStorePort;
  executions: ExecutionStorePort;
  apiKeys: ApiKeyStorePort;
  rateLimiter: RateLimiterPort;
  audit: AuditLogPort;
  webhookReplay: WebhookReplayGuardPort;
  triggers: TriggerStateStorePort;
  /** Waiting nodes, callbacks and events (lib/store/wait-store.ts). */
  waits: WaitStorePort;
  /** Tenant secrets (`PUT/GET/DELETE /secrets`): the table locally, SSM Parameter Store in AWS. */
  secrets: TenantSecretStore;
}

/** The injected clock of every store. */
export type Clock = () => Date;
