import { describe, expect, it } from 'vitest';
import { ActionError } from '../../../lib/actions/action.ts';
import { compile } from '../../../lib/compiler/compile.ts';
import type { ExecutionRecord } from '../../../lib/runtime/execution-record.ts';
import { historyToRecord } from '../../../lib/runtime/history-to-record.ts';
import { localCompileContext } from '../../../lib/runtime/local/local-action-arns.ts';
import { type InvokeAction, runLocally } from '../../../lib/runtime/local/run-locally.ts';
import { HistoryBuilder, historyOfLocalRun } from './history-fixture.ts';

class Http5xx extends ActionError {
  constructor(message: string) {
    super(message);
    this.name = 'Http5xx';
  }
}

/** A Lambda service error: every Task retries it natively (not a node attempt). */
class LambdaServiceException extends Error {
  constructor() {
    super('Lambda is unavailable');
    this.name = 'Lambda.ServiceException';
  }
}

const flow = (onError: 'fail' | 'continue') => ({
  name: 'attempts',
  nodes: [
    { id: 'start', type: 'trigger', trigger: 'manual' },
    {
      id: 'flaky',
      type: 'action',
      action: 'http',
      config: { url: 'https://api.example.com/orders' },
      dependencies: ['start'],
      onError,
      retry: { strategy: 'fixed', maxAttempts: 3, delaySeconds: 1, retryOn: ['Http5xx'] },
    },
    { id: 'after', type: 'action', action: 'log', config: { message: 'done' }, dependencies: ['flaky'] },
  ],
});

/** Runs the flow locally, failing `flaky`'s calls as `failures` says (in order), and builds both records. */
async function runBoth(onError: 'fail' | 'continue', failures: Array<() => Error>) {
  const { asl } = compile(flow(onError) as never, localCompileContext());
  const calls: number[] = [];
  const invokeAction: InvokeAction = async (payload) => {
    if (payload.nodeId !== 'flaky') return { message: 'done' };
    calls.push(payload.attempt);
    const failure = failures[calls.length - 1];
    if (failure) throw failure();
    return { status: 200, headers: {}, body: { ok: true } };
  };
  const run = runLocally(
    asl,
    { input: {}, execution: { id: 'e1', startedAt: new Date().toISOString(), flowId: 'f', version: 1 } },
    { invokeAction, timeScale: 0.001 },
  );
  const local = await run.promise;
  const aws = historyToRecord(
    {
      status: local.status,
      ...(local.error ? { error: local.error.error, cause: local.error.cause } : {}),
    },
    historyOfLocalRun(run.events()),
  );
  return { local, aws, calls };
}

const attemptsOf = (record: ExecutionRecord) =>
  Object.fromEntries(Object.entries(record.nodes).map(([id, node]) => [id, node.attempts]));

