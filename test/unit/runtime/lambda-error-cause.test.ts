import { describe, expect, it } from 'vitest';
import { ActionError } from '../../../lib/actions/action.ts';
import { compile } from '../../../lib/compiler/compile.ts';
import { historyToRecord } from '../../../lib/runtime/history-to-record.ts';
import { localCompileContext } from '../../../lib/runtime/local/local-action-arns.ts';
import { lambdaErrorCause, runLocally } from '../../../lib/runtime/local/run-locally.ts';
import { causeText } from '../../../lib/runtime/node-record-rules.ts';
import { HistoryBuilder } from './history-fixture.ts';

class Http5xx extends ActionError {
  constructor(message: string) {
    super(message);
    this.name = 'Http5xx';
  }
}

const MESSAGE = 'GET https://api.example.com/orders answered 503';
/** What Step Functions puts in the Catch Cause when the Node.js Lambda of the http action throws. */
const AWS_CAUSE = JSON.stringify({
  errorType: 'Http5xx',
  errorMessage: MESSAGE,
  trace: [
    'Http5xx: GET https://api.example.com/orders answered 503',
    '    at run (/var/task/index.mjs:1:2345)',
  ],
});

const definition = {
  name: 'cause-fixture',
  nodes: [{ id: 'fetch', type: 'action', action: 'http', config: { url: 'https://api.example.com/orders' } }],
};

/** The history AWS writes for that definition when the Lambda throws (Catch → fetch:failed → fail). */
function awsHistory() {
  const b = new HistoryBuilder();
  const input = {
    input: {},
    execution: { id: 'e1', flowId: 'f', version: 1, startedAt: 'x' },
    nodes: {},
    run: {},
  };
  const failed = { status: 'failed', error: { error: 'Http5xx', cause: AWS_CAUSE } };
  b.add('ExecutionStarted', {}, 0);
  b.entered('Task', 'fetch', input);
  b.add('TaskScheduled');
  b.add('TaskFailed', {
    taskFailedEventDetails: {
      resourceType: 'lambda',
      resource: 'invoke',
      error: 'Http5xx',
      cause: AWS_CAUSE,
    },
  });
  const caught = { ...input, run: { failed: { Error: 'Http5xx', Cause: AWS_CAUSE } } };
  b.entered('Pass', 'fetch:failed', caught);
  b.exited('Pass', 'fetch:failed', { ...caught, nodes: { fetch: failed } });
  b.entered('Fail', ':fail-end', { ...caught, nodes: { fetch: failed } });
  b.add('ExecutionFailed', { executionFailedEventDetails: { error: 'Http5xx', cause: AWS_CAUSE } });
  return b.events;
}

describe('AWS Lambda error Causes are normalised to { error, cause } with the message only', () => {
  it('causeText keeps the errorMessage of the runtime JSON and leaves other text alone', () => {
    expect(causeText(AWS_CAUSE)).toBe(MESSAGE);
    expect(causeText('plain words')).toBe('plain words');
    expect(causeText('{"not":"the runtime form"}')).toBe('{"not":"the runtime form"}');
    expect(causeText('{"errorMessage": broken')).toBe('{"errorMessage": broken');
    expect(causeText({ n: 1 })).toBe('{"n":1}');
  });

  it('the local runner hands the machine the same Cause JSON a Lambda does (errorType, errorMessage, trace)', () => {
    const cause = JSON.parse(lambdaErrorCause(new Http5xx(MESSAGE)));
    expect(cause).toMatchObject({ errorType: 'Http5xx', errorMessage: MESSAGE });
    expect(cause.trace[0]).toBe(`Http5xx: ${MESSAGE}`);
  });

  it('local and AWS records of the same failure agree, and neither carries the stack', async () => {
    const { asl } = compile(definition as never, localCompileContext());
    const local = await runLocally(
      asl,
      { input: {}, execution: { id: 'e1', startedAt: new Date().toISOString(), flowId: 'f', version: 1 } },
      {
        invokeAction: async () => {
          throw new Http5xx(MESSAGE);
        },
      },
    ).promise;
    const aws = historyToRecord({ status: 'FAILED', error: 'Http5xx', cause: AWS_CAUSE }, awsHistory());
    const expected = { error: 'Http5xx', cause: MESSAGE };
    expect(aws.nodes.fetch?.error).toEqual(expected);
    expect(local.nodes.fetch?.error).toEqual(expected);
    expect(aws.error).toEqual(expected);
    expect(local.error).toEqual(expected);
    for (const record of [local, aws]) expect(JSON.stringify(record)).not.toMatch(/trace|\/var\/task|at run/);
  });
});
