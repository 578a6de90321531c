import { describe, expect, it } from 'vitest';
import { historyToRecord } from '../../../lib/runtime/history-to-record.ts';
import { nodeIdOfState } from '../../../lib/runtime/node-record-rules.ts';
import { failedRunWithParallel, HistoryBuilder } from './history-fixture.ts';

describe('nodeIdOfState', () => {
  it('maps node states and skip states to node ids, compiler states to nothing', () => {
    expect(nodeIdOfState('fetchOrder')).toBe('fetchOrder');
    expect(nodeIdOfState('fetch-order_2')).toBe('fetch-order_2');
    expect(nodeIdOfState('fetchOrder:skip')).toBe('fetchOrder');
    expect(nodeIdOfState('fetchOrder:guard')).toBeUndefined();
    expect(nodeIdOfState('parallel:0')).toBeUndefined();
    expect(nodeIdOfState(':start')).toBeUndefined();
  });
});

describe('historyToRecord', () => {
  it('reads records from every slot container and reports nodes the failure path lists but never ran as skipped', () => {
    const b = new HistoryBuilder();
    b.add('ExecutionStarted');
    const aEntered = b.entered('Task', 'a', { nodes: {}, nodes1: {} });
    const aExited = b.exited('Task', 'a', { nodes: {}, nodes1: { a: { status: 'succeeded', output: 1 } } });
    // `b` overwrites slot `nodes1`: the record of `a` is gone from the state, not from the run.
    b.exited('Task', 'b', { nodes: {}, nodes1: { b: { status: 'succeeded', output: 2 } } });
    b.exited('Pass', ':fail', {
      nodes1: { b: { status: 'succeeded', output: 2 } },
      run: { all: ['a', 'b', 'c'] },
    });
    const record = historyToRecord({ status: 'FAILED', error: 'Boom' }, b.events);
    expect(record.nodes.a).toEqual({
      status: 'succeeded',
      output: 1,
      startedAt: b.at(aEntered),
      finishedAt: b.at(aExited),
    });
    expect(record.nodes.b?.status).toBe('succeeded');
    expect(record.nodes.c?.status).toBe('skipped');
    expect(record.output).toEqual({ a: 1, b: 2 });
  });

  it('reads a record without a status (the compiler leaves out unread ones) as succeeded once its state exited', () => {
    const b = new HistoryBuilder();
    b.add('ExecutionStarted');
    const aEntered = b.entered('Task', 'a', { nodes: {} });
    b.add('TaskScheduled');
    b.add('TaskSucceeded');
    const aExited = b.exited('Task', 'a', { nodes: { a: { output: { n: 1 } } } });
    const record = historyToRecord({ status: 'SUCCEEDED' }, b.events);
    expect(record.nodes.a).toEqual({
      status: 'succeeded',
      output: { n: 1 },
      startedAt: b.at(aEntered),
      finishedAt: b.at(aExited),
    });
    expect(record.output).toEqual({ a: { n: 1 } });
  });

  it('builds the record of a failed run with Parallel branches, a failed and a skipped node', () => {
    const { builder, ids } = failedRunWithParallel();
    const record = historyToRecord(
      {
        status: 'FAILED',
        startDate: new Date(builder.at(1)),
        stopDate: new Date(builder.at(builder.events.length)),
        error: 'FlowFailed',
        cause: 'node charge failed',
      },
      builder.events,
    );
    expect(record).toEqual({
      status: 'FAILED',
      startedAt: builder.at(1),
      finishedAt: builder.at(builder.events.length),
      error: { error: 'FlowFailed', cause: 'node charge failed' },
      output: { start: { orderId: 7 }, fetch: { status: 200, body: { total: 12 } } },
      nodes: {
        start: {
          status: 'succeeded',
          output: { orderId: 7 },
          startedAt: builder.at(ids.startEntered as number),
          finishedAt: builder.at(ids.startExited as number),
        },
        fetch: {
          status: 'succeeded',
          output: { status: 200, body: { total: 12 } },
          startedAt: builder.at(ids.fetchEntered as number),
          finishedAt: builder.at(ids.fetchExited as number),
        },
        notify: {
          status: 'skipped',
          startedAt: builder.at(ids.notifyEntered as number),
          finishedAt: builder.at(ids.notifyExited as number),
        },
        charge: {
          status: 'failed',
          error: { error: 'PaymentDeclined', cause: 'card declined' },
          startedAt: builder.at(ids.chargeEntered as number),
          finishedAt: builder.at(ids.chargeFailed as number),
        },
      },
    });
  });

  it('ties an uncaught task failure to its node through previousEventId', () => {
    const b = new HistoryBuilder();
    b.add('ExecutionStarted', { executionStartedEventDetails: { input: '{}' } }, 0);
    const entered = b.entered('Task', 'charge', { nodes: {} });
    b.add('TaskScheduled');
    b.add('TaskStarted');
    // An unrelated event in between (another branch), then the failure pointing back at TaskStarted.
    b.entered('Pass', 'other:guard', {}, 1);
    const failed = b.add(
      'TaskFailed',
      {
        taskFailedEventDetails: {
          resourceType: 'lambda',
          resource: 'invoke',
          error: 'Boom',
          cause: 'it broke',
        },
      },
      4,
    );
    b.add('ExecutionFailed', { executionFailedEventDetails: { error: 'Boom', cause: 'it broke' } });
    const record = historyToRecord({ status: 'FAILED', error: 'Boom', cause: 'it broke' }, b.events);
    expect(record.nodes.charge).toEqual({
      status: 'failed',
      error: { error: 'Boom', cause: 'it broke' },
      startedAt: b.at(entered),
      finishedAt: b.at(failed),
    });
    expect(record.nodes['other:guard']).toBeUndefined();
  });

  it('shows running nodes of a running execution, and interrupted ones after a stop', () => {
    const b = new HistoryBuilder();
    b.add('ExecutionStarted', { executionStartedEventDetails: { input: '{}' } }, 0);
    const entered = b.entered('Task', 'slow', { nodes: {} });
    b.add('TaskScheduled');
    const running = historyToRecord({ status: 'RUNNING', startDate: new Date(b.at(1)) }, b.events);
    expect(running.status).toBe('RUNNING');
    expect(running.finishedAt).toBeUndefined();
    expect(running.nodes.slow).toEqual({ status: 'running', startedAt: b.at(entered) });
    b.add('ExecutionAborted', { executionAbortedEventDetails: { error: 'Stopped', cause: 'by user' } });
    const aborted = historyToRecord(
      { status: 'ABORTED', error: 'Stopped', cause: 'by user', stopDate: new Date(b.at(4)) },
      b.events,
    );
    expect(aborted.status).toBe('ABORTED');
    expect(aborted.nodes.slow?.status).toBe('failed');
    expect(aborted.nodes.slow?.error?.error).toBe('Interrupted');
  });

  it('applies the final output of a successful run and ignores truncated data', () => {
    const b = new HistoryBuilder();
    b.add('ExecutionStarted', { executionStartedEventDetails: { input: '{}' } }, 0);
    b.add('PassStateEntered', {
      stateEnteredEventDetails: { name: 'a', input: '{"nodes":{"a":{"status":"runn' },
    });
    b.exited('Pass', 'a', { nodes: { a: { status: 'succeeded', output: 1 } } });
    b.add('ExecutionSucceeded', {
      executionSucceededEventDetails: {
        output: JSON.stringify({
          nodes: { a: { status: 'succeeded', output: 1 }, b: { status: 'skipped' } },
        }),
      },
    });
    const record = historyToRecord({ status: 'SUCCEEDED' }, b.events);
    expect(record.status).toBe('SUCCEEDED');
    expect(record.nodes.a).toMatchObject({ status: 'succeeded', output: 1 });
    expect(record.nodes.b).toEqual({ status: 'skipped' });
    expect(record.output).toEqual({ a: 1 });
    expect(record.error).toBeUndefined();
  });
});

