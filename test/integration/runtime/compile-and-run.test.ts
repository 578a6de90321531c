import { describe, expect, it, vi } from 'vitest';
import type { TaskPayload } from '../../../lib/actions/action.ts';
import { compile } from '../../../lib/compiler/compile.ts';
import type { AslDefinition } from '../../../lib/compiler/types.ts';
import { localCompileContext } from '../../../lib/runtime/local/local-action-arns.ts';
import { LocalStateMachines } from '../../../lib/runtime/local/local-state-machines.ts';
import {
  type InvokeAction,
  type RunLocallyOptions,
  runLocally,
} from '../../../lib/runtime/local/run-locally.ts';
import type { MachineInput } from '../../../lib/runtime/state-machines.ts';
import { validateDefinition } from '../../../lib/workflow/validate-definition.ts';

/** Validates and compiles a definition for local mode. */
function compiled(raw: unknown): AslDefinition {
  const validation = validateDefinition(raw);
  if (!validation.definition) throw new Error(JSON.stringify(validation.errors));
  return compile(validation.definition, localCompileContext()).asl;
}

function input(value: unknown = {}): MachineInput {
  return {
    input: value,
    execution: {
      id: 'e2e',
      startedAt: '2026-01-01T00:00:00.000Z',
      flowId: 'f',
      version: 1,
      trigger: { id: null, type: 'test' },
    },
  };
}

function run(asl: AslDefinition, value: unknown, options: RunLocallyOptions) {
  return runLocally(asl, input(value), { ...options });
}

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

const log = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'action',
  action: 'log',
  config: { message: id },
  ...extra,
});

