import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, TaskTimedOut } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WaitStore } from '../../../lib/store/wait-store.ts';
import { AwsTaskTokens } from '../../../lib/waits/aws-task-tokens.ts';
import { handleWaitTask } from '../../../lib/waits/aws-wait-task.ts';
import { lambdaNotify } from '../../../lib/waits/lambda-notify.ts';
import { TaskTokenGoneError } from '../../../lib/waits/task-tokens.ts';
import {
  answerCallback,
  answerNodeCallback,
  CallbackNotFoundError,
  CallbackUsedError,
  sendEvent,
} from '../../../lib/waits/waits.ts';
import { startDynalite, type TestDynalite } from '../../support/dynalite.ts';

const sfn = mockClient(SFNClient);
/** A Lambda response payload (the SDK's blob adapter is a Uint8Array with helpers the code does not use). */
const blob = (text: string) => new TextEncoder().encode(text) as never;
const lambda = mockClient(LambdaClient);
const EMAIL_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:flowforge-action-email';

const execution = (id: string) => ({
  id,
  startedAt: '2026-12-01T10:00:00.000Z',
  flowId: 'f-1',
  version: 1,
  tenant: 'acme',
});

describe('the AWS path of waits (SendTask* on task tokens, notify through the action Lambda)', () => {
  let dynalite: TestDynalite;
  let store: WaitStore;
  const notified: unknown[] = [];
  const deps = () => ({
    store,
    tokens: new AwsTaskTokens(new SFNClient({ region: 'eu-west-1' })),
    clock: () => new Date(),
    runNotify: lambdaNotify(new LambdaClient({ region: 'eu-west-1' }), { email: EMAIL_ARN }),
    apiBaseUrl: 'https://api.example.com',
  });

  beforeAll(async () => {
    dynalite = await startDynalite();
    store = new WaitStore(dynalite.client, dynalite.tableName);
  });
  afterAll(() => dynalite.stop());
  beforeEach(() => {
    sfn.reset();
    lambda.reset();
    notified.length = 0;
    lambda.on(InvokeCommand).callsFake((input) => {
      notified.push(JSON.parse(new TextDecoder().decode(input.Payload)));
      return { StatusCode: 200, Payload: blob('{"messageId":"m-1"}') };
    });
  });

  it('stores the token, notifies through the email Lambda, and a callback sends SendTaskSuccess with { output }', async () => {
    const result = await handleWaitTask(deps(), {
      nodeId: 'approve',
      operation: 'waitForCallback',
      config: {
        timeoutSeconds: 3600,
        notify: {
          action: 'email',
          config: { to: 'boss@example.com', subject: 'x', text: 'Go: {{ callback.url }}' },
        },
      },
      execution: execution('e-1'),
      attempt: 1,
      taskToken: 'token-1',
    });
    expect(result).toEqual({ waiting: true });
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    const stored = await store.getWait('acme', 'e-1', 'approve');
    expect(stored).toMatchObject({ token: 'token-1', state: 'waiting', kind: 'callback', notified: true });
    expect(lambda.commandCalls(InvokeCommand)[0]?.args[0].input.FunctionName).toBe(EMAIL_ARN);
    const payload = notified[0] as { phase: string; nodeId: string; config: { text: string } };
    expect(payload).toMatchObject({ phase: 'notify', nodeId: 'approve', action: 'email', attempt: 1 });
    const [, callbackId] = /\/api\/v1\/callbacks\/([A-Za-z0-9_-]{43})$/.exec(payload.config.text) ?? [];
    expect(payload.config.text.startsWith('Go: https://api.example.com/api/v1/callbacks/')).toBe(true);
    // only the digest of the id is kept
    expect(JSON.stringify(stored)).not.toContain(callbackId);

    sfn.on(SendTaskSuccessCommand).resolves({});
    const accepted = await answerCallback(deps(), callbackId as string, { output: { approved: true } });
    expect(accepted).toEqual({ executionId: 'e-1', nodeId: 'approve' });
    expect(sfn.commandCalls(SendTaskSuccessCommand).map((call) => call.args[0].input)).toEqual([
      { taskToken: 'token-1', output: '{"output":{"approved":true}}' },
    ]);
    await expect(answerCallback(deps(), callbackId as string, { output: 1 })).rejects.toBeInstanceOf(
      CallbackUsedError,
    );
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
  });

  it('a rejection sends SendTaskFailure with the error and cause', async () => {
    await handleWaitTask(deps(), {
      nodeId: 'approve',
      operation: 'waitForCallback',
      config: {},
      execution: execution('e-2'),
      taskToken: 'token-2',
    });
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0); // no notify configured
    sfn.on(SendTaskFailureCommand).resolves({});
    await answerNodeCallback(deps(), 'acme', 'e-2', 'approve', { error: 'Rejected', cause: 'over budget' });
    expect(sfn.commandCalls(SendTaskFailureCommand).map((call) => call.args[0].input)).toEqual([
      { taskToken: 'token-2', error: 'Rejected', cause: 'over budget' },
    ]);
    await expect(answerNodeCallback(deps(), 'other', 'e-2', 'approve', { output: 1 })).rejects.toBeInstanceOf(
      CallbackNotFoundError,
    );
  });

  it('a token that timed out in Step Functions (TaskTimedOut) answers 404-style, not a server error', async () => {
    await handleWaitTask(deps(), {
      nodeId: 'approve',
      operation: 'waitForCallback',
      config: {},
      execution: execution('e-3'),
      taskToken: 'token-3',
    });
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    await expect(answerNodeCallback(deps(), 'acme', 'e-3', 'approve', { output: 1 })).rejects.toBeInstanceOf(
      CallbackNotFoundError,
    );
    await expect(
      new AwsTaskTokens(new SFNClient({ region: 'eu-west-1' })).answer('token-3', { output: 1 }),
    ).rejects.toBeInstanceOf(TaskTokenGoneError);
  });

  it('an event answers the waiting token; an early event is answered by the wait Lambda itself', async () => {
    sfn.on(SendTaskSuccessCommand).resolves({});
    const wait = (id: string, token: string) =>
      handleWaitTask(deps(), {
        nodeId: 'paid',
        operation: 'waitForEvent',
        config: { event: 'payment.completed', match: 'order-9', lookbackSeconds: 300 },
        execution: execution(id),
        taskToken: token,
      });
    expect(await wait('e-4', 'token-4')).toEqual({ waiting: true });
    const sent = await sendEvent(deps(), 'acme', {
      name: 'payment.completed',
      key: 'order-9',
      payload: { n: 1 },
    });
    expect(sent.matched).toBe(1);
    const [call] = sfn.commandCalls(SendTaskSuccessCommand);
    expect(call?.args[0].input.taskToken).toBe('token-4');
    expect(JSON.parse(call?.args[0].input.output ?? '{}')).toEqual({
      output: {
        eventId: sent.eventId,
        name: 'payment.completed',
        key: 'order-9',
        payload: { n: 1 },
        receivedAt: expect.any(String),
      },
    });
    // a later wait within the lookback: the Lambda answers its own token at once
    expect(await wait('e-5', 'token-5')).toEqual({ waiting: false });
    expect(sfn.commandCalls(SendTaskSuccessCommand).map((c) => c.args[0].input.taskToken)).toEqual([
      'token-4',
      'token-5',
    ]);
  });

  it('a failing notify Lambda fails the wait with the action error name', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: blob('{"errorType":"EmailRejected","errorMessage":"bad address"}'),
    });
    await expect(
      handleWaitTask(deps(), {
        nodeId: 'approve',
        operation: 'waitForCallback',
        config: { notify: { action: 'email', config: { to: 'x@example.com', subject: 's', text: 't' } } },
        execution: execution('e-6'),
        taskToken: 'token-6',
      }),
    ).rejects.toMatchObject({ name: 'EmailRejected', message: 'bad address' });
  });
});
