import { StateMachine } from 'aws-local-stepfunctions';
import type { TaskPayload } from '../../../lib/actions/action.ts';
import type { AslDefinition } from '../../../lib/compiler/types.ts';
import { captureEvents } from '../../../lib/runtime/local/capture-events.ts';
import type { LocalExecutionEvent } from '../../../lib/runtime/local/local-execution-event.ts';
import { LocalRecordBuilder } from '../../../lib/runtime/local/local-record-builder.ts';

/**
 * Test helper: runs a compiled machine in aws-local-stepfunctions with in-process action
 * handlers (DESIGN.md §4: a lambda:invoke Task answers `{ StatusCode, Payload }`). Waits are
 * scaled (`msPerSecond`), dynamic waits (SecondsPath/Timestamp…) become local Tasks that sleep
 * the scaled time and record it, and Task timeouts are scaled the same way, so tests can check
 * exact delays and timeouts without sleeping for real.
 */

/** An action handler: returns the node output or throws an Error whose `name` is the error type. */
export type TestHandler = (payload: TaskPayload) => unknown | Promise<unknown>;

export interface RunAslOptions {
  input?: unknown;
  execution?: Partial<TaskPayload['execution']> & { trigger?: { id: string | null; type: string } };
  /** Handlers by action kind, or by node id (the node id wins). */
  handlers?: Record<string, TestHandler>;
  /** Real milliseconds per second of Wait (default 1). */
  msPerSecond?: number;
}

export interface TimedEvent {
  type: string;
  name?: string;
  at: number;
  input?: unknown;
  error?: string;
}

export interface RunAslResult {
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: { error: string; cause?: string };
  /**
   * Node records as the local record builder builds them from the event log (the state keeps a
   * record only while a later state reads it), without their timing.
   */
  nodes: Record<
    string,
    {
      status: string;
      output?: unknown;
      error?: { error: string; cause: string };
      attempts?: Array<{ startedAt: string; finishedAt?: string; error?: { error: string; cause?: string } }>;
    }
  >;
  events: TimedEvent[];
  /** Every Task invocation, in order. */
  calls: TaskPayload[];
  /** Waits that ran, with their unscaled seconds. */
  waits: Array<{ name: string; seconds: number }>;
  /** StateEntered / StateExited times per state name (first entry, last exit). */
  timing: Map<string, { entered: number; exited?: number }>;
}

type State = Record<string, unknown>;

export async function runAsl(asl: AslDefinition, options: RunAslOptions = {}): Promise<RunAslResult> {
  const msPerSecond = options.msPerSecond ?? 1;
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  const calls: TaskPayload[] = [];
  const waits: Array<{ name: string; seconds: number }> = [];
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  const rewrite = (states: Record<string, State>): Record<string, State> => {
    const out: Record<string, State> = {};
    for (const [name, original] of Object.entries(states)) {
      const state: State = { ...original };
      if (state.Type === 'Parallel') {
        state.Branches = (state.Branches as Array<{ StartAt: string; States: Record<string, State> }>).map(
          (b) => ({
            ...b,
            States: rewrite(b.States),
          }),
        );
      } else if (state.Type === 'Task') {
        if (typeof state.TimeoutSeconds === 'number')
          state.TimeoutSeconds = (state.TimeoutSeconds * msPerSecond) / 1000;
        handlers[name] = async (input) => {
          const payload = (input as { Payload: TaskPayload }).Payload;
          calls.push(payload);
          const handler = options.handlers?.[payload.nodeId] ?? options.handlers?.[payload.action];
          if (!handler) throw new Error(`no test handler for ${payload.action}`);
          return { StatusCode: 200, Payload: (await handler(payload)) ?? null };
        };
      } else if (state.Type === 'Wait') {
        const { Seconds, SecondsPath, Timestamp, TimestampPath, ...rest } = state;
        out[name] = { ...rest, Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', ResultPath: null };
        handlers[name] = async (input) => {
          let seconds: number;
          if (typeof Seconds === 'number') seconds = Seconds;
          else if (typeof SecondsPath === 'string') seconds = Number(readJsonPath(input, SecondsPath));
          else {
            const at =
              typeof Timestamp === 'string'
                ? Timestamp
                : String(readJsonPath(input, TimestampPath as string));
            seconds = Math.max(0, (Date.parse(at) - Date.now()) / 1000);
          }
          waits.push({ name, seconds });
          await sleep(seconds * msPerSecond);
          return input;
        };
        continue;
      }
      out[name] = state;
    }
    return out;
  };
  const definition = { ...asl, States: rewrite(asl.States as Record<string, State>) };
  const machine = new StateMachine(definition as never, { validationOptions: { noValidate: true } });
  const execution = {
    id: 'exec-1',
    startedAt: '2026-01-01T00:00:00.000Z',
    flowId: 'flow-1',
    version: 1,
    trigger: { id: null, type: 'manual' },
    ...options.execution,
  };
  const events: TimedEvent[] = [];
  const builder = new LocalRecordBuilder();
  const run = machine.run(
    { input: options.input ?? {}, execution } as never,
    captureEvents({ overrides: { taskResourceLocalHandlers: handlers as never } }, (event) => {
      const e = event as {
        type: string;
        timestamp: number;
        state?: { name: string; input?: unknown; output?: unknown };
        output?: unknown;
        Error?: string;
      };
      builder.observe(event as LocalExecutionEvent);
      events.push({
        type: e.type,
        at: e.timestamp,
        ...(e.state ? { name: e.state.name, input: e.state.input } : {}),
        ...(e.Error !== undefined ? { error: e.Error } : {}),
      });
    }),
  );
  const collecting = (async () => {
    for await (const _event of run.eventLogs);
  })();
  let result: RunAslResult['status'] = 'SUCCEEDED';
  let output: unknown;
  let error: RunAslResult['error'];
  try {
    output = await run.result;
  } catch (e) {
    result = 'FAILED';
    const cause = (e as { cause?: { name?: string; message?: string } }).cause;
    error = { error: cause?.name ?? 'Error', cause: cause?.message ?? String(e) };
  }
  await collecting;
  const timing = new Map<string, { entered: number; exited?: number }>();
  for (const event of events) {
    if (!event.name) continue;
    if (event.type === 'StateEntered' && !timing.has(event.name))
      timing.set(event.name, { entered: event.at });
    if (event.type === 'StateExited' || event.type === 'StateFailed') {
      const entry = timing.get(event.name);
      if (entry) entry.exited = event.at;
    }
  }
  const record = builder.finish(
    result === 'SUCCEEDED'
      ? { status: 'SUCCEEDED', finalOutput: output }
      : { status: 'FAILED', ...(error ? { error } : {}) },
  );
  const nodes: RunAslResult['nodes'] = {};
  for (const [id, { startedAt: _s, finishedAt: _f, ...rest }] of Object.entries(record.nodes)) {
    nodes[id] = rest as RunAslResult['nodes'][string];
  }
  return { status: result, output, ...(error ? { error } : {}), nodes, events, calls, waits, timing };
}

/** Reads a simple JSONPath (`$.a.b`, `$.a['b-c'].d`) from a value. */
export function readJsonPath(value: unknown, path: string): unknown {
  const segments: string[] = [];
  const re = /\.([A-Za-z_$][A-Za-z0-9_$]*)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]/g;
  for (const match of path.slice(1).matchAll(re)) {
    segments.push(match[1] ?? match[2]?.replace(/\\(.)/g, '$1') ?? (match[3] as string));
  }
  let current: unknown = value;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/** An Error with a given name (the error type Step Functions sees). */
export function namedError(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
