import type { LocalExecutionEvent } from './local-execution-event.ts';

/**
 * What `LocalStateMachines` learns from a run's events, wherever the run executes: the nodes whose
 * compensation ran (`<id>:compensate` exited), when a node begins to wait (its wait is registered,
 * see runLocally's `onWaiting`: the journal is written at once, so a process killed now resumes it) and when
 * node statuses changed (a throttled journal write).
 */
export function observeRunProgress(on: { onWaitEntered(): void; onNodesChanged(): void }): {
  onEvent(event: LocalExecutionEvent, progress: { nodesChanged: boolean }): void;
  /** runLocally's `onWaiting`: a wait is registered, its node now reads `waiting`. */
  onWaiting(): void;
  compensated: Set<string>;
} {
  const compensated = new Set<string>();
  return {
    compensated,
    onEvent: (event, progress) => {
      if (event.type === 'StateExited' && event.state.name.endsWith(':compensate')) {
        compensated.add(event.state.name.slice(0, -':compensate'.length));
      }
      if (progress.nodesChanged) on.onNodesChanged();
    },
    onWaiting: () => on.onWaitEntered(),
  };
}
