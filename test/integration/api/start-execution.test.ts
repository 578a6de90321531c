import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompileResult } from '../../../lib/compiler/types.ts';
import { executionNameFor } from '../../../lib/runtime/execution-names.ts';
import type { DeployedMachine } from '../../../lib/runtime/state-machines.ts';
import { RequestValidationError } from '../../../lib/service/errors.ts';
import { startExecution } from '../../../lib/service/start-execution.ts';
import { NotFoundError } from '../../../lib/store/errors.ts';
import { definitionSchema, type WorkflowDefinitionInput } from '../../../lib/workflow/definition-schema.ts';
import { startDynalite, type TestDynalite } from '../../support/dynalite.ts';
import { FakeStateMachines, fakeDeps } from './service-fakes.ts';

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

  it('writes the record once when the state machine names its executions predictably', async () => {
    const planned = new PlannedArnMachines();
    const deps = { ...setup.deps, stateMachines: planned };
    const updates: unknown[] = [];
    const executions = deps.stores.executions;
    deps.stores = {
      ...deps.stores,
      executions: Object.assign(Object.create(executions), {
        update: (...args: Parameters<typeof executions.update>) => {
          updates.push(args);
          return executions.update(...args);
        },
      }),
    };
    const result = await startExecution(deps, request());
    expect(result).toMatchObject({ status: 'RUNNING', alreadyStarted: false });
    expect(updates).toEqual([]);
    const stored = await executions.get('t1', result.executionId);
    expect(stored.executionArn).toBe(planned.arns.at(-1));
  });

  it('starts, once, a record whose writer died between the store write and the start', async () => {
    const planned = new PlannedArnMachines();
    const deps = { ...setup.deps, stateMachines: planned };
    const key = 'died-before-start';
    const executionId = executionNameFor('api', key);
    const machine = { stateMachineArn: `arn:fake:t1:${flowId}`, versionArn: `arn:fake:t1:${flowId}:2` };
    // What a start leaves behind when its process dies right after the create.
    await deps.stores.executions.create('t1', {
      executionId,
      flowId,
      version: 2,
      trigger: { id: null, type: 'api' },
      input: { orderId: 'o-1' },
      idempotencyKey: key,
      executionArn: planned.executionArnOf(machine, executionId),
    });
    const first = await startExecution(deps, request({ idempotencyKey: key }));
    const second = await startExecution(deps, request({ idempotencyKey: key }));
    expect(first.executionId).toBe(executionId);
    expect(second.executionId).toBe(executionId);
    expect(planned.started.map((started) => started.name)).toEqual([executionId]);
    expect(second.alreadyStarted).toBe(true);
  });

  it('marks the record FAILED when the state machine refuses the start', async () => {
    setup.stateMachines.failNextStart = new Error('boom');
    const key = 'fails';
    await expect(startExecution(setup.deps, request({ idempotencyKey: key }))).rejects.toThrow('boom');
    const stored = await setup.deps.stores.executions.get('t1', executionNameFor('api', key));
    expect(stored.status).toBe('FAILED');
  });
});

/** Fake machines whose execution ARN is a function of machine and name, as Step Functions' Standard ones. */
class PlannedArnMachines extends FakeStateMachines {
  readonly arns: string[] = [];
  executionArnOf(machine: DeployedMachine, name: string): string {
    const arn = `${machine.versionArn}:exec:${name}`;
    this.arns.push(arn);
    return arn;
  }
}
