import { describe, expect, it, vi } from 'vitest';
import type { TaskPayload } from '../../../lib/actions/action.ts';
import type { AslDefinition } from '../../../lib/compiler/types.ts';
import { actionKindOfFunction, localActionArn } from '../../../lib/runtime/local/local-action-arns.ts';
import {
  type InvokeAction,
  type RunLocallyOptions,
  runLocally as runValidated,
  validateLocalMachine,
} from '../../../lib/runtime/local/run-locally.ts';
import { InvalidDefinitionError, type MachineInput } from '../../../lib/runtime/state-machines.ts';
import {
  actionTask,
  combineMachines,
  durationOf,
  failedState,
  machine,
  machineInput,
  namedError,
  parallelState,
  skipState,
} from './asl-fixtures.ts';

// asl-validator rebuilds its schemas on every call (~0.4 s): the fixtures are validated once, in
// their own test, and run without validation elsewhere.
const fixtures: AslDefinition[] = [];
const runLocally = (asl: AslDefinition, input: MachineInput, options: RunLocallyOptions = {}) => {
  fixtures.push(asl);
  return runValidated(asl, input, { validate: 'none', ...options });
};

const echo: InvokeAction = async (payload) => ({ node: payload.nodeId, config: payload.config });

describe('local action ARNs', () => {
  it('maps local and deployed function names back to the action kind', () => {
    expect(localActionArn('http')).toBe(
      'arn:aws:lambda:us-east-1:000000000000:function:flowforge-local-http',
    );
    expect(actionKindOfFunction(localActionArn('http'))).toBe('http');
    expect(actionKindOfFunction('arn:aws:lambda:eu-west-1:1:function:flowforge-action-transform:live')).toBe(
      'transform',
    );
    expect(actionKindOfFunction('arn:aws:lambda:eu-west-1:1:function:other')).toBeUndefined();
  });
});

