import { randomUUID } from 'node:crypto';
import { PayloadNotFoundError, tenantKeyPrefix } from '../payloads/payload-store.ts';
import { containsRef, resolveRefs } from '../payloads/resolve-refs.ts';
import type { ExecutionRecord, ExecutionStatus } from '../runtime/execution-record.ts';
import { ExecutionNotFoundError } from '../runtime/state-machines.ts';
import { canonicalHash } from '../security/canonical-json.ts';
import { NotFoundError, VersionConflictError } from '../store/errors.ts';
import type { ExecutionFilter, ExecutionItem, PageRequest } from '../store/types.ts';
import { recordAudit } from './audit.ts';
import type { Caller } from './caller.ts';
import type { Deps } from './deps.ts';
import { ConflictError, ServiceError } from './errors.ts';
import { pageOf } from './flows.ts';
import { startExecution } from './start-execution.ts';
import { settleSubflowFamily, stopChildren } from './subflows.ts';
import { type ExecutionView, executionView, isTerminal } from './views.ts';

/** What `execute` answers (202). */
export interface ExecutionAccepted {
  executionId: string;
  status: string;
}

/**
 * `POST /flows/{flowId}/execute` and `POST /flows/execute`: starts the flow through the one start
 * path with trigger `{ id: null, type: 'api' }`. The same `idempotencyKey` (header
 * `Idempotency-Key`) answers the same execution; without one every call starts a new run.
 */
export async function executeFlow(
  deps: Deps,
  caller: Caller,
  request: { flowId: string; input?: unknown; version?: number; idempotencyKey?: string },
): Promise<ExecutionAccepted & { alreadyStarted: boolean }> {
  const freshKey = request.idempotencyKey === undefined;
  const result = await startExecution(deps, {
    tenantId: caller.tenantId,
    flowId: request.flowId,
    ...(request.version === undefined ? {} : { version: request.version }),
    input: request.input ?? {},
    trigger: { id: null, type: 'api' },
    // A client's key is scoped to the flow: the same key on another flow is another start.
    idempotencyKey: freshKey ? randomUUID() : `api:${request.flowId}:${request.idempotencyKey}`,
    ...(freshKey
      ? {}
      : { requestHash: canonicalHash({ input: request.input ?? {}, version: request.version ?? null }) }),
  });
  if (!result.alreadyStarted) {
    await recordAudit(deps, caller, 'execution.start', `execution/${result.executionId}`, {
      flowId: request.flowId,
    });
  }
  return result;
}

/** Copies a live record from the state machine into the stored execution's fields. */
const patchFrom = (record: ExecutionRecord) => ({
  status: record.status,
  nodes: record.nodes,
  ...(record.output === undefined ? {} : { output: record.output }),
  ...(record.error === undefined ? {} : { error: record.error }),
  ...(record.finishedAt === undefined ? {} : { finishedAt: record.finishedAt }),
});

/**
 * Brings a stored execution up to date from the StateMachines port while it runs; a record that
 * became terminal is written back (once: conditional on the stored status) so later reads are one
 * store read.
 */
export async function refreshExecution(deps: Deps, item: ExecutionItem): Promise<ExecutionItem> {
  if (isTerminal(item.status) || item.executionArn === undefined) return item;
  let live: ExecutionRecord;
  try {
    live = await deps.stateMachines.describe(item.executionArn);
  } catch (error) {
    if (error instanceof ExecutionNotFoundError) return item;
    throw error;
  }
  const merged: ExecutionItem = { ...item, ...patchFrom(live) };
  if (live.status !== item.status && (isTerminal(live.status) || live.status === 'INTERRUPTED')) {
    try {
      return await deps.stores.executions.update(item.tenant, item.executionId, patchFrom(live), {
        onlyIfStatus: [item.status],
      });
    } catch (error) {
      if (error instanceof VersionConflictError)
        return deps.stores.executions.get(item.tenant, item.executionId);
      throw error;
    }
  }
  return merged;
}

/** A finished run whose record the state machine service does not show yet (its history lags the event). */
export class ExecutionRecordLagError extends ServiceError {
  constructor(message: string) {
    super(message);
    this.name = 'ExecutionRecordLag';
  }
}

