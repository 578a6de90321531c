import { randomUUID } from 'node:crypto';
import type { ExecutionInfo } from '../actions/action.ts';
import type { CompileResult } from '../compiler/types.ts';
import type {
  InvokeAction,
  RunLocallyOptions,
  TaskTokenAnswer,
  WaitForTaskToken,
} from '../runtime/local/run-locally.ts';
import { runLocally } from '../runtime/local/run-locally.ts';
import { childAnswer, childDepth, parseSubflowTask, SubflowFailedError } from '../runtime/subflow-task.ts';
import type { WorkflowDefinition } from '../workflow/definition-schema.ts';
import { subflowRefs } from '../workflow/subflow-refs.ts';

/** A child definition of `flowforge run --flow <flowId>=<file>`, compiled. */
export interface SubflowFile {
  flowId: string;
  file: string;
  definition: WorkflowDefinition;
  result: CompileResult;
}

/** Parses one `--flow` value: `<flowId>=<file>`. */
export function parseFlowOption(value: string): { flowId: string; file: string } | undefined {
  const at = value.indexOf('=');
  if (at <= 0 || at === value.length - 1) return undefined;
  return { flowId: value.slice(0, at), file: value.slice(at + 1) };
}

/**
 * What `flowforge run` checks before a run with subflows, as a save would: every subflow node of
 * the definition and of each child names a flow given with `--flow` (else an error with the node's
 * pointer), and no flow reaches itself. Answers the problems, one line each.
 */
export function checkSubflowFiles(
  main: { file: string; definition: WorkflowDefinition },
  children: ReadonlyMap<string, SubflowFile>,
): string[] {
  const problems: string[] = [];
  const check = (file: string, definition: WorkflowDefinition) => {
    for (const ref of subflowRefs(definition)) {
      if (!children.has(ref.config.flowId)) {
        problems.push(
          `${file} ${ref.pointer}/config/flowId: flow ${ref.config.flowId} is not given (add --flow ${ref.config.flowId}=FILE)`,
        );
      }
    }
  };
  check(main.file, main.definition);
  for (const child of children.values()) check(child.file, child.definition);
  for (const child of children.values()) {
    const path = cycleFrom(child.flowId, children);
    if (path)
      problems.push(
        `${child.file}: flow ${child.flowId} reaches itself through subflows: ${path.join(' → ')}`,
      );
  }
  return problems;
}

function cycleFrom(start: string, children: ReadonlyMap<string, SubflowFile>): string[] | undefined {
  const visit = (id: string, path: string[]): string[] | undefined => {
    for (const ref of subflowRefs(children.get(id)?.definition ?? { nodes: [] })) {
      const next = ref.config.flowId;
      if (next === start) return [...path, next];
      if (path.includes(next) || !children.has(next)) continue;
      const found = visit(next, [...path, next]);
      if (found) return found;
    }
    return undefined;
  };
  return visit(start, [start]);
}

/**
 * The subflow Tasks of a `flowforge run`: each child runs on this machine with the same runner
 * options (actions, payloads, idempotency), as an execution `local-<uuid>` of flow `<flowId>` at
 * depth + 1 (past 5: `SubflowDepthExceeded`). A waiting node gets the child's output, or
 * `SubflowFailed` with its error as cause; `wait: false` gets `{ executionId }` and the child runs
 * on (`settled()` waits for those before the CLI exits). Aborting the parent aborts its children.
 * `onChild` is told each child's end.
 */
export function createCliSubflows(
  children: ReadonlyMap<string, SubflowFile>,
  options: () => RunLocallyOptions,
  onChild: (flowId: string, executionId: string, status: string) => void,
  root: AbortSignal,
) {
  const detached = new Set<Promise<unknown>>();
  const runChild = (payload: unknown, signal: AbortSignal) => {
    const task = parseSubflowTask(payload);
    const depth = childDepth(task);
    const child = children.get(task.config.flowId);
    if (!child)
      throw new SubflowFailedError(
        `flow ${task.config.flowId} is not given (--flow ${task.config.flowId}=FILE)`,
      );
    const execution: ExecutionInfo = {
      id: `local-${randomUUID()}`,
      startedAt: new Date().toISOString(),
      flowId: child.flowId,
      version: 1,
      trigger: { id: null, type: 'subflow' },
      depth,
    };
    const run = runLocally(
      child.result.asl,
      { input: task.config.input ?? {}, execution },
      {
        ...options(),
        validate: 'none',
        signal,
      },
    );
    const done = run.promise.then((record) => {
      onChild(child.flowId, execution.id, record.status);
      return record;
    });
    return { executionId: execution.id, done };
  };
  const invoke: InvokeAction = async (payload) => {
    // A child that is not waited for outlives its node's Task: only an abort of the CLI stops it.
    const { executionId, done } = runChild(payload, root);
    const tracked = done.finally(() => detached.delete(tracked));
    detached.add(tracked);
    return { executionId };
  };
  const wait: WaitForTaskToken = async (payload, context): Promise<TaskTokenAnswer> => {
    const { executionId, done } = runChild(payload, AbortSignal.any([context.signal, root]));
    const record = await done;
    const answer = childAnswer({ ...record, executionId });
    return answer ?? { error: 'SubflowFailed', cause: `the child ${executionId} ended ${record.status}` };
  };
  return { invoke, wait, settled: () => Promise.allSettled([...detached]) };
}
