import type { HistoryEvent, HistoryEventType } from '@aws-sdk/client-sfn';
import type { LocalExecutionEvent } from '../../../lib/runtime/local/local-execution-event.ts';

/** Builds a GetExecutionHistory event list: ids in order, one second apart from `start`. */
export class HistoryBuilder {
  readonly events: HistoryEvent[] = [];
  constructor(private readonly start = Date.UTC(2026, 0, 1, 12, 0, 0)) {}

  /** Adds an event; `previous` defaults to the event before it. Returns its id. */
  add(type: HistoryEventType, details: Partial<HistoryEvent> = {}, previous?: number): number {
    const id = this.events.length + 1;
    this.events.push({
      id,
      previousEventId: previous ?? id - 1,
      type,
      timestamp: new Date(this.start + (id - 1) * 1000),
      ...details,
    });
    return id;
  }

  entered(kind: string, name: string, input: unknown, previous?: number): number {
    return this.add(
      `${kind}StateEntered` as HistoryEventType,
      { stateEnteredEventDetails: { name, input: JSON.stringify(input) } },
      previous,
    );
  }

  exited(kind: string, name: string, output: unknown, previous?: number): number {
    return this.add(
      `${kind}StateExited` as HistoryEventType,
      { stateExitedEventDetails: { name, output: JSON.stringify(output) } },
      previous,
    );
  }

  /** ISO time of event `id`. */
  at(id: number): string {
    return new Date(this.start + (id - 1) * 1000).toISOString();
  }
}

/**
 * A realistic history of a compiled flow: trigger `start`, then a Parallel with branch A running
 * `fetch` (succeeds) and branch B skipping `notify`, then `charge` failing (recorded by
 * `charge:failed`) and the run failing.
 */
export function failedRunWithParallel(): { builder: HistoryBuilder; ids: Record<string, number> } {
  const b = new HistoryBuilder();
  const machineInput = {
    input: { orderId: 7 },
    execution: { id: 'e1', flowId: 'f1', version: 2, startedAt: 'x' },
  };
  const start = { status: 'succeeded', output: { orderId: 7 } };
  const fetch = { status: 'succeeded', output: { status: 200, body: { total: 12 } } };
  const ids: Record<string, number> = {};
  b.add('ExecutionStarted', { executionStartedEventDetails: { input: JSON.stringify(machineInput) } }, 0);
  ids.startEntered = b.entered('Pass', 'start', machineInput);
  ids.startExited = b.exited('Pass', 'start', { ...machineInput, nodes: { start } });
  b.entered('Parallel', 'parallel:0', { ...machineInput, nodes: { start } });
  const parallelStarted = b.add('ParallelStateStarted');
  // Branch A: fetch (its events interleave with branch B's).
  ids.fetchEntered = b.entered('Task', 'fetch', { ...machineInput, nodes: { start } }, parallelStarted);
  const scheduled = b.add('TaskScheduled');
  const taskStarted = b.add('TaskStarted', {}, scheduled);
  // Branch B: notify is skipped.
  const guard = b.entered('Choice', 'notify:guard', { ...machineInput, nodes: { start } }, parallelStarted);
  b.exited('Choice', 'notify:guard', { ...machineInput, nodes: { start } }, guard);
  ids.notifyEntered = b.entered('Pass', 'notify:skip', { ...machineInput, nodes: { start } });
  ids.notifyExited = b.exited('Pass', 'notify:skip', {
    ...machineInput,
    nodes: { start, notify: { status: 'skipped' } },
  });
  const succeeded = b.add(
    'TaskSucceeded',
    { taskSucceededEventDetails: { resourceType: 'lambda', resource: 'invoke', output: '{}' } },
    taskStarted,
  );
  ids.fetchExited = b.exited('Task', 'fetch', { ...machineInput, nodes: { start, fetch } }, succeeded);
  b.add('ParallelStateSucceeded', {}, parallelStarted);
  const merged = { start, fetch, notify: { status: 'skipped' } };
  b.exited('Parallel', 'parallel:0', { ...machineInput, nodes: merged });
  ids.chargeEntered = b.entered('Task', 'charge', { ...machineInput, nodes: merged });
  b.add('TaskScheduled');
  b.add('TaskStarted');
  ids.chargeFailed = b.add('TaskFailed', {
    taskFailedEventDetails: {
      resourceType: 'lambda',
      resource: 'invoke',
      error: 'PaymentDeclined',
      cause: 'card declined',
    },
  });
  b.entered('Pass', 'charge:failed', { ...machineInput, nodes: merged });
  b.exited('Pass', 'charge:failed', {
    ...machineInput,
    nodes: {
      ...merged,
      charge: { status: 'failed', error: { error: 'PaymentDeclined', cause: 'card declined' } },
    },
  });
  b.entered('Fail', ':fail', {});
  b.add('ExecutionFailed', {
    executionFailedEventDetails: { error: 'FlowFailed', cause: 'node charge failed' },
  });
  return { builder: b, ids };
}

