import { compile } from '../../../lib/compiler/compile.ts';
import type { AslDefinition, CompileReport } from '../../../lib/compiler/types.ts';
import type { NewFlowVersion } from '../../../lib/store/types.ts';
import { definitionSchema, type WorkflowDefinition } from '../../../lib/workflow/definition-schema.ts';

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

/**
 * A 1,000-node definition (a chain of log actions after a webhook trigger) and its ASL from the
 * real compiler: about 1 MB of JSON (just under Step Functions' definition limit), the
 * worst case a version item has to hold.
 */
export function largeVersionInput(nodeCount = 1000): NewFlowVersion {
  const nodes: unknown[] = [{ id: 'start', type: 'trigger', trigger: 'webhook' }];
  for (let i = 0; i < nodeCount; i++) {
    nodes.push({
      id: `n${i}`,
      type: 'action',
      action: 'log',
      config: { message: 'm' },
      dependencies: [i === 0 ? 'start' : `n${i - 1}`],
    });
  }
  const definition = definitionSchema.parse({ name: 'large', nodes });
  const { asl, report } = compile(definition, {
    actionArns: { log: 'arn:aws:lambda:eu-west-1:123456789012:function:flowforge-action-log' },
  });
  return {
    definition,
    compiled: asl,
    report,
    triggers: [{ id: 'start', type: 'webhook', secretRef: 'ssm:/flowforge/hook' }],
  };
}
