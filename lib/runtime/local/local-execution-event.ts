import type { StateMachine } from 'aws-local-stepfunctions';

/**
 * One entry of the aws-local-stepfunctions event log (`ExecutionStarted`, `StateEntered`,
 * `StateExited`, `StateFailed`, `StateRetried`, `StateCaught`, `ParallelBranch*`, `MapIteration*`,
 * `ExecutionSucceeded|Failed|Aborted|Timeout`), each with a `timestamp` in epoch milliseconds.
 * The library does not export the type by name, so it is taken from `StateMachine.run`.
 */
export type LocalExecutionEvent =
  ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer Event> ? Event : never;
