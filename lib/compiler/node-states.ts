import { actionsReceivingRunData, actionsReturningLogs } from '../actions/catalog.ts';
import type { ActionNode, OperationNode, RetryPolicy, WorkflowNode } from '../workflow/definition-schema.ts';
import type { ChoiceRule } from './choice-rules.ts';
import { triggerRule } from './choice-rules.ts';
import { type CompiledForEach, forEachStates } from './for-each-states.ts';
import { compileObject, compileString, compileValue } from './parameters.ts';
import { DEFAULT_RETRY_ON, hasRetryLoop, lambdaRetrier, retryLoopStates } from './retry.ts';
import type { AslState, StateScope } from './state-graph.ts';
import { attemptPath, FAILED_PATH, nodePath, stateName } from './state-names.ts';
import { CompileError } from './types.ts';

/** The payload field of a Task inside a forEach body naming its item (`each[3]`, `each[3]/inner[0]`). */
export const ITERATION = { 'iteration.$': '$.iteration' } as const;

/**
 * What an action of `actionsReceivingRunData` gets as `config.data`: the run's data at that point,
 * `nodes` holding the records of `reads` (the upstream nodes its expression names).
 */
function runData(reads: readonly string[], inBody = false): Record<string, unknown> {
  const nodes: Record<string, string> = {};
  for (const id of reads) nodes[`${id}.$`] = nodePath(id);
  const data: Record<string, unknown> = { 'input.$': '$.input', nodes, 'execution.$': '$.execution' };
  // Inside a forEach body a transform also sees the item and its index (DESIGN.md §2.1).
  if (inBody) Object.assign(data, { 'item.$': '$.item', 'index.$': '$.index' });
  return data;
}

function omitData(config: Record<string, unknown>): Record<string, unknown> {
  const { data: _ignored, ...rest } = config;
  return rest;
}

/**
 * A state field (`Result`, `Parameters` or `ResultSelector`) that writes the node's whole record
 * into its slot (lib/compiler/state-slots.ts): `{ <id>: record }` replaces the slot's content.
 */
function writeRecord(
  plan: NodePlan,
  field: 'Result' | 'Parameters' | 'ResultSelector',
  record: unknown,
): AslState {
  // A parked record is added to its slot, which holds other records read later.
  if (plan.parked) return { [field]: record, ResultPath: nodePath(plan.node.id) };
  return { [field]: { [plan.node.id]: record }, ResultPath: `$.${plan.slot}` };
}

/** Where control goes after a state: the next state's name, or the end of the current scope. */
export type Target = { next: string } | 'end';

/** `{ Next }` or `{ End: true }`. */
export function transition(target: Target): AslState {
  return target === 'end' ? { End: true } : { Next: target.next };
}

export const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';

/** Which of a node's states something refers to (only those are emitted: AWS rejects unreachable states). */
export interface NodeNeeds {
  run: boolean;
  guard: boolean;
  skip: boolean;
}

/** Everything `nodeStates` needs to know about one node. */
export interface NodePlan {
  node: WorkflowNode;
  needs: NodeNeeds;
  /** onError: fail, for a node that can fail (action or fail operation). */
  fatal: boolean;
  /** The guard's rule when the guard is emitted (a trigger's rule is built here). */
  guardRule?: ChoiceRule;
  /** Lambda ARN of the node's action (of the wait function for a wait). */
  arn?: string;
  /**
   * A fatal failure without retry loop may skip the `<id>:failed` record (the record builders read
   * it from the state's failure); forEach bodies keep it (their iteration records count it).
   */
  directFatalCatch?: boolean;
  /**
   * With a direct fatal catch: the state its Catch goes to when the catch may drop the state (no
   * ResultPath, the error becomes the whole state) because nothing on the failure path reads a record.
   */
  bareFatalExit?: () => string;
  /** The state key of the slot that holds the node's record (`nodes`, `nodes1`, …). */
  slot: string;
  /** The record is in the parking slot (lib/compiler/state-slots.ts): its states add it there. */
  parked?: boolean;
  /** For actions of `actionsReceivingRunData`: the upstream nodes whose records `config.data` carries. */
  runDataReads?: readonly string[];
  /** Continuations per outcome; `failed` is used only when the node is not fatal. */
  onSucceeded: () => Target;
  onSkipped: () => Target;
  onFailed: () => Target;
  /** Where a fatal failure goes (`:fail` at the top level, the branch end inside a Parallel). */
  fatalExit: Target;
  /**
   * Inside a forEach body: the node's Tasks carry `iteration` (which item of which forEach, e.g.
   * `each[3]`), part of their idempotency identity, and run data includes `item`/`index`.
   */
  inBody?: boolean;
  /** A forEach node's compiled body and settings (see `for-each-states.ts`). */
  forEach?: CompiledForEach;
}

