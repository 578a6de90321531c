import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutionStatusHandler, tenantOfMachine } from '../../../functions/api/execution-status.ts';
import { stateMachineNameFor } from '../../../lib/runtime/execution-names.ts';
import { startExecution } from '../../../lib/service/start-execution.ts';
import { definitionSchema } from '../../../lib/workflow/definition-schema.ts';
import { startDynalite, type TestDynalite } from '../../support/dynalite.ts';
import { fakeDeps, passMachine, silentLog } from './service-fakes.ts';

const compiled = passMachine;

describe('execution status changes from EventBridge (AWS)', () => {
  let dynalite: TestDynalite;

  beforeAll(async () => {
    dynalite = await startDynalite();
  });
  afterAll(async () => {
    await dynalite?.stop();
  });

  it('finds the tenant of a machine name only when the name is the plain form', () => {
    const flowId = '0b5e9a52-1c1f-4a6e-9d0a-5a3d2b1c0f9e';
    expect(tenantOfMachine('flowforge', stateMachineNameFor('flowforge', 'acme-corp', flowId), flowId)).toBe(
      'acme-corp',
    );
    const long = 'x'.repeat(60);
    expect(
      tenantOfMachine('flowforge', stateMachineNameFor('flowforge', long, flowId), flowId),
    ).toBeUndefined();
    expect(tenantOfMachine('flowforge', 'other-acme-' + flowId, flowId)).toBeUndefined();
  });

  const setUp = async (key: string) => {
    const { deps, stateMachines } = fakeDeps(dynalite, () => compiled);
    const flow = await deps.stores.flows.createFlow('t1', {
      definition: definitionSchema.parse({
        name: 'f',
        nodes: [{ id: 'a', type: 'action', action: 'log', config: {} }],
      }),
      compiled: compiled.asl,
      report: compiled.report,
      triggers: [],
    });
    const started = await startExecution(deps, {
      tenantId: 't1',
      flowId: flow.flowId,
      input: {},
      trigger: { id: null, type: 'api' },
      idempotencyKey: key,
    });
    const item = await deps.stores.executions.get('t1', started.executionId);
    const finished = {
      status: 'SUCCEEDED' as const,
      output: { done: true },
      nodes: { a: { status: 'succeeded' as const, output: { ok: 1 } } },
      startedAt: item.startedAt,
      finishedAt: '2030-01-01T00:00:00.000Z',
    };
    const machineInput = {
      input: {},
      execution: { id: started.executionId, flowId: flow.flowId, tenant: 't1' },
    };
    return {
      deps,
      stateMachines,
      arn: item.executionArn ?? '',
      executionId: started.executionId,
      flowId: flow.flowId,
      finished,
      machineInput,
    };
  };

  it('writes a finished execution back into the store', async () => {
    const { deps, stateMachines, arn, executionId, finished, flowId } = await setUp('status-test');
    stateMachines.records.set(arn, finished);
    const machine = stateMachineNameFor('flowforge', 't1', flowId);
    const handler = createExecutionStatusHandler(
      () => deps,
      silentLog,
      () => 'flowforge',
    );
    await handler({
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      detail: {
        executionArn: `arn:aws:states:eu-west-1:123456789012:execution:${machine}:${executionId}`,
        stateMachineArn: `arn:aws:states:eu-west-1:123456789012:stateMachine:${machine}:1`,
        name: executionId,
        status: 'SUCCEEDED',
        // An older machine input without execution.tenant: the tenant comes from the machine name.
        input: JSON.stringify({ input: {}, execution: { id: executionId, flowId } }),
      },
    });
    const stored = await deps.stores.executions.get('t1', executionId);
    expect(stored).toMatchObject({
      status: 'SUCCEEDED',
      output: { done: true },
      finishedAt: '2030-01-01T00:00:00.000Z',
    });
    expect(stored.nodes.a).toMatchObject({ status: 'succeeded' });

    // Events it cannot attribute change nothing and do not throw.
    await handler({ 'detail-type': 'Something else', detail: {} });
    await handler({
      'detail-type': 'Step Functions Execution Status Change',
      detail: {
        executionArn: 'x',
        stateMachineArn: 'arn:aws:states:r:1:stateMachine:foreign',
        name: 'n',
        status: 'FAILED',
      },
    });
  });

  it('ignores the child executions of a forEach Distributed Map (machine `<name>/<map run label>`)', async () => {
    const { deps, stateMachines, arn, executionId, finished, flowId } = await setUp('status-child');
    stateMachines.records.set(arn, finished);
    const machine = stateMachineNameFor('flowforge', 't1', flowId);
    const handler = createExecutionStatusHandler(
      () => deps,
      silentLog,
      () => 'flowforge',
    );
    await handler({
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      detail: {
        executionArn: `arn:aws:states:eu-west-1:123456789012:execution:${machine}/each:0b5e9a52-1c1f-4a6e-9d0a-5a3d2b1c0f9e`,
        stateMachineArn: `arn:aws:states:eu-west-1:123456789012:stateMachine:${machine}/each`,
        name: '0b5e9a52-1c1f-4a6e-9d0a-5a3d2b1c0f9e',
        status: 'SUCCEEDED',
        // An item's input carries the parent's execution (the Map's ItemSelector).
        input: JSON.stringify({
          input: {},
          execution: { id: executionId, flowId, tenant: 't1' },
          item: 1,
          index: 0,
        }),
      },
    });
    expect((await deps.stores.executions.get('t1', executionId)).status).toBe('RUNNING');
  });

  it('works from the event itself when EventBridge omits detail.input, and retries while the history lags', async () => {
    const { deps, stateMachines, arn, executionId, finished, machineInput } = await setUp('lag-test');
    // DescribeExecution still says RUNNING for the first two reads after the event.
    stateMachines.records.set(arn, { ...finished, status: 'RUNNING', nodes: {} });
    let reads = 0;
    const sleeps: number[] = [];
    const handler = createExecutionStatusHandler(
      () => deps,
      silentLog,
      () => 'flowforge',
      {
        readInput: async (executionArn) => (executionArn === arn ? machineInput : undefined),
        delayMs: 100,
        sleep: async (ms) => {
          sleeps.push(ms);
          reads += 1;
          if (reads === 2) stateMachines.records.set(arn, finished);
        },
      },
    );
    await handler({
      'detail-type': 'Step Functions Execution Status Change',
      detail: {
        executionArn: arn,
        stateMachineArn: 'arn:aws:states:r:1:stateMachine:m',
        name: executionId,
        status: 'SUCCEEDED',
      },
    });
    expect(sleeps).toEqual([100, 200]);
    expect(await deps.stores.executions.get('t1', executionId)).toMatchObject({
      status: 'SUCCEEDED',
      output: { done: true },
    });
  });

  it('fails the invocation (so the event is delivered again, then dead-lettered) when the history keeps lagging', async () => {
    const { deps, stateMachines, arn, executionId, finished, machineInput } = await setUp('lag-forever');
    stateMachines.records.set(arn, { ...finished, status: 'RUNNING', nodes: {} });
    const handler = createExecutionStatusHandler(
      () => deps,
      silentLog,
      () => 'flowforge',
      {
        attempts: 3,
        sleep: async () => {},
      },
    );
    await expect(
      handler({
        'detail-type': 'Step Functions Execution Status Change',
        detail: {
          executionArn: arn,
          stateMachineArn: 'arn:aws:states:r:1:stateMachine:m',
          name: executionId,
          status: 'SUCCEEDED',
          input: JSON.stringify(machineInput),
        },
      }),
    ).rejects.toMatchObject({ name: 'ExecutionRecordLag' });
    expect((await deps.stores.executions.get('t1', executionId)).status).toBe('RUNNING');
  });

  it('writes back an Express run from the terminal event of its log subscription', async () => {
    const { deps, stateMachines, arn, executionId, finished, machineInput } = await setUp('express-test');
    stateMachines.records.set(arn, finished);
    const asked: string[] = [];
    const handler = createExecutionStatusHandler(
      () => deps,
      silentLog,
      () => 'flowforge',
      {
        readInput: async (executionArn) => {
          asked.push(executionArn);
          return machineInput;
        },
      },
    );
    const line = (type: string) =>
      JSON.stringify({ id: '9', type, details: {}, event_timestamp: '1', execution_arn: arn });
    const data = gzipSync(
      JSON.stringify({
        messageType: 'DATA_MESSAGE',
        logEvents: [{ id: '1', timestamp: 1, message: line('ExecutionSucceeded') }],
      }),
    ).toString('base64');
    await handler({ awslogs: { data } });
    expect(asked).toEqual([arn]);
    expect(await deps.stores.executions.get('t1', executionId)).toMatchObject({ status: 'SUCCEEDED' });
  });
});
