import type { ExecutionStatus } from '../runtime/execution-record.ts';
import { VersionConflictError } from '../store/errors.ts';
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
/** Executions whose last written status is remembered at most. */
const MAX_STATUSES = 10_000;

/**
 * Local mode's read cache of RUNNING executions in front of the DynamoDB execution store, so a
 * client that polls `GET /executions/{id}` while a run goes on reads the stored item here, not from
 * dynalite (the live part comes from the state machines either way). Correct only because the
 * local server is the one writer of its table: every write of an execution goes through this
 * object ({@link SingleWriterCache}). Only RUNNING items are kept: a finished one is read from the
 * store. Keys are (tenant, id), so a cached item answers only its own tenant, as the store does.
 *
 * Writes of one execution run one after the other, and the status each wrote is remembered: a
 * conditional update (`onlyIfStatus`) that the last write already rules out fails at once with the
 * `VersionConflictError` the store would answer, without encoding and sending the patch. A GET
 * that sees a 5,000-node run end just as the run-end path stores it would otherwise pack its
 * megabytes of nodes on the API's event loop only to have the condition refuse them.
 */
export class CachedExecutionStore implements ExecutionStorePort {
  private readonly cache = new SingleWriterCache<ExecutionItem>(MAX_CACHED);
  /** The status of each execution as the last write of this process left it. */
  private readonly statuses = new Map<string, ExecutionStatus>();
  /** The write of each execution in flight (the next one waits for it). */
  private readonly writes = new Map<string, Promise<unknown>>();

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
    if (key !== undefined && result.created) {
      this.remember(key, result.execution.status);
      this.keep(key, mark, result.execution);
    }
    return result;
  }

  async update(
    tenant: string,
    executionId: string,
    patch: ExecutionPatch,
    options?: { onlyIfStatus?: ExecutionStatus[] },
  ): Promise<ExecutionItem> {
    const key = SingleWriterCache.key(tenant, executionId);
    const previous = this.writes.get(key);
    const write = (async () => {
      await previous?.catch(() => undefined);
      const known = this.statuses.get(key);
      if (known !== undefined && options?.onlyIfStatus?.length && !options.onlyIfStatus.includes(known))
        throw new VersionConflictError(`execution ${executionId} is ${known}`);
      try {
        const item = await this.cache.write(key, () =>
          this.store.update(tenant, executionId, patch, options),
        );
        this.remember(key, item.status);
        return item;
      } catch (error) {
        // A write that failed for another reason says nothing sure about the status.
        if (!(error instanceof VersionConflictError)) this.statuses.delete(key);
        throw error;
      }
    })();
    this.writes.set(key, write);
    try {
      return await write;
    } finally {
      if (this.writes.get(key) === write) this.writes.delete(key);
    }
  }

  private remember(key: string, status: ExecutionStatus): void {
    this.statuses.delete(key);
    if (this.statuses.size >= MAX_STATUSES) {
      const oldest = this.statuses.keys().next().value;
      if (oldest !== undefined) this.statuses.delete(oldest);
    }
    this.statuses.set(key, status);
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