/** True for nodes that can end `failed`: actions, fail operations and waits. */
export function canFail(node: WorkflowNode): boolean {
  return canSucceedOrFail(node) || (node.type === 'operation' && node.operation === 'fail');
}

/** True for nodes that can end `succeeded` or `failed`: actions, waits, forEach and subflows. */
export function canSucceedOrFail(node: WorkflowNode): boolean {
  return node.type === 'action' || isWait(node) || isForEach(node) || isSubflow(node);
}

/** The retry policy of a node that has a compiled retry loop: an action or a subflow with more than one attempt. */
export function retryLoopOf(node: WorkflowNode): RetryPolicy | undefined {
  if (node.type !== 'action' && !isSubflow(node)) return undefined;
  return hasRetryLoop(node.retry) ? node.retry : undefined;
}

/** True for a subflow operation (a Task of the subflow function). */
export function isSubflow(node: WorkflowNode): boolean {
  return node.type === 'operation' && node.operation === 'subflow';
}

/** True for a forEach operation (a Map state between its items and collect steps). */
export function isForEach(node: WorkflowNode): boolean {
  return node.type === 'operation' && node.operation === 'forEach';
}

/** True for waitForCallback and waitForEvent operations (a `.waitForTaskToken` Task). */
export function isWait(node: WorkflowNode): node is OperationNode {
  return (
    node.type === 'operation' && (node.operation === 'waitForCallback' || node.operation === 'waitForEvent')
  );
}

/** The Lambda integration that pauses until SendTaskSuccess / SendTaskFailure answers `$$.Task.Token`. */
export const LAMBDA_INVOKE_WAIT = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/** The name of the first state that runs a node (the node id, or `<id>:until` before a computed Wait). */
export function runEntry(node: WorkflowNode): string {
  if (isForEach(node)) return stateName.forEachItems(node.id);
  if (node.type === 'operation' && node.operation === 'delay') {
    const until = node.config.until;
    if (typeof until === 'string' && isFormat(until)) return stateName.until(node.id);
  }
  return node.id;
}

function isFormat(value: string): boolean {
  const compiled = compileString(value);
  return 'expression' in compiled && compiled.expression.startsWith('States.');
}

/**
 * The states of one node, added to `scope` in a readable order:
 * `<id>:guard` (Choice on the join rule → `<id>` or `<id>:skip`), the state(s) that run it, its
 * retry loop, `<id>:failed` (records `{ status: failed, error: { error, cause } }`) and
 * `<id>:skip` (records `{ status: skipped }`). Every node records `$.nodes.<id>` with a status.
 */
export function addNodeStates(plan: NodePlan, scope: StateScope): void {
  const { node, needs } = plan;
  const owner = `node "${node.id}"`;
  const add = (name: string, state: AslState) => scope.add(name, state, owner);
  if (needs.guard) {
    const rule = node.type === 'trigger' ? triggerRule(node.id) : plan.guardRule;
    if (!rule) throw new Error(`compiler: node "${node.id}" needs a guard rule`);
    add(stateName.guard(node.id), {
      Type: 'Choice',
      Choices: [{ ...rule, Next: runEntry(node) }],
      Default: stateName.skip(node.id),
    });
  }
  if (needs.run) {
    const states = runStates(plan);
    for (const [name, state] of Object.entries(states)) add(name, state);
  }
  if (needs.skip) {
    add(stateName.skip(node.id), {
      Type: 'Pass',
      ...writeRecord(plan, 'Result', { status: 'skipped' }),
      ...transition(plan.onSkipped()),
    });
  }
}

/** The `{ status: failed, error }` record of a node whose error (`{ Error, Cause }`) is at `source`. */
export function failedState(plan: NodePlan, source: string): AslState {
  return {
    Type: 'Pass',
    ...writeRecord(plan, 'Parameters', {
      status: 'failed',
      error: { 'error.$': `${source}.Error`, 'cause.$': `${source}.Cause` },
    }),
    ...transition(plan.fatal ? plan.fatalExit : plan.onFailed()),
  };
}

