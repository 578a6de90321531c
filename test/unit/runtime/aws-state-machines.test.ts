import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DeleteStateMachineVersionCommand,
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  ExecutionNotRedrivable,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachineVersionsCommand,
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
    sfn.on(ListStateMachineVersionsCommand).resolves({ stateMachineVersions: [] });
    const machine = await adapter().deploy({ ...request, version: 2 });
    expect(machine).toEqual({ stateMachineArn: MACHINE, versionArn: `${MACHINE}:2` });
    expect(sfn.calls().map((c) => c.args[0].constructor.name)).toEqual([
      'ValidateStateMachineDefinitionCommand',
      'CreateStateMachineCommand',
      'UpdateStateMachineCommand',
      'ListStateMachineVersionsCommand',
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

  it('plans the ARN of a Standard start (the one StartExecution answers), not of an Express one', () => {
    expect(adapter().executionArnOf(machine, name, 'STANDARD')).toBe(
      'arn:aws:states:eu-west-1:123456789012:execution:flowforge-acme-flow-1:api-e1',
    );
    expect(adapter().executionArnOf(machine, name, 'EXPRESS')).toBeUndefined();
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
    expect(sfn.commandCalls(DeleteStateMachineCommand).map((c) => c.args[0].input)).toEqual([
      { stateMachineArn: MACHINE },
      // The flow's machine of the other type, if it ever changed type.
      { stateMachineArn: `${MACHINE}-express` },
    ]);
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

describe('AwsStateMachines: machine types (Express has its own machine and record path)', () => {
  const EXPRESS_MACHINE = `${MACHINE}-express`;
  const EXPRESS_LOGS =
    'arn:aws:logs:eu-west-1:123456789012:log-group:/aws/vendedlogs/states/flowforge-express:*';
  const logs = mockClient(CloudWatchLogsClient);
  const expressAdapter = (now = new Date('2026-06-01T12:00:00Z')) =>
    new AwsStateMachines({
      client: new SFNClient({ region: 'eu-west-1' }),
      roleArn: ROLE,
      logging: { logGroupArn: 'arn:aws:logs:eu-west-1:123456789012:log-group:/flowforge/sfn:*' },
      expressLogs: { client: new CloudWatchLogsClient({ region: 'eu-west-1' }), logGroupArn: EXPRESS_LOGS },
      keepVersions: 2,
      now: () => now,
      sleep: async () => {},
      random: () => 0.5,
    });
  beforeEach(() => logs.reset());

  it('creates an Express version as its own machine (type in the name) logging ALL with data to the Express log group', async () => {
    sfn.on(ValidateStateMachineDefinitionCommand).resolves({ result: 'OK', diagnostics: [] });
    sfn
      .on(CreateStateMachineCommand)
      .resolves({ stateMachineArn: EXPRESS_MACHINE, stateMachineVersionArn: `${EXPRESS_MACHINE}:1` });
    await expressAdapter().deploy({ ...request, type: 'EXPRESS' });
    expect(sfn.commandCalls(ValidateStateMachineDefinitionCommand)[0]?.args[0].input.type).toBe('EXPRESS');
    expect(sfn.commandCalls(CreateStateMachineCommand)[0]?.args[0].input).toMatchObject({
      name: 'flowforge-acme-flow-1-express',
      type: 'EXPRESS',
      publish: true,
      loggingConfiguration: {
        level: 'ALL',
        includeExecutionData: true,
        destinations: [{ cloudWatchLogsLogGroup: { logGroupArn: EXPRESS_LOGS } }],
      },
    });
  });

  it('a type change between versions creates the other machine, never an update across types', async () => {
    // v1 was Standard (its machine exists); v2 asks for Express: CreateStateMachine of the -express name.
    sfn.on(ValidateStateMachineDefinitionCommand).resolves({ result: 'OK', diagnostics: [] });
    sfn
      .on(CreateStateMachineCommand, { name: 'flowforge-acme-flow-1' })
      .rejects(new StateMachineAlreadyExists({ message: 'exists', $metadata: {} }))
      .on(CreateStateMachineCommand, { name: 'flowforge-acme-flow-1-express' })
      .resolves({ stateMachineArn: EXPRESS_MACHINE, stateMachineVersionArn: `${EXPRESS_MACHINE}:1` });
    const machine = await expressAdapter().deploy({ ...request, version: 2, type: 'EXPRESS' });
    expect(machine).toEqual({ stateMachineArn: EXPRESS_MACHINE, versionArn: `${EXPRESS_MACHINE}:1` });
    expect(sfn.commandCalls(UpdateStateMachineCommand)).toHaveLength(0);
    // And back to Standard: the Standard machine is updated (its own type), the Express one untouched.
    sfn.reset();
    sfn.on(ValidateStateMachineDefinitionCommand).resolves({ result: 'OK', diagnostics: [] });
    sfn
      .on(CreateStateMachineCommand)
      .rejects(new StateMachineAlreadyExists({ message: 'exists', $metadata: {} }));
    sfn.on(UpdateStateMachineCommand).resolves({ stateMachineVersionArn: `${MACHINE}:2` });
    sfn.on(ListStateMachineVersionsCommand).resolves({ stateMachineVersions: [] });
    await expressAdapter().deploy({ ...request, version: 3, type: 'STANDARD' });
    expect(sfn.commandCalls(CreateStateMachineCommand)[0]?.args[0].input.name).toBe('flowforge-acme-flow-1');
    expect(sfn.commandCalls(UpdateStateMachineCommand)[0]?.args[0].input.stateMachineArn).toBe(MACHINE);
  });

  it('deletes Standard versions beyond the newest kept ones, but not those with runs in flight or still redrivable', async () => {
    const now = new Date('2026-06-01T12:00:00Z');
    sfn.on(ValidateStateMachineDefinitionCommand).resolves({ result: 'OK', diagnostics: [] });
    sfn
      .on(CreateStateMachineCommand)
      .rejects(new StateMachineAlreadyExists({ message: 'exists', $metadata: {} }));
    sfn.on(UpdateStateMachineCommand).resolves({ stateMachineVersionArn: `${MACHINE}:6` });
    sfn.on(ListStateMachineVersionsCommand).resolves({
      stateMachineVersions: [6, 5, 4, 3, 2, 1].map((n) => ({
        stateMachineVersionArn: `${MACHINE}:${n}`,
        creationDate: new Date(now.getTime() - (7 - n) * 86_400_000),
      })),
    });
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    // v2 has a run in flight; v3 failed yesterday (redrivable); v1 and v4 have nothing that needs them.
    sfn.on(ListExecutionsCommand, { stateMachineArn: `${MACHINE}:2`, statusFilter: 'RUNNING' }).resolves({
      executions: [
        {
          executionArn: 'x',
          stateMachineArn: `${MACHINE}:2`,
          name: 'x',
          status: 'RUNNING',
          startDate: now,
        },
      ],
    });
    sfn.on(ListExecutionsCommand, { stateMachineArn: `${MACHINE}:3`, statusFilter: 'FAILED' }).resolves({
      executions: [
        {
          executionArn: 'y',
          stateMachineArn: `${MACHINE}:3`,
          name: 'y',
          status: 'FAILED',
          startDate: now,
          stopDate: new Date(now.getTime() - 86_400_000),
        },
      ],
    });
    sfn.on(DeleteStateMachineVersionCommand).resolves({});
    await expressAdapter(now).deploy({ ...request, version: 6 });
    expect(sfn.commandCalls(ListStateMachineVersionsCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: MACHINE,
      maxResults: 1000,
    });
    expect(sfn.commandCalls(DeleteStateMachineVersionCommand).map((c) => c.args[0].input)).toEqual([
      { stateMachineVersionArn: `${MACHINE}:1` },
      { stateMachineVersionArn: `${MACHINE}:4` },
    ]);
    // Each candidate is checked by status on its own version ARN.
    expect(
      sfn
        .commandCalls(ListExecutionsCommand)
        .filter((c) => c.args[0].input.stateMachineArn === `${MACHINE}:1`)
        .map((c) => c.args[0].input),
    ).toEqual(
      ['RUNNING', 'PENDING_REDRIVE', 'FAILED', 'TIMED_OUT', 'ABORTED'].map((statusFilter) => ({
        stateMachineArn: `${MACHINE}:1`,
        maxResults: 1,
        statusFilter,
      })),
    );
  });

  it('deletes old Express versions only when their successor is older than an Express run can last (no ListExecutions for Express)', async () => {
    const now = new Date('2026-06-01T12:00:00Z');
    sfn.on(ValidateStateMachineDefinitionCommand).resolves({ result: 'OK', diagnostics: [] });
    sfn
      .on(CreateStateMachineCommand)
      .rejects(new StateMachineAlreadyExists({ message: 'exists', $metadata: {} }));
    sfn.on(UpdateStateMachineCommand).resolves({ stateMachineVersionArn: `${EXPRESS_MACHINE}:5` });
    const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);
    sfn.on(ListStateMachineVersionsCommand).resolves({
      stateMachineVersions: [
        { stateMachineVersionArn: `${EXPRESS_MACHINE}:5`, creationDate: minutesAgo(0) },
        { stateMachineVersionArn: `${EXPRESS_MACHINE}:4`, creationDate: minutesAgo(2) },
        { stateMachineVersionArn: `${EXPRESS_MACHINE}:3`, creationDate: minutesAgo(3) },
        { stateMachineVersionArn: `${EXPRESS_MACHINE}:2`, creationDate: minutesAgo(60) },
        { stateMachineVersionArn: `${EXPRESS_MACHINE}:1`, creationDate: minutesAgo(120) },
      ],
    });
    sfn.on(DeleteStateMachineVersionCommand).resolves({});
    await expressAdapter(now).deploy({ ...request, version: 5, type: 'EXPRESS' });
    // v3's successor (v4) is 2 minutes old: v3 may still run. v2's successor (v3) is 3 minutes old: kept too.
    // v1's successor (v2) is an hour old: deleted.
    expect(sfn.commandCalls(DeleteStateMachineVersionCommand).map((c) => c.args[0].input)).toEqual([
      { stateMachineVersionArn: `${EXPRESS_MACHINE}:1` },
    ]);
    expect(sfn.commandCalls(ListExecutionsCommand)).toHaveLength(0);
  });

  it('describes an Express execution from its log events, never calling DescribeExecution or GetExecutionHistory', async () => {
    const arn = 'arn:aws:states:eu-west-1:123456789012:express:flowforge-acme-flow-1-express:api-1:6a1b';
    const at = (s: number) => String(Date.parse('2026-06-01T12:00:00Z') + s * 1000);
    const line = (id: number, type: string, details: Record<string, unknown>, prev = id - 1) =>
      JSON.stringify({
        id: String(id),
        type,
        details,
        previous_event_id: String(prev),
        event_timestamp: at(id),
        execution_arn: arn,
      });
    const machineInput = {
      input: { who: 'ada' },
      execution: { id: 'api-1', flowId: 'flow-1', tenant: 'acme' },
    };
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({
        events: [
          { message: line(1, 'ExecutionStarted', { input: JSON.stringify(machineInput) }, 0) },
          {
            message: line(2, 'TaskStateEntered', {
              name: 'say',
              input: JSON.stringify({ ...machineInput, nodes: {} }),
            }),
          },
        ],
        nextToken: 'more',
      })
      .resolvesOnce({
        events: [
          {
            message: line(3, 'TaskStateExited', {
              name: 'say',
              output: JSON.stringify({
                ...machineInput,
                nodes: { say: { status: 'succeeded', output: { message: 'hi ada' } } },
              }),
            }),
          },
          { message: line(4, 'ExecutionSucceeded', { output: '{}' }) },
        ],
      });
    const record = await expressAdapter().describe(arn);
    expect(record.status).toBe('SUCCEEDED');
    expect(record.nodes.say).toMatchObject({ status: 'succeeded', output: { message: 'hi ada' } });
    expect(logs.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input)).toEqual([
      {
        logGroupIdentifier: EXPRESS_LOGS.replace(/:\*$/, ''),
        filterPattern: `{ $.execution_arn = "${arn}" }`,
      },
      {
        logGroupIdentifier: EXPRESS_LOGS.replace(/:\*$/, ''),
        filterPattern: `{ $.execution_arn = "${arn}" }`,
        nextToken: 'more',
      },
    ]);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('reads an Express run as RUNNING until its terminal event is logged', async () => {
    const arn = 'arn:aws:states:eu-west-1:123456789012:express:flowforge-acme-flow-1-express:api-2:77';
    logs.on(FilterLogEventsCommand).resolves({
      events: [
        {
          message: JSON.stringify({
            id: '1',
            type: 'ExecutionStarted',
            details: { input: '{}' },
            event_timestamp: '1',
            execution_arn: arn,
          }),
        },
      ],
    });
    expect((await expressAdapter().describe(arn)).status).toBe('RUNNING');
  });

  it('answers stop and redrive of an Express execution with a conflict that says Express does not support it, without a call', async () => {
    const arn = 'arn:aws:states:eu-west-1:123456789012:express:flowforge-acme-flow-1-express:api-3:88';
    const stop = await expressAdapter()
      .stop(arn, { error: 'Stopped', cause: 'x' })
      .catch((e: unknown) => e);
    const redrive = await expressAdapter()
      .redrive(arn)
      .catch((e: unknown) => e);
    for (const error of [stop, redrive]) {
      expect(error).toBeInstanceOf(ExecutionConflictError);
      expect((error as Error).message).toMatch(/Express executions do not support (stop|redrive)/);
    }
    expect(sfn.calls()).toHaveLength(0);
  });
});
