import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompileResult } from '../../../lib/compiler/types.ts';
import { RequestValidationError } from '../../../lib/service/errors.ts';
import { startExecution } from '../../../lib/service/start-execution.ts';
import { NotFoundError } from '../../../lib/store/errors.ts';
import { definitionSchema, type WorkflowDefinitionInput } from '../../../lib/workflow/definition-schema.ts';
import { startDynalite, type TestDynalite } from '../../support/dynalite.ts';
import { fakeDeps } from './service-fakes.ts';

const compiled: CompileResult = {
  asl: { StartAt: 'a', States: { a: { Type: 'Pass', End: true } } },
  report: {
    stateMachineType: 'STANDARD',
    definitionBytes: 10,
    states: 1,
    estimatedTransitions: 1,
    addedEdges: [],
    warnings: [],
  },
};

const flowDefinition: WorkflowDefinitionInput = {
  name: 'orders',
  inputSchema: { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string' } } },
  nodes: [{ id: 'a', type: 'action', action: 'log', config: { message: 'hi' } }],
};

describe('startExecution', () => {
  let dynalite: TestDynalite;
  let setup: ReturnType<typeof fakeDeps>;
  let flowId: string;

  beforeAll(async () => {
    dynalite = await startDynalite();
    setup = fakeDeps(dynalite, () => compiled);
    const definition = definitionSchema.parse(flowDefinition);
    const created = await setup.deps.stores.flows.createFlow('t1', {
      definition,
      compiled: compiled.asl,
      report: compiled.report,
      triggers: [],
    });
    flowId = created.flowId;
    await setup.deps.stores.flows.saveVersion('t1', flowId, 1, {
      definition: { ...definition, name: 'orders-v2' },
      compiled: compiled.asl,
      report: compiled.report,
      triggers: [],
    });
  });
  afterAll(async () => {
    await dynalite?.stop();
  });

  const request = (overrides: Partial<Parameters<typeof startExecution>[1]> = {}) => ({
    tenantId: 't1',
    flowId,
    input: { orderId: 'o-1' },
    trigger: { id: null, type: 'api' as const },
    idempotencyKey: `key-${Math.random()}`,
    ...overrides,
  });

  it('records the execution, deploys the version on first use and starts it with the execution facts', async () => {
    const result = await startExecution(setup.deps, request({ trigger: { id: 'hook', type: 'webhook' } }));
    expect(result).toMatchObject({ status: 'RUNNING', alreadyStarted: false });
    const stored = await setup.deps.stores.executions.get('t1', result.executionId);
    expect(stored).toMatchObject({
      flowId,
      version: 2,
      status: 'RUNNING',
      trigger: { id: 'hook', type: 'webhook' },
    });
    expect(stored.executionArn).toBeDefined();
    const started = setup.stateMachines.started.at(-1);
    expect(started?.name).toBe(result.executionId);
    expect(started?.input).toEqual({
      input: { orderId: 'o-1' },
      execution: {
        id: result.executionId,
        startedAt: stored.startedAt,
        flowId,
        version: 2,
        trigger: { id: 'hook', type: 'webhook' },
        tenant: 't1',
      },
    });
    expect(setup.stateMachines.deployed.map((d) => d.version)).toContain(2);
  });

  it('runs a pinned version', async () => {
    const result = await startExecution(setup.deps, request({ version: 1 }));
    expect((await setup.deps.stores.executions.get('t1', result.executionId)).version).toBe(1);
  });

  it('starts one execution for the same idempotency key, also when the starts race', async () => {
    const before = setup.stateMachines.started.length;
    const key = 'same-key';
    const results = await Promise.all(
      Array.from({ length: 5 }, () => startExecution(setup.deps, request({ idempotencyKey: key }))),
    );
    const again = await startExecution(setup.deps, request({ idempotencyKey: key }));
    expect(new Set([...results, again].map((r) => r.executionId)).size).toBe(1);
    expect(again.alreadyStarted).toBe(true);
    expect(setup.stateMachines.started.length - before).toBe(1);
  });

  it('refuses input that does not match the input schema, at a pointer under /input', async () => {
    const before = setup.stateMachines.started.length;
    const error = await startExecution(setup.deps, request({ input: { orderId: 7 } })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RequestValidationError);
    expect((error as RequestValidationError).errors[0]?.path).toBe('/input/orderId');
    expect(setup.stateMachines.started.length).toBe(before);
  });

  it("answers NotFound for unknown flows and for another tenant's flow", async () => {
    await expect(startExecution(setup.deps, request({ flowId: 'nope' }))).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(startExecution(setup.deps, request({ tenantId: 't2' }))).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(startExecution(setup.deps, request({ version: 9 }))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('marks the record FAILED when the state machine refuses the start', async () => {
    setup.stateMachines.failNextStart = new Error('boom');
    const key = 'fails';
    await expect(startExecution(setup.deps, request({ idempotencyKey: key }))).rejects.toThrow('boom');
    const stored = await setup.deps.stores.executions.findByIdempotencyKey('t1', key);
    expect(stored?.status).toBe('FAILED');
  });
});