function runStates(plan: NodePlan): Record<string, AslState> {
  const { node } = plan;
  switch (node.type) {
    case 'trigger':
      return {
        [node.id]: {
          Type: 'Pass',
          ...writeRecord(plan, 'Parameters', { status: 'succeeded', 'output.$': '$.input' }),
          ...transition(plan.onSucceeded()),
        },
      };
    case 'action':
      return actionStates(plan, node);
    case 'operation':
      return operationStates(plan, node);
  }
}

function actionStates(plan: NodePlan, node: ActionNode): Record<string, AslState> {
  const id = node.id;
  if (plan.arn === undefined) throw new Error(`compiler: no ARN for node "${id}"`);
  return taskNodeStates(plan, node.retry, node.timeoutSeconds, {
    Resource: LAMBDA_INVOKE,
    Parameters: {
      FunctionName: plan.arn,
      Payload: {
        nodeId: id,
        action: node.action,
        config: actionsReceivingRunData.has(node.action)
          ? {
              ...compileObject(omitData(node.config), `node "${id}" config`),
              data: runData(plan.runDataReads ?? [], plan.inBody),
            }
          : compileObject(node.config, `node "${id}" config`),
      },
    },
    ResultSelector: actionsReturningLogs.has(node.action)
      ? { status: 'succeeded', 'output.$': '$.Payload.output', 'logs.$': '$.Payload.logs' }
      : { status: 'succeeded', 'output.$': '$.Payload' },
  });
}

/**
 * A subflow (DESIGN.md §2.1): one Task named the node id that invokes the subflow function with
 * `{ nodeId, operation: "subflow", config: { flowId, version, input, wait }, execution, attempt }`.
 * The function starts the child through the service's start path. With `wait` (default) the Task
 * is `.waitForTaskToken` and carries `taskToken`: the child's status write-back answers it with the
 * child's output, or fails it with `SubflowFailed`. Without `wait` it is a plain invoke whose
 * result is `{ executionId }` (Express machines cannot wait on a token). Retries, the timeout and
 * error edges work as for an action.
 */
function subflowStates(plan: NodePlan, node: OperationNode): Record<string, AslState> {
  const id = node.id;
  if (plan.arn === undefined) throw new Error(`compiler: no subflow function ARN for node "${id}"`);
  const config = node.config as { flowId: string; version?: number; input?: unknown; wait?: boolean };
  const wait = config.wait !== false;
  return taskNodeStates(plan, node.retry, node.timeoutSeconds, {
    Resource: wait ? LAMBDA_INVOKE_WAIT : LAMBDA_INVOKE,
    Parameters: {
      FunctionName: plan.arn,
      Payload: {
        nodeId: id,
        operation: 'subflow',
        config: {
          flowId: config.flowId,
          ...(config.version === undefined ? {} : { version: config.version }),
          input: compileObject((config.input ?? {}) as Record<string, unknown>, `node "${id}" config/input`),
          wait,
        },
      },
      ...(wait ? { taskToken: '$$.Task.Token' } : {}),
    },
    ResultSelector: wait
      ? { status: 'succeeded', 'output.$': '$.output' }
      : { status: 'succeeded', 'output.$': '$.Payload' },
  });
}

/**
 * The states of a node run by one Lambda Task (an action, a subflow): the Task with the node's
 * record as ResultSelector, the native Lambda retrier, the node's retry loop (its attempt number in
 * the payload), its Catch and `<id>:failed` record. `task.Parameters.Payload` gets `execution`,
 * `attempt` and, inside a forEach body, `iteration`.
 */