describe('runLocally', () => {
  it('routes each lambda:invoke Task by FunctionName and records the unwrapped Payload as the node output', async () => {
    const calls: Array<{ payload: TaskPayload; kind: string; stateName: string }> = [];
    const asl = machine('a', {
      a: actionTask('a', { kind: 'http', config: { 'url.$': '$.input.url' }, next: 'b' }),
      b: actionTask('b', { kind: 'transform', config: { expression: '1' } }),
    });
    const run = runLocally(asl, machineInput({ url: 'https://example.com' }), {
      invokeAction: async (payload, context) => {
        calls.push({ payload, kind: context.kind, stateName: context.stateName });
        return payload.nodeId === 'a' ? { status: 200, body: { ok: true } } : 42;
      },
    });
    const record = await run.promise;

    expect(record.status).toBe('SUCCEEDED');
    expect(calls.map((call) => [call.stateName, call.kind])).toEqual([
      ['a', 'http'],
      ['b', 'transform'],
    ]);
    expect(calls[0]?.payload).toEqual({
      nodeId: 'a',
      action: 'http',
      config: { url: 'https://example.com' },
      execution: machineInput().execution,
      attempt: 1,
    });
    expect(record.nodes.a).toMatchObject({
      status: 'succeeded',
      output: { status: 200, body: { ok: true } },
    });
    expect(record.nodes.b).toMatchObject({ status: 'succeeded', output: 42 });
    expect(record.output).toEqual({ a: { status: 200, body: { ok: true } }, b: 42 });
    expect(Date.parse(record.nodes.a?.startedAt ?? '')).toBeLessThanOrEqual(
      Date.parse(record.nodes.b?.startedAt ?? ''),
    );
    expect(record.startedAt).toBeDefined();
    expect(record.finishedAt).toBeDefined();
  });

  it('runs the registered log action by default', async () => {
    const run = runLocally(
      machine('hello', { hello: actionTask('hello', { config: { message: 'hi' } }) }),
      machineInput(),
    );
    const record = await run.promise;
    expect(record).toMatchObject({ status: 'SUCCEEDED', output: { hello: { message: 'hi' } } });
  });

  it('surfaces an action error as Error = name, Cause = message, so Catch matches on the name', async () => {
    const asl = machine('a', {
      a: actionTask('a', {
        next: 'after',
        extra: { Catch: [{ ErrorEquals: ['Http5xx'], ResultPath: '$.nodes.a', Next: 'a:failed' }] },
      }),
      'a:failed': failedState('a', 'after'),
      after: actionTask('after'),
    });
    const record = await runLocally(asl, machineInput(), {
      invokeAction: async (payload) => {
        if (payload.nodeId === 'a') throw namedError('Http5xx', 'upstream answered 503');
        return 'ok';
      },
    }).promise;

    expect(record.status).toBe('SUCCEEDED');
    expect(record.nodes.a).toMatchObject({
      status: 'failed',
      error: { error: 'Http5xx', cause: 'upstream answered 503' },
    });
    expect(record.nodes.after).toMatchObject({ status: 'succeeded', output: 'ok' });
    expect(record.output).toEqual({ after: 'ok' });
  });

  it('turns a config the action schema refuses into InvalidConfig', async () => {
    const asl = machine('a', {
      a: actionTask('a', {
        config: { message: 42 },
        extra: { Catch: [{ ErrorEquals: ['InvalidConfig'], ResultPath: '$.nodes.a', Next: 'a:failed' }] },
      }),
      'a:failed': failedState('a'),
    });
    const record = await runLocally(asl, machineInput()).promise;
    expect(record.nodes.a?.status).toBe('failed');
    expect(record.nodes.a?.error?.error).toBe('InvalidConfig');
    expect(record.nodes.a?.error?.cause).toContain('message');
  });

  it('retries on the error name with the scaled intervals recorded in the event log', async () => {
    let attempts = 0;
    const asl = machine('a', {
      a: actionTask('a', {
        extra: { Retry: [{ ErrorEquals: ['Http5xx'], IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 2 }] },
      }),
    });
    const run = runLocally(asl, machineInput(), {
      timeScale: 0.05,
      invokeAction: async () => {
        attempts++;
        if (attempts < 3) throw namedError('Http5xx', 'try again');
        return 'done';
      },
    });
    const record = await run.promise;
    expect(record.status).toBe('SUCCEEDED');
    expect(attempts).toBe(3);
    const failed = run.events().filter((event) => event.type === 'StateFailed');
    const retried = run.events().filter((event) => event.type === 'StateRetried');
    expect(retried).toHaveLength(2);
    const pauses = retried.map((event, i) => event.timestamp - (failed[i]?.timestamp ?? 0));
    // 2 s and 4 s scaled by 0.05 → 100 ms and 200 ms. Timers never fire early, so the lower bounds
    // are exact; the upper bounds only say the pause was scaled (far below the unscaled 2 s and 4 s),
    // whatever the load of the machine.
    expect(pauses[0]).toBeGreaterThanOrEqual(99);
    expect(pauses[0]).toBeLessThan(1000);
    expect(pauses[1]).toBeGreaterThanOrEqual(199);
    expect(pauses[1]).toBeLessThan(2000);
    expect(record.nodes.a?.status).toBe('succeeded');
  });

  it('scales Wait states, static and from the input, and records the scaled time', async () => {
    const asl = machine('fixed', {
      fixed: { Type: 'Wait', Seconds: 5, Next: 'fromInput' },
      fromInput: { Type: 'Wait', SecondsPath: '$.input.seconds', Next: 'until' },
      until: { Type: 'Wait', TimestampPath: '$.input.until', End: true },
    });
    const until = new Date(Date.now() + 8000).toISOString();
    const run = runLocally(asl, machineInput({ seconds: 3, until }), { timeScale: 0.02 });
    const record = await run.promise;
    expect(record.status).toBe('SUCCEEDED');
    const events = run.events();
    // 5 s, 3 s and (8 s - elapsed) scaled by 0.02 → 100 ms, 60 ms, ~155 ms. Lower bounds are exact
    // (timers never fire early); upper bounds only say each wait was scaled (half the unscaled time).
    expect(durationOf(events, 'fixed')).toBeGreaterThanOrEqual(99);
    expect(durationOf(events, 'fixed')).toBeLessThan(2500);
    expect(durationOf(events, 'fromInput')).toBeGreaterThanOrEqual(59);
    expect(durationOf(events, 'fromInput')).toBeLessThan(1500);
    expect(durationOf(events, 'until')).toBeGreaterThanOrEqual(120);
    expect(durationOf(events, 'until')).toBeLessThan(4000);
    expect(Object.keys(record.nodes)).toEqual(['fixed', 'fromInput', 'until']);
  });

  it('merges the nodes maps of Parallel branches, also when a branch fails the run', async () => {
    const asl = machine('both:parallel', {
      'both:parallel': parallelState([
        { StartAt: 'a', States: { a: actionTask('a', { next: 'b' }), b: actionTask('b') } },
        { StartAt: 'c', States: { c: actionTask('c') } },
      ]),
    });
    const ok = await runLocally(asl, machineInput(), { invokeAction: echo }).promise;
    expect(ok.status).toBe('SUCCEEDED');
    expect(Object.keys(ok.nodes).sort()).toEqual(['a', 'b', 'c']);
    expect(ok.output).toEqual({
      a: { node: 'a', config: { message: 'a' } },
      b: { node: 'b', config: { message: 'b' } },
      c: { node: 'c', config: { message: 'c' } },
    });

    const failing = await runLocally(asl, machineInput(), {
      invokeAction: async (payload) => {
        if (payload.nodeId === 'b') {
          await new Promise((resolve) => setTimeout(resolve, 10));
          throw namedError('Http4xx', 'not found');
        }
        return payload.nodeId;
      },
    }).promise;
    expect(failing.status).toBe('FAILED');
    expect(failing.error).toEqual({ error: 'Http4xx', cause: 'not found' });
    expect(failing.nodes.a).toMatchObject({ status: 'succeeded', output: 'a' });
    expect(failing.nodes.c).toMatchObject({ status: 'succeeded', output: 'c' });
    expect(failing.nodes.b).toMatchObject({
      status: 'failed',
      error: { error: 'Http4xx', cause: 'not found' },
    });
    expect(failing.nodes.b?.finishedAt).toBeDefined();
    expect(failing.output).toEqual({ a: 'a', c: 'c' });
  });

  it('records skipped nodes with the timing of their <id>:skip state', async () => {
    const asl = machine('a', {
      a: actionTask('a', { next: 'b:choice' }),
      'b:choice': {
        Type: 'Choice',
        Choices: [{ Variable: '$.input.go', BooleanEquals: true, Next: 'b' }],
        Default: 'b:skip',
      },
      b: actionTask('b'),
      'b:skip': skipState('b'),
    });
    const record = await runLocally(asl, machineInput({ go: false }), { invokeAction: echo }).promise;
    expect(record.status).toBe('SUCCEEDED');
    expect(record.nodes.b?.status).toBe('skipped');
    expect(record.nodes.b?.startedAt).toBeDefined();
    expect(record.nodes.b?.finishedAt).toBeDefined();
    expect(record.nodes.b).not.toHaveProperty('output');
    expect(Object.keys(record.output as object)).toEqual(['a']);
  });

  it('records a Fail state as the execution error, with the nodes that ran before it', async () => {
    const asl = machine('a', {
      a: actionTask('a', { next: 'stop' }),
      stop: { Type: 'Fail', Error: 'OrderRejected', Cause: 'total too high' },
    });
    const record = await runLocally(asl, machineInput(), { invokeAction: echo }).promise;
    expect(record.status).toBe('FAILED');
    expect(record.error).toEqual({ error: 'OrderRejected', cause: 'total too high' });
    expect(record.nodes.a?.status).toBe('succeeded');
    expect(record.nodes.stop).toMatchObject({ status: 'failed', error: { error: 'OrderRejected' } });
  });

  it('aborts: the record is ABORTED, the running node interrupted, the action signalled', async () => {
    let signal: AbortSignal | undefined;
    let markStarted = (): void => {};
    const started = new Promise<void>((resolve) => {
      markStarted = resolve;
    });
    const asl = machine('a', { a: actionTask('a', { next: 'b' }), b: actionTask('b') });
    const run = runLocally(asl, machineInput(), {
      invokeAction: (_payload, context) => {
        signal = context.signal;
        markStarted();
        return new Promise((_resolve, reject) => {
          context.signal.addEventListener('abort', () => reject(namedError('Aborted', 'stopped')));
        });
      },
    });
    await started;
    await vi.waitFor(() => expect(run.snapshot().nodes.a?.status).toBe('running'));
    expect(run.snapshot().status).toBe('RUNNING');
    run.abort({ error: 'UserStop', cause: 'stopped by test' });
    const record = await run.promise;
    expect(record.status).toBe('ABORTED');
    expect(record.error).toEqual({ error: 'UserStop', cause: 'stopped by test' });
    expect(record.nodes.a?.status).toBe('failed');
    expect(record.nodes.a?.error?.error).toBe('Interrupted');
    expect(record.nodes.a?.finishedAt).toBe(record.finishedAt);
    expect(record.nodes.b).toBeUndefined();
    expect(signal?.aborted).toBe(true);
    expect(run.events().at(-1)?.type).toBe('ExecutionAborted');
  });

  it('aborts through an AbortSignal', async () => {
    const controller = new AbortController();
    const asl = machine('w', { w: { Type: 'Wait', Seconds: 60, End: true } });
    const run = runLocally(asl, machineInput(), { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const record = await run.promise;
    expect(record.status).toBe('ABORTED');
    expect(record.error?.error).toBe('ExecutionAborted');
  });

  it('times out a Task after its scaled TimeoutSeconds and signals the action', async () => {
    let signal: AbortSignal | undefined;
    const asl = machine('slow', {
      slow: actionTask('slow', { extra: { TimeoutSeconds: 2 } }),
    });
    const record = await runLocally(asl, machineInput(), {
      timeScale: 0.01,
      scaleTimeouts: true,
      invokeAction: (_payload, context) => {
        signal = context.signal;
        return new Promise((resolve) => setTimeout(resolve, 1000));
      },
    }).promise;
    expect(record.status).toBe('FAILED');
    expect(record.error?.error).toBe('States.Timeout');
    expect(record.nodes.slow?.status).toBe('failed');
    expect(signal?.aborted).toBe(true);
  });

  it('ends TIMED_OUT when the machine TimeoutSeconds passes', async () => {
    const asl = machine('w', { w: { Type: 'Wait', Seconds: 100, End: true } }, { TimeoutSeconds: 5 });
    const record = await runLocally(asl, machineInput(), { timeScale: 0.01, scaleTimeouts: true }).promise;
    expect(record.status).toBe('TIMED_OUT');
    expect(record.error?.error).toBe('States.Timeout');
    expect(record.nodes.w?.status).toBe('failed');
  });

  it('replays the succeeded nodes of an earlier run instead of running them again', async () => {
    const asl = machine('a', {
      a: actionTask('a', { next: 'pause' }),
      pause: { Type: 'Wait', Seconds: 30, Next: 'b' },
      b: actionTask('b'),
    });
    const invokeAction = vi.fn(echo);
    const record = await runLocally(asl, machineInput(), {
      invokeAction,
      replay: {
        a: { status: 'succeeded', output: { from: 'before' } },
        pause: { status: 'succeeded' },
        b: { status: 'failed', error: { error: 'Http5xx' } },
      },
    }).promise;
    expect(record.status).toBe('SUCCEEDED');
    expect(invokeAction).toHaveBeenCalledTimes(1);
    expect(invokeAction.mock.calls[0]?.[0].nodeId).toBe('b');
    expect(record.output).toEqual({ a: { from: 'before' }, b: { node: 'b', config: { message: 'b' } } });
  });

  it('reports progress through onEvent, and keeps the log only when asked to', async () => {
    const seen: string[] = [];
    let changes = 0;
    const run = runLocally(machine('a', { a: actionTask('a') }), machineInput(), {
      invokeAction: echo,
      keepEvents: false,
      onEvent: (event, progress) => {
        seen.push(event.type);
        if (progress.nodesChanged) changes++;
      },
    });
    const record = await run.promise;
    expect(seen[0]).toBe('ExecutionStarted');
    expect(seen.at(-1)).toBe('ExecutionSucceeded');
    expect(changes).toBeGreaterThan(0);
    expect(run.events()).toEqual([]);
    expect(record.nodes.a?.status).toBe('succeeded');
  });

  it('fails the run with States.DataLimitExceeded when an output exceeds 256 KiB, past any Catch', async () => {
    const asl = machine('big', {
      big: actionTask('big', {
        extra: { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.nodes.big', Next: 'big:failed' }] },
      }),
      'big:failed': failedState('big'),
    });
    const record = await runLocally(asl, machineInput(), { invokeAction: async () => 'x'.repeat(300 * 1024) })
      .promise;
    expect(record.status).toBe('FAILED');
    expect(record.error?.error).toBe('States.DataLimitExceeded');
    expect(record.error?.cause).toMatch(/over the 262144 bytes/);
  });

  it('fails a Task whose function is not a FlowForge action', async () => {
    const asl = machine('a', {
      a: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:other', Payload: {} },
        End: true,
      },
    });
    const record = await runLocally(asl, machineInput()).promise;
    expect(record.status).toBe('FAILED');
    expect(record.error?.error).toBe('Lambda.ResourceNotFoundException');
  });

  // Last: it checks every fixture the tests above ran.
  it('refuses ASL that does not validate, and every fixture above validates (unchanged)', () => {
    expect(() => runValidated({ StartAt: 'missing', States: {} }, machineInput())).toThrow(
      InvalidDefinitionError,
    );
    const noResource = machine('a', { a: { Type: 'Task', End: true } });
    expect(() => runValidated(noResource, machineInput(), { validate: 'full' })).toThrow(
      InvalidDefinitionError,
    );
    expect(fixtures.length).toBeGreaterThan(10);
    const before = JSON.stringify(fixtures);
    expect(() => validateLocalMachine(combineMachines(fixtures))).not.toThrow();
    expect(JSON.stringify(fixtures)).toBe(before);
  });
});
