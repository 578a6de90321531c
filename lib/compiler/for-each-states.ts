import type { OperationNode } from '../workflow/definition-schema.ts';
import type { ForEachConfig } from '../workflow/operation-configs.ts';
import {
  failedState,
  ITERATION,
  LAMBDA_INVOKE,
  type NodePlan,
  type Target,
  transition,
} from './node-states.ts';
import { compileString } from './parameters.ts';
import { lambdaRetrier } from './retry.ts';
import type { AslState } from './state-graph.ts';
import { FAILED_PATH, nodePath, stateName } from './state-names.ts';
import { CompileError } from './types.ts';

/** A forEach node's body, compiled by the same compiler (`MachineBuilder` in body mode). */
export interface CompiledForEach {
  config: ForEachConfig;
  /** The Map's ItemProcessor states. */
  processor: { StartAt: string; States: Record<string, AslState> };
  /** The Map's ItemSelector: each iteration's initial state. */
  itemSelector: Record<string, unknown>;
  /** ARN of the internal `foreach` action (items and collect steps). */
  arn: string;
  /** The longest list whose iterations fit the history budget (events per item counted). */
  maxItems: number;
}

/**
 * The states of a forEach node (DESIGN.md §2.1):
 * `<id>:items` (Task, internal foreach action: payload references resolved, `ForEachItemsNotArray`
 * unless an array, the list put inline at `$.nodes.<id>.items`) → `<id>` (Map, INLINE: the body as
 * ItemProcessor, `concurrency` as MaxConcurrency; each iteration ends with its output node's record
 * or its fatal error, never failing the Map) → `<id>:collect` (Task: output in item order, the error
 * at a failed index, `items: { total, succeeded, failed }`, `ForEachFailed` past the tolerance) →
 * `<id>:verdict` (Choice on the recorded status) → the continuations; `<id>:fatal` copies the
 * error into `$.run.failed` for onError: fail; `<id>:failed` records an error of the steps themselves.
 * Step Functions' own ToleratedFailure fields exist only for Distributed Map, so tolerance is applied
 * by the collect step, the same in AWS and locally.
 */
export function forEachStates(plan: NodePlan, node: OperationNode): Record<string, AslState> {
  const id = node.id;
  const compiled = plan.forEach;
  if (!compiled) throw new Error(`compiler: forEach "${id}" has no compiled body`);
  const { config } = compiled;
  const items = compileString(config.items);
  if (!('expression' in items) || items.expression.startsWith('States.')) {
    throw new CompileError(`node "${id}" config/items: must be exactly one {{ path }}`, 'INVALID_DEFINITION');
  }
  const failedSource = plan.fatal ? FAILED_PATH : nodePath(id);
  const catchAll = [{ ErrorEquals: ['States.ALL'], ResultPath: failedSource, Next: stateName.failed(id) }];
  const step = (phase: string, stepConfig: Record<string, unknown>): AslState => ({
    Type: 'Task',
    Resource: LAMBDA_INVOKE,
    Parameters: {
      FunctionName: compiled.arn,
      Payload: {
        nodeId: id,
        action: 'foreach',
        phase,
        config: stepConfig,
        'execution.$': '$.execution',
        attempt: 1,
        ...(plan.inBody ? ITERATION : {}),
      },
    },
    Retry: [lambdaRetrier()],
    Catch: catchAll,
  });
  const tolerance =
    config.toleratedFailurePercent !== undefined
      ? { toleratedFailurePercent: config.toleratedFailurePercent }
      : { toleratedFailures: config.toleratedFailures ?? 0 };

  const states: Record<string, AslState> = {};
  let endPass = false;
  const name = (target: Target): string => {
    if (target !== 'end') return target.next;
    endPass = true;
    return stateName.done(id);
  };
  states[stateName.forEachItems(id)] = {
    ...step('items', { op: 'items', 'items.$': items.expression, maxItems: compiled.maxItems }),
    ResultSelector: { status: 'running', 'items.$': '$.Payload.items' },
    ResultPath: nodePath(id),
    Next: id,
  };
  states[id] = {
    Type: 'Map',
    ItemsPath: nodePath(id, 'items'),
    MaxConcurrency: config.concurrency,
    ItemSelector: compiled.itemSelector,
    ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, ...compiled.processor },
    ResultSelector: { status: 'running', 'results.$': '$' },
    ResultPath: nodePath(id),
    Catch: catchAll,
    Next: stateName.forEachCollect(id),
  };
  states[stateName.forEachCollect(id)] = {
    ...step('collect', { op: 'collect', 'results.$': nodePath(id, 'results'), ...tolerance }),
    ResultSelector: {
      'status.$': '$.Payload.status',
      'output.$': '$.Payload.output',
      'error.$': '$.Payload.error',
      'items.$': '$.Payload.items',
    },
    ResultPath: nodePath(id),
    Next: stateName.forEachVerdict(id),
  };
  const onFailed = plan.fatal ? stateName.fatal(id) : name(plan.onFailed());
  states[stateName.forEachVerdict(id)] = {
    Type: 'Choice',
    Choices: [{ Variable: nodePath(id, 'status'), StringEquals: 'failed', Next: onFailed }],
    Default: name(plan.onSucceeded()),
  };
  if (plan.fatal) {
    states[stateName.fatal(id)] = {
      Type: 'Pass',
      Parameters: { 'Error.$': nodePath(id, 'error', 'error'), 'Cause.$': nodePath(id, 'error', 'cause') },
      ResultPath: FAILED_PATH,
      ...transition(plan.fatalExit),
    };
  }
  if (endPass) states[stateName.done(id)] = { Type: 'Pass', End: true };
  states[stateName.failed(id)] = failedState(plan, failedSource);
  return states;
}
