import type { ExecutionItem, ExecutionStorePort } from '../store/types.ts';

/** How many of a flow's latest successful executions its duration hints are measured on. */
export const HINT_EXECUTIONS = 20;

/**
 * Measured node durations of a flow, for the compile of its next version
 * (`CompileContext.durationHints`): per node, the p50 in milliseconds of `finishedAt − startedAt`
 * over the flow's last {@link HINT_EXECUTIONS} SUCCEEDED executions. One listing of the caller's
 * own tenant and flow (newest first, one page), so hints never come from another tenant or flow.
 * `undefined` when the flow has no successful run with timed nodes: the compile is then exactly
 * the one without history.
 */
export async function durationHints(
  executions: ExecutionStorePort,
  tenant: string,
  flowId: string,
): Promise<Record<string, number> | undefined> {
  const page = await executions.listByFlow(
    tenant,
    flowId,
    { limit: HINT_EXECUTIONS },
    { status: ['SUCCEEDED'] },
  );
  return p50Durations(page.items);
}

/**
 * Per node id, the median duration (ms) of its succeeded records over `executions`. Records of
 * forEach body nodes are left out (their span covers every iteration, not one), as are records
 * without both timestamps. `undefined` when no node has one.
 */
export function p50Durations(executions: readonly ExecutionItem[]): Record<string, number> | undefined {
  const samples = new Map<string, number[]>();
  for (const execution of executions) {
    for (const [id, record] of Object.entries(execution.nodes)) {
      if (record.status !== 'succeeded' || record.iterations !== undefined) continue;
      if (record.startedAt === undefined || record.finishedAt === undefined) continue;
      const ms = Date.parse(record.finishedAt) - Date.parse(record.startedAt);
      if (!Number.isFinite(ms) || ms < 0) continue;
      const list = samples.get(id);
      if (list) list.push(ms);
      else samples.set(id, [ms]);
    }
  }
  if (samples.size === 0) return undefined;
  const hints: Record<string, number> = {};
  for (const [id, values] of [...samples].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    values.sort((a, b) => a - b);
    const mid = values.length >> 1;
    hints[id] =
      values.length % 2
        ? (values[mid] as number)
        : ((values[mid - 1] as number) + (values[mid] as number)) / 2;
  }
  return hints;
}