describe('historyToRecord of waits', () => {
  it('shows a .waitForTaskToken Task as waiting until its token is answered', () => {
    const b = new HistoryBuilder();
    b.add('ExecutionStarted');
    const entered = b.entered('Task', 'approve', { nodes: {} });
    b.add(
      'TaskScheduled',
      {
        taskScheduledEventDetails: {
          resource: 'invoke.waitForTaskToken',
          resourceType: 'lambda',
          region: 'eu-west-1',
          parameters: '{}',
        },
      },
      entered,
    );
    const waiting = historyToRecord({ status: 'RUNNING' }, b.events);
    expect(waiting.nodes.approve).toEqual({ status: 'waiting', startedAt: b.at(entered) });
    b.exited('Task', 'approve', { nodes: { approve: { status: 'succeeded', output: { ok: true } } } });
    const answered = historyToRecord({ status: 'RUNNING' }, b.events);
    expect(answered.nodes.approve).toMatchObject({ status: 'succeeded', output: { ok: true } });
    // a plain Task is running, not waiting
    const c = new HistoryBuilder();
    const plain = c.entered('Task', 'fetch', { nodes: {} });
    c.add(
      'TaskScheduled',
      {
        taskScheduledEventDetails: {
          resource: 'invoke',
          resourceType: 'lambda',
          region: 'eu-west-1',
          parameters: '{}',
        },
      },
      plain,
    );
    expect(historyToRecord({ status: 'RUNNING' }, c.events).nodes.fetch?.status).toBe('running');
  });
});
