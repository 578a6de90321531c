import type {
  FlowLookup,
  StartExecutionRequest,
  StartExecutionResult,
  TriggerFlow,
} from '../../../lib/triggers/start-execution-port.ts';
import { definitionSchema, type WorkflowDefinitionInput } from '../../../lib/workflow/definition-schema.ts';

/**
 * A stand-in for the service's `startExecution` that records every call and dedupes by
 * idempotency key exactly as the contract says: the same key → the same execution, `alreadyStarted`.
 */
export function fakeStartExecution() {
  const calls: StartExecutionRequest[] = [];
  const byKey = new Map<string, { executionId: string; request: StartExecutionRequest }>();
  let next = 1;
  const startExecution = async (request: StartExecutionRequest): Promise<StartExecutionResult> => {
    calls.push(request);
    const key = `${request.tenantId}/${request.idempotencyKey}`;
    const existing = byKey.get(key);
    if (existing) return { executionId: existing.executionId, status: 'RUNNING', alreadyStarted: true };
    const executionId = `exec-${next++}`;
    byKey.set(key, { executionId, request });
    return { executionId, status: 'RUNNING', alreadyStarted: false };
  };
  return {
    startExecution,
    calls,
    /** Executions actually started (one per distinct key). */
    get started() {
      return [...byKey.values()];
    },
  };
}

/** A flow lookup over in-memory flows keyed by tenant and flowId (each at one version). */
export function fakeFlows(
  flows: { tenantId?: string; flowId: string; version?: number; definition: WorkflowDefinitionInput }[],
) {
  const table = new Map<string, TriggerFlow>();
  for (const flow of flows) {
    table.set(`${flow.tenantId ?? 'default'}/${flow.flowId}`, {
      flowId: flow.flowId,
      version: flow.version ?? 1,
      definition: definitionSchema.parse(flow.definition),
    });
  }
  const getFlow: FlowLookup = async (tenantId, flowId, version) => {
    const flow = table.get(`${tenantId}/${flowId}`);
    if (!flow || (version !== undefined && version !== flow.version)) return null;
    return flow;
  };
  return getFlow;
}

/** A flow with a queue, a webhook and a schedule trigger and an input schema. */
export const orderFlow: WorkflowDefinitionInput = {
  name: 'orders',
  inputSchema: {
    type: 'object',
    required: ['orderId'],
    properties: { orderId: { type: 'string', minLength: 1 }, amount: { type: 'number', minimum: 0 } },
  },
  nodes: [
    { id: 'hook', type: 'trigger', trigger: 'webhook' },
    { id: 'fromQueue', type: 'trigger', trigger: 'queue' },
    {
      id: 'nightly',
      type: 'trigger',
      trigger: 'schedule',
      config: { cron: '0 2 * * ? *', timezone: 'Europe/Berlin' },
    },
    {
      id: 'log',
      type: 'action',
      action: 'log',
      config: { message: 'order {{ input.orderId }}' },
      dependencies: ['hook', 'fromQueue', 'nightly'],
      join: 'any',
    },
  ],
};

/** A controllable clock: timers run only when the test advances time. */
export class FakeClock {
  private current: number;
  private nextId = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start: Date | string) {
    this.current = new Date(start).getTime();
  }

  now = (): Date => new Date(this.current);

  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = ++this.nextId;
    this.timers.set(id, { at: this.current + ms, fn });
    return id;
  };

  clearTimeout = (handle: unknown): void => {
    this.timers.delete(handle as number);
  };

  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward to `target`, running each due timer at its own instant and then `settle`. */
  async advanceTo(target: Date | string, settle: () => Promise<void> = async () => {}): Promise<void> {
    const end = new Date(target).getTime();
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers)
        if (entry[1].at <= end && (!due || entry[1].at < due[1].at)) due = entry;
      if (!due) break;
      this.timers.delete(due[0]);
      this.current = Math.max(this.current, due[1].at);
      due[1].fn();
      await settle();
    }
    this.current = Math.max(this.current, end);
  }
}

/** In-memory fired marks with the store's contract (conditional put per instant). */
export function fakeFiredMarks() {
  const marks = new Map<string, Set<string>>();
  return {
    marks,
    async markScheduleFired(tenant: string, flowId: string, triggerId: string, instantIso: string) {
      const key = `${tenant}/${flowId}/${triggerId}`;
      const set = marks.get(key) ?? new Set<string>();
      marks.set(key, set);
      if (set.has(instantIso)) return false;
      set.add(instantIso);
      return true;
    },
    async lastScheduleFired(tenant: string, flowId: string, triggerId: string) {
      const set = marks.get(`${tenant}/${flowId}/${triggerId}`);
      return set && set.size > 0 ? [...set].sort().at(-1) : undefined;
    },
  };
}