describe('compiled definitions run locally', () => {
  it('runs compensations in reverse completion order and fails with the original error', async () => {
    const asl = compiled({
      name: 'saga',
      nodes: [
        log('a', { compensate: { action: 'log', config: { message: 'undo a' } } }),
        log('b', { dependencies: ['a'], compensate: { action: 'log', config: { message: 'undo b' } } }),
        log('c', { dependencies: ['b'] }),
      ],
    });
    const states: string[] = [];
    const record = await run(
      asl,
      {},
      {
        invokeAction: async (payload, context) => {
          states.push(context.stateName);
          if (payload.nodeId === 'c') throw named('PaymentDeclined', 'card refused');
          return { ok: payload.nodeId };
        },
      },
    ).promise;
    expect(states).toEqual(['a', 'b', 'c', 'b:compensate', 'a:compensate']);
    expect(record.status).toBe('FAILED');
    expect(record.error).toEqual({ error: 'PaymentDeclined', cause: 'card refused' });
    expect(record.nodes.c).toMatchObject({ status: 'failed', error: { error: 'PaymentDeclined' } });
    expect(record.nodes.a?.status).toBe('succeeded');
  });

  it('waits the exact linear retry delays (scaled) in the compiled wait loop', async () => {
    const asl = compiled({
      name: 'linear',
      nodes: [
        log('c', { retry: { strategy: 'linear', maxAttempts: 3, delaySeconds: 2, retryOn: ['Http5xx'] } }),
      ],
    });
    const attempts: number[] = [];
    const execution = run(
      asl,
      {},
      {
        timeScale: 0.05,
        invokeAction: async (payload) => {
          attempts.push(payload.attempt);
          if (attempts.length < 3) throw named('Http5xx', 'busy');
          return 'finally';
        },
      },
    );
    const record = await execution.promise;
    expect(record.status).toBe('SUCCEEDED');
    expect(attempts).toEqual([1, 2, 3]);
    expect(record.nodes.c).toMatchObject({ status: 'succeeded', output: 'finally' });
    // The loop's waits: 2 s then 4 s as the machine computes them (the Wait's SecondsPath value),
    // scaled by 0.05 → at least 100 ms and 200 ms of real waiting. No upper bound: a loaded machine
    // may wait longer, never shorter.
    const events = execution.events();
    const seconds: unknown[] = [];
    const elapsed: number[] = [];
    events.forEach((event, i) => {
      if (event.type !== 'StateEntered' || !/^c:.*wait/.test(event.state.name)) return;
      const wait = asl.States[event.state.name] as { SecondsPath?: string };
      seconds.push(valueAt(event.state.input, wait.SecondsPath ?? ''));
      const exit = events.slice(i).find((e) => e.type === 'StateExited' && e.state.name === event.state.name);
      elapsed.push((exit?.timestamp ?? Number.NaN) - event.timestamp);
    });
    expect(seconds).toEqual([2, 4]);
    expect(elapsed[0]).toBeGreaterThanOrEqual(99);
    expect(elapsed[1]).toBeGreaterThanOrEqual(199);
  });

  it('takes error edges, skips what did not run and scales a delay', async () => {
    const asl = compiled({
      name: 'edges',
      nodes: [
        log('fetch'),
        {
          id: 'cool',
          type: 'operation',
          operation: 'delay',
          config: { seconds: 4 },
          dependencies: ['fetch'],
        },
        log('alert'),
      ],
      connections: [{ from: 'fetch', to: 'alert', on: 'error' }],
    });
    const ok = run(asl, {}, { timeScale: 0.02, invokeAction: async (payload) => payload.nodeId });
    const okRecord = await ok.promise;
    expect(okRecord.status).toBe('SUCCEEDED');
    expect(okRecord.nodes.alert?.status).toBe('skipped');
    expect(okRecord.nodes.cool?.status).toBe('succeeded');
    const cool = okRecord.nodes.cool;
    const coolMs = Date.parse(cool?.finishedAt ?? '') - Date.parse(cool?.startedAt ?? '');
    expect(coolMs).toBeGreaterThanOrEqual(79);
    // Scaled (the unscaled wait is 4 s): the upper bound holds on any load, the lower one is exact.
    expect(coolMs).toBeLessThan(2000);

    const failing = await run(
      asl,
      {},
      {
        timeScale: 0.02,
        invokeAction: async (payload) => {
          if (payload.nodeId === 'fetch') throw named('Http4xx', 'gone');
          return payload.nodeId;
        },
      },
    ).promise;
    expect(failing.status).toBe('SUCCEEDED');
    expect(failing.nodes.fetch).toMatchObject({
      status: 'failed',
      error: { error: 'Http4xx', cause: 'gone' },
    });
    expect(failing.nodes.alert).toMatchObject({ status: 'succeeded', output: 'alert' });
    expect(failing.nodes.cool?.status).toBe('skipped');
    for (const node of Object.values(failing.nodes)) {
      expect(node.startedAt).toBeDefined();
      expect(node.finishedAt).toBeDefined();
    }
  });

  it('runs parallel branches with the real log action and merges their records', async () => {
    const asl = compiled({
      name: 'fan',
      nodes: [
        { id: 'start', type: 'trigger', trigger: 'manual' },
        log('left', { dependencies: ['start'], config: { message: 'L {{ input.n }}' } }),
        log('right', { dependencies: ['start'], config: { message: 'R {{ input.n }}' } }),
        log('join', {
          dependencies: ['left', 'right'],
          config: { message: '{{ nodes.left.output.message }}+{{ nodes.right.output.message }}' },
        }),
      ],
    });
    const record = await runLocally(asl, input({ n: 7 }), { validate: 'none' }).promise;
    expect(record.status).toBe('SUCCEEDED');
    expect(record.output).toEqual({
      start: { n: 7 },
      left: { message: 'L 7' },
      right: { message: 'R 7' },
      join: { message: 'L 7+R 7' },
    });
  });

  it('redrives a compiled saga: nodes whose compensation ran are run again', async () => {
    const asl = compiled({
      name: 'saga-redrive',
      nodes: [
        log('a', { compensate: { action: 'log', config: { message: 'undo a' } } }),
        log('b', { dependencies: ['a'] }),
        log('c', { dependencies: ['b'] }),
      ],
    });
    let failC = true;
    const invokeAction = vi.fn<InvokeAction>(async (payload: TaskPayload) => {
      if (payload.nodeId === 'c' && failC) throw named('Http5xx', 'down');
      return payload.nodeId;
    });
    const machines = await LocalStateMachines.open({ invokeAction });
    const deployed = await machines.deploy({
      tenantId: 't',
      flowId: 'saga',
      version: 1,
      asl,
      type: 'STANDARD',
    });
    const { executionArn } = await machines.start({ machine: deployed, name: 'one', input: input() });
    const done = async () =>
      vi.waitFor(async () => {
        const record = await machines.describe(executionArn);
        if (record.status === 'RUNNING') throw new Error('running');
        return record;
      });
    expect((await done()).status).toBe('FAILED');
    failC = false;
    invokeAction.mockClear();
    await machines.redrive(executionArn);
    const record = await done();
    expect(record.status).toBe('SUCCEEDED');
    expect(
      invokeAction.mock.calls.map(([payload, context]) => `${context.stateName}:${payload.nodeId}`),
    ).toEqual(['a:a', 'c:c']);
    await machines.close();
  });
});

/** The value at a simple JSONPath (`$.a.b`, `$['a-b'].c`) of a state's input. */
function valueAt(input: unknown, path: string): unknown {
  const segments = [...path.matchAll(/\.([A-Za-z0-9_]+)|\['([^']+)'\]/g)].map((m) => m[1] ?? m[2] ?? '');
  return segments.reduce<unknown>(
    (value, key) =>
      value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined,
    input,
  );
}