/**
 * The GetExecutionHistory a Standard execution writes for the run the local runtime logged (same
 * states, same times): `<Type>StateEntered`/`Exited` with the state's input/output; a Task's
 * TaskScheduled + TaskStarted on entry and on each native retry (StateRetried), TaskFailed
 * (tied to its state through previousEventId) or TaskSucceeded; the execution's end. Map and
 * Parallel iterations are not modelled (the runs it is used for have none).
 */
export function historyOfLocalRun(events: readonly LocalExecutionEvent[]): HistoryEvent[] {
  const history: HistoryEvent[] = [];
  const lastTaskEvent = new Map<string, number>();
  const failed = new Set<string>();
  const add = (
    type: HistoryEventType,
    at: number,
    details: Partial<HistoryEvent> = {},
    previous?: number,
  ) => {
    const id = history.length + 1;
    history.push({ id, previousEventId: previous ?? id - 1, type, timestamp: new Date(at), ...details });
    return id;
  };
  const schedule = (name: string, at: number) => {
    const scheduled = add('TaskScheduled', at, {
      taskScheduledEventDetails: {
        resourceType: 'lambda',
        resource: 'invoke',
        region: 'eu-west-1',
        parameters: '{}',
      },
    });
    lastTaskEvent.set(name, add('TaskStarted', at, {}, scheduled));
    failed.delete(name);
  };
  for (const event of events) {
    const at = event.timestamp;
    switch (event.type) {
      case 'ExecutionStarted':
        add(
          'ExecutionStarted',
          at,
          { executionStartedEventDetails: { input: JSON.stringify(event.input) } },
          0,
        );
        break;
      case 'StateEntered':
        add(`${event.state.type}StateEntered` as HistoryEventType, at, {
          stateEnteredEventDetails: { name: event.state.name, input: JSON.stringify(event.state.input) },
        });
        if (event.state.type === 'Task') schedule(event.state.name, at);
        break;
      case 'StateRetried':
        if (event.state.type === 'Task') schedule(event.state.name, at);
        break;
      case 'StateFailed':
        if (event.state.type === 'Task') {
          add(
            'TaskFailed',
            at,
            {
              taskFailedEventDetails: {
                resourceType: 'lambda',
                resource: 'invoke',
                error: event.Error,
                cause: typeof event.Cause === 'string' ? event.Cause : JSON.stringify(event.Cause),
              },
            },
            lastTaskEvent.get(event.state.name),
          );
          failed.add(event.state.name);
        }
        break;
      case 'StateExited':
        if (event.state.type === 'Task' && !failed.has(event.state.name)) {
          add(
            'TaskSucceeded',
            at,
            { taskSucceededEventDetails: { resourceType: 'lambda', resource: 'invoke', output: '{}' } },
            lastTaskEvent.get(event.state.name),
          );
        }
        add(`${event.state.type}StateExited` as HistoryEventType, at, {
          stateExitedEventDetails: { name: event.state.name, output: JSON.stringify(event.state.output) },
        });
        break;
      case 'ExecutionSucceeded':
        add('ExecutionSucceeded', at, {
          executionSucceededEventDetails: { output: JSON.stringify(event.output) },
        });
        break;
      case 'ExecutionFailed':
        add('ExecutionFailed', at, {
          executionFailedEventDetails: {
            error: event.Error,
            cause: typeof event.Cause === 'string' ? event.Cause : JSON.stringify(event.Cause),
          },
        });
        break;
      default:
        break;
    }
  }
  return history;
}
