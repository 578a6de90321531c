import type { ExecutionStatus } from '../runtime/execution-record.ts';
import type {
  ExecutionFilter,
  ExecutionItem,
  ExecutionPatch,
  ExecutionStorePort,
  NewExecution,
  Page,
  PageRequest,
} from '../store/types.ts';
import { SingleWriterCache } from './single-writer-cache.ts';

/** RUNNING items kept at most (an item holds its input, up to 256 KiB). */
const MAX_CACHED = 500;

/**
 * Local mode's read cache of RUNNING executions in front of the DynamoDB execution store, so a
 * client that polls `GET /executions/{id}` while a run goes on reads the stored item here, not from
 * dynalite (the live part comes from the state machines either way). Correct only because the
 * local server is the one writer of its table: every write of an execution goes through this
 * object ({@link SingleWriterCache}). Only RUNNING items are kept: a finished one is read from the
 * store. Keys are (tenant, id), so a cached item answers only its own tenant, as the store does.
 */
export class CachedExecutionStore implements ExecutionStorePort {
  private readonly cache = new SingleWriterCache<ExecutionItem>(MAX_CACHED);

  constructor(private readonly store: ExecutionStorePort) {}

  /** Keeps `item` if it is RUNNING and no write of it began or ended since `mark` was taken. */
  private keep(key: string, mark: string, item: ExecutionItem): void {
    if (item.status === 'RUNNING') this.cache.keep(key, mark, item);
  }

  async create(tenant: string, input: NewExecution): Promise<{ execution: ExecutionItem; created: boolean }> {
    const key =
      input.executionId === undefined ? undefined : SingleWriterCache.key(tenant, input.executionId);
    const mark = key === undefined ? '' : this.cache.mark(key);
    const result = await this.store.create(tenant, input);
    if (key !== undefined && result.created) this.keep(key, mark, result.execution);
    return result;
  }

  async update(
    tenant: string,
    executionId: string,
    patch: ExecutionPatch,
    options?: { onlyIfStatus?: ExecutionStatus[] },
  ): Promise<ExecutionItem> {
    return this.cache.write(SingleWriterCache.key(tenant, executionId), () =>
      this.store.update(tenant, executionId, patch, options),
    );
  }

  async get(tenant: string, executionId: string): Promise<ExecutionItem> {
    const key = SingleWriterCache.key(tenant, executionId);
    const cached = this.cache.get(key);
    if (cached) return cached;
    const mark = this.cache.mark(key);
    const item = await this.store.get(tenant, executionId);
    this.keep(key, mark, item);
    return item;
  }

  findByIdempotencyKey(tenant: string, key: string): Promise<ExecutionItem | undefined> {
    return this.store.findByIdempotencyKey(tenant, key);
  }

  listByFlow(
    tenant: string,
    flowId: string,
    page?: PageRequest,
    filter?: ExecutionFilter,
  ): Promise<Page<ExecutionItem>> {
    return this.store.listByFlow(tenant, flowId, page, filter);
  }

  listByTenant(tenant: string, page?: PageRequest, filter?: ExecutionFilter): Promise<Page<ExecutionItem>> {
    return this.store.listByTenant(tenant, page, filter);
  }

  listUnfinished(): AsyncIterable<ExecutionItem> {
    return this.store.listUnfinished();
  }
}
