import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  ExecutionNotRedrivable,
  GetExecutionHistoryCommand,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineAlreadyExists,
  StopExecutionCommand,
  UpdateStateMachineCommand,
  ValidateStateMachineDefinitionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsStateMachines } from '../../../lib/runtime/aws-state-machines.ts';
import { executionNameFor } from '../../../lib/runtime/execution-names.ts';
import {
  ExecutionConflictError,
  ExecutionNotFoundError,
  InvalidDefinitionError,
  RuntimeError,
} from '../../../lib/runtime/state-machines.ts';
import { failedRunWithParallel } from './history-fixture.ts';

const sfn = mockClient(SFNClient);
const ROLE = 'arn:aws:iam::123456789012:role/flowforge-machines';
const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:flowforge-acme-flow-1';
const asl = { StartAt: 'a', States: { a: { Type: 'Pass', End: true } } };
const request = { tenantId: 'acme', flowId: 'flow-1', version: 1, asl, type: 'STANDARD' as const };
let sleeps: number[];
/** Step Functions' throttling error (not modelled in the SFN client: the SDK's generic one). */
const throttled = () =>
  Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: {} });

function adapter(): AwsStateMachines {
  return new AwsStateMachines({
    client: new SFNClient({ region: 'eu-west-1' }),
    roleArn: ROLE,
    logging: { logGroupArn: 'arn:aws:logs:eu-west-1:123456789012:log-group:/flowforge/sfn:*', level: 'ALL' },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
  });
}

beforeEach(() => {
  sfn.reset();
  sleeps = [];
});

