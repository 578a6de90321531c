import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ExecutionStatus } from '../runtime/execution-record.ts';
import { compact, epochSeconds, isExpired, packedSize, packJson, sha256Hex, unpackJson } from './codec.ts';
import {
  AlreadyExistsError,
  ItemTooLargeError,
  isConditionalCheckFailed,
  NotFoundError,
  StoreError,
  translateSdkError,
  VersionConflictError,
} from './errors.ts';
import { putIfAbsent } from './put-if-absent.ts';
import { queryPage } from './query.ts';
import { GSI1_NAME, GSI2_NAME, ID_PATTERN, keys } from './table.ts';
import type {
  Clock,
  ExecutionFilter,
  ExecutionItem,
  ExecutionPatch,
  ExecutionStorePort,
  NewExecution,
  Page,
  PageRequest,
} from './types.ts';

type Item = Record<string, unknown>;

/** Items stay below this many bytes of packed documents (DynamoDB's limit is 400 KB per item). */
const MAX_DOCUMENT_BYTES = 380_000;
/** How long an idempotency key maps to its execution. */
export const DEFAULT_IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

const DOCUMENT_FIELDS = ['input', 'output', 'error', 'nodes'] as const;
const PATCH_DOCUMENT_FIELDS = ['output', 'error', 'nodes'] as const;

/**
 * Executions, one item each, listed per flow (gsi1) and per tenant (gsi2), newest first.
 * Documents (input, output, error, nodes) are stored as JSON text, gzip when large.
 *
 * Idempotency without transactions. When the caller derives the execution id from the key (the
 * start path does: the id is the state machine execution name of the key), the execution item's
 * conditional put is the whole of it: one write, and the same key always meets the same item.
 * Without an id, a marker item per (tenant, key) is claimed first with a conditional put (or taken
 * over once expired) and names a generated id; then the execution item is put conditionally on
 * that id. Either way whoever's execution put succeeds gets `created: true` — exactly one caller
 * per execution, even if the marker's writer died before the second write.
 */
