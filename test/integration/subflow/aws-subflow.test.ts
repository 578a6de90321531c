import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createExecutionStatusHandler } from '../../../functions/api/execution-status.ts';
import { stateMachineNameFor } from '../../../lib/runtime/execution-names.ts';
import { handleSubflowTask } from '../../../lib/service/aws-subflow-task.ts';
import { stopExecution } from '../../../lib/service/executions.ts';
import { startExecution } from '../../../lib/service/start-execution.ts';
import { AwsTaskTokens } from '../../../lib/waits/aws-task-tokens.ts';
import { definitionSchema } from '../../../lib/workflow/definition-schema.ts';
import { startDynalite, type TestDynalite } from '../../support/dynalite.ts';
import { fakeDeps, passMachine, silentLog } from '../api/service-fakes.ts';

/**
 * The AWS path of a subflow: the subflow Lambda starts the child through the start path and
 * returns (the parent's Task waits on its token); the child's status write-back sends exactly one
 * SendTaskSuccess / SendTaskFailure with the parent's token. Real stores on dynalite; Step
 * Functions' task-token calls asserted with aws-sdk-client-mock.
 */
const compiled = passMachine;

describe('subflow in AWS: subflow Lambda and status write-back', () => {
  let dynalite: TestDynalite;
  const sfn = mockClient(SFNClient);

  beforeAll(async () => {
    dynalite = await startDynalite();
  });
  afterAll(async () => {
    await dynalite?.stop();
    sfn.restore();
  });
  beforeEach(() => {
    sfn.reset();
    sfn.on(SendTaskSuccessCommand).resolves({});
    sfn.on(SendTaskFailureCommand).resolves({});
  });

  const setUp = async (tenant: string) => {
    const { deps, stateMachines } = fakeDeps(dynalite, () => compiled);
    deps.taskTokens = new AwsTaskTokens(new SFNClient({ region: 'eu-west-1' }));
    const flow = async (name: string) =>
      deps.stores.flows.createFlow(tenant, {
        definition: definitionSchema.parse({
          name,
          nodes: [{ id: 'a', type: 'action', action: 'log', config: {} }],
        }),
        compiled: compiled.asl,
        report: compiled.report,
        triggers: [],
      });
    const parentFlow = await flow('parent');
    const childFlow = await flow('child');
    const parent = await startExecution(deps, {
      tenantId: tenant,
      flowId: parentFlow.flowId,
      input: {},
      trigger: { id: null, type: 'api' },
      idempotencyKey: `${tenant}-parent`,
    });
    const parentItem = await deps.stores.executions.get(tenant, parent.executionId);
    const task = (taskToken?: string) => ({
      nodeId: 'enrich',
      operation: 'subflow',
      config: { flowId: childFlow.flowId, input: { customer: 'Ada' }, wait: taskToken !== undefined },
      execution: {
        id: parent.executionId,
        startedAt: parentItem.startedAt,
        flowId: parentFlow.flowId,
        version: 1,
        tenant,
      },
      attempt: 1,
      ...(taskToken === undefined ? {} : { taskToken }),
    });
    const statusEvent = (executionId: string, status: string) => {
      const machine = stateMachineNameFor('flowforge', tenant, childFlow.flowId);
      return {
        'detail-type': 'Step Functions Execution Status Change',
        source: 'aws.states',
        detail: {
          executionArn: `arn:aws:states:eu-west-1:123456789012:execution:${machine}:${executionId}`,
          stateMachineArn: `arn:aws:states:eu-west-1:123456789012:stateMachine:${machine}:1`,
          name: executionId,
          status,
          input: JSON.stringify({
            input: {},
            execution: { id: executionId, flowId: childFlow.flowId, tenant },
          }),
        },
      };
    };
    const handler = createExecutionStatusHandler(
      () => deps,
      silentLog,
      () => 'flowforge',
    );
    return { deps, stateMachines, task, statusEvent, handler, parent, parentItem, childFlow };
  };

  it('starts the child and leaves the parent waiting; the child’s end sends SendTaskSuccess with its output', async () => {
    const { deps, stateMachines, task, statusEvent, handler, parent } = await setUp('t-ok');
    const result = await handleSubflowTask(deps, task('token-1'));
    expect(result.waiting).toBe(true);
    expect(sfn.calls()).toHaveLength(0);
    const start = stateMachines.started.at(-1);
    expect(start?.input.input).toEqual({ customer: 'Ada' });
    expect(start?.input.execution).toMatchObject({ tenant: 't-ok', depth: 1, trigger: { type: 'subflow' } });
    const child = await deps.stores.executions.get('t-ok', result.executionId);
    expect(child.parent).toEqual({
      executionId: parent.executionId,
      nodeId: 'enrich',
      waitKey: 'enrich',
      depth: 1,
    });

    // The same Task again (a retried Lambda) starts no second child.
    const again = await handleSubflowTask(deps, task('token-2'));
    expect(again.executionId).toBe(result.executionId);
    expect(stateMachines.started.filter((s) => s.name === result.executionId)).toHaveLength(1);

    const arn = child.executionArn ?? '';
    stateMachines.records.set(arn, {
      status: 'SUCCEEDED',
      output: { greeting: 'hello Ada' },
      nodes: {},
      startedAt: child.startedAt,
      finishedAt: '2030-01-01T00:00:00.000Z',
    });
    await handler(statusEvent(result.executionId, 'SUCCEEDED'));
    // The answer goes to the token that waits now (the retried Task's), once, even if the event comes twice.
    await handler(statusEvent(result.executionId, 'SUCCEEDED'));
    const sent = sfn.commandCalls(SendTaskSuccessCommand);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.args[0].input).toEqual({
      taskToken: 'token-2',
      output: JSON.stringify({ output: { greeting: 'hello Ada' } }),
    });
  });

  it('fails the parent’s Task with SubflowFailed and the child’s error as cause', async () => {
    const { deps, stateMachines, task, statusEvent, handler } = await setUp('t-fail');
    const { executionId } = await handleSubflowTask(deps, task('token-f'));
    const child = await deps.stores.executions.get('t-fail', executionId);
    stateMachines.records.set(child.executionArn ?? '', {
      status: 'FAILED',
      error: { error: 'PaymentDeclined', cause: 'card expired' },
      nodes: {},
      startedAt: child.startedAt,
      finishedAt: '2030-01-01T00:00:00.000Z',
    });
    await handler(statusEvent(executionId, 'FAILED'));
    const failed = sfn.commandCalls(SendTaskFailureCommand);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.args[0].input.taskToken).toBe('token-f');
    expect(failed[0]?.args[0].input.error).toBe('SubflowFailed');
    expect(JSON.parse(failed[0]?.args[0].input.cause ?? '{}')).toEqual({
      executionId,
      status: 'FAILED',
      error: 'PaymentDeclined',
      cause: 'card expired',
    });
  });

  it('answers { executionId } without waiting, and sends nothing when that child ends', async () => {
    const { deps, stateMachines, task, statusEvent, handler } = await setUp('t-nowait');
    const result = await handleSubflowTask(deps, task());
    expect(result).toEqual({ executionId: expect.any(String) });
    const child = await deps.stores.executions.get('t-nowait', result.executionId);
    stateMachines.records.set(child.executionArn ?? '', {
      status: 'SUCCEEDED',
      output: {},
      nodes: {},
      startedAt: child.startedAt,
      finishedAt: '2030-01-01T00:00:00.000Z',
    });
    await handler(statusEvent(result.executionId, 'SUCCEEDED'));
    expect(sfn.calls()).toHaveLength(0);
  });

  it('stops the waiting child when the parent is stopped through the API', async () => {
    const { deps, stateMachines, task, parent } = await setUp('t-stop');
    const { executionId } = await handleSubflowTask(deps, task('token-s'));
    await stopExecution(
      deps,
      { tenantId: 't-stop', keyId: 'k1', scopes: ['admin'] } as never,
      parent.executionId,
    );
    const child = await deps.stores.executions.get('t-stop', executionId);
    expect((await stateMachines.describe(child.executionArn ?? '')).status).toBe('ABORTED');
  });

  it('refuses a chain deeper than 5 with SubflowDepthExceeded, and a flow of another tenant with SubflowFailed', async () => {
    const { deps, task } = await setUp('t-deep');
    const deep = task('token-d');
    await expect(
      handleSubflowTask(deps, { ...deep, execution: { ...deep.execution, depth: 5 } }),
    ).rejects.toMatchObject({ name: 'SubflowDepthExceeded' });
    const foreign = await setUp('t-other');
    const stolen = task('token-x');
    await expect(
      handleSubflowTask(deps, { ...stolen, config: { ...stolen.config, flowId: foreign.childFlow.flowId } }),
    ).rejects.toMatchObject({ name: 'SubflowFailed' });
  });
});