describe('AwsStateMachines.deploy', () => {
  it('validates, then creates the machine with publish: true', async () => {
    sfn.on(ValidateStateMachineDefinitionCommand).resolves({ result: 'OK', diagnostics: [] });
    sfn
      .on(CreateStateMachineCommand)
      .resolves({ stateMachineArn: MACHINE, stateMachineVersionArn: `${MACHINE}:1` });
    const machine = await adapter().deploy(request);
    expect(machine).toEqual({ stateMachineArn: MACHINE, versionArn: `${MACHINE}:1` });
    const calls = sfn.calls().map((c) => c.args[0].constructor.name);
    expect(calls).toEqual(['ValidateStateMachineDefinitionCommand', 'CreateStateMachineCommand']);
    expect(sfn.commandCalls(ValidateStateMachineDefinitionCommand)[0]?.args[0].input).toEqual({
      definition: JSON.stringify(asl),
      type: 'STANDARD',
    });
    expect(sfn.commandCalls(CreateStateMachineCommand)[0]?.args[0].input).toEqual({
      name: 'flowforge-acme-flow-1',
      definition: JSON.stringify(asl),
      roleArn: ROLE,
      type: 'STANDARD',
      publish: true,
      versionDescription: 'flow flow-1 version 1',
      loggingConfiguration: {
        level: 'ALL',
        includeExecutionData: false,
        destinations: [
          {
            cloudWatchLogsLogGroup: {
              logGroupArn: 'arn:aws:logs:eu-west-1:123456789012:log-group:/flowforge/sfn:*',
            },
          },
        ],
      },
      tracingConfiguration: { enabled: true },
      tags: undefined,
    });
  });

  it('updates with publish: true when the machine exists and returns the new version ARN', async () => {
    sfn.on(ValidateStateMachineDefinitionCommand).resolves({ result: 'OK', diagnostics: [] });
    sfn
      .on(CreateStateMachineCommand)
      .rejects(new StateMachineAlreadyExists({ message: 'exists', $metadata: {} }));
    sfn
      .on(UpdateStateMachineCommand)
      .resolves({ stateMachineVersionArn: `${MACHINE}:2`, updateDate: new Date() });
    const machine = await adapter().deploy({ ...request, version: 2 });
    expect(machine).toEqual({ stateMachineArn: MACHINE, versionArn: `${MACHINE}:2` });
    expect(sfn.calls().map((c) => c.args[0].constructor.name)).toEqual([
      'ValidateStateMachineDefinitionCommand',
      'CreateStateMachineCommand',
      'UpdateStateMachineCommand',
    ]);
    expect(sfn.commandCalls(UpdateStateMachineCommand)[0]?.args[0].input).toMatchObject({
      stateMachineArn: MACHINE,
      definition: JSON.stringify(asl),
      roleArn: ROLE,
      publish: true,
      versionDescription: 'flow flow-1 version 2',
      tracingConfiguration: { enabled: true },
    });
  });

  it('refuses a definition Step Functions finds invalid, with its diagnostics, and creates nothing', async () => {
    sfn.on(ValidateStateMachineDefinitionCommand).resolves({
      result: 'FAIL',
      diagnostics: [
        {
          severity: 'ERROR',
          code: 'MISSING_TRANSITION_TARGET',
          message: 'Missing Next target: b',
          location: '/States/a/Next',
        },
        { severity: 'WARNING', code: 'SOME_WARNING', message: 'meh' },
      ],
    });
    const error = await adapter()
      .deploy(request)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidDefinitionError);
    expect((error as Error).message).toContain(
      'MISSING_TRANSITION_TARGET: Missing Next target: b (at /States/a/Next)',
    );
    expect((error as Error).message).not.toContain('SOME_WARNING');
    expect(sfn.commandCalls(CreateStateMachineCommand)).toHaveLength(0);
  });

  it('retries throttling with exponential backoff and jitter', async () => {
    sfn.on(ValidateStateMachineDefinitionCommand).resolves({ result: 'OK', diagnostics: [] });

    sfn
      .on(CreateStateMachineCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .resolves({ stateMachineArn: MACHINE, stateMachineVersionArn: `${MACHINE}:1` });
    const machine = await adapter().deploy(request);
    expect(machine.versionArn).toBe(`${MACHINE}:1`);
    expect(sfn.commandCalls(CreateStateMachineCommand)).toHaveLength(4);
    // random() = 0.5 of 200, 400, 800 ms.
    expect(sleeps).toEqual([100, 200, 400]);
  });

  it('gives up after the configured attempts', async () => {
    sfn.on(ValidateStateMachineDefinitionCommand).rejects(throttled());
    await expect(adapter().deploy(request)).rejects.toBeInstanceOf(RuntimeError);
    expect(sfn.commandCalls(ValidateStateMachineDefinitionCommand)).toHaveLength(6);
    expect(sleeps).toHaveLength(5);
  });
});

describe('AwsStateMachines.start', () => {
  const machine = { stateMachineArn: MACHINE, versionArn: `${MACHINE}:3` };
  const input = {
    input: { orderId: 7 },
    execution: { id: 'e1', flowId: 'flow-1', version: 3, startedAt: '2026-01-01T00:00:00.000Z' },
  };
  const name = executionNameFor('api', 'e1');

  it('starts on the version ARN with the name', async () => {
    const startDate = new Date('2026-01-01T00:00:01Z');
    sfn
      .on(StartExecutionCommand)
      .resolves({ executionArn: `${MACHINE.replace('stateMachine', 'execution')}:${name}`, startDate });
    const result = await adapter().start({ machine, name, input });
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: `${MACHINE}:3`,
      name: 'api-e1',
      input: JSON.stringify(input),
    });
    expect(result).toEqual({
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:flowforge-acme-flow-1:api-e1',
      startedAt: '2026-01-01T00:00:01.000Z',
      alreadyStarted: false,
    });
  });

  it('answers alreadyStarted when the name exists with the same input', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:flowforge-acme-flow-1:api-e1',
      input: JSON.stringify({ execution: input.execution, input: input.input }),
      startDate: new Date('2026-01-01T00:00:01Z'),
      status: 'SUCCEEDED',
      stateMachineArn: MACHINE,
    });
    const result = await adapter().start({ machine, name, input });
    expect(result).toEqual({
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:flowforge-acme-flow-1:api-e1',
      startedAt: '2026-01-01T00:00:01.000Z',
      alreadyStarted: true,
    });
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:flowforge-acme-flow-1:api-e1',
    });
  });

  it('refuses the same name with another input', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    sfn.on(DescribeExecutionCommand).resolves({
      input: '{"input":{"orderId":8}}',
      startDate: new Date(),
      status: 'RUNNING',
      executionArn: 'x',
      stateMachineArn: MACHINE,
    });
    await expect(adapter().start({ machine, name, input })).rejects.toBeInstanceOf(ExecutionConflictError);
  });
});