function taskNodeStates(
  plan: NodePlan,
  retry: RetryPolicy | undefined,
  timeoutSeconds: number | undefined,
  task: {
    Resource: string;
    /** `taskToken`: the context path of the task token, for a `.waitForTaskToken` Task. */
    Parameters: { FunctionName: string; Payload: Record<string, unknown>; taskToken?: string };
    ResultSelector: Record<string, unknown>;
  },
): Record<string, AslState> {
  const id = plan.node.id;
  const loop = hasRetryLoop(retry) ? retry : undefined;
  const failedSource = plan.fatal ? FAILED_PATH : nodePath(id);
  const catchers: AslState[] = [];
  if (loop) {
    catchers.push({
      ErrorEquals: loop.retryOn ?? [...DEFAULT_RETRY_ON],
      ResultPath: nodePath(id),
      Next: stateName.retry(id),
    });
  }
  // A fatal failure without a retry loop goes straight to the fatal exit: the record builders take
  // the node's `failed` status and error from its own state's failure (no Pass per node).
  const direct = plan.fatal && !loop && plan.fatalExit !== 'end' && plan.directFatalCatch === true;
  if (direct && plan.bareFatalExit !== undefined) {
    catchers.push({ ErrorEquals: ['States.ALL'], Next: plan.bareFatalExit() });
  } else {
    catchers.push({
      ErrorEquals: ['States.ALL'],
      ResultPath: failedSource,
      Next: direct ? (plan.fatalExit as { next: string }).next : stateName.failed(id),
    });
  }
  const { taskToken } = task.Parameters;
  const payload = task.Parameters.Payload;
  const state: AslState = {
    Type: 'Task',
    Resource: task.Resource,
    Parameters: {
      FunctionName: task.Parameters.FunctionName,
      Payload: {
        ...payload,
        'execution.$': '$.execution',
        ...(loop ? { 'attempt.$': attemptPath(id, 'a') } : { attempt: 1 }),
        ...(plan.inBody ? ITERATION : {}),
        ...(taskToken === undefined ? {} : { 'taskToken.$': taskToken }),
      },
    },
    ...writeRecord(plan, 'ResultSelector', task.ResultSelector),
    ...(timeoutSeconds !== undefined ? { TimeoutSeconds: timeoutSeconds } : {}),
    Retry: [lambdaRetrier()],
    Catch: catchers,
    ...transition(plan.onSucceeded()),
  };
  return {
    [id]: state,
    ...(loop ? retryLoopStates(id, loop, plan.fatal) : {}),
    ...(direct ? {} : { [stateName.failed(id)]: failedState(plan, failedSource) }),
  };
}

function operationStates(plan: NodePlan, node: OperationNode): Record<string, AslState> {
  const id = node.id;
  const record = nodePath(id);
  const where = `node "${id}" config`;
  switch (node.operation) {
    case 'noop':
      return {
        [id]: {
          Type: 'Pass',
          ...writeRecord(plan, 'Result', { status: 'succeeded' }),
          ...transition(plan.onSucceeded()),
        },
      };
    case 'set': {
      const values = (node.config.values ?? {}) as Record<string, unknown>;
      return {
        [id]: {
          Type: 'Pass',
          ...writeRecord(plan, 'Parameters', {
            status: 'succeeded',
            output: compileObject(values, `${where}/values`),
          }),
          ...transition(plan.onSucceeded()),
        },
      };
    }
    case 'respond': {
      // The webhook's answer is this node's output; the waiting webhook reads it from the record.
      const config = node.config as { status?: unknown; headers?: unknown; body?: unknown };
      const answer = {
        status: config.status ?? 200,
        headers: config.headers ?? {},
        ...(config.body === undefined ? {} : { body: config.body }),
      };
      return {
        [id]: {
          Type: 'Pass',
          Parameters: { status: 'succeeded', output: compileObject(answer, where) },
          ResultPath: record,
          ...transition(plan.onSucceeded()),
        },
      };
    }
    case 'fail': {
      const error = compileValue(node.config.error ?? 'FlowFailed', `${where}/error`);
      const cause = compileValue(node.config.cause ?? `node "${id}" failed the run`, `${where}/cause`);
      const source = plan.fatal ? FAILED_PATH : record;
      return {
        [id]: {
          Type: 'Pass',
          Parameters: {
            ...('expression' in error ? { 'Error.$': error.expression } : { Error: String(error.literal) }),
            ...('expression' in cause ? { 'Cause.$': cause.expression } : { Cause: String(cause.literal) }),
          },
          ResultPath: source,
          Next: stateName.failed(id),
        },
        [stateName.failed(id)]: failedState(plan, source),
      };
    }
    case 'delay':
      return delayStates(plan, node);
    case 'waitForCallback':
    case 'waitForEvent':
      return waitStates(plan, node);
    case 'forEach':
      return forEachStates(plan, node);
    case 'subflow':
      return subflowStates(plan, node);
  }
}

