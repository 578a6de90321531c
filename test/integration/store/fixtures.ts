import type { AslDefinition, CompileReport } from '../../../lib/compiler/types.ts';
import type { NewFlowVersion } from '../../../lib/store/types.ts';
import type { WorkflowDefinition } from '../../../lib/workflow/definition-schema.ts';

/** A small valid-looking flow version input (the store does not validate definitions). */
export function versionInput(name = 'demo', extra: Partial<NewFlowVersion> = {}): NewFlowVersion {
  const definition = {
    name,
    nodes: [
      { id: 'start', type: 'trigger', trigger: 'manual', config: {} },
      { id: 'say', type: 'action', action: 'log', config: { message: 'hi' }, dependencies: ['start'] },
    ],
  } as WorkflowDefinition;
  const compiled: AslDefinition = {
    StartAt: 'say',
    States: { say: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true } },
  };
  const report: CompileReport = {
    stateMachineType: 'STANDARD',
    definitionBytes: JSON.stringify(compiled).length,
    states: 1,
    estimatedTransitions: 2,
    addedEdges: [],
    warnings: [],
  };
  return { definition, compiled, report, triggers: [{ id: 'start', type: 'manual' }], ...extra };
}

/** A 1,000-node definition and an ASL of the shape the compiler emits for it (a Task + Choice per node). */
export function largeVersionInput(nodeCount = 1000): NewFlowVersion {
  const nodes: Record<string, unknown>[] = [{ id: 'start', type: 'trigger', trigger: 'webhook', config: {} }];
  const states: Record<string, Record<string, unknown>> = {};
  for (let i = 0; i < nodeCount; i++) {
    const id = `node_${i}`;
    nodes.push({
      id,
      type: 'action',
      action: 'http',
      config: {
        method: 'POST',
        url: `https://api.example.com/items/${i}?q={{ input.query }}`,
        body: { index: i, from: `{{ nodes.node_${Math.max(0, i - 1)}.output.body }}` },
      },
      dependencies: [i === 0 ? 'start' : `node_${i - 1}`],
      retry: { strategy: 'exponential', maxAttempts: 4, delaySeconds: 1, maxDelaySeconds: 30, jitter: true },
    });
    states[id] = {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: 'arn:aws:lambda:eu-west-1:123456789012:function:flowforge-action-http',
        Payload: {
          nodeId: id,
          action: 'http',
          'config.$': `States.JsonMerge($.cfg.${id}, $.resolved, false)`,
          'execution.$': '$.execution',
          attempt: 1,
        },
      },
      ResultSelector: { status: 'succeeded', 'output.$': '$.Payload' },
      ResultPath: `$.nodes.${id}`,
      Retry: [
        {
          ErrorEquals: ['States.TaskFailed'],
          IntervalSeconds: 1,
          MaxAttempts: 3,
          BackoffRate: 2,
          JitterStrategy: 'FULL',
        },
      ],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: `$.nodes.${id}.error`, Next: `${id}:failed` }],
      Next: `${id}:done`,
    };
    states[`${id}:done`] = {
      Type: 'Pass',
      Parameters: { 'startedAt.$': '$$.State.EnteredTime' },
      ResultPath: `$.timing.${id}`,
      Next: i + 1 < nodeCount ? `node_${i + 1}` : 'end',
    };
    states[`${id}:failed`] = { Type: 'Fail', Error: 'NodeFailed', Cause: `node ${id} failed` };
  }
  states.end = { Type: 'Succeed' };
  const compiled: AslDefinition = { StartAt: 'node_0', States: states };
  const definition = { name: 'large', nodes } as unknown as WorkflowDefinition;
  const report: CompileReport = {
    stateMachineType: 'STANDARD',
    definitionBytes: JSON.stringify(compiled).length,
    states: Object.keys(states).length,
    estimatedTransitions: nodeCount * 2,
    addedEdges: [],
    warnings: [],
  };
  return {
    definition,
    compiled,
    report,
    triggers: [{ id: 'start', type: 'webhook', secretRef: 'ssm:/flowforge/hook' }],
  };
}