describe('AwsStateMachines stop, redrive, remove, describe', () => {
  const arn = 'arn:aws:states:eu-west-1:123456789012:execution:flowforge-acme-flow-1:api-e1';

  it('stops with the reason', async () => {
    sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });
    await adapter().stop(arn, { error: 'Stopped', cause: 'by user' });
    expect(sfn.commandCalls(StopExecutionCommand)[0]?.args[0].input).toEqual({
      executionArn: arn,
      error: 'Stopped',
      cause: 'by user',
    });
  });

  it('translates a missing execution', async () => {
    sfn.on(StopExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'nope', $metadata: {} }));
    await expect(adapter().stop(arn, { error: 'e', cause: 'c' })).rejects.toBeInstanceOf(
      ExecutionNotFoundError,
    );
  });

  it('redrives, and a run that cannot be redriven is a conflict', async () => {
    sfn
      .on(RedriveExecutionCommand)
      .resolvesOnce({ redriveDate: new Date() })
      .rejects(new ExecutionNotRedrivable({ message: 'succeeded', $metadata: {} }));
    await adapter().redrive(arn);
    expect(sfn.commandCalls(RedriveExecutionCommand)[0]?.args[0].input).toEqual({ executionArn: arn });
    await expect(adapter().redrive(arn)).rejects.toBeInstanceOf(ExecutionConflictError);
  });

  it('removes the machine', async () => {
    sfn.on(DeleteStateMachineCommand).resolves({});
    await adapter().remove({ stateMachineArn: MACHINE, versionArn: `${MACHINE}:2` });
    expect(sfn.commandCalls(DeleteStateMachineCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: MACHINE,
    });
  });

  it('describes from DescribeExecution and the paginated history', async () => {
    const { builder } = failedRunWithParallel();
    const events = builder.events;
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: arn,
      stateMachineArn: MACHINE,
      status: 'FAILED',
      startDate: new Date(builder.at(1)),
      stopDate: new Date(builder.at(events.length)),
      error: 'FlowFailed',
      cause: 'node charge failed',
    });
    sfn
      .on(GetExecutionHistoryCommand, { executionArn: arn, nextToken: undefined })
      .resolves({ events: events.slice(0, 10), nextToken: 'page-2' })
      .on(GetExecutionHistoryCommand, { executionArn: arn, nextToken: 'page-2' })
      .resolves({ events: events.slice(10) });
    const record = await adapter().describe(arn);
    expect(sfn.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input)).toEqual([
      { executionArn: arn, maxResults: 1000, nextToken: undefined, includeExecutionData: true },
      { executionArn: arn, maxResults: 1000, nextToken: 'page-2', includeExecutionData: true },
    ]);
    expect(record.status).toBe('FAILED');
    expect(record.error).toEqual({ error: 'FlowFailed', cause: 'node charge failed' });
    expect(Object.fromEntries(Object.entries(record.nodes).map(([id, n]) => [id, n.status]))).toEqual({
      start: 'succeeded',
      fetch: 'succeeded',
      notify: 'skipped',
      charge: 'failed',
    });
    expect(record.nodes.charge?.error).toEqual({ error: 'PaymentDeclined', cause: 'card declined' });
  });
});