describe('node attempts: one per run of the retry loop, the same from the local log and the AWS history', () => {
  it('a node that failed twice and then succeeded has three attempts, the failed ones with their error', async () => {
    const { local, aws, calls } = await runBoth('fail', [
      () => new Http5xx('503 once'),
      () => new Http5xx('503 twice'),
    ]);
    expect(local.status).toBe('SUCCEEDED');
    expect(calls).toEqual([1, 2, 3]);
    const attempts = local.nodes.flaky?.attempts ?? [];
    expect(attempts).toHaveLength(3);
    expect(attempts.map((a) => a.error)).toEqual([
      { error: 'Http5xx', cause: '503 once' },
      { error: 'Http5xx', cause: '503 twice' },
      undefined,
    ]);
    // In order, each one ended before the next began (the retry wait lies between them).
    for (const [index, attempt] of attempts.entries()) {
      expect(attempt.finishedAt).toBeDefined();
      expect(Date.parse(attempt.finishedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(attempt.startedAt));
      const next = attempts[index + 1];
      if (next)
        expect(Date.parse(next.startedAt)).toBeGreaterThanOrEqual(Date.parse(attempt.finishedAt ?? ''));
    }
    expect(attempts[0]?.startedAt).toBe(local.nodes.flaky?.startedAt);
    expect(attempts[2]?.finishedAt).toBe(local.nodes.flaky?.finishedAt);
    // Nodes that ran once carry no attempts.
    expect(attemptsOf(local)).toEqual({ start: undefined, flaky: attempts, after: undefined });
    expect(attemptsOf(aws)).toEqual(attemptsOf(local));
    expect(aws.nodes.flaky?.status).toBe('succeeded');
  });

  it('a node whose attempts ran out has each attempt failed, the last with the node’s error', async () => {
    const { local, aws, calls } = await runBoth('fail', [
      () => new Http5xx('a'),
      () => new Http5xx('b'),
      () => new Http5xx('c'),
    ]);
    expect(local.status).toBe('FAILED');
    expect(calls).toEqual([1, 2, 3]);
    expect(local.nodes.flaky?.status).toBe('failed');
    expect(local.nodes.flaky?.attempts?.map((a) => a.error?.cause)).toEqual(['a', 'b', 'c']);
    expect(local.nodes.flaky?.attempts?.[2]?.error).toEqual(local.nodes.flaky?.error);
    expect(attemptsOf(aws)).toEqual(attemptsOf(local));
    expect(aws.nodes.flaky?.status).toBe('failed');
  });

  it('a native retry of a Lambda service error is not an attempt, nor is an error the policy does not retry', async () => {
    const { local, aws, calls } = await runBoth('continue', [
      () => new Http5xx('503'),
      () => new LambdaServiceException(),
    ]);
    // Call 2 is the loop's attempt 2; call 3 is the native retry of call 2 (the same attempt).
    expect(calls).toEqual([1, 2, 2]);
    expect(local.nodes.flaky?.status).toBe('succeeded');
    const attempts = local.nodes.flaky?.attempts ?? [];
    expect(attempts.map((a) => a.error?.error)).toEqual(['Http5xx', undefined]);
    expect(attempts[1]?.finishedAt).toBe(local.nodes.flaky?.finishedAt);
    expect(attemptsOf(aws)).toEqual(attemptsOf(local));

    const unretried = await runBoth('continue', [() => new Error('not in retryOn')]);
    expect(unretried.calls).toEqual([1]);
    expect(unretried.local.nodes.flaky?.status).toBe('failed');
    expect(unretried.local.nodes.flaky?.attempts).toBeUndefined();
    expect(unretried.aws.nodes.flaky?.attempts).toBeUndefined();
  });

  it('a node whose caught error waits for its next attempt is running, in the local record and the AWS history alike', async () => {
    const { asl } = compile(flow('fail') as never, localCompileContext());
    let failed!: () => void;
    const firstFailure = new Promise<void>((resolve) => {
      failed = resolve;
    });
    let calls = 0;
    const run = runLocally(
      asl,
      { input: {}, execution: { id: 'e1', startedAt: new Date().toISOString(), flowId: 'f', version: 1 } },
      {
        invokeAction: async (payload) => {
          if (payload.nodeId !== 'flaky') return { message: 'done' };
          calls++;
          if (calls === 1) {
            setTimeout(failed, 50);
            throw new Http5xx('503');
          }
          return { status: 200, headers: {}, body: {} };
        },
        // The retry waits 1 s × 0.2: the snapshot below is taken inside that wait.
        timeScale: 0.2,
      },
    );
    await firstFailure;
    const local = run.snapshot();
    const aws = historyToRecord({ status: 'RUNNING' }, historyOfLocalRun(run.events()));
    expect(calls).toBe(1);
    expect(local.nodes.flaky?.status).toBe('running');
    expect(aws.nodes.flaky?.status).toBe('running');
    expect(aws.nodes.flaky?.attempts).toEqual(local.nodes.flaky?.attempts);
    await run.promise;
  });

  it('an attempt a stop cut off has no finishedAt (AWS history)', () => {
    const b = new HistoryBuilder();
    b.add('ExecutionStarted', { executionStartedEventDetails: { input: '{}' } }, 0);
    const first = b.entered('Task', 'flaky', { nodes: {} });
    b.add('TaskScheduled');
    b.add('TaskStarted');
    const failed = b.add('TaskFailed', {
      taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error: 'Http5xx', cause: '503' },
    });
    b.exited('Task', 'flaky', { nodes: { flaky: { Error: 'Http5xx', Cause: '503' } } });
    b.entered('Wait', 'flaky:retry-wait', {});
    b.exited('Wait', 'flaky:retry-wait', {});
    const second = b.entered('Task', 'flaky', { nodes: {} });
    b.add('TaskScheduled');
    b.add('ExecutionAborted', { executionAbortedEventDetails: { error: 'Stopped' } });
    const record = historyToRecord({ status: 'ABORTED', error: 'Stopped' }, b.events);
    expect(record.nodes.flaky?.status).toBe('failed');
    expect(record.nodes.flaky?.attempts).toEqual([
      { startedAt: b.at(first), finishedAt: b.at(failed), error: { error: 'Http5xx', cause: '503' } },
      { startedAt: b.at(second) },
    ]);
  });
});