export class ExecutionStore implements ExecutionStorePort {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock = () => new Date(),
    private readonly idempotencyTtlSeconds = DEFAULT_IDEMPOTENCY_TTL_SECONDS,
  ) {}

  async create(tenant: string, input: NewExecution): Promise<{ execution: ExecutionItem; created: boolean }> {
    let executionId = input.executionId ?? randomUUID();
    if (!ID_PATTERN.test(tenant) || !ID_PATTERN.test(executionId) || !ID_PATTERN.test(input.flowId)) {
      throw new StoreError('tenant, flowId and executionId must match [a-zA-Z0-9_-]{1,128}');
    }
    const now = this.clock();
    // An id given with the key is the key's own: the conditional put below is the idempotency.
    if (input.idempotencyKey !== undefined && input.executionId === undefined) {
      const claimed = await this.claimIdempotencyKey(
        tenant,
        input.idempotencyKey,
        executionId,
        input.flowId,
        now,
      );
      if (claimed !== executionId) {
        const existing = await this.read(tenant, claimed);
        if (existing) return { execution: existing, created: false };
        executionId = claimed; // the claimer died before writing its execution: write it now
      }
    }
    const startedAt = now.toISOString();
    const execution: ExecutionItem = compact({
      tenant,
      executionId,
      flowId: input.flowId,
      version: input.version,
      status: input.status ?? 'RUNNING',
      trigger: input.trigger,
      startedAt,
      input: input.input ?? null,
      nodes: {},
      executionArn: input.executionArn,
      idempotencyKey: input.idempotencyKey,
      requestHash: input.requestHash,
      parent: input.parent,
      updatedAt: startedAt,
    });
    const documents = packDocuments(execution);
    const item = compact({
      pk: keys.execution(tenant, executionId),
      sk: keys.executionSk,
      type: 'execution',
      tenant,
      executionId,
      flowId: execution.flowId,
      version: execution.version,
      status: execution.status,
      trigger: { id: execution.trigger.id, type: execution.trigger.type },
      startedAt,
      executionArn: execution.executionArn,
      idempotencyKey: execution.idempotencyKey,
      requestHash: execution.requestHash,
      parent: execution.parent,
      updatedAt: startedAt,
      ...documents,
      gsi1pk: keys.executionsByFlow(tenant, execution.flowId),
      gsi1sk: `${startedAt}#${executionId}`,
      gsi2pk: keys.executionsByTenant(tenant),
      gsi2sk: `${startedAt}#${executionId}`,
    });
    if (!(await putIfAbsent(this.client, this.tableName, item, 'creating an execution'))) {
      if (input.idempotencyKey !== undefined) {
        const existing = await this.read(tenant, executionId);
        if (existing && existing.idempotencyKey === input.idempotencyKey)
          return { execution: existing, created: false };
      }
      throw new AlreadyExistsError(`execution ${executionId} already exists`);
    }
    return { execution, created: true };
  }

  async update(
    tenant: string,
    executionId: string,
    patch: ExecutionPatch,
    options: { onlyIfStatus?: ExecutionStatus[] } = {},
  ): Promise<ExecutionItem> {
    if (!ID_PATTERN.test(tenant) || !ID_PATTERN.test(executionId))
      throw new NotFoundError(`execution ${executionId} not found`);
    const sets: string[] = ['updatedAt = :updatedAt'];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':updatedAt': this.clock().toISOString() };
    const set = (attribute: string, value: unknown) => {
      names[`#${attribute}`] = attribute;
      values[`:${attribute}`] = value;
      sets.push(`#${attribute} = :${attribute}`);
    };
    if (patch.status !== undefined) set('status', patch.status);
    if (patch.finishedAt !== undefined) set('finishedAt', patch.finishedAt);
    if (patch.executionArn !== undefined) set('executionArn', patch.executionArn);
    let documentBytes = 0;
    for (const field of PATCH_DOCUMENT_FIELDS) {
      const packed =
        field === 'nodes' && patch.nodes === undefined
          ? patch.packedNodes
          : patch[field] === undefined
            ? undefined
            : packJson(patch[field]);
      if (packed === undefined) continue;
      documentBytes += packedSize(packed);
      set(field, packed);
    }
    if (documentBytes > MAX_DOCUMENT_BYTES)
      throw new ItemTooLargeError(`execution ${executionId}: documents too large`);
    let condition = 'attribute_exists(pk)';
    if (options.onlyIfStatus && options.onlyIfStatus.length > 0) {
      names['#status'] = 'status';
      const allowed = options.onlyIfStatus.map((status, i) => {
        values[`:allowed${i}`] = status;
        return `:allowed${i}`;
      });
      condition += ` AND #status IN (${allowed.join(', ')})`;
    }
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: keys.execution(tenant, executionId), sk: keys.executionSk },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: Object.keys(names).length > 0 ? names : undefined,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      // The documents of the patch are the ones just written: decoding them again (megabytes for a
      // run of thousands of nodes) would only cost time.
      return toExecution(result.Attributes ?? {}, patch);
    } catch (error) {
      if (isConditionalCheckFailed(error)) {
        const existing = await this.read(tenant, executionId);
        if (!existing) throw new NotFoundError(`execution ${executionId} not found`, { cause: error });
        throw new VersionConflictError(`execution ${executionId} is ${existing.status}`, { cause: error });
      }
      if (error instanceof Error && error.name === 'ValidationException' && /size/i.test(error.message)) {
        throw new ItemTooLargeError(`execution ${executionId}: item too large`, { cause: error });
      }
      throw translateSdkError(error, 'updating an execution');
    }
  }

  async get(tenant: string, executionId: string): Promise<ExecutionItem> {
    const execution =
      ID_PATTERN.test(tenant) && ID_PATTERN.test(executionId)
        ? await this.read(tenant, executionId)
        : undefined;
    if (!execution) throw new NotFoundError(`execution ${executionId} not found`);
    return execution;
  }

  async findByIdempotencyKey(tenant: string, key: string): Promise<ExecutionItem | undefined> {
    if (!ID_PATTERN.test(tenant)) return undefined;
    const marker = await this.getItem({ pk: keys.idempotency(tenant, sha256Hex(key)), sk: 'IDEM' });
    if (!marker || isExpired(marker, this.clock())) return undefined;
    return this.read(tenant, marker.executionId as string);
  }

  async listByFlow(
    tenant: string,
    flowId: string,
    page?: PageRequest,
    filter: ExecutionFilter = {},
  ): Promise<Page<ExecutionItem>> {
    if (!ID_PATTERN.test(tenant) || !ID_PATTERN.test(flowId)) return { items: [] };
    return queryPage(
      this.client,
      {
        tableName: this.tableName,
        index: GSI1_NAME,
        name: `executionsByFlow${filterScope(filter)}`,
        ...excludeOutside(filter),
        partition: keys.executionsByFlow(tenant, flowId),
        pkPrefix: keys.tenantPrefix(tenant),
        newestFirst: true,
        map: (item) => toExecution(item),
        now: this.clock(),
      },
      page,
    );
  }

  async listByTenant(
    tenant: string,
    page?: PageRequest,
    filter: ExecutionFilter = {},
  ): Promise<Page<ExecutionItem>> {
    if (!ID_PATTERN.test(tenant)) return { items: [] };
    return queryPage(
      this.client,
      {
        tableName: this.tableName,
        index: GSI2_NAME,
        name: `executionsByTenant${filterScope(filter)}`,
        ...excludeOutside(filter),
        partition: keys.executionsByTenant(tenant),
        pkPrefix: keys.tenantPrefix(tenant),
        newestFirst: true,
        map: (item) => toExecution(item),
        now: this.clock(),
      },
      page,
    );
  }

  /**
   * Every execution of every tenant whose status is RUNNING or PENDING_REDRIVE. Scans the
   * table: for local-mode startup recovery only (marking interrupted runs), never a request path.
   */
  async *listUnfinished(): AsyncGenerator<ExecutionItem> {
    let startKey: Record<string, unknown> | undefined;
    do {
      let result: { Items?: Item[]; LastEvaluatedKey?: Record<string, unknown> };
      try {
        result = await this.client.send(
          new ScanCommand({
            TableName: this.tableName,
            FilterExpression: '#type = :type AND #status IN (:running, :pending)',
            ExpressionAttributeNames: { '#type': 'type', '#status': 'status' },
            ExpressionAttributeValues: {
              ':type': 'execution',
              ':running': 'RUNNING',
              ':pending': 'PENDING_REDRIVE',
            },
            ExclusiveStartKey: startKey,
          }),
        );
      } catch (error) {
        throw translateSdkError(error, 'scanning executions');
      }
      for (const item of result.Items ?? []) yield toExecution(item);
      startKey = result.LastEvaluatedKey;
    } while (startKey);
  }

  /** Claims the key for `executionId`; answers the execution id the key belongs to. */
  private async claimIdempotencyKey(
    tenant: string,
    key: string,
    executionId: string,
    flowId: string,
    now: Date,
  ): Promise<string> {
    const pk = keys.idempotency(tenant, sha256Hex(key));
    const claimed = await putIfAbsent(
      this.client,
      this.tableName,
      {
        pk,
        sk: 'IDEM',
        type: 'idempotency',
        executionId,
        flowId,
        expiresAt: epochSeconds(now) + this.idempotencyTtlSeconds,
      },
      'claiming an idempotency key',
      { expiredBefore: epochSeconds(now) },
    );
    if (claimed) return executionId;
    const marker = await this.getItem({ pk, sk: 'IDEM' });
    if (!marker) throw new StoreError('idempotency marker vanished; retry');
    return marker.executionId as string;
  }

  private async getItem(key: { pk: string; sk: string }): Promise<Item | undefined> {
    try {
      const result = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
      );
      return result.Item;
    } catch (error) {
      throw translateSdkError(error, 'reading an execution');
    }
  }

  private async read(tenant: string, executionId: string): Promise<ExecutionItem | undefined> {
    const item = await this.getItem({ pk: keys.execution(tenant, executionId), sk: keys.executionSk });
    return item ? toExecution(item) : undefined;
  }
}

