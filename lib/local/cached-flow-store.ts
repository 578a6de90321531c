import type { DeployedMachine } from '../runtime/state-machines.ts';
import type {
  FlowStorePort,
  FlowSummary,
  FlowVersion,
  NewFlowVersion,
  Page,
  PageRequest,
} from '../store/types.ts';

const MAX_HEADS = 10_000;

/**
 * Local mode's read cache of flow heads in front of the DynamoDB flow store. Correct only because
 * the local server is the one writer of its table: every write of a flow goes through this object,
 * which drops the flow's cached head before and after writing; a read that overlapped a write does
 * not store what it read (a generation counter per flow says so). Everything else is the store's.
 */
export class CachedFlowStore implements FlowStorePort {
  private readonly heads = new Map<string, FlowSummary>();
  private readonly generations = new Map<string, number>();

  constructor(private readonly store: FlowStorePort) {}

  private key(tenant: string, flowId: string): string {
    return `${tenant}\u0000${flowId}`;
  }

  private async write<T>(tenant: string, flowId: string, run: () => Promise<T>): Promise<T> {
    const key = this.key(tenant, flowId);
    this.generations.set(key, (this.generations.get(key) ?? 0) + 1);
    this.heads.delete(key);
    try {
      return await run();
    } finally {
      this.generations.set(key, (this.generations.get(key) ?? 0) + 1);
      this.heads.delete(key);
    }
  }

  async getFlow(tenant: string, flowId: string): Promise<FlowSummary> {
    const key = this.key(tenant, flowId);
    const cached = this.heads.get(key);
    if (cached) return structuredClone(cached);
    const generation = this.generations.get(key) ?? 0;
    const head = await this.store.getFlow(tenant, flowId);
    if ((this.generations.get(key) ?? 0) === generation) {
      if (this.heads.size >= MAX_HEADS) this.heads.clear();
      this.heads.set(key, structuredClone(head));
    }
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
