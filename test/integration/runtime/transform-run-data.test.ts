import { describe, expect, it } from 'vitest';
import { compile } from '../../../lib/compiler/compile.ts';
import { localCompileContext } from '../../../lib/runtime/local/local-action-arns.ts';
import { runLocally } from '../../../lib/runtime/local/run-locally.ts';
import { validateDefinition } from '../../../lib/workflow/validate-definition.ts';

const definition = {
  name: 'transform-over-the-run',
  nodes: [
    { id: 'a', type: 'action', action: 'log', config: { message: 'hi' } },
    {
      id: 'b',
      type: 'action',
      action: 'transform',
      // A user-written `data` must not replace the run's data.
      config: {
        expression: "{ 'msg': nodes.a.output.message & '!', 'n': input.n * 2, 'by': execution.flowId }",
        data: { n: 1 },
      },
      dependencies: ['a'],
    },
  ],
};

describe('transform sees the run through the compiled Task', () => {
  it('evaluates its JSONata over { input, nodes, execution } of the run', async () => {
    const validation = validateDefinition(definition);
    expect(validation.errors).toEqual([]);
    if (!validation.definition) throw new Error('invalid');
    const { asl } = compile(validation.definition, localCompileContext());
    const record = await runLocally(asl, {
      input: { n: 21 },
      execution: {
        id: 'x',
        startedAt: '2026-01-01T00:00:00.000Z',
        flowId: 'flow-7',
        version: 1,
        trigger: { id: null, type: 'api' },
      },
    }).promise;
    expect(record.status).toBe('SUCCEEDED');
    expect(record.nodes.b?.output).toEqual({ msg: 'hi!', n: 42, by: 'flow-7' });
  });
});
