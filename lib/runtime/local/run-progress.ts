import type { AslDefinition } from '../../compiler/types.ts';
import type { LocalExecutionEvent } from './local-execution-event.ts';
import { LAMBDA_INVOKE_WAIT } from './run-locally.ts';

/**
 * What `LocalStateMachines` learns from a run's events, wherever the run executes: the nodes whose
 * compensation ran (`<id>:compensate` exited), when a node begins to wait (a `.waitForTaskToken`
 * state entered: the journal is written at once, so a process killed now resumes it) and when
 * node statuses changed (a throttled journal write).
 */
export function observeRunProgress(
  asl: AslDefinition,
  on: { onWaitEntered(): void; onNodesChanged(): void },
): {
  onEvent(event: LocalExecutionEvent, progress: { nodesChanged: boolean }): void;
  compensated: Set<string>;
} {
  const compensated = new Set<string>();
  const waits = waitStateNames(asl as unknown as { States: Record<string, Record<string, unknown>> });
  return {
    compensated,
    onEvent: (event, progress) => {
      if (event.type === 'StateExited' && event.state.name.endsWith(':compensate')) {
        compensated.add(event.state.name.slice(0, -':compensate'.length));
      }
      if (event.type === 'StateEntered' && waits.has(event.state.name)) on.onWaitEntered();
      else if (progress.nodesChanged) on.onNodesChanged();
    },
  };
}

/** The names of the `.waitForTaskToken` Task states of a machine, Parallel branches and Map bodies included. */
function waitStateNames(asl: { States: Record<string, Record<string, unknown>> }): Set<string> {
  const names = new Set<string>();
  const walk = (states: Record<string, Record<string, unknown>>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Resource === LAMBDA_INVOKE_WAIT) names.add(name);
      for (const branch of (state.Branches as Array<{ States: typeof states }> | undefined) ?? [])
        walk(branch.States);
      for (const key of ['Iterator', 'ItemProcessor'] as const) {
        const body = state[key] as { States: typeof states } | undefined;
        if (body) walk(body.States);
      }
    }
  };
  walk(asl.States);
  return names;
}
