import type { DeployedMachine } from '../runtime/state-machines.ts';
import type {
  FlowStorePort,
  FlowSummary,
  FlowVersion,
  NewFlowVersion,
  Page,
  PageRequest,
} from '../store/types.ts';
import { SingleWriterCache } from './single-writer-cache.ts';

const MAX_HEADS = 10_000;

/**
 * Local mode's read cache of flow heads in front of the DynamoDB flow store. Correct only because
 * the local server is the one writer of its table: every write of a flow goes through this object
 * ({@link SingleWriterCache}), so a read that overlapped a write does not keep what it read.
 * Everything else is the store's.
 */
export class CachedFlowStore implements FlowStorePort {
  private readonly heads = new SingleWriterCache<FlowSummary>(MAX_HEADS);

  constructor(private readonly store: FlowStorePort) {}

  private write<T>(tenant: string, flowId: string, run: () => Promise<T>): Promise<T> {
    return this.heads.write(SingleWriterCache.key(tenant, flowId), run);
  }

  async getFlow(tenant: string, flowId: string): Promise<FlowSummary> {
    const key = SingleWriterCache.key(tenant, flowId);
    const cached = this.heads.get(key);
    if (cached) return cached;
    const mark = this.heads.mark(key);
    const head = await this.store.getFlow(tenant, flowId);
    this.heads.keep(key, mark, head);
    return head;
  }

  createFlow(tenant: string, input: NewFlowVersion & { flowId?: string }): Promise<FlowVersion> {
    if (input.flowId === undefined) return this.store.createFlow(tenant, input);
    return this.write(tenant, input.flowId, () => this.store.createFlow(tenant, input));
  }

  saveVersion(
    tenant: string,
    flowId: string,
    expectedVersion: number,
    input: NewFlowVersion,
  ): Promise<FlowVersion> {
    return this.write(tenant, flowId, () => this.store.saveVersion(tenant, flowId, expectedVersion, input));
  }

  setMachine(tenant: string, flowId: string, version: number, machine: DeployedMachine): Promise<void> {
    return this.write(tenant, flowId, () => this.store.setMachine(tenant, flowId, version, machine));
  }

  deleteFlow(tenant: string, flowId: string): Promise<FlowSummary> {
    return this.write(tenant, flowId, () => this.store.deleteFlow(tenant, flowId));
  }

  getVersion(tenant: string, flowId: string, version?: number): Promise<FlowVersion> {
    return this.store.getVersion(tenant, flowId, version);
  }

  listFlows(tenant: string, page?: PageRequest): Promise<Page<FlowSummary>> {
    return this.store.listFlows(tenant, page);
  }

  listVersions(tenant: string, flowId: string, page?: PageRequest) {
    return this.store.listVersions(tenant, flowId, page);
  }
}
