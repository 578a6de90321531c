import {
  type CloudWatchLogsClient,
  FilterLogEventsCommand,
  type FilterLogEventsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { ExecutionDescription } from './history-to-record.ts';

/**
 * The record path of Express executions. Step Functions keeps no history for Express workflows
 * (DescribeExecution, GetExecutionHistory, StopExecution and RedriveExecution refuse them); their
 * history exists only as the CloudWatch Logs events of a machine logging at level `ALL` with
 * execution data. Each log event is one history event in JSON:
 * `{ id, type, details, previous_event_id, event_timestamp, execution_arn }`. These helpers read
 * one execution's events and turn them into the SDK's `HistoryEvent` shape, so the same
 * `historyToRecord` builds the record of Standard and Express runs.
 */

/** The terminal event types of an execution and the status each means. */
export const TERMINAL_EVENT_STATUS: Readonly<Record<string, string>> = {
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionTimedOut: 'TIMED_OUT',
  ExecutionAborted: 'ABORTED',
};

/** True for an Express execution ARN (`arn:…:states:…:express:<machine>:<name>:<id>`). */
export const isExpressExecutionArn = (executionArn: string): boolean =>
  executionArn.split(':')[5] === 'express';

/** One log event of Step Functions' CloudWatch Logs format. */
interface LoggedEvent {
  id?: string | number;
  type?: string;
  details?: Record<string, unknown>;
  previous_event_id?: string | number;
  event_timestamp?: string | number;
  execution_arn?: string;
}

/** The `HistoryEvent` member that holds the details of an event type (as GetExecutionHistory names it). */
export function detailsKeyOf(type: string): string {
  if (type.endsWith('StateEntered')) return 'stateEnteredEventDetails';
  if (type.endsWith('StateExited')) return 'stateExitedEventDetails';
  return `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
}

/** One logged event as a `HistoryEvent`; `undefined` for a line that is not a Step Functions event. */
export function toHistoryEvent(message: string): (HistoryEvent & { executionArn?: string }) | undefined {
  let logged: LoggedEvent;
  try {
    logged = JSON.parse(message) as LoggedEvent;
  } catch {
    return undefined;
  }
  if (typeof logged !== 'object' || logged === null || typeof logged.type !== 'string') return undefined;
  const id = Number(logged.id);
  if (!Number.isFinite(id)) return undefined;
  const event: HistoryEvent & { executionArn?: string } = {
    id,
    type: logged.type as HistoryEvent['type'],
    timestamp: new Date(Number(logged.event_timestamp)),
    ...(logged.previous_event_id === undefined ? {} : { previousEventId: Number(logged.previous_event_id) }),
    ...(logged.execution_arn ? { executionArn: logged.execution_arn } : {}),
  };
  if (logged.details && typeof logged.details === 'object')
    (event as unknown as Record<string, unknown>)[detailsKeyOf(logged.type)] = logged.details;
  return event;
}

/**
 * Every logged event of one execution, in event order: FilterLogEvents on the Express log group
 * with a JSON filter on `execution_arn` (pages followed up to `maxPages`, default 40).
 */
export async function readExpressEvents(
  client: CloudWatchLogsClient,
  logGroupArn: string,
  executionArn: string,
  options: { startTime?: number; maxPages?: number } = {},
): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  const maxPages = options.maxPages ?? 40;
  for (let page = 0; page < maxPages; page++) {
    const result: FilterLogEventsCommandOutput = await client.send(
      new FilterLogEventsCommand({
        logGroupIdentifier: logGroupArn.replace(/:\*$/, ''),
        filterPattern: `{ $.execution_arn = "${executionArn}" }`,
        ...(options.startTime === undefined ? {} : { startTime: options.startTime }),
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    for (const logged of result.events ?? []) {
      const event = toHistoryEvent(logged.message ?? '');
      if (event && (event.executionArn === undefined || event.executionArn === executionArn)) {
        delete event.executionArn;
        events.push(event);
      }
    }
    nextToken = result.nextToken;
    if (!nextToken) break;
  }
  return events.sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
}

/** What DescribeExecution would say, read from the events: RUNNING until a terminal event is logged. */
export function describeFromEvents(events: readonly HistoryEvent[]): ExecutionDescription {
  const started = events.find((event) => event.type === 'ExecutionStarted');
  const terminal = events.find((event) => event.type !== undefined && event.type in TERMINAL_EVENT_STATUS);
  if (!terminal?.type)
    return { status: 'RUNNING', ...(started?.timestamp ? { startDate: started.timestamp } : {}) };
  const details = (terminal as unknown as Record<string, unknown>)[detailsKeyOf(terminal.type)] as
    | { error?: string; cause?: string }
    | undefined;
  return {
    status: TERMINAL_EVENT_STATUS[terminal.type],
    ...(started?.timestamp ? { startDate: started.timestamp } : {}),
    ...(terminal.timestamp ? { stopDate: terminal.timestamp } : {}),
    ...(details?.error === undefined ? {} : { error: details.error }),
    ...(details?.cause === undefined ? {} : { cause: details.cause }),
  };
}

/** The machine input `{ input, execution }` the ExecutionStarted event carries (who the run belongs to). */
export function machineInputOf(events: readonly HistoryEvent[]): unknown {
  const started = events.find((event) => event.type === 'ExecutionStarted');
  const input = started?.executionStartedEventDetails?.input;
  if (typeof input !== 'string') return undefined;
  try {
    return JSON.parse(input);
  } catch {
    return undefined;
  }
}