/** The filter's part of a cursor's scope: a cursor made under one filter is refused under another. */
const filterScope = (filter: ExecutionFilter): string => {
  const parts: string[] = [];
  if (filter.status && filter.status.length > 0) parts.push(`status=${[...filter.status].sort().join(',')}`);
  if (filter.triggerType !== undefined) parts.push(`trigger=${filter.triggerType}`);
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
};

/** The `exclude` of a filtered listing (on the index's projected status and trigger). */
const excludeOutside = (filter: ExecutionFilter): { exclude?: (item: Item) => boolean } => {
  const statuses = filter.status && filter.status.length > 0 ? new Set<string>(filter.status) : undefined;
  const triggerType = filter.triggerType;
  if (!statuses && triggerType === undefined) return {};
  return {
    exclude: (item) =>
      (statuses !== undefined && !statuses.has(item.status as string)) ||
      (triggerType !== undefined && (item.trigger as { type?: string } | undefined)?.type !== triggerType),
  };
};

function packDocuments(execution: ExecutionItem): Item {
  const packed: Item = {};
  let bytes = 0;
  for (const field of DOCUMENT_FIELDS) {
    if (execution[field] === undefined) continue;
    const value = packJson(execution[field]);
    bytes += packedSize(value);
    packed[field] = value;
  }
  if (bytes > MAX_DOCUMENT_BYTES)
    throw new ItemTooLargeError(`execution ${execution.executionId}: documents too large`);
  return packed;
}