/** How {@link recordExecutionStatus} waits for a lagging history: attempts and the first delay (doubling). */
export interface RecordRetry {
  attempts?: number;
  delayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Brings one stored execution up to date from the StateMachines port after Step Functions reported
 * that it finished (an EventBridge status change, or an Express run's terminal log event): a record
 * that became terminal is written back, so listings show it without anyone reading the execution
 * first. DescribeExecution and the history (or the Express log) are eventually consistent and may
 * still show the run RUNNING: the read is repeated (default 4 attempts, 500 ms doubling), then
 * {@link ExecutionRecordLagError} is thrown so the event is delivered again (Lambda's async
 * retries, then the status DLQ). Unknown executions are ignored.
 */
export async function recordExecutionStatus(
  deps: Deps,
  tenantId: string,
  executionId: string,
  retry: RecordRetry = {},
): Promise<void> {
  let item: ExecutionItem;
  try {
    item = await deps.stores.executions.get(tenantId, executionId);
  } catch (error) {
    if (error instanceof NotFoundError) return;
    throw error;
  }
  const attempts = retry.attempts ?? 4;
  const sleep = retry.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; ; attempt++) {
    item = await refreshExecution(deps, item);
    if (isTerminal(item.status) || item.status === 'INTERRUPTED') {
      // A child answers its waiting parent; a parent that did not succeed stops its children.
      await settleSubflowFamily(deps, item);
      return;
    }
    if (attempt >= attempts)
      throw new ExecutionRecordLagError(
        `execution ${executionId} finished, but its record still reads ${item.status} after ${attempts} reads`,
      );
    await sleep((retry.delayMs ?? 500) * 2 ** (attempt - 1));
  }
}

/**
 * `GET /executions/{executionId}`: status and per-node results, live while it runs, with every
 * offloaded value shown in full (see {@link withPayloads}).
 */
export async function getExecution(deps: Deps, caller: Caller, executionId: string): Promise<ExecutionView> {
  const item = await deps.stores.executions.get(caller.tenantId, executionId);
  return withPayloads(deps, caller, executionView(await refreshExecution(deps, item)));
}

/**
 * The view with payload references (`{ $ffref, bytes }`) replaced by their values. The record is
 * stored with the references (it stays small); they are resolved on read, and only those whose key
 * is of the caller's tenant (`<tenant>/…`). A reference whose payload has expired (the bucket's
 * lifecycle rule) stays as it is.
 */
async function withPayloads(deps: Deps, caller: Caller, view: ExecutionView): Promise<ExecutionView> {
  const { payloads } = deps;
  if (!payloads || !containsRef(view)) return view;
  const own = tenantKeyPrefix(caller.tenantId);
  return (await resolveRefs(view, (key) => payloads.getJson(key), {
    allow: (key) => key.startsWith(own),
    keepOnError: (error) => error instanceof PayloadNotFoundError,
  })) as ExecutionView;
}

/** `?status=&trigger=&limit=&cursor=` of the execution listings, parsed. */
export interface ExecutionListRequest extends PageRequest, ExecutionFilter {}

const filterOf = (request: ExecutionListRequest): ExecutionFilter => ({
  ...(request.status === undefined ? {} : { status: request.status }),
  ...(request.triggerType === undefined ? {} : { triggerType: request.triggerType }),
});

const pageRequestOf = (request: ExecutionListRequest): PageRequest => ({
  ...(request.limit === undefined ? {} : { limit: request.limit }),
  ...(request.cursor === undefined ? {} : { cursor: request.cursor }),
});

/**
 * `GET /flows/{flowId}/executions`: a flow's executions, newest first, narrowed by status and
 * trigger kind (an unknown flow is a 404).
 */
export async function listExecutions(
  deps: Deps,
  caller: Caller,
  flowId: string,
  request: ExecutionListRequest,
) {
  await deps.stores.flows.getFlow(caller.tenantId, flowId);
  const result = await deps.stores.executions.listByFlow(
    caller.tenantId,
    flowId,
    pageRequestOf(request),
    filterOf(request),
  );
  return pageOf(result, executionView);
}

/**
 * `GET /executions`: the tenant's executions of every flow, newest first, narrowed by status,
 * trigger kind and `flowId` (a flow the tenant does not have lists nothing).
 */
export async function listTenantExecutions(
  deps: Deps,
  caller: Caller,
  request: ExecutionListRequest & { flowId?: string },
) {
  const result =
    request.flowId === undefined
      ? await deps.stores.executions.listByTenant(caller.tenantId, pageRequestOf(request), filterOf(request))
      : await deps.stores.executions.listByFlow(
          caller.tenantId,
          request.flowId,
          pageRequestOf(request),
          filterOf(request),
        );
  return pageOf(result, executionView);
}

const STOPPABLE: ExecutionStatus[] = ['RUNNING', 'PENDING_REDRIVE'];
const REDRIVABLE: ExecutionStatus[] = ['FAILED', 'TIMED_OUT', 'ABORTED', 'INTERRUPTED'];

/**
 * Express executions can be neither stopped nor redriven (Step Functions offers StopExecution and
 * RedriveExecution for Standard workflows only): 409 naming that, in both modes, before any call.
 */
async function refuseExpress(deps: Deps, item: ExecutionItem, operation: 'stop' | 'redrive'): Promise<void> {
  const version = await deps.stores.flows
    .getVersion(item.tenant, item.flowId, item.version)
    .catch(() => undefined);
  if (version?.report.stateMachineType === 'EXPRESS') {
    throw new ConflictError(
      `execution ${item.executionId} runs on an Express state machine: Express executions do not support ${operation}`,
    );
  }
}

/** `POST /executions/{executionId}/stop`: aborts a running execution (409 when it is not running, or Express). */
export async function stopExecution(deps: Deps, caller: Caller, executionId: string): Promise<ExecutionView> {
  const stored = await deps.stores.executions.get(caller.tenantId, executionId);
  await refuseExpress(deps, stored, 'stop');
  const item = await refreshExecution(deps, stored);
  if (!STOPPABLE.includes(item.status) || item.executionArn === undefined) {
    throw new ConflictError(`execution ${executionId} is ${item.status}, not running`);
  }
  await deps.stateMachines.stop(item.executionArn, {
    error: 'Stopped',
    cause: `stopped through the API by key ${caller.keyId}`,
  });
  const live = await deps.stateMachines.describe(item.executionArn).catch(() => undefined);
  const patch = live
    ? patchFrom(live)
    : { status: 'ABORTED' as const, finishedAt: deps.clock().toISOString() };
  const stopped = await deps.stores.executions.update(caller.tenantId, executionId, {
    ...patch,
    status: 'ABORTED',
    finishedAt: patch.finishedAt ?? deps.clock().toISOString(),
  });
  // Stopping a parent stops the children it waits for (their own ends answer nobody: it stopped).
  await stopChildren(deps, caller.tenantId, executionId);
  await recordAudit(deps, caller, 'execution.stop', `execution/${executionId}`);
  return executionView(stopped);
}

/**
 * `POST /executions/{executionId}/redrive`: restarts a failed, timed out, aborted or interrupted
 * execution from where it stopped (409 for any other status, and for Express executions).
 */
export async function redriveExecution(
  deps: Deps,
  caller: Caller,
  executionId: string,
): Promise<ExecutionAccepted> {
  const stored = await deps.stores.executions.get(caller.tenantId, executionId);
  await refuseExpress(deps, stored, 'redrive');
  const item = await refreshExecution(deps, stored);
  if (!REDRIVABLE.includes(item.status) || item.executionArn === undefined) {
    throw new ConflictError(
      `execution ${executionId} is ${item.status}; only failed, timed out, aborted or interrupted ones can be redriven`,
    );
  }
  await deps.stateMachines.redrive(item.executionArn);
  try {
    await deps.stores.executions.update(
      caller.tenantId,
      executionId,
      { status: 'RUNNING' },
      { onlyIfStatus: [item.status] },
    );
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
  }
  await recordAudit(deps, caller, 'execution.redrive', `execution/${executionId}`);
  return { executionId, status: 'RUNNING' };
}
