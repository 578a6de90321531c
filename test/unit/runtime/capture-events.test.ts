import { describe, expect, it } from 'vitest';
import { buildMachine } from '../../../lib/compiler/compile.ts';
import { runLocally } from '../../../lib/runtime/local/run-locally.ts';
import { definitionSchema } from '../../../lib/workflow/definition-schema.ts';
import { mulberry32 } from '../../support/mulberry32.ts';

// aws-local-stepfunctions forwards the events of nested Parallel branches late and drops some
// (43 of 60 Task entries seen for this DAG); Step Functions' history has them all. The local runner
// reports every event (lib/runtime/local/capture-events.ts), and the record is built from them.
describe('local event log', () => {
  it('has every state event of nested Parallel branches, so every node has its record', async () => {
    const random = mulberry32(60);
    const nodes = Array.from({ length: 60 }, (_, i) => {
      const deps = new Set<number>();
      if (i > 0) {
        const count = 1 + Math.floor(random() * 3);
        for (let k = 0; k < count; k++) deps.add(i - 1 - Math.floor(random() * Math.min(i, 8)));
      }
      return {
        id: `n${i}`,
        type: 'action' as const,
        action: 'log',
        config: { message: 'x' },
        dependencies: [...deps].map((d) => `n${d}`),
      };
    });
    const { asl } = buildMachine(definitionSchema.parse({ name: 'nested', nodes }), {
      actionArns: { log: 'arn:aws:lambda:us-east-1:123456789012:function:flowforge-action-log' },
    });
    const run = runLocally(
      asl,
      { input: {}, execution: { id: 'e', startedAt: '2026-01-01T00:00:00.000Z', flowId: 'f', version: 1 } },
      { validate: 'none', invokeAction: async (p) => ({ id: p.nodeId }) },
    );
    const record = await run.promise;
    expect(record.status).toBe('SUCCEEDED');
    const entered = new Set(run.events().flatMap((e) => (e.type === 'StateEntered' ? [e.state.name] : [])));
    expect(nodes.filter((n) => !entered.has(n.id)).map((n) => n.id)).toEqual([]);
    for (const node of nodes)
      expect(record.nodes[node.id]).toMatchObject({ status: 'succeeded', output: { id: node.id } });
    // Each event is reported once, although a branch's events are also forwarded to its parent.
    expect(run.events().filter((e) => e.type === 'StateEntered' && e.state.name === 'n59')).toHaveLength(1);
  });
});
