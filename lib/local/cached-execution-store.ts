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

/** RUNNING items kept at most (an item holds its input, up to 256 KiB). */
const MAX_CACHED = 500;
/** Write counters kept at most before they all start again (with a new era). */
const MAX_COUNTERS = 10_000;

/**
 * Local mode's read cache of RUNNING executions in front of the DynamoDB execution store, so a
 * client that polls `GET /executions/{id}` while a run goes on reads the stored item here, not from
 * dynalite (the live part comes from the state machines either way). Correct only because the
 * local server is the one writer of its table: every write of an execution goes through this
 * object, which drops the execution's cached item before and after writing; a read (or create)
 * that overlapped a write does not store what it saw (a generation counter per execution says so).
 * Only RUNNING items are kept: a finished one is read from the store. Keys are (tenant, id), so a
 * cached item answers only its own tenant, as the store does.
 */
export class CachedExecutionStore implements ExecutionStorePort {
  private readonly items = new Map<string, ExecutionItem>();
  private readonly generations = new Map<string, number>();
  /** Bumped when the counters are dropped: a read begun before then keeps nothing. */
  private era = 0;

  constructor(private readonly store: ExecutionStorePort) {}

  private key(tenant: string, executionId: string): string {
    return `${tenant}\u0000${executionId}`;
  }

  private bump(key: string): void {
    if (this.generations.size >= MAX_COUNTERS && !this.generations.has(key)) {
      this.generations.clear();
      this.items.clear();
      this.era++;
    }
    this.generations.set(key, (this.generations.get(key) ?? 0) + 1);
    this.items.delete(key);
  }

  /** Where the writes of `key` stand now (compared again once a read is back). */
  private mark(key: string): string {
    return `${this.era}:${this.generations.get(key) ?? 0}`;
  }

  /** Keeps `item` if it is RUNNING and no write of it began or ended since `mark` was taken. */
  private keep(key: string, mark: string, item: ExecutionItem): void {
    if (item.status !== 'RUNNING' || this.mark(key) !== mark) return;
    if (this.items.size >= MAX_CACHED) {
      const oldest = this.items.keys().next().value;
      if (oldest !== undefined) this.items.delete(oldest);
    }
    this.items.set(key, structuredClone(item));
  }

  async create(tenant: string, input: NewExecution): Promise<{ execution: ExecutionItem; created: boolean }> {
    const key = input.executionId === undefined ? undefined : this.key(tenant, input.executionId);
    const mark = key === undefined ? '' : this.mark(key);
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
    const key = this.key(tenant, executionId);
    this.bump(key);
    try {
      return await this.store.update(tenant, executionId, patch, options);
    } finally {
      this.bump(key);
    }
  }

  async get(tenant: string, executionId: string): Promise<ExecutionItem> {
    const key = this.key(tenant, executionId);
    const cached = this.items.get(key);
    if (cached) return structuredClone(cached);
    const mark = this.mark(key);
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