/**
 * A wait: one `.waitForTaskToken` Task named the node id that invokes the wait function with
 * `{ nodeId, operation, config, execution, attempt, taskToken }`. The function registers the wait
 * (and runs `notify`), and the Task resumes when SendTaskSuccess answers `{ output }` (recorded as
 * the node's output) or SendTaskFailure `{ error, cause }` (caught like an action's error).
 * `timeoutSeconds` is the Task's TimeoutSeconds: past it the node fails with `States.Timeout`.
 */
function waitStates(plan: NodePlan, node: OperationNode): Record<string, AslState> {
  const id = node.id;
  if (plan.arn === undefined) throw new Error(`compiler: no wait function ARN for node "${id}"`);
  const where = `node "${id}" config`;
  const failedSource = plan.fatal ? FAILED_PATH : nodePath(id);
  let config: Record<string, unknown>;
  if (node.operation === 'waitForCallback') {
    const notify = node.config.notify as { action: string; config?: Record<string, unknown> } | undefined;
    const notifyConfig = notify?.config ?? {};
    config = notify
      ? {
          notify: {
            action: notify.action,
            config: actionsReceivingRunData.has(notify.action)
              ? {
                  ...compileObject(omitData(notifyConfig), `${where}/notify/config`),
                  data: runData(plan.runDataReads ?? [], plan.inBody),
                }
              : compileObject(notifyConfig, `${where}/notify/config`),
          },
        }
      : {};
  } else {
    const { event, match, lookbackSeconds } = node.config as {
      event: string;
      match: string;
      lookbackSeconds?: number;
    };
    config = compileObject({ event, match, lookbackSeconds: lookbackSeconds ?? 300 }, where);
  }
  const timeout = node.config.timeoutSeconds;
  if (typeof timeout === 'number') config.timeoutSeconds = timeout;
  return {
    [id]: {
      Type: 'Task',
      Resource: LAMBDA_INVOKE_WAIT,
      Parameters: {
        FunctionName: plan.arn,
        Payload: {
          nodeId: id,
          operation: node.operation,
          config,
          'execution.$': '$.execution',
          attempt: 1,
          // Inside a forEach body each item waits on its own: the iteration is part of the wait's identity.
          ...(plan.inBody ? ITERATION : {}),
          'taskToken.$': '$$.Task.Token',
        },
      },
      ...writeRecord(plan, 'ResultSelector', { status: 'succeeded', 'output.$': '$.output' }),
      ...(typeof timeout === 'number' ? { TimeoutSeconds: timeout } : {}),
      Retry: [lambdaRetrier()],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: failedSource, Next: stateName.failed(id) }],
      ...transition(plan.onSucceeded()),
    },
    [stateName.failed(id)]: failedState(plan, failedSource),
  };
}

function delayStates(plan: NodePlan, node: OperationNode): Record<string, AslState> {
  const id = node.id;
  const where = `node "${id}" config`;
  const states: Record<string, AslState> = {};
  let wait: AslState;
  const { seconds, until } = node.config as { seconds?: unknown; until?: unknown };
  if (typeof seconds === 'number') wait = { Seconds: Math.ceil(seconds - 1e-9) };
  else if (typeof seconds === 'string') {
    const compiled = compileString(seconds);
    if (!('expression' in compiled) || compiled.expression.startsWith('States.')) {
      throw new CompileError(`${where}/seconds: must be a number or one {{ path }}`, 'INVALID_DEFINITION');
    }
    wait = { SecondsPath: compiled.expression };
  } else if (typeof until === 'string') {
    const compiled = compileString(until);
    if (!('expression' in compiled)) wait = { Timestamp: until };
    else if (!compiled.expression.startsWith('States.')) wait = { TimestampPath: compiled.expression };
    else {
      states[stateName.until(id)] = {
        Type: 'Pass',
        Parameters: { 'at.$': compiled.expression },
        ResultPath: nodePath(id),
        Next: id,
      };
      wait = { TimestampPath: nodePath(id, 'at') };
    }
  } else {
    throw new CompileError(`${where}: a delay takes "seconds" or "until"`, 'INVALID_DEFINITION');
  }
  states[id] = { Type: 'Wait', ...wait, Next: stateName.done(id) };
  states[stateName.done(id)] = {
    Type: 'Pass',
    ...writeRecord(plan, 'Result', { status: 'succeeded' }),
    ...transition(plan.onSucceeded()),
  };
  return states;
}
