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
