import type { Caller } from './caller.ts';
import type { Deps } from './deps.ts';
import { getExecution } from './executions.ts';
import { type ExecutionView, isTerminal } from './views.ts';

/**
 * The server-sent events of `GET /executions/{executionId}/events`: one `node` event per node
 * status change, then one `status` event with the final status. Built by comparing successive
 * reads of the execution, so the same events come from the local runtime and from Step Functions.
 */
export type ExecutionEvent =
  | {
      event: 'node';
      data: {
        executionId: string;
        nodeId: string;
        status: string;
        startedAt?: string;
        finishedAt?: string;
        error?: { error: string; cause?: string };
      };
    }
  | {
      event: 'status';
      data: {
        executionId: string;
        status: string;
        finishedAt?: string;
        error?: { error: string; cause?: string };
      };
    };

/** The events that lead from `previous` (nothing seen yet when undefined) to `next`. */
export function eventsBetween(previous: ExecutionView | undefined, next: ExecutionView): ExecutionEvent[] {
  const events: ExecutionEvent[] = [];
  for (const [nodeId, node] of Object.entries(next.nodes)) {
    if (previous?.nodes[nodeId]?.status === node.status) continue;
    events.push({
      event: 'node',
      data: {
        executionId: next.executionId,
        nodeId,
        status: node.status,
        ...(node.startedAt === undefined ? {} : { startedAt: node.startedAt }),
        ...(node.finishedAt === undefined ? {} : { finishedAt: node.finishedAt }),
        ...(node.error === undefined ? {} : { error: node.error }),
      },
    });
  }
  if (isTerminal(next.status) && !(previous && isTerminal(previous.status))) {
    events.push({
      event: 'status',
      data: {
        executionId: next.executionId,
        status: next.status,
        ...(next.finishedAt === undefined ? {} : { finishedAt: next.finishedAt }),
        ...(next.error === undefined ? {} : { error: next.error }),
      },
    });
  }
  return events;
}

/** One event in the `text/event-stream` format. */
export const formatSse = (event: ExecutionEvent, id: number): string =>
  `id: ${id}\nevent: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;

/** How the event stream runs: `follow` keeps reading until the execution ends. */
export interface EventStreamOptions {
  follow: boolean;
  /** Between reads while following (default 300 ms). */
  intervalMs?: number;
  /** A comment line is sent after this long without events, so proxies keep the connection (default 15 s). */
  heartbeatMs?: number;
}

/**
 * The event stream of one execution as `text/event-stream` chunks. Without `follow` (API Gateway
 * HTTP APIs do not stream responses) it answers the events so far — with a `retry:` hint, so an
 * `EventSource` asks again — and ends; with `follow` it reads until the final status. An unknown
 * or foreign execution throws the store's `NotFoundError` before the first chunk.
 */
export async function openExecutionEvents(
  deps: Deps,
  caller: Caller,
  executionId: string,
  options: EventStreamOptions,
): Promise<AsyncGenerator<string>> {
  const first = await getExecution(deps, caller, executionId);
  const intervalMs = options.intervalMs ?? 300;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  async function* chunks(): AsyncGenerator<string> {
    let id = 0;
    let previous: ExecutionView | undefined;
    let current = first;
    let quietSince = Date.now();
    for (;;) {
      const events = eventsBetween(previous, current);
      for (const event of events) yield formatSse(event, ++id);
      if (events.length > 0) quietSince = Date.now();
      if (isTerminal(current.status)) return;
      if (!options.follow) {
        yield 'retry: 2000\n\n';
        return;
      }
      if (Date.now() - quietSince >= heartbeatMs) {
        yield ': still running\n\n';
        quietSince = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
      previous = current;
      current = await getExecution(deps, caller, executionId);
    }
  }
  return chunks();
}