/**
 * The execution of `item`; documents given in `written` are taken from there instead of decoded.
 * Nodes written packed (`packedNodes`) are decoded only when the answer's `nodes` is read: the run
 * end of local mode writes them and reads only the status and the parent.
 */
function toExecution(item: Item, written: ExecutionPatch = {}): ExecutionItem {
  const lazyNodes = written.nodes === undefined && written.packedNodes !== undefined;
  const document = (field: (typeof PATCH_DOCUMENT_FIELDS)[number]) =>
    written[field] !== undefined ? written[field] : unpackJson(item[field]);
  const execution = compact({
    tenant: item.tenant as string,
    executionId: item.executionId as string,
    flowId: item.flowId as string,
    version: item.version as number,
    status: item.status as ExecutionStatus,
    trigger: item.trigger as ExecutionItem['trigger'],
    startedAt: item.startedAt as string,
    finishedAt: item.finishedAt as string | undefined,
    input: unpackJson(item.input),
    output: document('output'),
    error: document('error') as ExecutionItem['error'],
    nodes: lazyNodes ? {} : ((document('nodes') ?? {}) as ExecutionItem['nodes']),
    executionArn: item.executionArn as string | undefined,
    idempotencyKey: item.idempotencyKey as string | undefined,
    requestHash: item.requestHash as string | undefined,
    parent: item.parent as ExecutionItem['parent'],
    updatedAt: item.updatedAt as string,
  });
  if (lazyNodes) {
    let nodes: ExecutionItem['nodes'] | undefined;
    Object.defineProperty(execution, 'nodes', {
      enumerable: true,
      configurable: true,
      get: () => {
        nodes ??= (unpackJson(written.packedNodes) ?? {}) as ExecutionItem['nodes'];
        return nodes;
      },
      set: (value: ExecutionItem['nodes']) => {
        nodes = value;
      },
    });
  }
  return execution;
}
