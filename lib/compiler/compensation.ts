import type { WorkflowNode } from '../workflow/definition-schema.ts';
import { LAMBDA_INVOKE } from './node-states.ts';
import { compileObject } from './parameters.ts';
import { lambdaRetrier } from './retry.ts';
import type { AslState, StateScope } from './state-graph.ts';
import { FAILED_PATH, nodePath, type StructuralNames, stateName } from './state-names.ts';

/**
 * The end of a failing run (the saga), at the top level:
 * `:fail` (Pass: every node id into `$.run.all`, so the record builders report the nodes the run
 * never reached as `skipped`) → for each node with `compensate`, latest first:
 * `<id>:compensate-if` (Choice: is its record there and did it succeed? The record is kept in
 * the state for this, see state-slots.ts) → `<id>:compensate` (Task with `phase: "compensate"` in
 * its Payload, its own idempotency identity; its failure is caught and the chain goes on) →
 * `:fail-end` (Fail with the original error and cause from `$.run.failed`).
 *
 * `order` is the machine's linear order of nodes (a linear extension of the dependencies), so
 * reversing it compensates every node after everything that depended on it. Nodes that ran in
 * parallel branches have no recorded completion order in the state; they are compensated in
 * reverse machine order, which respects every dependency.
 *
 * In a forEach body (`inBody`, names prefixed `<forEachId>/`), compensation Tasks also carry the
 * item's `iteration`, and the end is a Pass returning `{ error }` instead of a Fail: the item ends
 * with its error, the Map goes on, and the forEach's collect step counts it against the tolerance.
 */
export function addFailureStates(
  scope: StateScope,
  nodes: readonly WorkflowNode[],
  order: readonly string[],
  arnOf: (action: string) => string,
  options: { names?: StructuralNames; inBody?: boolean } = {},
): void {
  const names = options.names ?? stateName;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const add = (name: string, state: AslState) => scope.add(name, state, 'the failure path');
  const compensated = [...order].reverse().filter((id) => byId.get(id)?.compensate !== undefined);
  const first = compensated[0];
  add(names.fail, {
    Type: 'Pass',
    Result: [...order],
    ResultPath: '$.run.all',
    Next: first !== undefined ? stateName.compensateIf(first) : names.failEnd,
  });
  compensated.forEach((id, i) => {
    const node = byId.get(id) as WorkflowNode;
    const compensate = node.compensate as NonNullable<WorkflowNode['compensate']>;
    const following = compensated[i + 1];
    const next = following !== undefined ? stateName.compensateIf(following) : names.failEnd;
    add(stateName.compensateIf(id), {
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: nodePath(id, 'status'), IsPresent: true },
            { Variable: nodePath(id, 'status'), StringEquals: 'succeeded' },
          ],
          Next: stateName.compensate(id),
        },
      ],
      Default: next,
    });
    add(stateName.compensate(id), {
      Type: 'Task',
      Resource: LAMBDA_INVOKE,
      Parameters: {
        FunctionName: arnOf(compensate.action),
        Payload: {
          nodeId: id,
          action: compensate.action,
          config: compileObject(compensate.config, `node "${id}" compensate.config`),
          'execution.$': '$.execution',
          attempt: 1,
          // Its own idempotency identity: the forward Task of the node has the same id and attempt.
          phase: 'compensate',
          ...(options.inBody ? { 'iteration.$': '$.iteration' } : {}),
        },
      },
      ResultPath: null,
      Retry: [lambdaRetrier()],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: next }],
      Next: next,
    });
  });
  if (options.inBody) {
    add(names.failEnd, {
      Type: 'Pass',
      Parameters: {
        error: { 'error.$': `${FAILED_PATH}.Error`, 'cause.$': `${FAILED_PATH}.Cause` },
        // A Distributed Map's ResultWriter does not keep item order: the collect step sorts by it.
        'index.$': '$.index',
      },
      End: true,
    });
    return;
  }
  add(names.failEnd, {
    Type: 'Fail',
    ErrorPath: `${FAILED_PATH}.Error`,
    CausePath: `${FAILED_PATH}.Cause`,
  });
}
