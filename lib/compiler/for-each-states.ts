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
  /** Inline Map of a Standard machine: the longest list whose iterations fit the history (events per item counted). */
  maxItems?: number;
  /** Distributed Map: the payload bucket its ItemReader reads the list from and its ResultWriter writes to. */
  bucket?: string;
}

/**
 * History events one item adds, at worst, for a body whose iteration enters `transitions` states:
 * the iteration's own two (`MapIterationStarted`/`Succeeded`) and three per state (Entered and
 * Exited, and a Task's Scheduled/Started/Succeeded counted for every state, an upper bound).
 */
export function forEachEventsPerItem(transitions: number): number {
  return 2 + 3 * transitions;
}

/** ItemReader / ResultWriter resources of a Distributed Map (S3 GetObject of a JSON array, PutObject of the results). */
const S3_GET_OBJECT = 'arn:aws:states:::s3:getObject';
const S3_PUT_OBJECT = 'arn:aws:states:::s3:putObject';

/**
 * The states of a forEach node (DESIGN.md §2.1):
 * `<id>:items` (Task, internal foreach action: payload references resolved, `ForEachItemsNotArray`
 * unless an array) → `<id>` (Map: the body as ItemProcessor, `concurrency` as MaxConcurrency; each
 * iteration ends with its output node's record or its fatal error, never failing) → `<id>:collect`
 * (Task: output in item order, the error at a failed index, `items: { total, succeeded, failed }`,
 * `ForEachFailed` past the tolerance) → `<id>:verdict` (Choice on the recorded status) → the
 * continuations; `<id>:fatal` copies the error into `$.run.failed` for onError: fail; `<id>:failed`
 * records an error of the steps themselves.
 *
 * Two forms of the same Map, with the same ItemProcessor and ItemSelector (docs/aws-parity.md):
 * - DISTRIBUTED (a top-level forEach of a Standard machine, when the context names the payload
 *   bucket): the items step keeps the list in the payload store (`itemsKey`, never in the state);
 *   the Map reads it with an S3 ItemReader, runs one STANDARD child execution per item (each with a
 *   history of its own) and writes the children's outputs with a ResultWriter under
 *   `resultsPrefix`; the collect step reads that manifest and offloads the output array. No list
 *   length or result size is bounded by the 256 KiB state or the 25,000-event parent history.
 * - INLINE (nested forEach, Express machines, no bucket): the list sits at `$.nodes.<id>.items` and
 *   the results in the state (256 KiB each); in a Standard machine the items step refuses a list
 *   longer than the history budget (`maxItems`) with `ForEachTooManyItems`.
 * Tolerance is applied by the collect step in both forms (Step Functions' ToleratedFailure fields
 * exist only for Distributed Map), so a failed item never fails the Map itself.
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
  const { bucket } = compiled;
  const processor = compiled.processor;
  states[stateName.forEachItems(id)] = {
    ...step('items', {
      op: 'items',
      'items.$': items.expression,
      ...(compiled.maxItems === undefined ? {} : { maxItems: compiled.maxItems }),
      ...(bucket === undefined ? {} : { store: true }),
    }),
    ResultSelector:
      bucket === undefined
        ? { status: 'running', 'items.$': '$.Payload.items' }
        : {
            status: 'running',
            'count.$': '$.Payload.count',
            'itemsKey.$': '$.Payload.itemsKey',
            'resultsPrefix.$': '$.Payload.resultsPrefix',
          },
    ResultPath: nodePath(id),
    Next: id,
  };
  states[id] =
    bucket === undefined
      ? {
          Type: 'Map',
          ItemsPath: nodePath(id, 'items'),
          MaxConcurrency: config.concurrency,
          ItemSelector: compiled.itemSelector,
          ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, ...processor },
          ResultSelector: { status: 'running', 'results.$': '$' },
          ResultPath: nodePath(id),
          Catch: catchAll,
          Next: stateName.forEachCollect(id),
        }
      : {
          Type: 'Map',
          ItemReader: {
            Resource: S3_GET_OBJECT,
            ReaderConfig: { InputType: 'JSON' },
            Parameters: { Bucket: bucket, 'Key.$': nodePath(id, 'itemsKey') },
          },
          MaxConcurrency: config.concurrency,
          ItemSelector: compiled.itemSelector,
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            ...processor,
          },
          ResultWriter: {
            Resource: S3_PUT_OBJECT,
            Parameters: { Bucket: bucket, 'Prefix.$': nodePath(id, 'resultsPrefix') },
          },
          ResultSelector: { status: 'running', 'manifest.$': '$.ResultWriterDetails' },
          ResultPath: nodePath(id),
          Catch: catchAll,
          Next: stateName.forEachCollect(id),
        };
  states[stateName.forEachCollect(id)] = {
    ...step('collect', {
      op: 'collect',
      ...(bucket === undefined
        ? { 'results.$': nodePath(id, 'results') }
        : { 'manifest.$': nodePath(id, 'manifest') }),
      ...tolerance,
    }),
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
